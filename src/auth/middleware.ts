import { createMiddleware } from "hono/factory";
import { forbidden, unauthorized } from "../lib/errors";
import type { AppEnv } from "../lib/hono";
import { verifyAccessToken } from "./tokens";

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  // The scheme name is case-insensitive (RFC 7235 §2.1); the token is an RFC 6750 b64token.
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** Requires a valid citizen access token; sets `c.var.citizen`. */
export const requireCitizen = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw unauthorized("unauthorized", "Sign in: send Authorization: Bearer <access token>.");
  const claims = await verifyAccessToken(c.env, token, "citizen");
  c.set("citizen", { userId: claims.sub, sessionId: claims.sid, ...(claims.trust ? { trust: claims.trust } : {}) });
  await next();
});

/** Requires a valid agency access token carrying `scope` (any agency token when omitted); sets `c.var.agency`. */
export const requireAgency = (scope?: string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw unauthorized("unauthorized", "Send Authorization: Bearer <agency token> from /api/v1/agency/token.");
    const claims = await verifyAccessToken(c.env, token, "agency");
    const scopes = claims.scope ?? [];
    if (scope && !scopes.includes(scope)) throw forbidden("insufficient_scope", `This needs the ${scope} scope.`);
    c.set("agency", { agencyId: claims.sub, scopes });
    await next();
  });
