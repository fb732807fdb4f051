import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { database } from "../db";
import { foundIds } from "../lib/d1";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { displayableName } from "../lib/names";
import { hitUser, type Limit } from "../lib/rate-limit";
import { attachOwnMedia, grant, revoke, takeAvatar } from "../media/store";
import { blocksBetween, directChatOpener, invitable, mayMessage, relationsTo, relationTo } from "../safety/privacy";
import { profileFor, profileWith } from "../users/routes";
import { PublicUser, Username } from "../users/schemas";
import { getUser } from "../users/store";
import { inboxStub, requireMember, roomStub, unwrap } from "./access";
import { isBanned } from "./bans";
import { FOREVER_MS } from "./inbox/dialogs";
import { removeFromChat } from "./leave";
import { limitReaction } from "./limits";
import { canAddMembers, canChangeRole, canPost, canRemove, canRetitle, hasMembers } from "./policy";
import {
  ChangeFrame,
  ChatMessage,
  ChatSummary,
  ClientId,
  EnvelopeFields,
  FOREVER,
  MAX_ATTACHMENTS,
  MAX_TITLE_LENGTH,
  MediaId,
  MessageText,
  Notification,
  Pts,
  type Role,
} from "./protocol";
import type { ChatInfo } from "./room";
import type { NewMember } from "./room/members";
import {
  addMember,
  createChat,
  directKey,
  findDirectChat,
  getMember,
  listMembers,
  type MemberWithUser,
  memberProfiles,
  renameChat,
  setRole,
} from "./store";

const ChatIdParam = z.object({ chatId: z.string().min(1).max(64) });
const MuteBody = z
  .object({
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: `Until when; without it, until unmuted (chats then show \`mutedUntil: "${FOREVER}"\`).` }),
  })
  .strict();
const SeqParam = ChatIdParam.extend({ seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
const UserIdParam = ChatIdParam.extend({ userId: z.string().min(1).max(64) });
// One emoji: pictographs, flags, skin tones, keycaps, and sequences joined by ZWJ.
const EMOJI =
  /^(?=.*(?:[\p{Extended_Pictographic}\p{Regional_Indicator}]|\u20e3))(?:[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}#*0-9]|\ufe0f|\u20e3|\u200d){1,16}$/u;
const ReactionParam = SeqParam.extend({ emoji: z.string().regex(EMOJI, "a single emoji") });

const ChatMessageSchema = ChatMessage.openapi("Message");
export const ChatSchema = ChatSummary.extend({ lastMessage: ChatMessageSchema.nullable() }).openapi("Chat");
const ChangeSchema = ChangeFrame.openapi("ChatChange");
const NotificationSchema = Notification.openapi("Notification");
const Title = z.string().superRefine(displayableName).trim().min(1).max(MAX_TITLE_LENGTH);

const CreateChat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("direct"), userId: z.string().min(1).max(64) }).strict(),
  z
    .object({ type: z.literal("secret"), userId: z.string().min(1).max(64) })
    .strict()
    .openapi({ description: "A secret (end-to-end encrypted) chat with one person: one per pair, like a direct chat (docs/protocol.md)." }),
  z
    .object({
      type: z.enum(["group", "channel"]),
      title: Title,
      memberIds: z.array(z.string().min(1).max(64)).max(200).optional(),
      username: Username.optional().openapi({
        description: "Channels only: makes the channel public, found at GET /channels/{username}. One namespace with users' usernames.",
      }),
    })
    .strict(),
]);

const isUniqueViolation = (err: unknown): boolean =>
  err instanceof Error && /UNIQUE constraint failed/.test(String(err.cause ?? err.message));
const USERNAME_TAKEN = () => new ApiError(409, "username_taken", "That username belongs to someone else (a person or a channel).");

/** The username of a public channel, or null (any other chat). */
export async function chatUsername(db: D1Database, chatId: string): Promise<string | null> {
  const row = await db.prepare("SELECT username FROM chats WHERE id = ?1").bind(chatId).first<{ username: string | null }>();
  return row?.username ?? null;
}

const PostMessage = z
  .object({
    clientId: ClientId,
    text: MessageText.optional(),
    attachments: z.array(MediaId).max(MAX_ATTACHMENTS).optional(),
    replyTo: z.number().int().min(1).optional(),
    forwardOf: z
      .object({ chatId: z.string().min(1).max(64), seq: z.number().int().min(1) })
      .strict()
      .optional(),
    ...EnvelopeFields,
  })
  .strict();

/** Disappearing messages: 5 seconds to 31 days. */
const MessageTtl = z
  .number()
  .int()
  .min(5)
  .max(31 * 24 * 3600);

const HistoryQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const Member = z
  .object({
    userId: z.string(),
    role: z.enum(["owner", "admin", "member"]),
    joinedAt: z.string(),
    readSeq: z.number().int(),
    user: PublicUser,
  })
  .openapi("ChatMember");

