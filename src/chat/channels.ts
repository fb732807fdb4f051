// Public channels, invite links, bans and handing a chat to a new owner (contract v1.1 "Public channels",
// issue 13). A channel with a username is public: anyone signed in finds it, reads its posts (the preview,
// GET /chats/{chatId}/messages) and joins as a subscriber. Invite links let people into private channels and
// groups; a ban keeps someone out of both ways in.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { database } from "../db";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { hitUser, type Limit } from "../lib/rate-limit";
import { Username } from "../users/schemas";
import { getUser } from "../users/store";
import { requireMember, roomStub, unwrap } from "./access";
import {
  addBan,
  countInviteUse,
  createInvite,
  findInvite,
  getBan,
  type InviteRow,
  isBanned,
  joinChat,
  liftBan,
  listBans,
  listInvites,
  revokeInvite,
} from "./bans";
import { removeFromChat } from "./leave";
import { canRemove, hasMembers, isModerator } from "./policy";
import type { ChatSummary } from "./protocol";
import { ChatSchema, chatFor } from "./routes";

const secured = { security: citizenSecurity, middleware: requireCitizen };
const ChatIdParam = z.object({ chatId: z.string().min(1).max(64) });
const UserIdBody = z.object({ userId: z.string().min(1).max(64) }).strict();

// Joining writes D1 (one member row) and tells the room: bounded per person like adding members.
const JOINS_PER_MINUTE: Limit = { name: "chat_join:min", max: 30, windowMs: 60_000 };
const JOINS_PER_DAY: Limit = { name: "chat_join:day", max: 500, windowMs: 24 * 3600_000 };
const INVITES_PER_HOUR: Limit = { name: "invite_create:hour", max: 50, windowMs: 3600_000 };

const BANNED = () => new ApiError(403, "banned", "You were banned from this chat.");

async function limitJoins(env: Env, userId: string): Promise<void> {
  await hitUser(env, JOINS_PER_MINUTE, userId);
  await hitUser(env, JOINS_PER_DAY, userId);
}

/** A public channel's id by its username, or null (no such channel, or it is not public). */
async function publicChannel(db: D1Database, username: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT id FROM chats WHERE username = ?1 AND type = 'channel'")
    .bind(username.toLowerCase())
    .first<{ id: string }>();
  return row?.id ?? null;
}

/** Whether the chat is a public channel (its id, as GET /channels answers it). */
async function isPublic(db: D1Database, chatId: string): Promise<boolean> {
  const row = await db.prepare("SELECT 1 AS x FROM chats WHERE id = ?1 AND type = 'channel' AND username IS NOT NULL").bind(chatId).first();
  return row !== null;
}

/**
 * A public channel as someone who has not joined sees it: the room's head, as a subscriber would see it right
 * after joining (role `member`, everything read: readSeq = lastSeq, unreadCount 0, not muted).
 */
async function channelPreview(env: Env, chatId: string): Promise<ChatSummary> {
  const head = await roomStub(env, chatId).head(chatId);
  if (!head) throw notFound("channel");
  return {
    id: chatId,
    type: "channel",
    title: head.title,
    memberCount: head.memberCount,
    role: "member",
    lastSeq: head.lastSeq,
    unreadCount: 0,
    lastMessage: head.lastMessage,
    lastActivityAt: iso(head.lastActivityAt),
    agency: null,
    pts: head.pts,
    readSeq: head.lastSeq,
    mutedUntil: null,
    unreadMention: false,
    avatar: head.avatar,
  };
}

/** Owners and admins of a group or channel manage invites and bans. */
async function requireModerator(c: Parameters<typeof requireMember>[0], chatId: string) {
  const m = await requireMember(c, chatId);
  if (!hasMembers(m.type) || !isModerator(m.role)) throw new ApiError(403, "not_allowed", "Only owners and admins do this.");
  return m;
}

const Invite = z
  .object({
    id: z.string().openapi({ description: "Names the invite in lists; DELETE takes it as well as the token." }),
    chatId: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    uses: z.number().int().openapi({ description: "How many people joined with it." }),
  })
  .openapi("ChatInvite");
const NewInvite = Invite.extend({
  token: z.string().openapi({ description: "The secret: shown only in this answer (Veche keeps only its hash)." }),
  url: z.string().openapi({ description: "A link that opens the invite in the web app." }),
}).openapi("NewChatInvite");

const toInvite = (r: InviteRow) => ({ id: r.id, chatId: r.chat_id, createdBy: r.created_by, createdAt: iso(r.created_at), uses: r.uses });

const Ban = z.object({ userId: z.string(), bannedBy: z.string(), bannedAt: z.string() }).openapi("ChatBan");

const joinProblems = problems(
  [401, "unauthorized"],
  [403, "banned: an owner or admin banned the caller from this chat"],
  [404, "not_found"],
  [429, "rate_limited: too many joins (docs/api.md, Limits)"],
);

