import { createMiddleware } from "hono/factory";
import { unauthorized } from "../lib/errors";
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
  c.set("citizen", { userId: claims.sub, sessionId: claims.sid });
  await next();
});
