import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { iso, isoOrNull } from "../lib/hono";
import { newId } from "../lib/ids";
import { errorFields, log } from "../lib/log";
import { attachOwnMedia } from "../media/store";
import { type ChatMessage, CLOSE, ClientFrame, MAX_FRAME_BYTES, MessageAction, type RoomFrame } from "./protocol";
import { extractMentions, ftsQuery } from "./text";

export type ChatType = "direct" | "group" | "channel" | "official";
export type Role = "owner" | "admin" | "member";

/** Who the room is, passed by the Worker on every call (the room stores it once). */
export interface RoomRef {
  chatId: string;
  type: ChatType;
}

export interface PostInput {
  senderId: string;
  clientId: string;
  text?: string | null;
  attachments?: string[];
  replyTo?: number;
  forwardOf?: { chatId: string; seq: number; senderId: string };
  /** Socket sends: the room checks the sender owns the attachments (the Worker does it for HTTP). */
  checkAttachments?: boolean;
  /** Official messages: posted by an agency (the sender id is the agency's), with buttons. */
  official?: { actions: MessageAction[] };
}

/** Room calls answer with a value or a refusal the Worker turns into a problem response. */
export type RoomResult<T> = { ok: true; value: T } | { ok: false; status: 400 | 403 | 404 | 409; code: string; detail: string };

const ok = <T>(value: T): RoomResult<T> => ({ ok: true, value });
const refuse = (status: 400 | 403 | 404 | 409, code: string, detail: string): RoomResult<never> => ({ ok: false, status, code, detail });
const NO_MESSAGE = refuse(404, "not_found", "No such message in this chat.");

/** What the Worker forwards with a socket upgrade, after it authenticated the user and checked membership. */
const UpgradeHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  "x-veche-user": z.string().min(1).max(64),
  "x-veche-chat": z.string().min(1),
  "x-veche-chat-type": z.enum(["direct", "group", "channel", "official"]),
  "x-veche-batch": z.literal("1").optional(),
  "x-veche-session": z.string().min(1).max(64),
});

/** Sockets are tagged with their session, so signing a device out can find and close them. */
export const sessionTag = (sessionId: string) => `session:${sessionId}`;

const SocketAttachment = z.object({ userId: z.string().min(1), connectedAt: z.number() });
type SocketAttachment = z.infer<typeof SocketAttachment>;

const StringList = z.array(z.string());
const StoredRole = z.enum(["owner", "admin", "member"]);
const StoredChatType = z.enum(["direct", "group", "channel", "official"]);
const AfterParam = z.coerce.number().int().min(0).optional();
const Actions = z.array(MessageAction);
const ForwardOf = z.object({ chatId: z.string(), seq: z.number().int(), senderId: z.string() }).nullable();

interface MessageRow extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  sender_id: string;
  client_id: string;
  text: string | null;
  attachments: string;
  reply_to: number | null;
  forward_of: string | null;
  mentions: string;
  actions: string;
  pinned_at: number | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
}

/**
 * What search indexes: the text with ё folded to е, as Russian readers treat them as one letter (unicode61's
 * remove_diacritics leaves Cyrillic alone). A generated column, so the index and its content table agree.
 */
const SEARCH_TEXT = "replace(replace(text, 'ё', 'е'), 'Ё', 'Е')";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  user_id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  read_dirty INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  text TEXT,
  attachments TEXT NOT NULL DEFAULT '[]',
  reply_to INTEGER,
  forward_of TEXT,
  mentions TEXT NOT NULL DEFAULT '[]',
  actions TEXT NOT NULL DEFAULT '[]',
  pinned_at INTEGER,
  created_at INTEGER NOT NULL,
  edited_at INTEGER,
  deleted_at INTEGER,
  search_text TEXT GENERATED ALWAYS AS (${SEARCH_TEXT}) VIRTUAL,
  UNIQUE (sender_id, client_id)
);
CREATE TABLE IF NOT EXISTS reactions (
  seq INTEGER NOT NULL,
  emoji TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (seq, emoji, user_id)
) WITHOUT ROWID;
`;

const SEARCH_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
  search_text, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages WHEN new.search_text IS NOT NULL BEGIN
  INSERT INTO messages_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, search_text) SELECT 'delete', old.seq, old.search_text WHERE old.search_text IS NOT NULL;
  INSERT INTO messages_fts (rowid, search_text) SELECT new.seq, new.search_text WHERE new.search_text IS NOT NULL;
END;
`;

