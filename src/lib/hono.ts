import { OpenAPIHono } from "@hono/zod-openapi";
import * as z from "zod";
import { validationError } from "./errors";

export interface CitizenAuth {
  userId: string;
  sessionId: string;
  /** Tighter sending limits (src/safety/trust.ts), from the access token. */
  trust?: "reduced" | "restricted";
}

export interface AgencyAuth {
  agencyId: string;
  scopes: string[];
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    citizen: CitizenAuth;
    agency: AgencyAuth;
  };
}

/**
 * A feature router. Validation failures of bodies, queries and params are thrown so the one
 * `onError` renders them; handlers only ever see data that passed its schema.
 */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
}

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ description: "Stable snake_case error code that clients switch on." }),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

/** OpenAPI response entries for the problem statuses a route can answer. */
export function problems(...entries: [number, string][]) {
  return Object.fromEntries(
    entries.map(([status, description]) => [status, { description, content: { "application/problem+json": { schema: Problem } } }]),
  );
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const citizenSecurity = [{ citizen: [] as string[] }];
export const agencySecurity = [{ agency: [] as string[] }];

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined): string | null => (ms == null ? null : iso(ms));
