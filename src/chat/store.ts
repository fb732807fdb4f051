// The chat directory in D1: which chats exist and who is in them, for what is not on the message path
// (listing members, media grants, signing a device out, official chats). Rooms hold the membership that
// decides posting, and inboxes the chat lists; both are told of every change written here.
import { and, eq, gt, ne, or } from "drizzle-orm";
import type { Db } from "../db";
import { chatMembers, users } from "../db/schema";
import { newId } from "../lib/ids";
import type { DialogUpdate } from "./inbox/dialogs";
import { ChatMessage, type ChatType, type Role } from "./protocol";
import type { Profile } from "./room/members";

interface SummaryRow {
  id: string;
  type: ChatType;
  title: string | null;
  member_count: number;
  role: Role;
  last_seq: number;
  read_seq: number;
  last_message: string | null;
  last_activity_at: number;
  peer_name: string | null;
  agency_id: string | null;
  agency_name: string | null;
  agency_verified: number | null;
}

/**
 * A user's chat list as D1 held it before each user's inbox kept its own: read once, when an inbox from
 * before that first wakes (docs/operations.md, "Moving existing local state"). Nothing writes these summary
 * columns any more. For a direct chat the title is the other person's name (or @username).
 */
export async function legacySummaries(db: D1Database, userId: string): Promise<DialogUpdate[]> {
  const { results } = await db
    .prepare(
      `SELECT c.id, c.type, c.title, c.member_count, m.role, c.last_seq, m.read_seq, c.last_message, c.last_activity_at,
         CASE WHEN c.type IN ('direct', 'secret') THEN (
           SELECT COALESCE(u.display_name, '@' || u.username) FROM chat_members o JOIN users u ON u.id = o.user_id
           WHERE o.chat_id = c.id AND o.user_id != m.user_id LIMIT 1
         ) END AS peer_name,
         a.id AS agency_id, a.name AS agency_name, a.verified AS agency_verified
       FROM chat_members m JOIN chats c ON c.id = m.chat_id LEFT JOIN agencies a ON a.id = c.agency_id
       WHERE m.user_id = ?1`,
    )
    .bind(userId)
    .all<SummaryRow>();
  return results.map((r) => ({
    chatId: r.id,
    type: r.type,
    title: r.type === "direct" || r.type === "secret" ? r.peer_name : r.title,
    memberCount: r.member_count,
    role: r.role,
    lastSeq: r.last_seq,
    readSeq: r.read_seq,
    lastMessage: r.last_message === null ? null : ChatMessage.parse(JSON.parse(r.last_message)),
    lastActivityAt: r.last_activity_at,
    agency: r.agency_id === null ? null : { id: r.agency_id, name: r.agency_name ?? "", verified: r.agency_verified === 1 },
    pts: 0,
  }));
}

/** The unique key of a pair's chat: one direct and one secret chat per two people (a secret one's key is prefixed). */
export const directKey = (a: string, b: string, kind: "direct" | "secret" = "direct"): string =>
  `${kind === "secret" ? "secret:" : ""}${a < b ? `${a}:${b}` : `${b}:${a}`}`;

export async function findDirectChat(db: D1Database, a: string, b: string, kind: "direct" | "secret" = "direct"): Promise<string | null> {
  const row = await db
    .prepare("SELECT id FROM chats WHERE direct_key = ?1")
    .bind(directKey(a, b, kind))
    .first<{ id: string }>();
  return row?.id ?? null;
}

export interface NewChat {
  type: ChatType;
  title: string | null;
  createdBy: string;
  members: { userId: string; role: Role }[];
  directKey?: string;
  /** A public channel's username (lower-case). */
  username?: string | null;
}

/**
 * Creates a chat and its members in one batch. For a direct chat the unique direct key makes a concurrent
 * duplicate fail; the caller then finds the chat that won.
 */
