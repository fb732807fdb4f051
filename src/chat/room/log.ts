// A chat's message log over the room's SQLite: messages numbered by seq, reactions, pins, tombstones and
// the full-text index. Plain functions of storage; the room decides who may do what (../policy.ts).
import * as z from "zod";
import { iso, isoOrNull } from "../../lib/hono";
import { newId } from "../../lib/ids";
import { CallRecord, type ChatMessage, MessageAction } from "../protocol";
import type { Envelope } from "./secret";

const StringList = z.array(z.string());
const Actions = z.array(MessageAction);
const ForwardOf = z.object({ chatId: z.string(), seq: z.number().int(), senderId: z.string() }).nullable();

export interface MessageRow extends Record<string, SqlStorageValue> {
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
  /** A call message's record (JSON), null for every other message. */
  call: string | null;
  pinned_at: number | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  /** Secret chats: JSON of the message's envelope (ciphertext, mls, epoch, to, devices, franking). */
  envelope: string | null;
  /** Secret chats: the server's franking tag (hex), never served. */
  server_tag: string | null;
  /** Disappearing messages: when the room deletes it. */
  expires_at: number | null;
}

/**
 * What search indexes: the text with ё folded to е, as Russian readers treat them as one letter (unicode61's
 * remove_diacritics leaves Cyrillic alone). A generated column, so the index and its content table agree.
 */
const SEARCH_TEXT = "replace(replace(text, 'ё', 'е'), 'Ё', 'Е')";