export const channels = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/channels/{username}",
      operationId: "findChannel",
      tags: ["chats"],
      summary: "Find a public channel by its username",
      description:
        'For anyone signed in. A subscriber gets the channel as their chat list has it; anyone else gets it as it would be right after joining: `role: "member"`, `readSeq` = `lastSeq`, `unreadCount: 0`, `mutedUntil: null`, and `subscribed: false`. The latest posts (the preview) are at GET /chats/{chatId}/messages.',
      ...secured,
      request: { params: z.object({ username: Username }) },
      responses: {
        200: json(
          z.object({
            chat: ChatSchema,
            username: z.string(),
            subscribed: z.boolean().openapi({ description: "Whether the caller is in the channel (any role)." }),
          }),
          "The channel.",
        ),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [404, "not_found: no public channel has this username"]),
      },
    }),
    async (c) => {
      const { username } = c.req.valid("param");
      const me = c.var.citizen.userId;
      const chatId = await publicChannel(c.env.DB, username);
      if (!chatId) throw notFound("channel");
      const member = await roomStub(c.env, chatId).access(chatId, me);
      const chat = member.ok ? await chatFor(c.env, me, chatId) : await channelPreview(c.env, chatId);
      return c.json({ chat, username, subscribed: member.ok }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/join",
      operationId: "joinChannel",
      tags: ["chats"],
      summary: "Subscribe to a public channel",
      description:
        'The caller becomes a subscriber (`role: "member"`); joining again answers the same and changes nothing (an owner or admin keeps their role). A chat that is not a public channel answers 404. Leave with DELETE /chats/{chatId}/members/{your id}.',
      ...secured,
      request: { params: ChatIdParam },
      responses: { 200: json(z.object({ chat: ChatSchema }), "The channel, as the caller's chat list now has it."), ...joinProblems },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const me = c.var.citizen.userId;
      if (!(await isPublic(c.env.DB, chatId))) throw notFound("chat");
      if (await isBanned(c.env.DB, chatId, me)) throw BANNED();
      await limitJoins(c.env, me);
      await joinChat(c.env, chatId, me);
      return c.json({ chat: await chatFor(c.env, me, chatId) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/invites",
      operationId: "createChatInvite",
      tags: ["chats"],
      summary: "Make an invite link to a group or channel (owners and admins)",
      description:
        "The token is shown once, in this answer; Veche stores only its keyed hash. Anyone signed in joins with it until it is revoked.",
      ...secured,
      request: { params: ChatIdParam },
      responses: {
        201: json(z.object({ invite: NewInvite }), "The new invite."),
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"], [429, "rate_limited: too many invites"]),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const me = c.var.citizen.userId;
      await requireModerator(c, chatId);
      await hitUser(c.env, INVITES_PER_HOUR, me);
      const { token, row } = await createInvite(c.env, chatId, me);
      const url = `${new URL(c.req.url).origin}/#/join/${token}`;
      return c.json({ invite: { ...toInvite(row), token, url } }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/invites",
      operationId: "listChatInvites",
      tags: ["chats"],
      summary: "The chat's live invite links, newest first (owners and admins)",
      description: "Without their tokens (only hashes are kept): revoke one by its `id`.",
      ...secured,
      request: { params: ChatIdParam },
      responses: {
        200: json(z.object({ invites: z.array(Invite) }), "Invites not revoked."),
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      await requireModerator(c, chatId);
      return c.json({ invites: (await listInvites(c.env.DB, chatId)).map(toInvite) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/invites/{token}",
      operationId: "revokeChatInvite",
      tags: ["chats"],
      summary: "Revoke an invite link, named by its token or its id (owners and admins)",
      ...secured,
      request: { params: ChatIdParam.extend({ token: z.string().min(1).max(128) }) },
      responses: {
        204: { description: "Revoked: joining with it answers 404. People who joined with it stay." },
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found: no such chat, or no live invite of it"]),
      },
    }),
    async (c) => {
      const { chatId, token } = c.req.valid("param");
      await requireModerator(c, chatId);
      if (!(await revokeInvite(c.env, chatId, token))) throw notFound("invite");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/invites/{token}/join",
      operationId: "joinByInvite",
      tags: ["chats"],
      summary: "Join a group or channel with an invite link",
      description: "Joining again answers the same and changes nothing. An unknown or revoked token answers 404.",
      ...secured,
      request: { params: z.object({ token: z.string().min(1).max(128) }) },
      responses: { 200: json(z.object({ chat: ChatSchema }), "The chat, as the caller's chat list now has it."), ...joinProblems },
    }),
    async (c) => {
      const me = c.var.citizen.userId;
      const invite = await findInvite(c.env, c.req.valid("param").token);
      if (!invite || !hasMembers(invite.type)) throw notFound("invite");
      if (await isBanned(c.env.DB, invite.chat_id, me)) throw BANNED();
      await limitJoins(c.env, me);
      if (await joinChat(c.env, invite.chat_id, me)) await countInviteUse(c.env.DB, invite.id);
      return c.json({ chat: await chatFor(c.env, me, invite.chat_id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/bans",
      operationId: "banChatMember",
      tags: ["chats"],
      summary: "Ban someone from a group or channel (owners and admins)",
      description:
        "Removes them if they are in (their sockets close, their chat list drops the chat) and keeps them out: joining by username or invite answers 403 banned, and so does adding them. Owners ban anyone but themselves; admins ban members and people not in the chat.",
      ...secured,
      request: { params: ChatIdParam, body: jsonBody(UserIdBody) },
      responses: {
        201: json(z.object({ ban: Ban }), "Banned."),
        200: json(z.object({ ban: Ban }), "Already banned."),
        ...problems(
          [400, "validation_failed, invalid_target: you cannot ban yourself"],
          [401, "unauthorized"],
          [403, "not_allowed"],
          [404, "not_found: no such chat or user"],
        ),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { userId } = c.req.valid("json");
      const me = c.var.citizen.userId;
      const m = await requireModerator(c, chatId);
      if (userId === me) throw new ApiError(400, "invalid_target", "You cannot ban yourself; leave instead.");
      if (!(await getUser(database(c.env.DB), userId))) throw notFound("user");
      const target = await roomStub(c.env, chatId).access(chatId, userId);
      if (target.ok && !canRemove(m.type, m.role, target.value.role, false))
        throw new ApiError(403, "not_allowed", "Owners ban anyone; admins ban members.");
      const now = Date.now();
      const created = await addBan(c.env.DB, chatId, userId, me, now);
      if (target.ok) await removeFromChat(c.env, chatId, userId, target.value.role, "removed", me);
      const ban = (await getBan(c.env.DB, chatId, userId)) ?? { banned_by: me, created_at: now };
      return c.json({ ban: { userId, bannedBy: ban.banned_by, bannedAt: iso(ban.created_at) } }, created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/bans",
      operationId: "listChatBans",
      tags: ["chats"],
      summary: "Who is banned, newest first (owners and admins; at most 1,000)",
      ...secured,
      request: { params: ChatIdParam },
      responses: {
        200: json(z.object({ bans: z.array(Ban) }), "The bans."),
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      await requireModerator(c, chatId);
      const rows = await listBans(c.env.DB, chatId, 1000);
      return c.json({ bans: rows.map((b) => ({ userId: b.user_id, bannedBy: b.banned_by, bannedAt: iso(b.created_at) })) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/bans/{userId}",
      operationId: "unbanChatMember",
      tags: ["chats"],
      summary: "Lift a ban (owners and admins)",
      description: "They may join again; they are not added back.",
      ...secured,
      request: { params: ChatIdParam.extend({ userId: z.string().min(1).max(64) }) },
      responses: {
        204: { description: "Lifted." },
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found: no such chat, or that person is not banned"]),
      },
    }),
    async (c) => {
      const { chatId, userId } = c.req.valid("param");
      await requireModerator(c, chatId);
      if (!(await liftBan(c.env.DB, chatId, userId))) throw notFound("ban");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/transfer",
      operationId: "transferChatOwnership",
      tags: ["chats"],
      summary: "Hand a group or channel to another member (the owner)",
      description: "The member becomes the owner; the caller stays on as an admin. Both changes reach the room as `role_changed`.",
      ...secured,
      request: { params: ChatIdParam, body: jsonBody(UserIdBody) },
      responses: {
        200: json(z.object({ chat: ChatSchema }), "The chat as the caller (now an admin) has it."),
        ...problems(
          [400, "validation_failed, invalid_target: you are the owner already"],
          [401, "unauthorized"],
          [403, "not_allowed: only the owner hands the chat on"],
          [404, "not_found: no such chat, or that person is not in it"],
        ),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { userId } = c.req.valid("json");
      const me = c.var.citizen.userId;
      const m = await requireMember(c, chatId);
      if (!hasMembers(m.type) || m.role !== "owner") throw new ApiError(403, "not_allowed", "Only the owner hands the chat on.");
      if (userId === me) throw new ApiError(400, "invalid_target", "You are the owner already.");
      const room = roomStub(c.env, chatId);
      if (!(await room.access(chatId, userId)).ok) throw notFound("member");
      const db = c.env.DB;
      // One batch, so the directory never has two owners or none.
      await db.batch([
        db.prepare("UPDATE chat_members SET role = 'owner' WHERE chat_id = ?1 AND user_id = ?2").bind(chatId, userId),
        db.prepare("UPDATE chat_members SET role = 'admin' WHERE chat_id = ?1 AND user_id = ?2").bind(chatId, me),
      ]);
      unwrap(await room.setRole(chatId, userId, "owner", me));
      unwrap(await room.setRole(chatId, me, "admin"));
      return c.json({ chat: await chatFor(c.env, me, chatId) }, 200);
    },
  );
