import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { closeInboxSession, closeSessionSockets } from "../chat/sockets";
import { database } from "../db";
import { requireService } from "../lib/config";
import { ApiError, notFound, tooManyRequests, unauthorized } from "../lib/errors";
import { citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { log } from "../lib/log";
import { hit, type Limit } from "../lib/rate-limit";
import { tokenTrust } from "../safety/trust";
import { OwnUser } from "../users/schemas";
import { ownUser, userForSignIn } from "../users/store";
import { keyRing } from "./keys";
import { requireCitizen } from "./middleware";
import { normalizePhone } from "./phone";
import { smsSender } from "./sms";
import {
  activeSessions,
  consumeOtp,
  createSession,
  newOtpCode,
  OTP_TTL_MS,
  revokeOwnSession,
  revokeSession,
  rotateRefreshToken,
  storeOtp,
} from "./store";
import { ACCESS_TOKEN_TTL_SEC, signAccessToken } from "./tokens";

const OTP_PER_PHONE: Limit = { name: "otp:phone", max: 5, windowMs: 15 * 60_000 };
const OTP_PER_ADDRESS: Limit = { name: "otp:addr", max: 30, windowMs: 15 * 60_000 };

const Phone = z.string().max(40).openapi({ example: "+7 916 123-45-67", description: "Any common form; stored as E.164." });

async function phoneOrThrow(env: Env, input: string): Promise<string> {
  const phone = await normalizePhone(env, input);
  if (!phone)
    throw new ApiError(400, "invalid_phone", "That is not a phone number we can send a code to.", {
      errors: [{ path: "phone", message: "Expected a phone number such as +79161234567" }],
    });
  return phone;
}

/** The caller's address as Cloudflare's edge reports it. */
export const clientAddress = (req: Request): string => req.headers.get("cf-connecting-ip") ?? "unknown";

const Tokens = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int().openapi({ description: "Access token lifetime in seconds." }),
});

const Session = z
  .object({
    id: z.string(),
    deviceName: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    current: z.boolean(),
  })
  .openapi("Session");

/**
 * Signs a phone in: finds or creates its user and opens a new session. A number dormant past
 * DORMANT_AFTER_MS signs in as a new person (userForSignIn): the previous holder's data stays with them.
 */
export async function signInPhone(env: Env, phone: string, deviceName: string | null) {
  const db = database(env.DB);
  const { user, released } = await userForSignIn(env.DB, phone);
  if (released) log.info("a dormant number signed in as a new person", { releasedUserId: released, userId: user.id });
  const session = await createSession(env, db, user.id, deviceName);
  const accessToken = await signAccessToken(env, {
    kind: "citizen",
    sub: user.id,
    sid: session.sessionId,
    ...(await tokenTrust(env, user.id)),
  });
  return { accessToken, refreshToken: session.refreshToken, expiresIn: ACCESS_TOKEN_TTL_SEC, user: ownUser(user) };
}

export const SignedInBody = Tokens.extend({ user: OwnUser });

