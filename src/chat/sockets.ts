import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { bearerToken, requireCitizen } from "../auth/middleware";
import { verifyAccessToken } from "../auth/tokens";
import { hmacHex } from "../lib/crypto";
import { ApiError, notFound, unauthorized } from "../lib/errors";
import { type AppEnv, citizenSecurity, json, problems, router } from "../lib/hono";
import { randomToken } from "../lib/ids";
import { log } from "../lib/log";
import { tokenTrust } from "../safety/trust";
import { inboxStub, relayStub, roomStub } from "./access";
import { chatsOf } from "./store";

const TICKET_TTL_MS = 60_000;
const ticketHash = (env: Env, ticket: string) => hmacHex(env.CREDENTIAL_HASH_KEY, `ws-ticket\n${ticket}`);

/**
 * Who opens a socket: a bearer token, or (for browsers, which cannot set headers on a WebSocket) a
 * single-use ticket. A ticket is consumed by one conditional DELETE, so it works once.
 */
async function socketUser(c: Context<AppEnv>): Promise<void> {
  const token = bearerToken(c.req.header("authorization"));
  if (token) {
    const claims = await verifyAccessToken(c.env, token, "citizen");
    c.set("citizen", { userId: claims.sub, sessionId: claims.sid, ...(claims.trust ? { trust: claims.trust } : {}) });
  } else {
    const ticket = c.req.query("ticket");
    if (!ticket || ticket.length > 100) throw unauthorized("unauthorized", "Authenticate with a bearer token or ?ticket=.");
    const row = await c.env.DB.prepare("DELETE FROM ws_tickets WHERE ticket_hash = ?1 AND expires_at > ?2 RETURNING user_id, session_id")
      .bind(await ticketHash(c.env, ticket), Date.now())
      .first<{ user_id: string; session_id: string }>();
    if (!row) throw unauthorized("invalid_ticket", "The ticket is unknown, used or expired.");
    // A ticket carries no claims: the trust is read here, once per connect.
    c.set("citizen", { userId: row.user_id, sessionId: row.session_id, ...(await tokenTrust(c.env, row.user_id)) });
  }
  // A socket outlives any access token, so a signed-out device must not open one with a token that has
  // not expired yet (and its open ones are closed when it is signed out: closeSessionSockets).
  const live = await c.env.DB.prepare("SELECT 1 FROM sessions WHERE id = ?1 AND revoked_at IS NULL AND expires_at > ?2")
    .bind(c.var.citizen.sessionId, Date.now())
    .first();
  if (!live) throw unauthorized("session_ended", "This device was signed out; sign in again.");
}

/** Closes every socket a session has open: in each of its user's chats, and its inbox. */
/**
 * A device was signed out: its inbox drops its push subscriptions and closes its inbox sockets. Awaited by
 * sign-out before it answers, so no push reaches the device afterwards; its room sockets close after
 * (closeSessionSockets).
 */
export async function closeInboxSession(env: Env, userId: string, sessionId: string): Promise<void> {
  await inboxStub(env, userId).closeSession(sessionId);
}

export async function closeSessionSockets(env: Env, sessionId: string): Promise<void> {
  const session = await env.DB.prepare("SELECT user_id FROM sessions WHERE id = ?1").bind(sessionId).first<{ user_id: string }>();
  if (!session) return;
  // With the user id, big channels' rooms find the relays the session's sockets are on.
  const closing = (await chatsOf(env.DB, session.user_id)).map((chatId) => roomStub(env, chatId).closeSession(sessionId, session.user_id));
  closing.push(inboxStub(env, session.user_id).closeSession(sessionId));
  const failed = (await Promise.allSettled(closing)).filter((r) => r.status === "rejected");
  if (failed.length > 0) log.warn("closing a signed-out session's sockets failed in some rooms", { sessionId, failed: failed.length });
}

/** How far back the hourly chore looks for sessions that expired: a few missed runs are caught up. */
const EXPIRY_WINDOW_MS = 6 * 3600_000;
const EXPIRY_CONCURRENCY = 20;

/**
 * Hourly: sessions that ended by expiry (no sign-out told anyone) since about the last run lose their Web Push
 * subscriptions, which their users' inboxes hold. Answers how many sessions were told.
 */
export async function endExpiredSessions(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id, user_id FROM sessions WHERE revoked_at IS NULL AND expires_at <= ?1 AND expires_at > ?2",
  )
    .bind(now, now - EXPIRY_WINDOW_MS)
    .all<{ id: string; user_id: string }>();
  for (let i = 0; i < results.length; i += EXPIRY_CONCURRENCY) {
    await Promise.all(results.slice(i, i + EXPIRY_CONCURRENCY).map((s) => inboxStub(env, s.user_id).closeSession(s.id)));
  }
  return results.length;
}

function requireUpgrade(c: Context<AppEnv>): void {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "This endpoint speaks WebSocket only.", { headers: { upgrade: "websocket" } });
  }
}

