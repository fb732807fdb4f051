// Joining a group or channel by oneself (a public channel's username, an invite link) and what keeps people
// out (bans). D1 is the directory; the room is told of every join, as with members added by an owner.
import { hmacHex } from "../lib/crypto";
import { newId, randomToken } from "../lib/ids";
import { roomStub, unwrap } from "./access";
import type { ChatType, Role } from "./protocol";
import { addMember, memberProfiles } from "./store";

// ---- bans ----

export async function isBanned(db: D1Database, chatId: string, userId: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM chat_bans WHERE chat_id = ?1 AND user_id = ?2").bind(chatId, userId).first()) !== null;
}

/** Records a ban; answers whether it is new (false: they were banned already). */
export async function addBan(db: D1Database, chatId: string, userId: string, bannedBy: string, now = Date.now()): Promise<boolean> {
  const res = await db
    .prepare("INSERT INTO chat_bans (chat_id, user_id, banned_by, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
    .bind(chatId, userId, bannedBy, now)
    .run();
  return res.meta.changes > 0;
}

export async function liftBan(db: D1Database, chatId: string, userId: string): Promise<boolean> {
  const res = await db.prepare("DELETE FROM chat_bans WHERE chat_id = ?1 AND user_id = ?2").bind(chatId, userId).run();
  return res.meta.changes > 0;
}

export interface BanRow {
  user_id: string;
  banned_by: string;
  created_at: number;
}

export function getBan(db: D1Database, chatId: string, userId: string): Promise<BanRow | null> {
  return db
    .prepare("SELECT user_id, banned_by, created_at FROM chat_bans WHERE chat_id = ?1 AND user_id = ?2")
    .bind(chatId, userId)
    .first<BanRow>();
}

/** Bans, newest first; page with `before` (the createdAt of the last one seen, ms). */
export async function listBans(db: D1Database, chatId: string, limit: number): Promise<BanRow[]> {
  const { results } = await db
    .prepare("SELECT user_id, banned_by, created_at FROM chat_bans WHERE chat_id = ?1 ORDER BY created_at DESC, user_id LIMIT ?2")
    .bind(chatId, limit)
    .all<BanRow>();
  return results;
}

// ---- invite links ----

/** Only this keyed hash of a token is stored: a copy of the table lets nobody in. */
const inviteHash = (env: Env, token: string) => hmacHex(env.CREDENTIAL_HASH_KEY, `chat-invite\n${token}`);

export interface InviteRow {
  id: string;
  chat_id: string;
  created_by: string;
  created_at: number;
  uses: number;
}

/** A new invite link's token (shown once, to its creator) and its stored row. */
export async function createInvite(
  env: Env,
  chatId: string,
  createdBy: string,
  now = Date.now(),
): Promise<{ token: string; row: InviteRow }> {
  const token = randomToken(24);
  const row: InviteRow = { id: newId(now), chat_id: chatId, created_by: createdBy, created_at: now, uses: 0 };
  await env.DB.prepare("INSERT INTO chat_invites (id, token_hash, chat_id, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
    .bind(row.id, await inviteHash(env, token), chatId, createdBy, now)
    .run();
  return { token, row };
}

/** The live (not revoked) invite behind a token, with its chat's type. */
export async function findInvite(env: Env, token: string): Promise<(InviteRow & { type: ChatType }) | null> {
  return env.DB.prepare(
    `SELECT i.id, i.chat_id, i.created_by, i.created_at, i.uses, c.type FROM chat_invites i JOIN chats c ON c.id = i.chat_id
     WHERE i.token_hash = ?1 AND i.revoked_at IS NULL`,
  )
    .bind(await inviteHash(env, token))
    .first<InviteRow & { type: ChatType }>();
}

export async function listInvites(db: D1Database, chatId: string): Promise<InviteRow[]> {
  const { results } = await db
    .prepare(
      "SELECT id, chat_id, created_by, created_at, uses FROM chat_invites WHERE chat_id = ?1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 200",
    )
    .bind(chatId)
    .all<InviteRow>();
  return results;
}

/** Revokes a chat's live invite named by its token or its id; answers whether there was one. */
export async function revokeInvite(env: Env, chatId: string, tokenOrId: string, now = Date.now()): Promise<boolean> {
  const res = await env.DB.prepare(
    "UPDATE chat_invites SET revoked_at = ?4 WHERE chat_id = ?1 AND (token_hash = ?2 OR id = ?3) AND revoked_at IS NULL",
  )
    .bind(chatId, await inviteHash(env, tokenOrId), tokenOrId, now)
    .run();
  return res.meta.changes > 0;
}

export async function countInviteUse(db: D1Database, inviteId: string): Promise<void> {
  await db.prepare("UPDATE chat_invites SET uses = uses + 1 WHERE id = ?1").bind(inviteId).run();
}

// ---- joining ----

/**
 * Makes `userId` a member of the chat, as the directory and then the room know it: a subscriber (`member`)
 * of a channel, a member of a group. Someone already in keeps their role. Answers whether they were added.
 */
export async function joinChat(env: Env, chatId: string, userId: string): Promise<boolean> {
  const already = await roomStub(env, chatId).access(chatId, userId);
  if (already.ok) return false;
  const added = await addMember(env.DB, chatId, userId, "member");
  const profile = (await memberProfiles(env.DB, [userId])).get(userId) ?? { username: null, name: null };
  const role: Role = "member";
  // A newcomer starts with everything so far read: they saw the latest posts in the preview, and a channel's
  // years of history must not greet them as thousands of unread posts.
  const readSeq = (await roomStub(env, chatId).head(chatId))?.lastSeq ?? 0;
  // Also when D1 had them already (a join whose room call failed): the room must hear of it.
  unwrap(await roomStub(env, chatId).addMembers(chatId, [{ userId, role, readSeq, ...profile }]));
  return added;
}