/**
 * Members as `viewerId` lists them: the role from D1's directory (kept equal to the room's), the read marker
 * from the room, each profile as that member's privacy settings show it to the viewer.
 */
async function toMembers(env: Env, viewerId: string, rows: MemberWithUser[], markers: Record<string, number>) {
  const rels = await relationsTo(
    env.DB,
    viewerId,
    rows.map((r) => r.user.id),
  );
  return Promise.all(
    rows.map(async ({ member, user }) => ({
      userId: member.userId,
      role: member.role,
      joinedAt: iso(member.joinedAt),
      readSeq: markers[member.userId] ?? 0,
      user: await profileWith(env, user, viewerId, rels.get(user.id)),
    })),
  );
}

const toMember = async (env: Env, viewerId: string, { member, user }: MemberWithUser, readSeq: number) => ({
  userId: member.userId,
  role: member.role,
  joinedAt: iso(member.joinedAt),
  readSeq,
  user: await profileFor(env, user, viewerId),
});

/** The chat as the caller's inbox lists it. */
export async function chatFor(env: Env, userId: string, chatId: string): Promise<ChatSummary> {
  const chat = await inboxStub(env, userId).chat(userId, chatId);
  if (!chat) throw notFound("chat");
  return chat;
}

const secured = { security: citizenSecurity, middleware: requireCitizen };

// Per-user limits on actions that write D1 anyway (one more upsert each), so no per-message cost; docs/api.md,
// "Limits". Opening an existing direct chat creates nothing and is not counted.
const CHATS_PER_MINUTE: Limit = { name: "chat_create:min", max: 20, windowMs: 60_000 };
const CHATS_PER_DAY: Limit = { name: "chat_create:day", max: 200, windowMs: 24 * 3600_000 };
const ADDS_PER_MINUTE: Limit = { name: "member_add:min", max: 60, windowMs: 60_000 };
const ADDS_PER_DAY: Limit = { name: "member_add:day", max: 1000, windowMs: 24 * 3600_000 };

async function limitChatCreation(env: Env, userId: string): Promise<void> {
  await hitUser(env, CHATS_PER_MINUTE, userId);
  await hitUser(env, CHATS_PER_DAY, userId);
}
const memberProblems = problems([401, "unauthorized"], [404, "not_found: no such chat, or not a member"]);

async function checkUsersExist(db: D1Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await foundIds(db, ids, (inList) => `SELECT id FROM users WHERE id IN ${inList}`);
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new ApiError(400, "unknown_users", "Some of these users do not exist.", {
      errors: missing.map((id) => ({ path: "memberIds", message: `no user ${id}` })),
    });
  }
}