/** The relay a room names for a subscriber's socket (its `x-veche-relay` header). */
const RelayIndex = z
  .string()
  .regex(/^\d{1,7}$/)
  .transform(Number);

const After = z.object({
  after: z.coerce.number().int().min(0).optional().openapi({ description: "Resume by message: every message with a greater seq first." }),
  pts: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: "Resume by change: every change with a greater pts first, or `too_long`." }),
  ticket: z.string().max(100).optional(),
  batch: z.literal("1").optional().openapi({ description: "Accept several frames as one JSON array in one WebSocket message." }),
});

export const sockets = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/ws-tickets",
      operationId: "createSocketTicket",
      tags: ["realtime"],
      summary: "A single-use ticket to open a WebSocket, valid 60 s",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: {
        201: json(z.object({ ticket: z.string(), expiresIn: z.number().int() }), "The ticket."),
        ...problems([401, "unauthorized"]),
      },
    }),
    async (c) => {
      const ticket = randomToken();
      await c.env.DB.prepare("INSERT INTO ws_tickets (ticket_hash, user_id, session_id, expires_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(await ticketHash(c.env, ticket), c.var.citizen.userId, c.var.citizen.sessionId, Date.now() + TICKET_TTL_MS)
        .run();
      // Expired tickets are swept here rather than by a timer: cheap, and bounded by ticket issue rate.
      await c.env.DB.prepare("DELETE FROM ws_tickets WHERE expires_at < ?1")
        .bind(Date.now() - TICKET_TTL_MS)
        .run();
      return c.json({ ticket, expiresIn: TICKET_TTL_MS / 1000 }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/ws",
      operationId: "openChatSocket",
      tags: ["realtime"],
      summary: "WebSocket to a chat's room (docs/protocol.md)",
      description:
        "With `?pts=<pts>` the room first sends every change after it (or `too_long`), with `?after=<seq>` every message with a greater seq; then live frames. Non-members are refused with 404 before the upgrade.",
      security: [...citizenSecurity, {}],
      request: { params: z.object({ chatId: z.string().min(1).max(64) }), query: After },
      responses: {
        101: { description: "Switching to WebSocket." },
        ...problems(
          [400, "validation_failed"],
          [401, "unauthorized, invalid_ticket"],
          [403, "blocked: the other person in this direct chat blocked the caller"],
          [404, "not_found"],
          [426, "upgrade_required"],
        ),
      },
    }),
    async (c) => {
      requireUpgrade(c);
      const { after, pts, batch } = c.req.valid("query");
      await socketUser(c);
      const { chatId } = c.req.valid("param");
      const url = new URL("https://room/ws");
      if (after !== undefined) url.searchParams.set("after", String(after));
      if (pts !== undefined) url.searchParams.set("pts", String(pts));
      const headers = {
        upgrade: "websocket",
        "x-veche-user": c.var.citizen.userId,
        "x-veche-chat": chatId,
        "x-veche-session": c.var.citizen.sessionId,
        ...(c.var.citizen.trust ? { "x-veche-trust": c.var.citizen.trust } : {}),
        ...(batch ? { "x-veche-batch": "1" } : {}),
      };
      // The room checks membership itself (no D1 read) and refuses non-members before upgrading.
      let res = await roomStub(c.env, chatId).fetch(url, { headers });
      // A big channel's subscriber: the room names the relay that serves them (src/chat/relay/plan.ts), which
      // asks the room again (membership, and the catch-up) before it upgrades.
      const relay = res.status === 307 ? RelayIndex.safeParse(res.headers.get("x-veche-relay")) : null;
      if (relay?.success) res = await relayStub(c.env, chatId, relay.data).fetch(url, { headers });
      if (res.status === 404) throw notFound("chat");
      // The other person in this direct chat blocked the caller (src/chat/room/blocks.ts).
      if (res.status === 403) throw new ApiError(403, "blocked", "This person does not accept messages from you.");
      return res;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/inbox/ws",
      operationId: "openInboxSocket",
      tags: ["realtime"],
      summary: "WebSocket to the caller's inbox: chat-list updates and notifications",
      security: [...citizenSecurity, {}],
      request: {
        query: z.object({
          ticket: z.string().max(100).optional(),
          pts: z.coerce
            .number()
            .int()
            .min(0)
            .optional()
            .openapi({ description: "Resume: every chat-list change and notification after this user pts first, or `too_long`." }),
        }),
      },
      responses: {
        101: { description: "Switching to WebSocket." },
        ...problems([401, "unauthorized, invalid_ticket"], [426, "upgrade_required"]),
      },
    }),
    async (c) => {
      requireUpgrade(c);
      const { pts } = c.req.valid("query");
      await socketUser(c);
      const userId = c.var.citizen.userId;
      const url = new URL("https://inbox/ws");
      if (pts !== undefined) url.searchParams.set("pts", String(pts));
      return inboxStub(c.env, userId).fetch(url, {
        headers: { upgrade: "websocket", "x-veche-user": userId, "x-veche-session": c.var.citizen.sessionId },
      });
    },
  );
