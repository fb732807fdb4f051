// One user's chat list and update log over their inbox's SQLite: a row per chat (role, last seq, read seq,
// preview, mute, activity), stored notifications, and the user's change number `pts`: every change of the
// list and every notification gets the next one, so a device that saw N asks for what came after N.
import * as z from "zod";
import { iso } from "../../lib/hono";
import { AgencyRef, ChatMessage, type ChatSummary, ChatType, FOREVER, type Notification, Role } from "../protocol";

/** What a room tells a member's inbox about a chat: its state for that member as of the chat's `pts`. */
export interface DialogUpdate {
  chatId: string;
  type: ChatType;
  title: string | null;
  /** The chat's photo for this member (a direct chat's: the other person's), media id or null. */
  avatar?: string | null;
  memberCount: number;
  role: Role;
  lastSeq: number;
  readSeq: number;
  lastMessage: ChatMessage | null;
  /** ms since the epoch */
  lastActivityAt: number;
  agency: AgencyRef | null;
  pts: number;
  /** The name the last message's sender goes by in the chat (for push notifications). */
  lastSenderName?: string | null;
}

/** `muted_until` of a chat muted until unmuted (the last second of 9999, as `FOREVER` says). */
export const FOREVER_MS = Date.parse(FOREVER);

/** A stored mute as chats show it: null once it has passed. */
function mutedUntil(ms: number | null, now: number): string | null {
  if (ms === null || ms <= now) return null;
  return ms >= FOREVER_MS ? FOREVER : iso(ms);
}