export const chats = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/chats",
      operationId: "createChat",
      tags: ["chats"],
      summary: "Start a direct chat, or create a group or channel",
      ...secured,
      request: { body: jsonBody(CreateChat) },
      responses: {
        200: json(z.object({ chat: ChatSchema }), "The existing direct (or secret) chat of these two users."),
        201: json(
          z.object({
            chat: ChatSchema,
            notAdded: z
              .array(z.string())
              .optional()
              .openapi({ description: "Groups and channels: the memberIds whose groupInvites privacy setting kept them out." }),
          }),
          "The new chat; the creator of a group or channel is its owner.",
        ),
        ...problems(
          [400, "validation_failed (also: a username on a group), unknown_users"],
          [401, "unauthorized"],
          [403, "blocked: the other person blocked the caller; privacy_restricted: their directMessages setting"],
          [404, "not_found: no such user"],
          [409, "username_taken: a person or another channel has that username"],
          [429, "rate_limited: too many new chats (docs/api.md, Limits)"],
        ),
      },
    }),
    async (c) => {
      const me = c.var.citizen.userId;
      const body = c.req.valid("json");
      const db = c.env.DB;
      let chatId: string;
      let members: { userId: string; role: Role }[];
      let created = true;
      let notAdded: string[] | undefined;
      const now = Date.now();
      if (body.type === "direct" || body.type === "secret") {
        const kind = body.type;
        if (body.userId === me) throw new ApiError(400, "invalid_peer", "A direct chat needs another person.");
        const peer = await getUser(database(db), body.userId);
        if (!peer) throw notFound("user");
        members = [
          { userId: me, role: "member" },
          { userId: body.userId, role: "member" },
        ];
        const existing = await findDirectChat(db, me, body.userId, kind);
        const rel = await relationTo(db, me, peer.id);
        if (rel.blocked) throw new ApiError(403, "blocked", "This person does not accept messages from you.");
        // A chat the other person opened stays open to both, whatever their setting says now.
        if (!mayMessage(peer, rel) && !(existing && (await directChatOpener(db, existing)) === peer.id))
          throw new ApiError(403, "privacy_restricted", "This person accepts direct chats from their contacts only.");
        if (existing) {
          chatId = existing;
          created = false;
        } else {
          await limitChatCreation(c.env, me);
          try {
            chatId = await createChat(
              db,
              { type: kind, title: null, createdBy: me, members, directKey: directKey(me, body.userId, kind) },
              now,
            );
          } catch (err) {
            // Both people started the chat at once: the other request created it.
            const winner = await findDirectChat(db, me, body.userId, kind);
            if (!winner) throw err;
            chatId = winner;
            created = false;
          }
        }
      } else {
        if (body.username !== undefined && body.type !== "channel") {
          throw new ApiError(400, "validation_failed", "Only a channel can have a username.", {
            errors: [{ path: "username", message: "only for type channel" }],
          });
        }
        const others = [...new Set(body.memberIds ?? [])].filter((id) => id !== me);
        await limitChatCreation(c.env, me);
        await checkUsersExist(db, others);
        // Those whose groupInvites setting does not let the creator in are left out and named in notAdded.
        const { allowed, refused } = await invitable(db, me, others);
        notAdded = refused;
        members = [{ userId: me, role: "owner" }, ...allowed.map((userId) => ({ userId, role: "member" as const }))];
        try {
          chatId = await createChat(db, { type: body.type, title: body.title, createdBy: me, members, username: body.username }, now);
        } catch (err) {
          if (isUniqueViolation(err)) throw USERNAME_TAKEN();
          throw err;
        }
      }
      // Also for an existing direct chat: the request that created it may not have told the room yet.
      const profiles = await memberProfiles(
        db,
        members.map((m) => m.userId),
      );
      const info: ChatInfo = {
        chatId,
        type: body.type,
        title: body.type === "direct" || body.type === "secret" ? null : body.title,
        agency: null,
        createdAt: now,
        username: body.type === "direct" || body.type === "secret" ? null : (body.username ?? null),
      };
      await roomStub(c.env, chatId).init(
        info,
        members.map((m): NewMember => ({ ...m, ...(profiles.get(m.userId) ?? { username: null, name: null }) })),
      );
      // Someone opening a chat with a person they blocked: the new room must refuse that person's sends.
      if (body.type === "direct" || body.type === "secret") {
        for (const [blocker, blocked] of await blocksBetween(db, me, body.userId))
          unwrap(await roomStub(c.env, chatId).setBlocked(chatId, blocker, blocked, true));
      }
      const chat = await chatFor(c.env, me, chatId);
      return c.json(notAdded ? { chat, notAdded } : { chat }, created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats",
      operationId: "listChats",
      tags: ["chats"],
      summary: "The caller's chats, most recent first, and the caller's pts",
      ...secured,
      responses: {
        200: json(
          z.object({ chats: z.array(ChatSchema), pts: Pts }),
          "Chats with last message and unread count; `pts` is the user's change number.",
        ),
        ...problems([401, "unauthorized"]),
      },
    }),
    async (c) => {
      const userId = c.var.citizen.userId;
      return c.json(await inboxStub(c.env, userId).list(userId), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/updates",
      operationId: "getUpdates",
      tags: ["chats"],
      summary: "What changed in the caller's chat list since their pts",
      description:
        "Each chat that changed after `pts` once, in its current state; chats the caller left or was removed from; every notification stored after `pts`. `tooLong` means the inbox no longer reaches back that far: reload `GET /chats`.",
      ...secured,
      request: { query: z.object({ pts: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }) },
      responses: {
        200: json(
          z.object({
            chats: z.array(ChatSchema),
            removed: z.array(z.string()),
            notifications: z.array(NotificationSchema),
            pts: Pts,
            tooLong: z.boolean(),
          }),
          "The changes, and the user's current pts.",
        ),
        ...problems([400, "validation_failed"], [401, "unauthorized"]),
      },
    }),
    async (c) => {
      const userId = c.var.citizen.userId;
      return c.json(await inboxStub(c.env, userId).updates(userId, c.req.valid("query").pts), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}",
      operationId: "getChat",
      summary: "One of the caller's chats",
      tags: ["chats"],
      ...secured,
      request: { params: ChatIdParam },
      responses: {
        200: json(
          z.object({
            chat: ChatSchema,
            username: z.string().nullable().openapi({ description: "A public channel's username; null for every other chat." }),
          }),
          "The chat.",
        ),
        ...memberProblems,
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const chat = await chatFor(c.env, c.var.citizen.userId, chatId);
      return c.json({ chat, username: chat.type === "channel" ? await chatUsername(c.env.DB, chatId) : null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/chats/{chatId}",
      operationId: "updateChat",
      tags: ["chats"],
      summary: "Rename a group or channel or change its photo (owners and admins); set or clear a channel's username (its owner)",
      description:
        "`username` makes a channel public (anyone signed in finds it at GET /channels/{username}, reads its posts and joins); `null` makes it private again (members stay; invite links still work). Both fields are optional, at least one is given.",
      ...secured,
      request: {
        params: ChatIdParam,
        body: jsonBody(
          z
            .object({
              title: Title.optional(),
              avatar: z.string().min(1).max(64).nullable().optional().openapi({
                description: "A JPEG photo the caller uploaded (POST /media) as the chat's photo; null removes it.",
              }),
              username: Username.nullable().optional(),
              messageTtl: MessageTtl.nullable().optional().openapi({
                description:
                  "Secret chats, either member: delete messages sent from now on this many seconds after sending; null turns it off.",
              }),
            })
            .strict()
            .refine((b) => b.title !== undefined || b.avatar !== undefined || b.username !== undefined || b.messageTtl !== undefined, {
              message: "give title, avatar, username or messageTtl",
              path: ["title"],
            }),
        ),
      },
      responses: {
        200: json(
          z.object({ chat: ChatSchema, username: z.string().nullable(), messageTtl: z.number().int().nullable().optional() }),
          "Changed; a rename reaches members' rooms as `chat_updated`, their inboxes as `chat`.",
        ),
        ...problems(
          [
            400,
            "validation_failed (also: a username on a group); not_secret: messageTtl outside a secret chat; invalid_avatar: not a JPEG photo the caller uploaded",
          ],
          [401, "unauthorized"],
          [403, "not_allowed: renaming is for owners and admins, the username for the owner"],
          [404, "not_found"],
          [409, "username_taken: a person or another channel has that username"],
        ),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { title, avatar, username, messageTtl } = c.req.valid("json");
      const me = c.var.citizen.userId;
      const m = await requireMember(c, chatId);
      if ((title !== undefined || avatar !== undefined || username !== undefined) && !canRetitle(m.type, m.role))
        throw new ApiError(403, "not_allowed", "Only owners and admins rename a group or channel.");
      // Checked before anything changes: a bad photo refuses the whole change.
      if (typeof avatar === "string") await takeAvatar(c.env.DB, me, avatar);
      // The timer first and alone: a secret chat has no title or username to change with it.
      if (messageTtl !== undefined) {
        const set = unwrap(await roomStub(c.env, chatId).setMessageTtl(chatId, c.var.citizen.userId, messageTtl));
        const chat = await chatFor(c.env, c.var.citizen.userId, chatId);
        return c.json({ chat, username: null, messageTtl: set.messageTtl }, 200);
      }
      if (username !== undefined) {
        if (m.type !== "channel") {
          throw new ApiError(400, "validation_failed", "Only a channel can have a username.", {
            errors: [{ path: "username", message: "only for channels" }],
          });
        }
        if (m.role !== "owner") throw new ApiError(403, "not_allowed", "Only the owner sets a channel's username.");
      }
      // The username first: a taken one refuses the whole change, the title included.
      if (username !== undefined) {
        try {
          await c.env.DB.prepare("UPDATE chats SET username = ?2 WHERE id = ?1").bind(chatId, username).run();
        } catch (err) {
          if (isUniqueViolation(err)) throw USERNAME_TAKEN();
          throw err;
        }
        unwrap(await roomStub(c.env, chatId).setUsername(chatId, username));
      }
      if (title !== undefined) await renameChat(c.env.DB, chatId, title);
      if (avatar !== undefined) {
        // Members read the photo through the chat's grant.
        if (typeof avatar === "string") await grant(c.env.DB, chatId, [avatar]);
        await c.env.DB.prepare("UPDATE chats SET avatar_id = ?2 WHERE id = ?1").bind(chatId, avatar).run();
      }
      // D1 first, then the room tells open sockets and every member's list.
      if (title !== undefined || avatar !== undefined) unwrap(await roomStub(c.env, chatId).setDetails(chatId, { title, avatar }));
      const chat = await chatFor(c.env, me, chatId);
      return c.json({ chat, username: m.type === "channel" ? await chatUsername(c.env.DB, chatId) : null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/changes",
      operationId: "listChatChanges",
      tags: ["chats"],
      summary: "The chat's changes after pts, as the frames a socket sent (docs/protocol.md)",
      description:
        "`tooLong` means the room no longer keeps changes that far back (it keeps at least the last 1,000): reload the history and continue from `pts`.",
      ...secured,
      request: {
        params: ChatIdParam,
        query: z.object({
          pts: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
      },
      responses: {
        200: json(
          z.object({ changes: z.array(ChangeSchema), pts: Pts, tooLong: z.boolean() }),
          "Changes in pts order and the chat's current pts.",
        ),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { pts, limit } = c.req.valid("query");
      return c.json(unwrap(await roomStub(c.env, chatId).changesSince(chatId, c.var.citizen.userId, pts, limit)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/members",
      operationId: "listChatMembers",
      tags: ["chats"],
      summary: "Members, by user id; page with ?after=<last userId>",
      description:
        'In a channel, its subscribers are private to its owners and admins (contract v1.1, "Channels"): a subscriber gets the owners and admins, and themselves.',
      ...secured,
      request: {
        params: ChatIdParam,
        query: z.object({ after: z.string().max(64).default(""), limit: z.coerce.number().int().min(1).max(200).default(200) }),
      },
      responses: { 200: json(z.object({ members: z.array(Member) }), "Members with their roles and read markers."), ...memberProblems },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const me = c.var.citizen.userId;
      const m = await requireMember(c, chatId);
      const markers = unwrap(await roomStub(c.env, chatId).readMarkers(chatId, me));
      const q = c.req.valid("query");
      // A subscriber must not learn who else subscribes, nor how far they read.
      const subscriber = m.type === "channel" && m.role === "member";
      const rows = await listMembers(database(c.env.DB), chatId, q.after, q.limit, subscriber ? me : undefined);
      return c.json({ members: await toMembers(c.env, c.var.citizen.userId, rows, markers) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/members",
      operationId: "addChatMember",
      tags: ["chats"],
      summary: "Add a member (owners and admins)",
      ...secured,
      request: { params: ChatIdParam, body: jsonBody(z.object({ userId: z.string().min(1).max(64) }).strict()) },
      responses: {
        201: json(z.object({ member: Member }), "Added."),
        200: json(z.object({ member: Member }), "Already a member."),
        ...problems(
          [401, "unauthorized"],
          [403, "not_allowed; privacy_restricted: their groupInvites setting (or a block) does not let the caller add them; banned"],
          [404, "not_found: no such chat or user"],
          [429, "rate_limited: too many members added (docs/api.md, Limits)"],
        ),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { userId } = c.req.valid("json");
      const m = await requireMember(c, chatId);
      if (!hasMembers(m.type)) throw new ApiError(403, "not_allowed", "Members cannot be added to this chat.");
      if (!canAddMembers(m.type, m.role)) throw new ApiError(403, "not_allowed", "Only owners and admins add members.");
      await hitUser(c.env, ADDS_PER_MINUTE, c.var.citizen.userId);
      await hitUser(c.env, ADDS_PER_DAY, c.var.citizen.userId);
      if (!(await getUser(database(c.env.DB), userId))) throw notFound("user");
      if (await isBanned(c.env.DB, chatId, userId))
        throw new ApiError(403, "banned", "This person is banned from this chat; unban them first (DELETE /chats/{chatId}/bans/{userId}).");
      const already = await roomStub(c.env, chatId).access(chatId, userId);
      if (!already.ok && (await invitable(c.env.DB, c.var.citizen.userId, [userId])).refused.length > 0)
        throw new ApiError(403, "privacy_restricted", "This person's privacy settings do not let you add them.");
      const added = await addMember(c.env.DB, chatId, userId, "member");
      const row = await getMember(database(c.env.DB), chatId, userId);
      if (!row) throw new Error("member missing right after add");
      const profile = (await memberProfiles(c.env.DB, [userId])).get(userId) ?? { username: null, name: null };
      unwrap(await roomStub(c.env, chatId).addMembers(chatId, [{ userId, role: row.member.role, ...profile }], c.var.citizen.userId));
      const markers = unwrap(await roomStub(c.env, chatId).readMarkers(chatId, c.var.citizen.userId));
      return c.json({ member: await toMember(c.env, c.var.citizen.userId, row, markers[userId] ?? 0) }, added ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/chats/{chatId}/members/{userId}",
      operationId: "updateChatMember",
      tags: ["chats"],
      summary: "Make a member an admin or back (owners)",
      ...secured,
      request: { params: UserIdParam, body: jsonBody(z.object({ role: z.enum(["admin", "member"]) }).strict()) },
      responses: {
        200: json(z.object({ member: Member }), "Changed."),
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId, userId } = c.req.valid("param");
      const { role } = c.req.valid("json");
      const m = await requireMember(c, chatId);
      if (!hasMembers(m.type) || !canChangeRole(m.role, userId === c.var.citizen.userId))
        throw new ApiError(403, "not_allowed", "Only the owner changes roles, and not their own.");
      if (!(await setRole(c.env.DB, chatId, userId, role))) throw notFound("member");
      const changed = unwrap(await roomStub(c.env, chatId).setRole(chatId, userId, role, c.var.citizen.userId));
      const row = await getMember(database(c.env.DB), chatId, userId);
      if (!row) throw notFound("member");
      return c.json({ member: await toMember(c.env, c.var.citizen.userId, row, changed.readSeq) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/members/{userId}",
      operationId: "removeChatMember",
      tags: ["chats"],
      summary: "Remove a member (owners and admins), or leave (yourself)",
      ...secured,
      request: { params: UserIdParam },
      responses: {
        204: { description: "Removed; their sockets to the chat are closed." },
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId, userId } = c.req.valid("param");
      const me = c.var.citizen.userId;
      const m = await requireMember(c, chatId);
      if (!hasMembers(m.type)) throw new ApiError(403, "not_allowed", "You cannot leave or remove people from this chat.");
      const self = userId === me;
      const target = self ? { ok: true as const, value: m } : await roomStub(c.env, chatId).access(chatId, userId);
      if (!target.ok) throw notFound("member");
      if (!canRemove(m.type, m.role, target.value.role, self))
        throw new ApiError(403, "not_allowed", "Owners remove anyone; admins remove members.");
      await removeFromChat(c.env, chatId, userId, target.value.role, self ? "left" : "removed", me);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/messages",
      operationId: "sendMessage",
      tags: ["messages"],
      summary: "Send a message (the same operation as a socket `send`)",
      description:
        "The same `clientId` from the same sender again answers 200 with the stored message and adds nothing. A forward copies the original's text and attachments and needs no text of its own.",
      ...secured,
      request: { params: ChatIdParam, body: jsonBody(PostMessage) },
      responses: {
        201: json(z.object({ message: ChatMessageSchema }), "Stored and delivered."),
        200: json(z.object({ message: ChatMessageSchema }), "A retry: the message stored the first time."),
        ...problems(
          [
            400,
            "validation_failed, empty_message, invalid_reply, unknown_media; secret chats: plaintext_not_allowed, ciphertext_required, invalid_envelope, forward_not_allowed, media_not_encrypted; elsewhere ciphertext_not_allowed",
          ],
          [401, "unauthorized"],
          [403, "not_allowed; blocked: the other person in this direct chat blocked the sender"],
          [404, "not_found"],
          [
            409,
            "secret chats: stale_epoch (re-sync: GET /chats/{chatId}/secret), group_outdated (commit the removal of signed-out devices)",
          ],
          [429, "rate_limited: sending faster than a person can; see Retry-After (docs/api.md, Limits)"],
        ),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const body = c.req.valid("json");
      const me = c.var.citizen.userId;
      const room = roomStub(c.env, chatId);
      // A post the room would refuse must not open its media to the chat first.
      const mayPost = async () => {
        const m = await requireMember(c, chatId);
        if (!canPost(m.type, m.role)) throw new ApiError(403, "not_allowed", "Only owners and admins post in a channel.");
        // Nothing of another chat is copied into a secret one in the clear.
        if (m.type === "secret" && body.forwardOf)
          throw new ApiError(400, "forward_not_allowed", "Forward in a secret chat by sending the content again, encrypted.");
        return m;
      };
      if (body.attachments && body.attachments.length > 0) {
        const opaque = (await mayPost()).type === "secret";
        const missing = await attachOwnMedia(c.env.DB, me, chatId, body.attachments, Date.now(), { opaque });
        if (missing.length > 0) {
          if (opaque) {
            throw new ApiError(
              400,
              "media_not_encrypted",
              "A secret chat carries only your encrypted uploads (application/octet-stream).",
              {
                errors: missing.map((id) => ({ path: "attachments", message: `not an application/octet-stream upload of yours: ${id}` })),
              },
            );
          }
          throw new ApiError(400, "unknown_media", "Attach only media you uploaded.", {
            errors: missing.map((id) => ({ path: "attachments", message: `not your uploaded media: ${id}` })),
          });
        }
      }
      if (body.forwardOf) await mayPost();
      let forward: { text: string | null; attachments: string[]; forwardOf: { chatId: string; seq: number; senderId: string } } | undefined;
      if (body.forwardOf) {
        if (body.text !== undefined || body.attachments?.length) {
          throw new ApiError(400, "validation_failed", "A forward carries the original's content only.", {
            errors: [{ path: "forwardOf", message: "send text separately" }],
          });
        }
        const original = await roomStub(c.env, body.forwardOf.chatId).getMessage(body.forwardOf.chatId, me, body.forwardOf.seq);
        if (!original.ok || original.value.deletedAt) throw notFound("message to forward");
        const o = original.value;
        // Forwarding a forward credits the original author.
        forward = {
          text: o.text,
          attachments: o.attachments,
          forwardOf: o.forwardOf ?? { chatId: o.chatId, seq: o.seq, senderId: o.senderId },
        };
        // The forwarder can read the original's media; now so can the members of the chat it goes to.
        if (o.attachments.length > 0) {
          await mayPost();
          await grant(c.env.DB, chatId, o.attachments);
        }
      }
      const result = await room.post(chatId, {
        senderId: me,
        ...(c.var.citizen.trust ? { trust: c.var.citizen.trust } : {}),
        clientId: body.clientId,
        text: forward ? forward.text : body.text,
        attachments: forward ? forward.attachments : body.attachments,
        replyTo: body.replyTo,
        forwardOf: forward?.forwardOf,
        envelope: {
          ciphertext: body.ciphertext,
          mls: body.mls,
          epoch: body.epoch,
          to: body.to,
          devices: body.devices,
          franking: body.franking,
        },
      });
      const { message, created } = unwrap(result);
      return c.json({ message }, created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/messages",
      operationId: "listMessages",
      tags: ["messages"],
      summary: "History, ascending by seq",
      description:
        "`after` and `before` are exclusive. With `after`, the first `limit` messages after it; otherwise the last `limit` before `before` (or the latest). A public channel's posts are readable by anyone signed in, member or not: the preview before joining (read only: posting, reacting and read markers stay for members).",
      ...secured,
      request: { params: ChatIdParam, query: HistoryQuery },
      responses: { 200: json(z.object({ messages: z.array(ChatMessageSchema) }), "A page of messages."), ...memberProblems },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const messages = unwrap(await roomStub(c.env, chatId).history(chatId, c.var.citizen.userId, c.req.valid("query")));
      return c.json({ messages }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/chats/{chatId}/messages/{seq}",
      operationId: "editMessage",
      tags: ["messages"],
      summary: "Edit your own message",
      ...secured,
      request: { params: SeqParam, body: jsonBody(z.object({ text: MessageText }).strict()) },
      responses: {
        200: json(z.object({ message: ChatMessageSchema }), "The edited message, with editedAt."),
        ...problems(
          [400, "validation_failed, empty_message; plaintext_not_allowed: a secret chat (edits travel encrypted)"],
          [401, "unauthorized"],
          [403, "not_sender"],
          [404, "not_found"],
          [409, "message_deleted"],
        ),
      },
    }),
    async (c) => {
      const { chatId, seq } = c.req.valid("param");
      const message = unwrap(await roomStub(c.env, chatId).edit(chatId, c.var.citizen.userId, seq, c.req.valid("json").text));
      return c.json({ message }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/messages/{seq}",
      operationId: "deleteMessage",
      tags: ["messages"],
      summary: "Delete for everyone (the sender, or an admin of a group or channel)",
      ...secured,
      request: { params: SeqParam },
      responses: {
        204: { description: "Deleted; a tombstone with deletedAt remains." },
        ...problems([401, "unauthorized"], [403, "not_sender"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId, seq } = c.req.valid("param");
      const { orphaned } = unwrap(await roomStub(c.env, chatId).remove(chatId, c.var.citizen.userId, seq));
      // Members who could read its media only because of this message no longer can (contract v1.1).
      await revoke(c.env.DB, chatId, orphaned);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/chats/{chatId}/messages/{seq}/reactions/{emoji}",
      operationId: "addReaction",
      tags: ["messages"],
      summary: "React",
      ...secured,
      request: { params: ReactionParam },
      responses: {
        204: { description: "Reacted (idempotent)." },
        ...problems(
          [400, "validation_failed; reactions_not_supported: a secret chat (reactions travel inside encrypted messages)"],
          [401, "unauthorized"],
          [404, "not_found"],
          [409, "message_deleted"],
          [429, "rate_limited: too many reactions; see Retry-After"],
        ),
      },
    }),
    async (c) => {
      const { chatId, seq, emoji } = c.req.valid("param");
      await limitReaction(c.env, c.var.citizen.userId);
      unwrap(await roomStub(c.env, chatId).react(chatId, c.var.citizen.userId, seq, emoji, true));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/messages/{seq}/reactions/{emoji}",
      operationId: "removeReaction",
      tags: ["messages"],
      summary: "Take a reaction back",
      ...secured,
      request: { params: ReactionParam },
      responses: {
        204: { description: "Removed (idempotent)." },
        ...problems(
          [400, "validation_failed; reactions_not_supported: a secret chat (reactions travel inside encrypted messages)"],
          [401, "unauthorized"],
          [404, "not_found"],
          [409, "message_deleted"],
          [429, "rate_limited: too many reactions; see Retry-After"],
        ),
      },
    }),
    async (c) => {
      const { chatId, seq, emoji } = c.req.valid("param");
      await limitReaction(c.env, c.var.citizen.userId);
      unwrap(await roomStub(c.env, chatId).react(chatId, c.var.citizen.userId, seq, emoji, false));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/chats/{chatId}/messages/{seq}/pin",
      operationId: "pinMessage",
      tags: ["messages"],
      summary: "Pin (owners and admins; anyone in a direct chat)",
      ...secured,
      request: { params: SeqParam },
      responses: {
        204: { description: "Pinned." },
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"], [409, "message_deleted"]),
      },
    }),
    async (c) => {
      const { chatId, seq } = c.req.valid("param");
      unwrap(await roomStub(c.env, chatId).pin(chatId, c.var.citizen.userId, seq, true));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/messages/{seq}/pin",
      operationId: "unpinMessage",
      tags: ["messages"],
      summary: "Unpin",
      ...secured,
      request: { params: SeqParam },
      responses: {
        204: { description: "Unpinned." },
        ...problems([401, "unauthorized"], [403, "not_allowed"], [404, "not_found"], [409, "message_deleted"]),
      },
    }),
    async (c) => {
      const { chatId, seq } = c.req.valid("param");
      unwrap(await roomStub(c.env, chatId).pin(chatId, c.var.citizen.userId, seq, false));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/pins",
      operationId: "listPins",
      tags: ["messages"],
      summary: "Pinned messages, ascending by seq",
      ...secured,
      request: { params: ChatIdParam },
      responses: { 200: json(z.object({ messages: z.array(ChatMessageSchema) }), "Pinned messages."), ...memberProblems },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      return c.json({ messages: unwrap(await roomStub(c.env, chatId).pins(chatId, c.var.citizen.userId)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/chats/{chatId}/mute",
      operationId: "muteChat",
      tags: ["chats"],
      summary: "Mute a chat: no push notifications from it but mentions of you",
      ...secured,
      request: { params: ChatIdParam, body: jsonBody(MuteBody) },
      responses: {
        204: { description: "Muted; the chat's `mutedUntil` says until when, on every device." },
        ...problems([400, "validation_failed: until is not in the future"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { until } = c.req.valid("json");
      const at = until === undefined ? FOREVER_MS : Math.min(Date.parse(until), FOREVER_MS);
      if (at <= Date.now()) {
        throw new ApiError(400, "validation_failed", "A mute must end in the future.", {
          errors: [{ path: "until", message: "must be in the future" }],
        });
      }
      const userId = c.var.citizen.userId;
      if (!(await inboxStub(c.env, userId).mute(userId, chatId, at))) throw notFound("chat");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/chats/{chatId}/mute",
      operationId: "unmuteChat",
      tags: ["chats"],
      summary: "Unmute a chat",
      ...secured,
      request: { params: ChatIdParam },
      responses: { 204: { description: "Not muted (also when it was not)." }, ...memberProblems },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const userId = c.var.citizen.userId;
      if (!(await inboxStub(c.env, userId).mute(userId, chatId, null))) throw notFound("chat");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/chats/{chatId}/read",
      operationId: "markRead",
      tags: ["messages"],
      summary: "Move your read marker forward",
      ...secured,
      request: { params: ChatIdParam, body: jsonBody(z.object({ seq: z.number().int().min(0) }).strict()) },
      responses: { 204: { description: "Moved forward (never back; capped at the last message)." }, ...memberProblems },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      unwrap(await roomStub(c.env, chatId).read(chatId, c.var.citizen.userId, c.req.valid("json").seq));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/search",
      operationId: "searchMessages",
      tags: ["messages"],
      summary: "Full-text search in a chat, newest first",
      description:
        "Every word must match, as a prefix of a word in the message (so «докум» finds «документов»). Case and diacritics (ё/е) are ignored.",
      ...secured,
      request: {
        params: ChatIdParam,
        query: z.object({ q: z.string().trim().min(1).max(200), limit: z.coerce.number().int().min(1).max(200).default(50) }),
      },
      responses: {
        200: json(z.object({ messages: z.array(ChatMessageSchema) }), "Matching messages."),
        ...problems(
          [400, "validation_failed; not_searchable: a secret chat (search it on the device)"],
          [401, "unauthorized"],
          [404, "not_found"],
        ),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      const { q, limit } = c.req.valid("query");
      return c.json({ messages: unwrap(await roomStub(c.env, chatId).search(chatId, c.var.citizen.userId, q, limit)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/chats/{chatId}/secret",
      operationId: "getSecretChatState",
      tags: ["chats"],
      summary: "A secret chat's MLS group as the room orders it: epoch, devices, revoked ones, the timer",
      description:
        "For re-syncing after `stale_epoch` or `group_outdated`: `devices` as the last accepted commit declared them; `revoked` those of them signed out since (a commit must remove them before more application messages).",
      ...secured,
      request: { params: ChatIdParam },
      responses: {
        200: json(
          z.object({
            epoch: z.number().int(),
            devices: z.array(z.string()),
            revoked: z.array(z.string()),
            messageTtl: z.number().int().nullable(),
          }),
          "The group's state.",
        ),
        ...problems([400, "not_secret"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { chatId } = c.req.valid("param");
      return c.json(unwrap(await roomStub(c.env, chatId).secretState(chatId, c.var.citizen.userId)), 200);
    },
  );
