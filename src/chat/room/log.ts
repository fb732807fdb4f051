// A chat's message log over the room's SQLite: messages numbered by seq, reactions, pins, tombstones and
// the full-text index. Plain functions of storage; the room decides who may do what (../policy.ts).
import * as z from "zod";
import { iso, isoOrNull } from "../../lib/hono";
import { newId } from "../../lib/ids";
import { type ChatMessage, MessageAction } from "../protocol";

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

export interface NewMessage {
  senderId: string;
  clientId: string;
  text: string | null;
  attachments: string[];
  replyTo: number | null;
  forwardOf: { chatId: string; seq: number; senderId: string } | null;
  mentions: string[];
  actions: MessageAction[];
}

export class MessageLog {
  private last: number;

  constructor(
    private readonly sql: SqlStorage,
    private readonly chatId: () => string,
  ) {
    sql.exec(SCHEMA);
    // Rooms created before official messages had actions.
    if (sql.exec("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'actions'").toArray().length === 0) {
      sql.exec("ALTER TABLE messages ADD COLUMN actions TEXT NOT NULL DEFAULT '[]'");
    }
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
        `INSERT INTO messages (seq, id, sender_id, client_id, text, attachments, reply_to, forward_of, mentions, actions, created_at)
         VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM messages), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        newId(now),
        m.senderId,
        m.clientId,
        m.text,
        JSON.stringify(m.attachments),
        m.replyTo,
        m.forwardOf ? JSON.stringify(m.forwardOf) : null,
        JSON.stringify(m.mentions),
        JSON.stringify(m.actions),
        now,
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
        `UPDATE messages SET text = NULL, attachments = '[]', forward_of = NULL, mentions = '[]', pinned_at = NULL, deleted_at = ?
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
  history(q: { after?: number; before?: number; limit: number }): ChatMessage[] {
    const before = q.before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      q.after !== undefined
        ? this.sql
            .exec<MessageRow>("SELECT * FROM messages WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?", q.after, before, q.limit)
            .toArray()
        : this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, q.limit).toArray().reverse();
    return this.toMessages(rows);
  }

  pins(): ChatMessage[] {
    return this.toMessages(this.sql.exec<MessageRow>("SELECT * FROM messages WHERE pinned_at IS NOT NULL ORDER BY seq").toArray());
  }

  /** Full-text search, newest first (`match` is an FTS5 query built by ftsQuery). */
  search(match: string, limit: number): ChatMessage[] {
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

  toMessage(row: MessageRow, reactions?: ChatMessage["reactions"]): ChatMessage {
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
      reactions: reactions ?? this.reactionsFor(row.seq, row.seq).get(row.seq) ?? [],
      pinned: row.pinned_at !== null,
      createdAt: iso(row.created_at),
      editedAt: isoOrNull(row.edited_at),
      deletedAt: isoOrNull(row.deleted_at),
    };
  }

  toMessages(rows: MessageRow[]): ChatMessage[] {
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
}
