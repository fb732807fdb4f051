// Where Durable Objects live. Every stub the code makes goes through namespaceFor, so one setting
// (JURISDICTION in wrangler.toml, docs/deploy.md "Data residency") places every chat room and inbox in the same
// jurisdiction as the D1 database and the R2 bucket. A name in a jurisdiction is another object than the same
// name outside it: the setting is chosen before the first deploy and never changed.
import { serviceUnavailable } from "./config";

/** The jurisdictions Durable Objects, D1, R2 and Queues all offer; "" places nothing. */
export const JURISDICTIONS = ["eu", "us", "fedramp"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

const isJurisdiction = (value: unknown): value is Jurisdiction => JURISDICTIONS.some((j) => j === value);

/**
 * The deployment's jurisdiction (undefined: none), or null when the setting cannot be honoured: a value no
 * storage product offers, or any value in development, whose local runtime (workerd) refuses jurisdictions.
 * A plain check, not a schema: it runs for every stub, on the message path's inbox pushes too.
 */
export function jurisdictionOf(env: Env): Jurisdiction | undefined | null {
  const value: unknown = env.JURISDICTION;
  if (value === undefined || value === "") return undefined;
  if (!isJurisdiction(value)) return null;
  return env.ENVIRONMENT === "development" ? null : value;
}

type Namespaces = "CHAT_ROOM" | "INBOX" | "CHAT_RELAY";

/** The namespace to make ids and stubs from: the binding, restricted to the deployment's jurisdiction. */
export function namespaceFor<N extends Namespaces>(env: Env, name: N): Env[N] {
  const jurisdiction = jurisdictionOf(env);
  // The app refuses every request while the setting is unusable (app.ts); this keeps alarms and queue
  // consumers from creating objects outside the jurisdiction the deployment asked for.
  if (jurisdiction === null) throw serviceUnavailable("residency");
  if (jurisdiction === undefined) return env[name];
  // jurisdiction() keeps the binding's type parameter; TypeScript cannot see that through the union of N.
  return env[name].jurisdiction(jurisdiction) as Env[N];
}