/** Notifications and removed-chat markers kept for catch-up; older ones make a device that far behind reload. */
export const KEEP = 1_000;
const SLACK = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dialogs (
  chat_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  title TEXT,
  member_count INTEGER NOT NULL,
  role TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  read_seq INTEGER NOT NULL,
  last_message TEXT,
  last_activity_at INTEGER NOT NULL,
  agency TEXT,
  chat_pts INTEGER NOT NULL,
  muted_until INTEGER,
  pts INTEGER NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0,
  stale INTEGER NOT NULL DEFAULT 0,
  notified_seq INTEGER NOT NULL DEFAULT 0,
  avatar TEXT
);
CREATE INDEX IF NOT EXISTS dialogs_pts ON dialogs (pts);
CREATE INDEX IF NOT EXISTS dialogs_activity ON dialogs (removed, last_activity_at DESC);
CREATE TABLE IF NOT EXISTS notifications (pts INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mentions (chat_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
`;

/**
 * A dialog row with the newest message that mentions the user (0: none). Mentions are kept apart from the
 * rows because the room tells of one on its own call, which may come before the chat's first summary.
 */
const ROW = "SELECT dialogs.*, COALESCE(mentions.seq, 0) AS mention_seq FROM dialogs LEFT JOIN mentions USING (chat_id)";

interface DialogRow extends Record<string, SqlStorageValue> {
  chat_id: string;
  type: string;
  title: string | null;
  avatar: string | null;
  member_count: number;
  role: string;
  last_seq: number;
  read_seq: number;
  last_message: string | null;
  last_activity_at: number;
  agency: string | null;
  chat_pts: number;
  muted_until: number | null;
  pts: number;
  removed: number;
  stale: number;
  mention_seq: number;
}

const StoredMessage = ChatMessage.nullable();
const StoredAgency = AgencyRef.nullable();
const StoredNotification = z.object({ kind: z.string(), at: z.string(), pts: z.number() }).catchall(z.unknown());

/**
 * An inbox's answer to a push. Offline (no device has its socket open): the room stops pushing to this
 * inbox until it asks again (`ChatRoom.resume`); `epoch` orders the answer against such requests.
 */
export type PushAnswer = { online: true } | { online: false; epoch: number };

export interface Updates {
  chats: ChatSummary[];
  removed: string[];
  notifications: Notification[];
  pts: number;
  tooLong: boolean;
}

/** One change of the list, as the inbox sends it live and replays it. */
export type ListChange =
  | { type: "chat"; chat: ChatSummary; pts: number }
  | { type: "chat_removed"; chatId: string; pts: number }
  | ({ type: "notification" } & Notification);

export class Dialogs {
  private pts: number;
  private floor: number;
  /** Asked on every push and request: kept in memory once known (both only ever turn on). */
  private hydrated: boolean;
  private erased: boolean;
  /** Notifications and removal markers stored: counted once per wake, then kept, so pruning costs no count per change. */
  private kept: number;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    this.pts = Number(this.meta("pts") ?? 0);
    this.floor = Number(this.meta("floor") ?? 0);
    this.hydrated = this.meta("hydrated") !== null;
    this.erased = this.meta("erased") !== null;
    // Inboxes from before rooms stopped pushing to users with no device online.
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('dialogs')").toArray();
    if (!columns.some((c) => c.name === "stale")) sql.exec("ALTER TABLE dialogs ADD COLUMN stale INTEGER NOT NULL DEFAULT 0");
    // Inboxes from before push notifications: the last message each chat notified the user's devices of.
    if (!columns.some((c) => c.name === "notified_seq")) sql.exec("ALTER TABLE dialogs ADD COLUMN notified_seq INTEGER NOT NULL DEFAULT 0");
    if (!columns.some((c) => c.name === "avatar")) sql.exec("ALTER TABLE dialogs ADD COLUMN avatar TEXT");
    this.kept = this.countKept();
  }

  private countKept(): number {
    return this.sql
      .exec<{ n: number }>("SELECT (SELECT COUNT(*) FROM notifications) + (SELECT COUNT(*) FROM dialogs WHERE removed = 1) AS n")
      .one().n;
  }

  /**
   * The chat's room was told no device is online and stops pushing until asked: the row may fall behind the
   * chat, and is refreshed from the room before anyone reads it.
   */
  markStale(chatId: string): void {
    this.sql.exec("UPDATE dialogs SET stale = 1 WHERE chat_id = ?", chatId);
  }

  staleChats(): string[] {
    return this.sql
      .exec<{ chat_id: string }>("SELECT chat_id FROM dialogs WHERE stale = 1 AND removed = 0")
      .toArray()
      .map((r) => r.chat_id);
  }

  clearStale(chatId: string): void {
    this.sql.exec("UPDATE dialogs SET stale = 0 WHERE chat_id = ?", chatId);
  }

  /** Counts device connections, so a room's answer from before one is told apart from one after it. */
  nextEpoch(): number {
    const epoch = this.epoch() + 1;
    this.setMeta("epoch", String(epoch));
    return epoch;
  }

  /** Starts at 1: a room's members have asked at epoch 0 (never), so a first "away" answer counts. */
  epoch(): number {
    return Number(this.meta("epoch") ?? 1);
  }

  current(): number {
    return this.pts;
  }

  isHydrated(): boolean {
    return this.hydrated;
  }

  markHydrated(): void {
    this.setMeta("hydrated", "1");
    this.hydrated = true;
  }

  /** Everything of the user's goes; the pts stays, so a stale device is told `too_long`, never replayed. */
  erase(): void {
    this.sql.exec("DELETE FROM dialogs");
    this.sql.exec("DELETE FROM notifications");
    this.sql.exec("DELETE FROM mentions");
    this.kept = 0;
    this.sql.exec("DELETE FROM meta WHERE key = 'last_seen_at'");
    this.floor = this.pts;
    this.setMeta("floor", String(this.floor));
    this.markHydrated();
    this.setMeta("erased", "1");
    this.erased = true;
  }

  isErased(): boolean {
    return this.erased;
  }

  /** Applies a room's summary; answers the change to send, or null when it is stale or changes nothing. */
  apply(u: DialogUpdate): ListChange | null {
    const row = this.row(u.chatId);
    if (row && row.chat_pts > u.pts) return null;
    const next = {
      type: u.type,
      title: u.title,
      avatar: u.avatar ?? null,
      member_count: u.memberCount,
      role: u.role,
      last_seq: u.lastSeq,
      read_seq: u.readSeq,
      last_message: u.lastMessage === null ? null : JSON.stringify(u.lastMessage),
      last_activity_at: u.lastActivityAt,
      agency: u.agency === null ? null : JSON.stringify(u.agency),
    };
    const same = (keys: (keyof typeof next)[]) => row !== undefined && row.removed === 0 && keys.every((k) => row[k] === next[k]);
    if (same(Object.keys(next) as (keyof typeof next)[])) {
      // Same list entry; only the chat's pts moved (a reaction, say): no change of the user's list.
      if (row && row.chat_pts !== u.pts) this.sql.exec("UPDATE dialogs SET chat_pts = ? WHERE chat_id = ?", u.pts, u.chatId);
      return null;
    }
    // A channel's posts do not move a subscriber's pts (its head is read when the list is): the entry is
    // refreshed and open devices are shown it, under the pts they already have.
    const headOnly =
      u.type === "channel" && u.role === "member" && row !== undefined && same(["type", "title", "avatar", "role", "read_seq", "agency"]);
    const pts = headOnly && row ? row.pts : this.bump();
    // A chat the user had left and is back in: its removal marker becomes a live row again.
    if (row?.removed === 1) this.kept -= 1;
    this.sql.exec(
      `INSERT INTO dialogs (chat_id, type, title, avatar, member_count, role, last_seq, read_seq, last_message, last_activity_at, agency, chat_pts, pts, removed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type, title = excluded.title, avatar = excluded.avatar, member_count = excluded.member_count,
         role = excluded.role, last_seq = excluded.last_seq, read_seq = excluded.read_seq, last_message = excluded.last_message,
         last_activity_at = excluded.last_activity_at, agency = excluded.agency, chat_pts = excluded.chat_pts, pts = excluded.pts, removed = 0`,
      u.chatId,
      next.type,
      next.title,
      next.avatar,
      next.member_count,
      next.role,
      next.last_seq,
      next.read_seq,
      next.last_message,
      next.last_activity_at,
      next.agency,
      u.pts,
      pts,
    );
    // Built from the update itself: no read back, no parse of the stored preview.
    const chat: ChatSummary = {
      id: u.chatId,
      type: u.type,
      title: u.title,
      memberCount: u.memberCount,
      role: u.role,
      lastSeq: u.lastSeq,
      unreadCount: Math.max(0, u.lastSeq - u.readSeq),
      lastMessage: u.lastMessage,
      lastActivityAt: iso(u.lastActivityAt),
      agency: u.agency,
      pts: u.pts,
      readSeq: u.readSeq,
      mutedUntil: mutedUntil(row?.muted_until ?? null, Date.now()),
      unreadMention: (row?.mention_seq ?? this.mentionSeq(u.chatId)) > u.readSeq,
      avatar: next.avatar,
    };
    return { type: "chat", chat, pts: headOnly ? this.pts : pts };
  }

  private mentionSeq(chatId: string): number {
    return this.sql.exec<{ seq: number }>("SELECT seq FROM mentions WHERE chat_id = ?", chatId).toArray()[0]?.seq ?? 0;
  }

  /**
   * A message at `seq` mentions the user. Answers the change for their devices when the chat now has an unread
   * mention it did not have (the list's "@" mark), else null; reading past it clears the mark.
   */
  mention(chatId: string, seq: number): ListChange | null {
    const before = this.row(chatId);
    this.sql.exec(
      "INSERT INTO mentions (chat_id, seq) VALUES (?, ?) ON CONFLICT (chat_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
      chatId,
      seq,
    );
    if (!before || before.removed === 1 || seq <= before.read_seq || before.mention_seq > before.read_seq) return null;
    const pts = this.bump();
    this.sql.exec("UPDATE dialogs SET pts = ? WHERE chat_id = ?", pts, chatId);
    // The row as it is now, without reading it again: only its pts and the mention moved.
    return { type: "chat", chat: toSummary({ ...before, pts, mention_seq: seq }, Date.now()), pts };
  }

  /**
   * Mutes the chat until `until` (ms; FOREVER_MS for "until unmuted"), or unmutes it with null. Answers the
   * change for the user's devices, or null when the chat is not in the list. The same mute again changes nothing.
   */
  setMute(chatId: string, until: number | null): { change: ListChange | null } | null {
    const row = this.row(chatId);
    if (!row || row.removed === 1) return null;
    if (row.muted_until === until) return { change: null };
    const pts = this.bump();
    this.sql.exec("UPDATE dialogs SET muted_until = ?, pts = ? WHERE chat_id = ?", until, pts, chatId);
    const chat = this.summary(chatId);
    return { change: chat ? { type: "chat", chat, pts } : null };
  }

  /**
   * Whether a room's update (not yet applied) brings a message the user's away devices should be told of:
   * someone else's, unread, newer than the last one notified, in a chat not muted. Official chats are left
   * out: each of their messages comes with a service notification, which pushes by itself.
   */
  notifies(u: DialogUpdate, userId: string, now = Date.now()): boolean {
    const m = u.lastMessage;
    if (!m || m.senderId === userId || m.deletedAt !== null || u.readSeq >= u.lastSeq || u.type === "official") return false;
    const row = this.sql
      .exec<{ notified_seq: number; muted_until: number | null }>(
        "SELECT notified_seq, muted_until FROM dialogs WHERE chat_id = ?",
        u.chatId,
      )
      .toArray()[0];
    return !row || (row.notified_seq < u.lastSeq && mutedUntil(row.muted_until, now) === null);
  }

  /** The user's devices were told of messages up to `seq` (or, for a chat refreshed on their return, need not be). */
  markNotified(chatId: string, seq: number): void {
    this.sql.exec("UPDATE dialogs SET notified_seq = MAX(notified_seq, ?) WHERE chat_id = ?", seq, chatId);
  }

  /** Whether a mention at `seq` is news to the user's devices (mentions notify from muted chats too). */
  mentionNotifies(chatId: string, seq: number): boolean {
    const row = this.sql
      .exec<{ notified_seq: number; read_seq: number }>("SELECT notified_seq, read_seq FROM dialogs WHERE chat_id = ?", chatId)
      .toArray()[0];
    return row !== undefined && row.notified_seq < seq && row.read_seq < seq;
  }

  /** Unread messages over all the user's chats (the app badge). */
  unreadTotal(): number {
    return this.sql.exec<{ n: number | null }>("SELECT SUM(MAX(0, last_seq - read_seq)) AS n FROM dialogs WHERE removed = 0").one().n ?? 0;
  }

  /** When the next mute that has an end (not "until unmuted") ends, or null. */
  nextMuteEnd(now = Date.now()): number | null {
    return (
      this.sql
        .exec<{ t: number | null }>(
          "SELECT MIN(muted_until) AS t FROM dialogs WHERE removed = 0 AND muted_until > ? AND muted_until < ?",
          now,
          FOREVER_MS,
        )
        .one().t ?? null
    );
  }

  /** Whether the chat is muted now. */
  isMuted(chatId: string, now = Date.now()): boolean {
    const row = this.sql.exec<{ muted_until: number | null }>("SELECT muted_until FROM dialogs WHERE chat_id = ?", chatId).toArray()[0];
    return mutedUntil(row?.muted_until ?? null, now) !== null;
  }

  /** The user left or was removed (as of the chat's `chatPts`). */
  remove(chatId: string, chatPts: number): ListChange | null {
    const row = this.row(chatId);
    if (!row || row.removed === 1 || row.chat_pts > chatPts) return null;
    const pts = this.bump();
    this.sql.exec("UPDATE dialogs SET removed = 1, chat_pts = ?, pts = ? WHERE chat_id = ?", chatPts, pts, chatId);
    this.kept += 1;
    this.prune();
    return { type: "chat_removed", chatId, pts };
  }

  /** Stores a service notification under the next pts. */
  notify(fields: { kind: string; [key: string]: unknown }, now = Date.now()): ListChange {
    const pts = this.bump();
    const notification: Notification = { ...fields, kind: fields.kind, at: iso(now), pts };
    this.sql.exec("INSERT INTO notifications (pts, body) VALUES (?, ?)", pts, JSON.stringify(notification));
    this.kept += 1;
    this.prune();
    return { type: "notification", ...notification };
  }

  list(limit = 500): ChatSummary[] {
    const now = Date.now();
    return this.sql
      .exec<DialogRow>(`${ROW} WHERE removed = 0 ORDER BY last_activity_at DESC, chat_id DESC LIMIT ?`, limit)
      .toArray()
      .map((r) => toSummary(r, now));
  }

  summary(chatId: string, now = Date.now()): ChatSummary | null {
    const row = this.row(chatId);
    return row && row.removed === 0 ? toSummary(row, now) : null;
  }

  /** What changed after `pts`: each changed chat once in its current state, removals, and notifications. */
  since(pts: number): Updates {
    if (pts < this.floor || pts > this.pts) return { chats: [], removed: [], notifications: [], pts: this.pts, tooLong: true };
    const rows = this.sql.exec<DialogRow>(`${ROW} WHERE pts > ? ORDER BY pts`, pts).toArray();
    const notifications = this.sql
      .exec<{ body: string }>("SELECT body FROM notifications WHERE pts > ? ORDER BY pts", pts)
      .toArray()
      .map((r) => StoredNotification.parse(JSON.parse(r.body)));
    const now = Date.now();
    return {
      chats: rows.filter((r) => r.removed === 0).map((r) => toSummary(r, now)),
      removed: rows.filter((r) => r.removed === 1).map((r) => r.chat_id),
      notifications,
      pts: this.pts,
      tooLong: false,
    };
  }

  /** The same as frames, in the user's pts order. */
  changesSince(pts: number): ListChange[] | null {
    if (pts < this.floor || pts > this.pts) return null;
    const rows = this.sql.exec<DialogRow>(`${ROW} WHERE pts > ?`, pts).toArray();
    const now = Date.now();
    const changes: ListChange[] = rows.map((r) =>
      r.removed === 1 ? { type: "chat_removed", chatId: r.chat_id, pts: r.pts } : { type: "chat", chat: toSummary(r, now), pts: r.pts },
    );
    for (const r of this.sql.exec<{ body: string }>("SELECT body FROM notifications WHERE pts > ?", pts)) {
      changes.push({ type: "notification", ...StoredNotification.parse(JSON.parse(r.body)) });
    }
    return changes.sort((a, b) => a.pts - b.pts);
  }

  private bump(): number {
    this.pts += 1;
    this.setMeta("pts", String(this.pts));
    return this.pts;
  }

  /** Keeps the last KEEP notifications and removal markers; a device behind the oldest dropped one reloads. */
  private prune(): void {
    if (this.kept <= KEEP + SLACK) return;
    const cut = this.sql
      .exec<{ pts: number }>(
        "SELECT pts FROM (SELECT pts FROM notifications UNION ALL SELECT pts FROM dialogs WHERE removed = 1) ORDER BY pts DESC LIMIT 1 OFFSET ?",
        KEEP,
      )
      .one().pts;
    this.sql.exec("DELETE FROM notifications WHERE pts <= ?", cut);
    this.sql.exec("DELETE FROM dialogs WHERE removed = 1 AND pts <= ?", cut);
    this.floor = Math.max(this.floor, cut);
    this.setMeta("floor", String(this.floor));
    this.kept = this.countKept();
  }

  private row(chatId: string): DialogRow | undefined {
    return this.sql.exec<DialogRow>(`${ROW} WHERE chat_id = ?`, chatId).toArray()[0];
  }

  meta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}

function toSummary(r: DialogRow, now: number): ChatSummary {
  return {
    id: r.chat_id,
    type: ChatType.parse(r.type),
    title: r.title,
    memberCount: r.member_count,
    role: Role.parse(r.role),
    lastSeq: r.last_seq,
    unreadCount: Math.max(0, r.last_seq - r.read_seq),
    lastMessage: StoredMessage.parse(r.last_message === null ? null : JSON.parse(r.last_message)),
    lastActivityAt: iso(r.last_activity_at),
    agency: StoredAgency.parse(r.agency === null ? null : JSON.parse(r.agency)),
    pts: r.chat_pts,
    readSeq: r.read_seq,
    mutedUntil: mutedUntil(r.muted_until, now),
    unreadMention: r.mention_seq > r.read_seq,
    avatar: r.avatar,
  };
}