export async function createChat(db: D1Database, chat: NewChat, now = Date.now()): Promise<string> {
  const id = newId(now);
  await db.batch([
    db
      .prepare(
        "INSERT INTO chats (id, type, title, created_by, created_at, direct_key, member_count, last_seq, last_activity_at, username) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?5, ?7)",
      )
      .bind(id, chat.type, chat.title, chat.createdBy, now, chat.directKey ?? null, chat.username ?? null),
    ...chat.members.map((m) =>
      db.prepare("INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4)").bind(id, m.userId, m.role, now),
    ),
  ]);
  return id;
}

// chats.member_count is kept by triggers on chat_members (migrations/0012): one row's change each, no COUNT(*).

/** Adds a member (no-op when already one); answers whether they were added. */
export async function addMember(db: D1Database, chatId: string, userId: string, role: Role, now = Date.now()): Promise<boolean> {
  const inserted = await db
    .prepare("INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
    .bind(chatId, userId, role, now)
    .run();
  return inserted.meta.changes > 0;
}

export async function removeMember(db: D1Database, chatId: string, userId: string): Promise<boolean> {
  const deleted = await db.prepare("DELETE FROM chat_members WHERE chat_id = ?1 AND user_id = ?2").bind(chatId, userId).run();
  return deleted.meta.changes > 0;
}

export async function setRole(db: D1Database, chatId: string, userId: string, role: Role): Promise<boolean> {
  const res = await db.prepare("UPDATE chat_members SET role = ?3 WHERE chat_id = ?1 AND user_id = ?2").bind(chatId, userId, role).run();
  return res.meta.changes > 0;
}

export type MemberWithUser = { member: typeof chatMembers.$inferSelect; user: typeof users.$inferSelect };

/** Members in user-id order, with their profiles; page with `after` (the last user id seen). */
/** `onlyModeratorsAnd`: the owners and admins only, and this one member (a channel's subscriber listing it). */
export function listMembers(db: Db, chatId: string, after: string, limit: number, onlyModeratorsAnd?: string): Promise<MemberWithUser[]> {
  const visible =
    onlyModeratorsAnd === undefined ? undefined : or(ne(chatMembers.role, "member"), eq(chatMembers.userId, onlyModeratorsAnd));
  return db
    .select({ member: chatMembers, user: users })
    .from(chatMembers)
    .innerJoin(users, eq(users.id, chatMembers.userId))
    .where(and(eq(chatMembers.chatId, chatId), gt(chatMembers.userId, after), visible))
    .orderBy(chatMembers.userId)
    .limit(limit);
}

export async function getMember(db: Db, chatId: string, userId: string): Promise<MemberWithUser | undefined> {
  const [row] = await db
    .select({ member: chatMembers, user: users })
    .from(chatMembers)
    .innerJoin(users, eq(users.id, chatMembers.userId))
    .where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, userId)));
  return row;
}

/** The next owner when an owner leaves: the longest-standing admin, else the longest-standing member. */
export async function successor(db: D1Database, chatId: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END, joined_at LIMIT 1")
    .bind(chatId)
    .first<{ user_id: string }>();
  return row?.user_id ?? null;
}

/** Usernames, shown names and photos of these users, for the rooms they join (mentions, a direct chat's title and photo). */
export async function memberProfiles(db: D1Database, ids: string[]): Promise<Map<string, Profile>> {
  const out = new Map<string, Profile>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(
        `SELECT id, username, COALESCE(display_name, '@' || username) AS name, avatar_id AS avatar FROM users WHERE id IN (${chunk.map(() => "?").join(",")})`,
      )
      .bind(...chunk)
      .all<Profile & { id: string }>();
    for (const { id, ...profile } of results) out.set(id, profile);
  }
  return out;
}

export async function renameChat(db: D1Database, chatId: string, title: string): Promise<void> {
  await db.prepare("UPDATE chats SET title = ?2 WHERE id = ?1").bind(chatId, title).run();
}

/** The chats a user is in, for the rare changes every one of their rooms must hear of (a new name, a sign-out). */
export async function chatsOf(db: D1Database, userId: string): Promise<string[]> {
  const { results } = await db.prepare("SELECT chat_id FROM chat_members WHERE user_id = ?1").bind(userId).all<{ chat_id: string }>();
  return results.map((r) => r.chat_id);
}
