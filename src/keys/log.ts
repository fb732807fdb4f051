// Each user's key log in D1: every device key they published or revoked, one hash chain per user
// (src/keys/chain.ts), append-only (the triggers of migrations/0013 refuse edits, deletions and broken links).
//
// Concurrency is the access log's (src/audit/log.ts): an append reads the head, hashes the new entries onto
// it and INSERTs them with explicit seqs in the same batch as the change they record. A writer that lost the
// race collides on (user_id, seq), its whole batch rolls back, and withKeyLog runs it again from a fresh head.
// Every change of a device's keys appends to the log in its batch, so the head also versions the user's key
// state: what a writer read after reading the head is current unless its batch collides.

import type { ChainHead } from "../audit/log";
import { ApiError } from "../lib/errors";
import { GENESIS_HASH, type KeyLogEntry, keyEntryHash, type PublicJwk, type UnhashedKeyEntry } from "./chain";

export type NewKeyEntry = Pick<KeyLogEntry, "deviceId" | "action" | "use" | "key">;

/** The last entry of a user's chain, or the genesis (seq 0). */
export async function readKeyHead(db: D1Database, userId: string): Promise<ChainHead> {
  const row = await db
    .prepare("SELECT seq, hash, at FROM key_log WHERE user_id = ?1 ORDER BY seq DESC LIMIT 1")
    .bind(userId)
    .first<{ seq: number; hash: string; at: string }>();
  return row ?? { seq: 0, hash: GENESIS_HASH, at: null };
}

const storedKey = (key: string | PublicJwk): string => (typeof key === "string" ? key : JSON.stringify(key));

/** One attempt's plan: the caller's statements and the entries to append, from state read after `head`. */
export interface KeyChange {
  entries: NewKeyEntry[];
  statements: D1PreparedStatement[];
  /**
   * When set, the entries are written only while this session is live (checked inside the batch), so a key
   * published by a device that is being signed out never lands after its revocation.
   */
  whileSessionLive?: string;
}

export interface KeyChangeResult {
  results: D1Result[];
  entries: KeyLogEntry[];
}

const MAX_RETRIES = 10;

/**
 * Runs one change of a user's keys atomically with its log entries. `plan` is called on every attempt, after
 * the head is read, and reads whatever state it needs; a lost race runs it again (then a 503 key_log_busy).
 */
export async function withKeyLog(db: D1Database, userId: string, plan: (head: ChainHead) => Promise<KeyChange>): Promise<KeyChangeResult> {
  for (let attempt = 0; ; attempt++) {
    const head = await readKeyHead(db, userId);
    const change = await plan(head);
    const entries = await chainEntries(userId, head, change.entries);
    const now = Date.now();
    const inserts = entries.map((e) => {
      const values = [userId, e.seq, e.at, e.deviceId, e.action, e.use, storedKey(e.key), e.prevHash, e.hash] as const;
      if (change.whileSessionLive === undefined) {
        return db
          .prepare(
            "INSERT INTO key_log (user_id, seq, at, device_id, action, use, key, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
          )
          .bind(...values);
      }
      return db
        .prepare(
          `INSERT INTO key_log (user_id, seq, at, device_id, action, use, key, prev_hash, hash)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
           WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?10 AND revoked_at IS NULL AND expires_at > ?11)`,
        )
        .bind(...values, change.whileSessionLive, now);
    });
    if (inserts.length === 0) return { results: change.statements.length > 0 ? await db.batch(change.statements) : [], entries };
    try {
      const results = await db.batch([...change.statements, ...inserts]);
      return { results: results.slice(0, change.statements.length), entries };
    } catch (err) {
      if (!(await lostRace(db, userId, head, entries))) throw err;
      if (attempt >= MAX_RETRIES) {
        throw new ApiError(503, "key_log_busy", "Too many concurrent changes to this user's keys; try again.", {
          headers: { "retry-after": "1" },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
  }
}

async function chainEntries(userId: string, base: ChainHead, newEntries: readonly NewKeyEntry[]): Promise<KeyLogEntry[]> {
  // `at` never goes backwards along a chain, so the log reads in time order.
  const stamp = new Date().toISOString();
  const at = base.at !== null && base.at > stamp ? base.at : stamp;
  const out: KeyLogEntry[] = [];
  let prev = { seq: base.seq, hash: base.hash };
  for (const n of newEntries) {
    const unhashed: UnhashedKeyEntry = {
      seq: prev.seq + 1,
      at,
      userId,
      deviceId: n.deviceId,
      action: n.action,
      use: n.use,
      key: n.key,
      prevHash: prev.hash,
    };
    const entry: KeyLogEntry = { ...unhashed, hash: await keyEntryHash(unhashed) };
    out.push(entry);
    prev = entry;
  }
  return out;
}

/** Whether a failed batch failed because the chain moved on under it (and did not in fact commit). */
async function lostRace(db: D1Database, userId: string, base: ChainHead, entries: readonly KeyLogEntry[]): Promise<boolean> {
  const head = await readKeyHead(db, userId);
  if (head.seq === base.seq) return false;
  const last = entries.at(-1);
  if (last === undefined) return false;
  const mine = await db
    .prepare("SELECT 1 AS found FROM key_log WHERE user_id = ?1 AND seq = ?2 AND hash = ?3")
    .bind(userId, last.seq, last.hash)
    .first();
  return mine === null;
}

export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

interface Row {
  seq: number;
  at: string;
  device_id: string;
  action: "added" | "revoked";
  use: "mls" | "holder";
  key: string;
  prev_hash: string;
  hash: string;
}

function parseKey(row: Pick<Row, "use" | "key">): string | PublicJwk {
  if (row.use === "mls") return row.key;
  const jwk = JSON.parse(row.key) as PublicJwk;
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/** A user's entries with seq > `after`, ascending, and the head of the whole chain, read in one transaction. */
export async function listKeyLog(
  db: D1Database,
  userId: string,
  opts: { after?: number; limit?: number } = {},
): Promise<{ entries: KeyLogEntry[]; head: string }> {
  const after = Math.max(0, Math.trunc(opts.after ?? 0));
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.trunc(opts.limit ?? DEFAULT_PAGE)));
  const [page, last] = await db.batch<Row>([
    db
      .prepare(
        "SELECT seq, at, device_id, action, use, key, prev_hash, hash FROM key_log WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
      )
      .bind(userId, after, limit),
    db
      .prepare("SELECT seq, at, device_id, action, use, key, prev_hash, hash FROM key_log WHERE user_id = ?1 ORDER BY seq DESC LIMIT 1")
      .bind(userId),
  ]);
  return {
    entries: (page?.results ?? []).map((r) => ({
      seq: r.seq,
      at: r.at,
      userId,
      deviceId: r.device_id,
      action: r.action,
      use: r.use,
      key: parseKey(r),
      prevHash: r.prev_hash,
      hash: r.hash,
    })),
    head: last?.results[0]?.hash ?? GENESIS_HASH,
  };
}