const SCHEMA = `
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
  call TEXT,
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

export interface NewMessage {
  envelope?: Envelope | null;
  serverTag?: string | null;
  expiresAt?: number | null;
  senderId: string;
  clientId: string;
  text: string | null;
  attachments: string[];
  replyTo: number | null;
  forwardOf: { chatId: string; seq: number; senderId: string } | null;
  mentions: string[];
  actions: MessageAction[];
  call: CallRecord | null;
}

export class MessageLog {
  private last: number;

  constructor(
    private readonly sql: SqlStorage,
    private readonly chatId: () => string,
    /** A channel's: reactions are counts, and `userIds` lists only the reader (a subscriber sees no one else). */
    private readonly countsOnly: () => boolean = () => false,
  ) {
    sql.exec(SCHEMA);
    // Rooms created before official messages had actions.
    if (sql.exec("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'actions'").toArray().length === 0) {
      sql.exec("ALTER TABLE messages ADD COLUMN actions TEXT NOT NULL DEFAULT '[]'");
    }
    // Secret chats (room/secret.ts): added to every room's table, null outside secret chats.
    const columns = new Set(
      sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('messages')")
        .toArray()
        .map((c) => c.name),
    );
    // Rooms created before calls.
    if (!columns.has("call")) sql.exec("ALTER TABLE messages ADD COLUMN call TEXT");
    if (!columns.has("envelope")) sql.exec("ALTER TABLE messages ADD COLUMN envelope TEXT");
    if (!columns.has("server_tag")) sql.exec("ALTER TABLE messages ADD COLUMN server_tag TEXT");
    if (!columns.has("expires_at")) sql.exec("ALTER TABLE messages ADD COLUMN expires_at INTEGER");
    sql.exec("CREATE INDEX IF NOT EXISTS messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL");
    sql.exec(SEARCH_SCHEMA);
    this.last = sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM messages").one().s ?? 0;
  }

  lastSeq(): number {
    return this.last;
  }

  isEmpty(): boolean {
    return this.last === 0;
  }

  row(seq: number): MessageRow | undefined {
    return this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq = ?", seq).toArray()[0];
  }

  byClientId(senderId: string, clientId: string): MessageRow | undefined {
    return this.sql.exec<MessageRow>("SELECT * FROM messages WHERE sender_id = ? AND client_id = ?", senderId, clientId).toArray()[0];
  }

  lastRow(): MessageRow | undefined {
    return this.sql.exec<MessageRow>("SELECT * FROM messages ORDER BY seq DESC LIMIT 1").toArray()[0];
  }

  /** Stores a message under the next seq, which the INSERT itself assigns. */
  append(m: NewMessage, now = Date.now()): ChatMessage {
    const row = this.sql
      .exec<MessageRow>(
        `INSERT INTO messages (seq, id, sender_id, client_id, text, attachments, reply_to, forward_of, mentions, actions, call, created_at, envelope, server_tag, expires_at)
         VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM messages), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        newId(now),
        m.senderId,
        m.clientId,
        m.text,
        JSON.stringify(m.attachments),
        m.replyTo,
        m.forwardOf ? JSON.stringify(m.forwardOf) : null,
        JSON.stringify(m.mentions),
        JSON.stringify(m.actions),
        m.call ? JSON.stringify(m.call) : null,
        now,
        m.envelope ? JSON.stringify(m.envelope) : null,
        m.serverTag ?? null,
        m.expiresAt ?? null,
      )
      .one();
    this.last = row.seq;
    return this.toMessage(row, []);
  }

  edit(seq: number, text: string | null, mentions: string[], now = Date.now()): ChatMessage {
    const row = this.sql
      .exec<MessageRow>(
        "UPDATE messages SET text = ?, mentions = ?, edited_at = ? WHERE seq = ? RETURNING *",
        text,
        JSON.stringify(mentions),
        now,
        seq,
      )
      .one();
    return this.toMessage(row);
  }

  /** Replaces an official message's buttons (their live state); the text and `editedAt` stay as the agency wrote them. */
  setActions(seq: number, actions: MessageAction[]): ChatMessage {
    const row = this.sql.exec<MessageRow>("UPDATE messages SET actions = ? WHERE seq = ? RETURNING *", JSON.stringify(actions), seq).one();
    return this.toMessage(row);
  }

  /**
   * The live messages of this sender with a button of this type acting on `ref`. Only official chats call
   * it: one citizen and one agency, so the scan over the sender's messages stays small.
   */
  withAction(senderId: string, type: MessageAction["type"], ref: string): MessageRow[] {
    return this.sql
      .exec<MessageRow>(
        `SELECT m.* FROM messages m WHERE m.sender_id = ? AND m.deleted_at IS NULL AND EXISTS (
           SELECT 1 FROM json_each(m.actions) a WHERE json_extract(a.value, '$.type') = ? AND json_extract(a.value, '$.ref') = ?)
         ORDER BY m.seq`,
        senderId,
        type,
        ref,
      )
      .toArray();
  }

  actionsOf(row: MessageRow): MessageAction[] {
    return Actions.parse(JSON.parse(row.actions));
  }

  /** Deletes for everyone: the message stays as a tombstone with no content, and its reactions go. */
  tombstone(seq: number, now = Date.now()): ChatMessage {
    const row = this.sql
      .exec<MessageRow>(
        `UPDATE messages SET text = NULL, attachments = '[]', forward_of = NULL, mentions = '[]', call = NULL, pinned_at = NULL, deleted_at = ?,
           envelope = NULL, server_tag = NULL, expires_at = NULL
         WHERE seq = ? RETURNING *`,
        now,
        seq,
      )
      .one();
    this.sql.exec("DELETE FROM reactions WHERE seq = ?", seq);
    return this.toMessage(row, []);
  }

  /** Adds or takes back a reaction; answers whether anything changed. */
  react(seq: number, emoji: string, userId: string, on: boolean, now = Date.now()): boolean {
    const cursor = on
      ? this.sql.exec("INSERT OR IGNORE INTO reactions (seq, emoji, user_id, created_at) VALUES (?, ?, ?, ?)", seq, emoji, userId, now)
      : this.sql.exec("DELETE FROM reactions WHERE seq = ? AND emoji = ? AND user_id = ?", seq, emoji, userId);
    return cursor.rowsWritten > 0;
  }

  /** Pins or unpins; answers whether anything changed. */
  pin(seq: number, on: boolean, now = Date.now()): boolean {
    const cursor = on
      ? this.sql.exec("UPDATE messages SET pinned_at = ? WHERE seq = ? AND pinned_at IS NULL", now, seq)
      : this.sql.exec("UPDATE messages SET pinned_at = NULL WHERE seq = ? AND pinned_at IS NOT NULL", seq);
    return cursor.rowsWritten > 0;
  }

  /** Whether a message of this chat that is not deleted carries this media. */
  carries(mediaId: string): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM messages m, json_each(m.attachments) a WHERE m.deleted_at IS NULL AND a.value = ? LIMIT 1", mediaId)
        .toArray().length > 0
    );
  }

  /** Ascending by seq. `after`/`before` are exclusive; without `after` the page is the latest before `before`. */
  history(q: { after?: number; before?: number; limit: number }, viewer?: string): ChatMessage[] {
    const before = q.before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      q.after !== undefined
        ? this.sql
            .exec<MessageRow>("SELECT * FROM messages WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?", q.after, before, q.limit)
            .toArray()
        : this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, q.limit).toArray().reverse();
    return this.toMessages(rows, viewer);
  }

  pins(viewer?: string): ChatMessage[] {
    return this.toMessages(this.sql.exec<MessageRow>("SELECT * FROM messages WHERE pinned_at IS NOT NULL ORDER BY seq").toArray(), viewer);
  }

  /** Full-text search, newest first (`match` is an FTS5 query built by ftsQuery). */
  search(match: string, limit: number, viewer?: string): ChatMessage[] {
    const rows = this.sql
      .exec<MessageRow>(
        `SELECT m.* FROM messages_fts f JOIN messages m ON m.seq = f.rowid
         WHERE messages_fts MATCH ? AND m.deleted_at IS NULL ORDER BY m.seq DESC LIMIT ?`,
        match,
        limit,
      )
      .toArray();
    return this.toMessages(rows, viewer);
  }

  /** Disappearing messages due by `now`, oldest first. */
  expired(now: number, limit = 500): number[] {
    return this.sql
      .exec<{ seq: number }>(
        "SELECT seq FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => r.seq);
  }

  /** When the next disappearing message is due, or null. */
  nextExpiry(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM messages WHERE expires_at IS NOT NULL").one().at;
  }

  /** `viewer`: who reads it (in a channel, the only one `userIds` may name). */
  toMessage(row: MessageRow, reactions?: ChatMessage["reactions"], viewer?: string): ChatMessage {
    const e = row.envelope === null ? null : (JSON.parse(row.envelope) as Envelope);
    // Only the envelope's own fields, whatever else the stored JSON might hold.
    const envelope = e
      ? {
          ciphertext: e.ciphertext,
          mls: e.mls,
          epoch: e.epoch,
          ...(e.to ? { to: e.to } : {}),
          ...(e.devices ? { devices: e.devices } : {}),
          ...(e.franking ? { franking: e.franking } : {}),
        }
      : {};
    return {
      id: row.id,
      chatId: this.chatId(),
      seq: row.seq,
      senderId: row.sender_id,
      clientId: row.client_id,
      text: row.text,
      attachments: StringList.parse(JSON.parse(row.attachments)),
      replyTo: row.reply_to,
      forwardOf: ForwardOf.parse(row.forward_of === null ? null : JSON.parse(row.forward_of)),
      mentions: StringList.parse(JSON.parse(row.mentions)),
      actions: Actions.parse(JSON.parse(row.actions)),
      reactions: reactions ?? this.reactionsFor(row.seq, row.seq, viewer).get(row.seq) ?? [],
      pinned: row.pinned_at !== null,
      createdAt: iso(row.created_at),
      editedAt: isoOrNull(row.edited_at),
      deletedAt: isoOrNull(row.deleted_at),
      // Only call messages carry it, so every other message keeps its v1 shape.
      ...(row.call ? { call: CallRecord.parse(JSON.parse(row.call)) } : {}),
      ...envelope,
      ...(row.expires_at !== null ? { expiresAt: iso(row.expires_at) } : {}),
    };
  }

  toMessages(rows: MessageRow[], viewer?: string): ChatMessage[] {
    if (rows.length === 0) return [];
    const seqs = rows.map((r) => r.seq);
    const reactions = this.reactionsFor(Math.min(...seqs), Math.max(...seqs), viewer);
    return rows.map((r) => this.toMessage(r, reactions.get(r.seq) ?? []));
  }

  private reactionsFor(from: number, to: number, viewer?: string): Map<number, ChatMessage["reactions"]> {
    if (this.countsOnly()) return this.reactionCounts(from, to, viewer);
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

  /** Counted in SQL: a channel's post may have a reaction from every one of a million subscribers. */
  private reactionCounts(from: number, to: number, viewer?: string): Map<number, ChatMessage["reactions"]> {
    const out = new Map<number, ChatMessage["reactions"]>();
    const rows = this.sql.exec<{ seq: number; emoji: string; n: number; mine: number }>(
      `SELECT seq, emoji, COUNT(*) AS n, SUM(user_id = ?) AS mine FROM reactions
       WHERE seq BETWEEN ? AND ? GROUP BY seq, emoji ORDER BY seq, MIN(created_at)`,
      viewer ?? "",
      from,
      to,
    );
    for (const r of rows) {
      const list = out.get(r.seq) ?? [];
      out.set(r.seq, list);
      list.push({ emoji: r.emoji, count: r.n, userIds: viewer && r.mine > 0 ? [viewer] : [] });
    }
    return out;
  }
}
