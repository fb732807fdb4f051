// What the server needs configured before it can serve, checked by name (never by value), and JURISDICTION by
// being one the platform and this runtime can honour: `/health` answers 503 with the names that are missing or
// unusable, and each affected endpoint answers `503 service_unavailable` before it changes anything, instead of
// failing half-way with a 500.
import { ApiError } from "./errors";
import { jurisdictionOf } from "./objects";

/** A capability that depends on configuration. */
export type Service = "keys" | "residency" | "sms" | "payments" | "push" | "calls";

const SECRETS = ["JWT_PRIVATE_KEYS", "CREDENTIAL_HASH_KEY", "DATA_ENCRYPTION_KEY", "FRANKING_KEY"] as const;
const SMS = ["SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN"] as const;
const PUSH = ["VAPID_PRIVATE_KEY", "VAPID_SUBJECT"] as const;
const TURN = ["TURN_KEY_ID", "TURN_KEY_API_TOKEN"] as const;

const WHAT: Record<Service, string> = {
  keys: "the server's keys",
  residency: "its data residency setting",
  sms: "sign-in codes by SMS",
  payments: "card payments",
  push: "push notifications",
  calls: "relaying calls (TURN)",
};

const absent = (env: Env, name: keyof Env) => {
  const value: unknown = env[name];
  return typeof value !== "string" || value.trim() === "";
};

/** The configuration names a service lacks in this environment (empty: it can serve). */
export function missingFor(env: Env, service: Service): string[] {
  switch (service) {
    case "keys":
      return SECRETS.filter((name) => absent(env, name));
    case "residency":
      // Set, but to a value that cannot be honoured (src/lib/objects.ts): nothing may be stored elsewhere.
      return jurisdictionOf(env) === null ? ["JURISDICTION"] : [];
    case "sms":
      // Development keeps codes in the dev outbox.
      return env.ENVIRONMENT === "development" ? [] : SMS.filter((name) => absent(env, name));
    case "payments":
      // Development uses the sandbox; no production acquirer adapter exists yet (docs/deploy.md).
      return env.ENVIRONMENT === "development" ? [] : ["PAYMENT_PROVIDER"];
    case "push":
      // Only Web Push needs them: without them the push endpoints answer 503, and nothing is sent.
      return PUSH.filter((name) => absent(env, name));
    case "calls":
      // Development calls without TURN (POST /calls/ice-servers answers an empty list); production needs it.
      return env.ENVIRONMENT === "development" ? [] : TURN.filter((name) => absent(env, name));
  }
}

/** Every missing name, by service, for `/health`. */
export function missingConfig(env: Env): Partial<Record<Service, string[]>> {
  const out: Partial<Record<Service, string[]>> = {};
  for (const service of Object.keys(WHAT) as Service[]) {
    const missing = missingFor(env, service);
    if (missing.length > 0) out[service] = missing;
  }
  return out;
}

export const serviceUnavailable = (service: Service): ApiError =>
  new ApiError(503, "service_unavailable", `This server is not configured for ${WHAT[service]} yet; try again later.`, {
    headers: { "retry-after": "300" },
  });

/** Refuses with 503 service_unavailable, before anything changes, when the service is not configured. */
export function requireService(env: Env, service: Service): void {
  if (missingFor(env, service).length > 0) throw serviceUnavailable(service);
}