export const auth = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/otp",
      operationId: "requestSignInCode",
      security: [],
      tags: ["identity"],
      summary: "Send a sign-in code by SMS",
      request: { body: jsonBody(z.object({ phone: Phone })) },
      responses: {
        202: json(z.object({ expiresInSec: z.number().int() }), "A code was sent."),
        ...problems(
          [400, "invalid_phone or validation_failed"],
          [429, "rate_limited: too many codes for this phone or address"],
          [503, "service_unavailable: no SMS gateway is configured"],
        ),
      },
    }),
    async (c) => {
      const phone = await phoneOrThrow(c.env, c.req.valid("json").phone);
      // Before a code is stored or a rate limit counted: with no gateway, no code could arrive.
      requireService(c.env, "sms");
      await hit(c.env.DB, OTP_PER_ADDRESS, clientAddress(c.req.raw));
      await hit(c.env.DB, OTP_PER_PHONE, phone);
      const code = newOtpCode();
      await storeOtp(c.env, phone, code);
      await smsSender(c.env).sendCode(phone, code);
      return c.json({ expiresInSec: OTP_TTL_MS / 1000 }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/verify",
      operationId: "verifySignInCode",
      security: [],
      tags: ["identity"],
      summary: "Exchange a sign-in code for tokens",
      request: {
        body: jsonBody(
          z.object({
            phone: Phone,
            code: z.string().max(16),
            deviceName: z.string().trim().min(1).max(100).optional(),
          }),
        ),
      },
      responses: {
        200: json(SignedInBody, "Signed in; a new session was created."),
        ...problems([400, "invalid_phone"], [401, "invalid_code"], [429, "too_many_attempts: five wrong codes burnt this one"]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const phone = await phoneOrThrow(c.env, body.phone);
      const check = await consumeOtp(c.env, phone, body.code);
      if (!check.ok) {
        if (check.reason === "burnt") {
          throw tooManyRequests((check.retryAfterMs ?? OTP_TTL_MS) / 1000, "too_many_attempts", "Too many wrong codes: request a new one.");
        }
        const detail = check.reason === "expired" ? "The code has expired: request a new one." : "The code is wrong or was already used.";
        throw unauthorized("invalid_code", detail);
      }
      return c.json(await signInPhone(c.env, phone, body.deviceName ?? null), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/refresh",
      operationId: "refreshTokens",
      security: [],
      tags: ["identity"],
      summary: "Rotate a refresh token",
      description: "Every refresh token works once. Presenting one that was already rotated ends the whole session.",
      request: { body: jsonBody(z.object({ refreshToken: z.string().min(1).max(200) })) },
      responses: {
        200: json(Tokens, "New tokens; the presented refresh token no longer works."),
        ...problems([401, "invalid_refresh_token, or refresh_token_reused (the session is now revoked)"]),
      },
    }),
    async (c) => {
      const result = await rotateRefreshToken(c.env, database(c.env.DB), c.req.valid("json").refreshToken);
      if (!result.ok) {
        if (result.reason === "reused") {
          // Rare, and a sign of a stolen token: everything of the session is closed before the answer.
          await closeSessionSockets(c.env, result.sessionId);
          throw unauthorized("refresh_token_reused", "This refresh token was already used; the session has been signed out for safety.");
        }
        throw unauthorized("invalid_refresh_token", "The refresh token is not valid or its session has ended.");
      }
      const accessToken = await signAccessToken(c.env, {
        kind: "citizen",
        sub: result.userId,
        sid: result.sessionId,
        ...(await tokenTrust(c.env, result.userId)),
      });
      return c.json({ accessToken, refreshToken: result.refreshToken, expiresIn: ACCESS_TOKEN_TTL_SEC }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      operationId: "signOut",
      tags: ["identity"],
      summary: "End the current session",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: { 204: { description: "Signed out; the session's refresh token stops working." }, ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      await revokeSession(c.env, c.var.citizen.sessionId, "logout");
      await closeInboxSession(c.env, c.var.citizen.userId, c.var.citizen.sessionId);
      c.executionCtx.waitUntil(closeSessionSockets(c.env, c.var.citizen.sessionId));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions",
      operationId: "listSessions",
      tags: ["identity"],
      summary: "The caller's signed-in devices",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: {
        200: json(z.object({ sessions: z.array(Session) }), "Active sessions, most recently used first."),
        ...problems([401, "unauthorized"]),
      },
    }),
    async (c) => {
      const rows = await activeSessions(database(c.env.DB), c.var.citizen.userId);
      const sessions = rows.map((s) => ({
        id: s.id,
        deviceName: s.deviceName,
        createdAt: iso(s.createdAt),
        lastUsedAt: iso(s.lastUsedAt),
        current: s.id === c.var.citizen.sessionId,
      }));
      return c.json({ sessions }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/{id}",
      operationId: "revokeSession",
      tags: ["identity"],
      summary: "Sign out one device",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: {
        204: { description: "Revoked; its refresh token stops working." },
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const revoked = await revokeOwnSession(c.env, c.var.citizen.userId, id);
      if (!revoked) throw notFound("session");
      await closeInboxSession(c.env, c.var.citizen.userId, id);
      c.executionCtx.waitUntil(closeSessionSockets(c.env, id));
      return c.body(null, 204);
    },
  );

export const jwks = router().openapi(
  createRoute({
    method: "get",
    path: "/.well-known/jwks.json",
    operationId: "getJwks",
    security: [],
    tags: ["identity"],
    summary: "Public keys that sign access tokens",
    responses: { 200: json(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "The JWKS: current and previous keys.") },
  }),
  async (c) => {
    const ring = await keyRing(c.env.JWT_PRIVATE_KEYS);
    c.header("cache-control", "public, max-age=300");
    return c.json(ring.jwks, 200);
  },
);