/** How long after a change the alarm re-tries pushing the chat summary to D1 if the immediate push failed. */
const FLUSH_RETRY_MS = 2_000;
/** Channels up to this many members update their subscribers' chat lists live, as groups do. */
const CHANNEL_LIVE_LIST_LIMIT = 1000;

/** A room pushes its summary to D1 at most this often (besides the pushes HTTP callers wait for). */
const SUMMARY_INTERVAL_MS = 1_000;
/** Tag of sockets that accept a JSON array of frames in one WebSocket message (`?batch=1`). */
const BATCH_TAG = "batch";
const TYPING_INTERVAL_MS = 2_000;

/**
 * One chat: the single writer of its message log. `seq` is assigned here; a message is stored before it is
 * acknowledged or fanned out (the output gate holds socket sends until the write is durable); a retried
 * `clientId` is answered from storage. Sockets hibernate; everything is rebuilt from storage.
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private ref: RoomRef | null = null;
  private membersLoaded = false;
  /** Encoded frames for every socket, waiting for the next fan-out. */
  private outbox: string[] = [];
  private outboxTimer: ReturnType<typeof setTimeout> | null = null;
  private summaryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPushAt = 0;
  /** Sends are applied one at a time, in arrival order, even when one waits on D1 for mentions. */
  private queue: Promise<unknown> = Promise.resolve();
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  private readonly lastTyping = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    // Rooms created before official messages had actions.
    if (this.sql.exec("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'actions'").toArray().length === 0) {
      this.sql.exec("ALTER TABLE messages ADD COLUMN actions TEXT NOT NULL DEFAULT '[]'");
    }
    this.sql.exec(SEARCH_SCHEMA);
  }

  // ---- identity and membership (the Worker keeps this mirror of D1 up to date) ----

  private bind(ref: RoomRef): void {
    if (this.ref) return;
    this.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('chat_id', ?), ('type', ?)", ref.chatId, ref.type);
    this.ref = ref;
  }

  /**
   * The mirror is filled from D1 the first time the room needs it, so a room whose first membership push
   * from the Worker was lost still knows its members; after that only `setMembers` changes it.
   */
  private async ensureMembers(ref: RoomRef): Promise<void> {
    this.bind(ref);
    if (this.membersLoaded) return;
    if (this.sql.exec("SELECT 1 FROM meta WHERE key = 'members_loaded'").toArray().length > 0) {
      this.membersLoaded = true;
      return;
    }
    const { results } = await this.env.DB.prepare("SELECT user_id, role FROM chat_members WHERE chat_id = ?1")
      .bind(ref.chatId)
      .all<{ user_id: string; role: Role }>();
    // setMembers may have run while D1 answered; what it wrote is newer, so only fill in what is missing.
    if (this.sql.exec("SELECT 1 FROM meta WHERE key = 'members_loaded'").toArray().length === 0) {
      for (const r of results) this.sql.exec("INSERT OR IGNORE INTO members (user_id, role) VALUES (?, ?)", r.user_id, r.role);
      this.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('members_loaded', '1')");
    }
    this.membersLoaded = true;
  }

  private role(userId: string): Role | null {
    const row = this.sql.exec<{ role: string }>("SELECT role FROM members WHERE user_id = ?", userId).toArray()[0];
    return row ? StoredRole.parse(row.role) : null;
  }

  /**
   * Adds, updates or removes members, after the Worker changed them in D1. Removed members' sockets are
   * closed at once. `complete` says the list is the whole membership (a new chat).
   */
  async setMembers(ref: RoomRef, upsert: { userId: string; role: Role }[], remove: string[] = [], complete = false): Promise<void> {
    this.bind(ref);
    if (complete) this.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('members_loaded', '1')");
    else await this.ensureMembers(ref);
    for (const m of upsert) {
      this.sql.exec(
        "INSERT INTO members (user_id, role) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET role = excluded.role",
        m.userId,
        m.role,
      );
    }
    for (const userId of remove) {
      this.sql.exec("DELETE FROM members WHERE user_id = ?", userId);
      for (const ws of this.ctx.getWebSockets(userId)) this.closeQuietly(ws, CLOSE.removed, "removed from chat");
    }
  }

  /** A session was signed out: its sockets here close at once (the device must sign in again). */
  async closeSession(sessionId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets(sessionTag(sessionId))) this.closeQuietly(ws, CLOSE.sessionEnded, "signed out");
  }

  private canPost(type: ChatType, role: Role | null): boolean {
    if (!role) return false;
    if (type === "channel") return role === "owner" || role === "admin";
    // Official chats are the agency's voice; citizens answer through the services (pay, submit, approve).
    if (type === "official") return false;
    return true;
  }

  // ---- the message log ----

  private lastSeq(): number {
    return this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM messages").one().s ?? 0;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Posts over HTTP: like a socket `send`, and the chat summary is in D1 before the answer, so the
   * sender's next chat-list read already shows the message.
   */
  async post(ref: RoomRef, input: PostInput): Promise<RoomResult<{ message: ChatMessage; created: boolean }>> {
    await this.ensureMembers(ref);
    return this.answered(this.append(ref, input));
  }

  /** Waits for a change's summary push (if it made one) before an HTTP caller gets its answer. */
  private async answered<T>(change: Promise<RoomResult<T>>): Promise<RoomResult<T>> {
    const result = await change;
    // The change is stored; if D1 is unreachable the alarm pushes the summary later.
    if (result.ok) await this.flush().catch(() => undefined);
    return result;
  }

  /** Stores a message (or finds the one this sender already stored under this clientId) and fans it out. */
  private append(ref: RoomRef, input: PostInput, origin?: WebSocket): Promise<RoomResult<{ message: ChatMessage; created: boolean }>> {
    this.bind(ref);
    return this.serial(async () => {
      const existing = this.sql
        .exec<MessageRow>("SELECT * FROM messages WHERE sender_id = ? AND client_id = ?", input.senderId, input.clientId)
        .toArray()[0];
      if (existing) return ok({ message: this.toMessage(existing), created: false });

      if (!input.official && !this.canPost(ref.type, this.role(input.senderId))) {
        return refuse(
          403,
          "not_allowed",
          ref.type === "channel"
            ? "Only owners and admins post in a channel."
            : ref.type === "official"
              ? "Official chats are read-only."
              : "You cannot post here.",
        );
      }
      const text = input.text?.trim() ? input.text : null;
      const attachments = input.attachments ?? [];
      if (text === null && attachments.length === 0 && !input.forwardOf) {
        return refuse(400, "empty_message", "A message needs text or attachments.");
      }
      if (input.replyTo !== undefined && input.replyTo > this.lastSeq()) {
        return refuse(400, "invalid_reply", "replyTo must be the seq of a message in this chat.");
      }
      if (input.checkAttachments && attachments.length > 0) {
        const missing = await attachOwnMedia(this.env.DB, input.senderId, ref.chatId, attachments);
        if (missing.length > 0) return refuse(400, "unknown_media", `Not your uploaded media: ${missing.join(", ")}.`);
      }
      const mentions = text ? await this.resolveMentions(text) : [];

      const now = Date.now();
      const row = this.sql
        .exec<MessageRow>(
          `INSERT INTO messages (seq, id, sender_id, client_id, text, attachments, reply_to, forward_of, mentions, actions, created_at)
           VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM messages), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          newId(now),
          input.senderId,
          input.clientId,
          text,
          JSON.stringify(attachments),
          input.replyTo ?? null,
          input.forwardOf ? JSON.stringify(input.forwardOf) : null,
          JSON.stringify(mentions),
          JSON.stringify(input.official?.actions ?? []),
          now,
        )
        .one();
      // The sender has read everything up to their own message.
      this.sql.exec("UPDATE members SET read_seq = ?, read_dirty = 1 WHERE user_id = ? AND read_seq < ?", row.seq, input.senderId, row.seq);
      const message = this.toMessage(row, []);
      if (origin) this.sendTo(origin, { type: "ack", clientId: message.clientId, seq: message.seq });
      this.broadcast({ type: "message", message });
      this.summaryChanged();
      return ok({ message, created: true });
    });
  }

  /** Resolves @usernames to the ids of members of this chat. */
  private async resolveMentions(text: string): Promise<string[]> {
    const names = extractMentions(text);
    if (names.length === 0) return [];
    const placeholders = names.map(() => "?").join(",");
    const { results } = await this.env.DB.prepare(`SELECT id FROM users WHERE username IN (${placeholders})`)
      .bind(...names)
      .all<{ id: string }>();
    return results.map((r) => r.id).filter((id) => this.role(id) !== null);
  }

  getMessage(ref: RoomRef, seq: number): RoomResult<ChatMessage> {
    this.bind(ref);
    const row = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq = ?", seq).toArray()[0];
    return row ? ok(this.toMessage(row)) : NO_MESSAGE;
  }

  /** Ascending by seq. `after`/`before` are exclusive; without `after` the page is the latest before `before`. */
  history(ref: RoomRef, q: { after?: number; before?: number; limit: number }): ChatMessage[] {
    this.bind(ref);
    const before = q.before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      q.after !== undefined
        ? this.sql
            .exec<MessageRow>("SELECT * FROM messages WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?", q.after, before, q.limit)
            .toArray()
        : this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, q.limit).toArray().reverse();
    return this.toMessages(rows);
  }

  /** Edits over HTTP; like post, the chat summary is in D1 before the answer. */
  async edit(ref: RoomRef, userId: string, seq: number, text: string): Promise<RoomResult<ChatMessage>> {
    await this.ensureMembers(ref);
    return this.answered(
      this.serial(async (): Promise<RoomResult<ChatMessage>> => {
        const row = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq = ?", seq).toArray()[0];
        if (!row) return NO_MESSAGE;
        if (row.sender_id !== userId) return refuse(403, "not_sender", "Only the sender can edit a message.");
        if (row.deleted_at !== null) return refuse(409, "message_deleted", "The message was deleted.");
        if (!text.trim() && JSON.parse(row.attachments).length === 0)
          return refuse(400, "empty_message", "A message needs text or attachments.");
        const mentions = await this.resolveMentions(text);
        const updated = this.sql
          .exec<MessageRow>(
            "UPDATE messages SET text = ?, mentions = ?, edited_at = ? WHERE seq = ? RETURNING *",
            text.trim() ? text : null,
            JSON.stringify(mentions),
            Date.now(),
            seq,
          )
          .one();
        const message = this.toMessage(updated);
        this.broadcast({ type: "edited", message });
        if (seq === this.lastSeq()) this.summaryChanged();
        return ok(message);
      }),
    );
  }

  /** Deletes for everyone: the message stays as a tombstone with no content. */
  /** Deletes over HTTP; like post, the chat summary is in D1 before the answer. */
  async remove(ref: RoomRef, userId: string, seq: number): Promise<RoomResult<null>> {
    await this.ensureMembers(ref);
    return this.answered(
      this.serial(async (): Promise<RoomResult<null>> => {
        const row = this.sql.exec<MessageRow>("SELECT sender_id, deleted_at FROM messages WHERE seq = ?", seq).toArray()[0];
        if (!row) return NO_MESSAGE;
        const role = this.role(userId);
        const moderator = ref.type !== "direct" && (role === "owner" || role === "admin");
        if (row.sender_id !== userId && !moderator)
          return refuse(403, "not_sender", "Only the sender or a chat admin can delete a message.");
        if (row.deleted_at !== null) return ok(null);
        this.sql.exec(
          `UPDATE messages SET text = NULL, attachments = '[]', forward_of = NULL, mentions = '[]', pinned_at = NULL, deleted_at = ?
         WHERE seq = ?`,
          Date.now(),
          seq,
        );
        this.sql.exec("DELETE FROM reactions WHERE seq = ?", seq);
        this.broadcast({ type: "deleted", seq });
        if (seq === this.lastSeq()) this.summaryChanged();
        return ok(null);
      }),
    );
  }

  async react(ref: RoomRef, userId: string, seq: number, emoji: string, on: boolean): Promise<RoomResult<null>> {
    await this.ensureMembers(ref);
    const row = this.sql.exec<{ deleted_at: number | null }>("SELECT deleted_at FROM messages WHERE seq = ?", seq).toArray()[0];
    if (!row) return NO_MESSAGE;
    if (row.deleted_at !== null) return refuse(409, "message_deleted", "The message was deleted.");
    const cursor = on
      ? this.sql.exec(
          "INSERT OR IGNORE INTO reactions (seq, emoji, user_id, created_at) VALUES (?, ?, ?, ?)",
          seq,
          emoji,
          userId,
          Date.now(),
        )
      : this.sql.exec("DELETE FROM reactions WHERE seq = ? AND emoji = ? AND user_id = ?", seq, emoji, userId);
    if (cursor.rowsWritten > 0) this.broadcast({ type: "reaction", seq, emoji, userId, on });
    return ok(null);
  }

  async pin(ref: RoomRef, userId: string, seq: number, on: boolean): Promise<RoomResult<null>> {
    await this.ensureMembers(ref);
    const role = this.role(userId);
    if (ref.type !== "direct" && role !== "owner" && role !== "admin")
      return refuse(403, "not_allowed", "Only owners and admins pin messages.");
    const row = this.sql.exec<{ deleted_at: number | null }>("SELECT deleted_at FROM messages WHERE seq = ?", seq).toArray()[0];
    if (!row) return NO_MESSAGE;
    if (row.deleted_at !== null) return refuse(409, "message_deleted", "The message was deleted.");
    const cursor = on
      ? this.sql.exec("UPDATE messages SET pinned_at = ? WHERE seq = ? AND pinned_at IS NULL", Date.now(), seq)
      : this.sql.exec("UPDATE messages SET pinned_at = NULL WHERE seq = ? AND pinned_at IS NOT NULL", seq);
    if (cursor.rowsWritten > 0) this.broadcast({ type: "pinned", seq, on });
    return ok(null);
  }

  pins(ref: RoomRef): ChatMessage[] {
    this.bind(ref);
    return this.toMessages(this.sql.exec<MessageRow>("SELECT * FROM messages WHERE pinned_at IS NOT NULL ORDER BY seq").toArray());
  }

  /** Full-text search, newest first. Words match by prefix, so Russian word forms are found from their stem. */
  search(ref: RoomRef, q: string, limit: number): ChatMessage[] {
    this.bind(ref);
    const match = ftsQuery(q);
    if (!match) return [];
    const rows = this.sql
      .exec<MessageRow>(
        `SELECT m.* FROM messages_fts f JOIN messages m ON m.seq = f.rowid
         WHERE messages_fts MATCH ? AND m.deleted_at IS NULL ORDER BY m.seq DESC LIMIT ?`,
        match,
        limit,
      )
      .toArray();
    return this.toMessages(rows);
  }

  /** Moves a member's read marker forward (never back) and tells the chat and the reader's other devices. */
  async read(ref: RoomRef, userId: string, seq: number): Promise<RoomResult<{ seq: number }>> {
    await this.ensureMembers(ref);
    return this.markRead(userId, seq);
  }

  private async markRead(userId: string, seq: number): Promise<RoomResult<{ seq: number }>> {
    if (!this.role(userId)) return refuse(404, "not_found", "No such chat, or you may not see it.");
    const target = Math.min(seq, this.lastSeq());
    const moved = this.sql.exec(
      "UPDATE members SET read_seq = ?, read_dirty = 1 WHERE user_id = ? AND read_seq < ?",
      target,
      userId,
      target,
    );
    if (moved.rowsWritten > 0) {
      this.broadcast({ type: "read", userId, seq: target });
      // The marker is stored here; if D1 is unreachable the alarm pushes it later.
      await this.flush().catch(() => undefined);
    }
    return ok({ seq: target });
  }

  readMarkers(ref: RoomRef): Record<string, number> {
    this.bind(ref);
    const markers: Record<string, number> = {};
    for (const r of this.sql.exec<{ user_id: string; read_seq: number }>("SELECT user_id, read_seq FROM members"))
      markers[r.user_id] = r.read_seq;
    return markers;
  }

  // ---- rendering ----

  private toMessage(row: MessageRow, reactions?: ChatMessage["reactions"]): ChatMessage {
    return {
      id: row.id,
      chatId: this.ref?.chatId ?? this.storedRef().chatId,
      seq: row.seq,
      senderId: row.sender_id,
      clientId: row.client_id,
      text: row.text,
      attachments: StringList.parse(JSON.parse(row.attachments)),
      replyTo: row.reply_to,
      forwardOf: ForwardOf.parse(row.forward_of === null ? null : JSON.parse(row.forward_of)),
      mentions: StringList.parse(JSON.parse(row.mentions)),
      actions: Actions.parse(JSON.parse(row.actions)),
      reactions: reactions ?? this.reactionsFor(row.seq, row.seq).get(row.seq) ?? [],
      pinned: row.pinned_at !== null,
      createdAt: iso(row.created_at),
      editedAt: isoOrNull(row.edited_at),
      deletedAt: isoOrNull(row.deleted_at),
    };
  }

  private toMessages(rows: MessageRow[]): ChatMessage[] {
    if (rows.length === 0) return [];
    const seqs = rows.map((r) => r.seq);
    const reactions = this.reactionsFor(Math.min(...seqs), Math.max(...seqs));
    return rows.map((r) => this.toMessage(r, reactions.get(r.seq) ?? []));
  }

  private reactionsFor(from: number, to: number): Map<number, ChatMessage["reactions"]> {
    const bySeq = new Map<number, Map<string, string[]>>();
    const rows = this.sql.exec<{ seq: number; emoji: string; user_id: string }>(
      "SELECT seq, emoji, user_id FROM reactions WHERE seq BETWEEN ? AND ? ORDER BY created_at",
      from,
      to,
    );
    for (const r of rows) {
      const emojis = bySeq.get(r.seq) ?? new Map<string, string[]>();
      bySeq.set(r.seq, emojis);
      emojis.set(r.emoji, [...(emojis.get(r.emoji) ?? []), r.user_id]);
    }
    const out = new Map<number, ChatMessage["reactions"]>();
    for (const [seq, emojis] of bySeq)
      out.set(
        seq,
        [...emojis].map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds })),
      );
    return out;
  }

  private storedRef(): RoomRef {
    const rows = this.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('chat_id', 'type')").toArray();
    const get = (k: string) => rows.find((r) => r.key === k)?.value;
    const chatId = get("chat_id");
    const type = get("type");
    if (!chatId || !type) throw new Error("room used before it was bound to a chat");
    this.ref = { chatId, type: StoredChatType.parse(type) };
    return this.ref;
  }

  // ---- sockets ----

  /** The Worker has authenticated the user and checked membership; it forwards the upgrade with the identity. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const upgrade = UpgradeHeaders.safeParse(Object.fromEntries(request.headers));
    if (!upgrade.success) return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    const {
      "x-veche-user": userId,
      "x-veche-chat": chatId,
      "x-veche-chat-type": type,
      "x-veche-batch": batch,
      "x-veche-session": sessionId,
    } = upgrade.data;
    await this.ensureMembers({ chatId, type });
    // The mirror decides, so a removal that raced this connect cannot leave a socket open.
    if (!this.role(userId)) return new Response("not a member", { status: 404 });

    // Frames already stored but not yet fanned out would reach the new socket twice: once in the replay,
    // once in the fan-out. Send them to the current sockets first.
    this.fanOut();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, batch ? [userId, sessionTag(sessionId), BATCH_TAG] : [userId, sessionTag(sessionId)]);
    server.serializeAttachment({ userId, connectedAt: Date.now() } satisfies SocketAttachment);

    // Replay the gap before anything live: this runs without yielding, so no broadcast can slip in between.
    const after = AfterParam.safeParse(url.searchParams.get("after") ?? undefined);
    if (!after.success) return new Response("bad after", { status: 400 });
    if (after.data !== undefined) {
      const rows = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq > ? ORDER BY seq", after.data).toArray();
      for (let i = 0; i < rows.length; i += 200) {
        const frames = this.toMessages(rows.slice(i, i + 200)).map((message): RoomFrame => ({ type: "message", message }));
        if (batch) server.send(JSON.stringify(frames));
        else for (const frame of frames) this.sendTo(server, frame);
      }
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    try {
      const attachment = SocketAttachment.safeParse(ws.deserializeAttachment());
      if (!attachment.success) {
        this.closeQuietly(ws, CLOSE.internal, "lost socket identity; reconnect");
        return;
      }
      const { userId } = attachment.data;
      if (typeof data !== "string") return this.sendTo(ws, { type: "error", code: "unsupported_frame", detail: "Frames are JSON text." });
      if (data.length > MAX_FRAME_BYTES)
        return this.sendTo(ws, { type: "error", code: "frame_too_large", detail: `Frames are limited to ${MAX_FRAME_BYTES} bytes.` });
      let raw: unknown;
      try {
        raw = JSON.parse(data);
      } catch {
        return this.sendTo(ws, { type: "error", code: "malformed_json", detail: "The frame is not valid JSON." });
      }
      const frame = ClientFrame.safeParse(raw);
      if (!frame.success) {
        const detail = frame.error.issues.map((i) => `${i.path.join(".") || "frame"}: ${i.message}`).join("; ");
        return this.sendTo(ws, { type: "error", code: "invalid_frame", detail });
      }
      const ref = this.ref ?? this.storedRef();
      switch (frame.data.type) {
        case "send": {
          const { clientId, text, attachments, replyTo } = frame.data;
          const result = await this.append(ref, { senderId: userId, clientId, text, attachments, replyTo, checkAttachments: true }, ws);
          // The refusal names the send it refuses, so the client can mark that message failed.
          if (!result.ok) this.sendTo(ws, { type: "error", code: result.code, detail: result.detail, clientId });
          // A retried clientId: acknowledge again with the stored seq; the message itself was already delivered.
          else if (!result.value.created) this.sendTo(ws, { type: "ack", clientId, seq: result.value.message.seq });
          return;
        }
        case "read": {
          const result = await this.markRead(userId, frame.data.seq);
          if (!result.ok) this.sendTo(ws, { type: "error", code: result.code, detail: result.detail });
          return;
        }
        case "typing": {
          const now = Date.now();
          if (now - (this.lastTyping.get(userId) ?? 0) < TYPING_INTERVAL_MS || !this.canPost(ref.type, this.role(userId))) return;
          this.lastTyping.set(userId, now);
          this.relay({ type: "typing", userId }, ws);
          return;
        }
      }
    } catch (err) {
      log.error("room socket message failed", { chatId: this.ref?.chatId, ...errorFields(err) });
      this.sendTo(ws, { type: "error", code: "internal_error", detail: "The frame could not be processed; try again." });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Reciprocate, so the client sees a clean close.
    this.closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("room socket error", { chatId: this.ref?.chatId, ...errorFields(error) });
    this.closeQuietly(ws, CLOSE.internal, "socket error");
  }

  private sendTo(ws: WebSocket, frame: RoomFrame): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // The socket is closing; its client will reconnect with ?after and miss nothing.
    }
  }

  /**
   * Queues a frame for every socket; the queue goes out on the next turn of the event loop. workerd spends
   * far more per WebSocket send than per byte, and frames that arrived while the last fan-out was being
   * written are handled before the timer fires, so under load each socket that takes batches gets many
   * frames in one send. When the room is quiet a batch is one frame, one timer tick late.
   */
  private broadcast(frame: RoomFrame): void {
    this.outbox.push(JSON.stringify(frame));
    if (this.outboxTimer) return;
    this.outboxTimer = setTimeout(() => this.fanOut(), 0);
  }

  /** Sends the queued frames: each encoded once; one send per socket for sockets that take batches. */
  private fanOut(): void {
    if (this.outboxTimer) clearTimeout(this.outboxTimer);
    this.outboxTimer = null;
    if (this.outbox.length === 0) return;
    const frames = this.outbox;
    this.outbox = [];
    const batched = frames.length === 1 ? frames[0] : `[${frames.join(",")}]`;
    const takesBatches = frames.length === 1 ? null : new Set(this.ctx.getWebSockets(BATCH_TAG));
    for (const ws of this.ctx.getWebSockets()) {
      try {
        if (!takesBatches || takesBatches.has(ws)) ws.send(batched as string);
        else for (const f of frames) ws.send(f);
      } catch {
        // as in sendTo
      }
    }
  }

  /** Sends an ephemeral frame (typing) at once to every socket but one. */
  private relay(frame: RoomFrame, except: WebSocket): void {
    const data = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except) continue;
      try {
        ws.send(data);
      } catch {
        // as in sendTo
      }
    }
  }

  private closeQuietly(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }

  // ---- the chat summary in D1 and members' inboxes ----

  /**
   * Marks the summary (last message, read markers) as needing a push to D1 and starts one. Pushes coalesce:
   * while one is in flight, later changes ride on the next. The persisted flag and the alarm make sure a
   * push that fails, or a room evicted mid-push, still gets its summary out.
   */
  private summaryChanged(): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('summary_dirty', '1') ON CONFLICT (key) DO UPDATE SET value = '1'");
    // At most one push per interval: a quiet room pushes at once (after its fan-out), a busy one coalesces.
    // HTTP callers await flush() themselves, so their next read sees their change.
    if (this.summaryTimer) return;
    const wait = Math.max(0, this.lastPushAt + SUMMARY_INTERVAL_MS - Date.now());
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      void this.flush().catch(() => undefined);
    }, wait);
  }

  private flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.flushAgain = false;
          await this.pushSummary();
        } while (this.flushAgain);
      } catch (err) {
        log.warn("chat summary push failed; will retry", { chatId: this.ref?.chatId, ...errorFields(err) });
        await this.ctx.storage.setAlarm(Date.now() + FLUSH_RETRY_MS);
        throw err;
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  override async alarm(): Promise<void> {
    await this.flush();
  }

  private async pushSummary(): Promise<void> {
    const ref = this.ref ?? this.storedRef();
    const dirty = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'summary_dirty'").toArray()[0]?.value === "1";
    const readers = this.sql
      .exec<{ user_id: string; read_seq: number }>("SELECT user_id, read_seq FROM members WHERE read_dirty = 1")
      .toArray();
    if (!dirty && readers.length === 0) return;
    this.lastPushAt = Date.now();
    this.sql.exec("UPDATE meta SET value = '0' WHERE key = 'summary_dirty'");

    const statements: D1PreparedStatement[] = [];
    if (dirty) {
      const last = this.sql.exec<MessageRow>("SELECT * FROM messages ORDER BY seq DESC LIMIT 1").toArray()[0];
      if (last) {
        statements.push(
          this.env.DB.prepare(
            "UPDATE chats SET last_seq = ?2, last_message = ?3, last_activity_at = MAX(last_activity_at, ?4) WHERE id = ?1",
          ).bind(ref.chatId, last.seq, JSON.stringify(this.toMessage(last)), last.created_at),
        );
      }
    }
    for (const r of readers) {
      statements.push(
        this.env.DB.prepare("UPDATE chat_members SET read_seq = MAX(read_seq, ?3) WHERE chat_id = ?1 AND user_id = ?2").bind(
          ref.chatId,
          r.user_id,
          r.read_seq,
        ),
      );
    }
    // Live chat-list updates go only to users with an inbox open: members, for a new message; readers,
    // for their own read marker. A large channel's new posts are not pushed to subscribers (that would
    // cost one call per online subscriber per push); they pull the list or watch the channel's own socket.
    const pokeMembers =
      dirty &&
      (ref.type !== "channel" ||
        (this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members").toArray()[0]?.n ?? 0) <= CHANNEL_LIVE_LIST_LIMIT);
    const readerIds = readers.slice(0, 90).map((r) => r.user_id);
    if (pokeMembers || readerIds.length > 0) {
      statements.push(
        pokeMembers
          ? this.env.DB.prepare(
              "SELECT m.user_id FROM chat_members m JOIN users u ON u.id = m.user_id WHERE m.chat_id = ?1 AND u.online = 1",
            ).bind(ref.chatId)
          : this.env.DB.prepare(`SELECT id AS user_id FROM users WHERE online = 1 AND id IN (${readerIds.map(() => "?").join(",")})`).bind(
              ...readerIds,
            ),
      );
    }
    let online: string[] = [];
    try {
      const results = await this.env.DB.batch<{ user_id: string }>(statements);
      if (pokeMembers || readerIds.length > 0) online = (results.at(-1)?.results ?? []).map((r) => r.user_id);
    } catch (err) {
      if (dirty) this.sql.exec("UPDATE meta SET value = '1' WHERE key = 'summary_dirty'");
      throw err;
    }
    for (const r of readers) this.sql.exec("UPDATE members SET read_dirty = 0 WHERE user_id = ? AND read_seq = ?", r.user_id, r.read_seq);

    await Promise.allSettled(online.map((userId) => this.env.INBOX.get(this.env.INBOX.idFromName(userId)).chatChanged(userId, ref.chatId)));
  }
}
