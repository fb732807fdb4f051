// The citizen's access log: every read or change of a citizen's data by someone else (an agency, an
// operator, the system acting for one) appends an entry, in the same D1 batch as the access itself,
// so an access can never commit without its entry. Each citizen has one hash chain:
//
//   hash = hex(SHA-256(prevHash + "\n" + JCS(entry without hash)))
//
// with the first entry's prevHash 64 zeros. Anyone holding the entries can recompute the chain
// (verifyChain, which uses only WebCrypto and JCS so it also runs in a browser); changing, inserting
// or removing an entry breaks it from that entry on. Nothing here edits or deletes entries, and the
// table's triggers refuse both (migrations/0003_access_log.sql).
//
// Concurrency: appendStatements reads the chain's head and hashes the new entries onto it in JS,
// then hands back INSERTs with explicit seqs. If another writer extended the chain in between, the
// first INSERT collides on the (citizen_id, seq) primary key and the whole batch, the access
// included, rolls back: two writers can never both take a seq or fork the chain. withAccessLog
// retries such a lost race with a fresh head.

import { inLists } from "../lib/d1";
import { ApiError } from "../lib/errors";
import { type AccessLogEntry, type ChainLink, entryHash, GENESIS_HASH, type UnhashedEntry } from "./chain";

export {
  type AccessLogEntry,
  type ChainLink,
  type ChainVerification,
  entryHash,
  GENESIS_HASH,
  type UnhashedEntry,
  verifyChain,
} from "./chain";

export type ActorType = "agency" | "operator" | "system";

export interface Actor {
  type: ActorType;
  id: string;
  /** The name shown to the citizen, as it was at the time of the access. */
  name: string;
}

/** What a caller records: who did what to which resource, and why. */
export interface NewEntry {
  actor: Actor;
  /** A verb such as "read", "create", "update", "revoke". */
  action: string;
  /** What was touched, e.g. "bill:01H…", "records", "submission:01H…". */
  resource: string;
  /** The purpose the actor declared (a consent's purpose, a request's ?purpose=), if any. */
  purpose?: string | null;
}

export interface ChainHead extends ChainLink {
  /** `at` of the last entry, or null for an empty chain. */
  at: string | null;
}

/** The last entry of a citizen's chain, or the genesis (seq 0) when there is none. */
export async function readHead(db: D1Database, citizenId: string): Promise<ChainHead> {
  const row = await db
    .prepare("SELECT seq, hash, at FROM access_log WHERE citizen_id = ?1 ORDER BY seq DESC LIMIT 1")
    .bind(citizenId)
    .first<{ seq: number; hash: string; at: string }>();
  return row ?? { seq: 0, hash: GENESIS_HASH, at: null };
}

/** The statements of an append, and the entries they will write if their batch commits. */
export interface PlannedAppend {
  statements: D1PreparedStatement[];
  entries: AccessLogEntry[];
  /** The head the entries were chained onto. */
  base: ChainHead;
}

/** Computes the entries that would follow `base` and the INSERTs that write them. */
export async function planAppend(
  db: D1Database,
  citizenId: string,
  base: ChainHead,
  newEntries: readonly NewEntry[],
  at = new Date(),
): Promise<PlannedAppend> {
  // `at` never goes backwards along a chain, even for a writer that lost a race and retried after a
  // later one, so the log reads in time order.
  const stamp = at.toISOString();
  const time = base.at !== null && base.at > stamp ? base.at : stamp;
  const entries: AccessLogEntry[] = [];
  let prev: ChainLink = base;
  for (const n of newEntries) {
    const unhashed: UnhashedEntry = {
      seq: prev.seq + 1,
      at: time,
      // D1 stores text as UTF-8, where a lone surrogate becomes U+FFFD: hash what will be read back.
      actor: { type: n.actor.type, id: n.actor.id.toWellFormed(), name: n.actor.name.toWellFormed() },
      action: n.action.toWellFormed(),
      resource: n.resource.toWellFormed(),
      purpose: n.purpose == null ? null : n.purpose.toWellFormed(),
      prevHash: prev.hash,
    };
    const entry: AccessLogEntry = { ...unhashed, hash: await entryHash(unhashed) };
    entries.push(entry);
    prev = entry;
  }
  const statements = entries.map((e) =>
    db
      .prepare(
        `INSERT INTO access_log (citizen_id, seq, at, actor_type, actor_id, actor_name, action, resource, purpose, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`,
      )
      .bind(citizenId, e.seq, e.at, e.actor.type, e.actor.id, e.actor.name, e.action, e.resource, e.purpose, e.prevHash, e.hash),
  );
  return { statements, entries, base };
}

/**
 * The INSERTs that append `entries` to the citizen's chain, to be run in the same `db.batch([...])`
 * as the access they record. If another append for this citizen commits between this call and that
 * batch, the batch fails on the primary key and nothing in it commits; prefer withAccessLog, which
 * retries that case.
 */
export async function appendStatements(
  db: D1Database,
  citizenId: string,
  entries: readonly NewEntry[],
  at?: Date,
): Promise<D1PreparedStatement[]> {
  const plan = await planAppend(db, citizenId, await readHead(db, citizenId), entries, at);
  return plan.statements;
}

export interface WithAccessLogOptions {
  /** Further attempts after a lost race; each waits a random, growing delay first. */
  maxRetries?: number;
  /** The time of the access; now (per attempt) by default. */
  at?: Date;
}

export interface WithAccessLogResult {
  /** The results of the caller's statements, in their order. */
  results: D1Result[];
  /** The entries that were appended. */
  entries: AccessLogEntry[];
}

const DEFAULT_MAX_RETRIES = 10;

/**
 * Runs the caller's statements and the log entries recording them as one atomic batch: either the
 * access and its entries commit together, or neither does.
 *
 * When the batch fails because another append for the same citizen won the race for the next seq,
 * the head is read again and the whole batch runs again, at most `maxRetries` more times (then a
 * 503 `access_log_busy`). The caller's statements are therefore executed once per attempt, but only
 * the successful attempt's effects persist, because a failed batch rolls back entirely. Pass a
 * function instead of an array when the statements depend on state that the winner of the race may
 * have changed: it is called on every attempt, after the head is read. Any other failure is thrown
 * as is, without a retry.
 */
export async function withAccessLog(
  db: D1Database,
  citizenId: string,
  entries: readonly NewEntry[],
  otherStatements: readonly D1PreparedStatement[] | (() => readonly D1PreparedStatement[] | Promise<readonly D1PreparedStatement[]>),
  opts: WithAccessLogOptions = {},
): Promise<WithAccessLogResult> {
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  for (let attempt = 0; ; attempt++) {
    const plan = await planAppend(db, citizenId, await readHead(db, citizenId), entries, opts.at);
    const others = typeof otherStatements === "function" ? await otherStatements() : otherStatements;
    try {
      const results = await db.batch([...others, ...plan.statements]);
      return { results: results.slice(0, others.length), entries: plan.entries };
    } catch (err) {
      if (!(await lostRace(db, citizenId, plan))) throw err;
      if (attempt >= maxRetries) {
        throw new ApiError(503, "access_log_busy", "Too many concurrent changes to this citizen's access log; try again.", {
          headers: { "retry-after": "1" },
        });
      }
      await backoff(attempt);
    }
  }
}

/**
 * Whether a failed batch failed because the chain moved on under it. If the planned entries are
 * there after all, the batch did commit (the error came after it, e.g. on the way back) and running
 * it again would repeat the access, so that is not a lost race either.
 */
async function lostRace(db: D1Database, citizenId: string, plan: PlannedAppend): Promise<boolean> {
  const head = await readHead(db, citizenId);
  if (head.seq === plan.base.seq) return false;
  const last = plan.entries.at(-1);
  if (last === undefined) return false;
  const mine = await db
    .prepare("SELECT 1 AS found FROM access_log WHERE citizen_id = ?1 AND seq = ?2 AND hash = ?3")
    .bind(citizenId, last.seq, last.hash)
    .first<{ found: number }>();
  return mine === null;
}

/** Full jitter: concurrent losers spread out instead of colliding again in lockstep. */
function backoff(attempt: number): Promise<void> {
  const capMs = Math.min(200, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
}

/** One citizen's entries in an access that touches several citizens at once. */
export interface CitizenEntries {
  citizenId: string;
  entries: readonly NewEntry[];
}

/**
 * withAccessLog for one access that touches several citizens (an agency listing the bills it issued): the
 * caller's statements and every citizen's entries run as one atomic batch, so the read commits with all
 * of its entries or with none. Entries for the same citizen are merged onto one chain. A lost race on any
 * of the chains retries the whole batch with fresh heads, as withAccessLog does.
 */
export async function withAccessLogs(
  db: D1Database,
  appends: readonly CitizenEntries[],
  otherStatements: readonly D1PreparedStatement[] | (() => readonly D1PreparedStatement[] | Promise<readonly D1PreparedStatement[]>),
  opts: WithAccessLogOptions = {},
): Promise<WithAccessLogResult> {
  const byCitizen = new Map<string, NewEntry[]>();
  for (const a of appends) byCitizen.set(a.citizenId, [...(byCitizen.get(a.citizenId) ?? []), ...a.entries]);
  const citizens = [...byCitizen.keys()];
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  for (let attempt = 0; ; attempt++) {
    const heads = await readHeads(db, citizens);
    const plans = await Promise.all(
      citizens.map((id) => planAppend(db, id, heads.get(id) ?? { seq: 0, hash: GENESIS_HASH, at: null }, byCitizen.get(id) ?? [], opts.at)),
    );
    const others = typeof otherStatements === "function" ? await otherStatements() : otherStatements;
    try {
      const results = await db.batch([...others, ...plans.flatMap((p) => p.statements)]);
      return { results: results.slice(0, others.length), entries: plans.flatMap((p) => p.entries) };
    } catch (err) {
      if (!(await lostAnyRace(db, citizens, plans))) throw err;
      if (attempt >= maxRetries) {
        throw new ApiError(503, "access_log_busy", "Too many concurrent changes to these citizens' access logs; try again.", {
          headers: { "retry-after": "1" },
        });
      }
      await backoff(attempt);
    }
  }
}

/** The heads of several chains, read in one round trip; a citizen without entries is absent from the map. */
async function readHeads(db: D1Database, citizenIds: readonly string[]): Promise<Map<string, ChainHead>> {
  const heads = new Map<string, ChainHead>();
  const chunks = inLists(citizenIds);
  if (chunks.length === 0) return heads;
  const pages = await db.batch<{ citizen_id: string; seq: number; hash: string; at: string }>(
    chunks.map((chunk) =>
      db
        .prepare(
          `SELECT l.citizen_id, l.seq, l.hash, l.at FROM access_log l
           WHERE l.citizen_id IN ${chunk.inList} AND l.seq = (SELECT MAX(m.seq) FROM access_log m WHERE m.citizen_id = l.citizen_id)`,
        )
        .bind(...chunk.ids),
    ),
  );
  for (const page of pages) for (const r of page.results) heads.set(r.citizen_id, { seq: r.seq, hash: r.hash, at: r.at });
  return heads;
}

/** lostRace for a multi-citizen batch: some chain moved, and the batch (atomic, so judged by one entry) did not commit. */
async function lostAnyRace(db: D1Database, citizenIds: readonly string[], plans: readonly PlannedAppend[]): Promise<boolean> {
  const heads = await readHeads(db, citizenIds);
  const moved = plans.some((p, i) => (heads.get(citizenIds[i] ?? "")?.seq ?? 0) !== p.base.seq);
  if (!moved) return false;
  const i = plans.findIndex((p) => p.entries.length > 0);
  const last = plans[i]?.entries.at(-1);
  if (last === undefined) return false;
  const mine = await db
    .prepare("SELECT 1 AS found FROM access_log WHERE citizen_id = ?1 AND seq = ?2 AND hash = ?3")
    .bind(citizenIds[i], last.seq, last.hash)
    .first<{ found: number }>();
  return mine === null;
}

/** Default and largest page size of listEntries. */
export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

interface Row {
  seq: number;
  at: string;
  actor_type: string;
  actor_id: string;
  actor_name: string;
  action: string;
  resource: string;
  purpose: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * A citizen's entries with seq > `after`, ascending, at most `limit` of them, and the head of the
 * whole chain (64 zeros when it is empty), read in one transaction so they agree.
 */
export async function listEntries(
  db: D1Database,
  citizenId: string,
  opts: { after?: number; limit?: number } = {},
): Promise<{ entries: AccessLogEntry[]; head: string }> {
  const after = wholeNumber(opts.after, 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = wholeNumber(opts.limit, DEFAULT_PAGE, 1, MAX_PAGE);
  const [page, last] = await db.batch<Row>([
    db
      .prepare(
        `SELECT seq, at, actor_type, actor_id, actor_name, action, resource, purpose, prev_hash, hash
         FROM access_log WHERE citizen_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3`,
      )
      .bind(citizenId, after, limit),
    // Same columns, so one row type serves both; only the hash is used.
    db
      .prepare(
        `SELECT seq, at, actor_type, actor_id, actor_name, action, resource, purpose, prev_hash, hash
         FROM access_log WHERE citizen_id = ?1 ORDER BY seq DESC LIMIT 1`,
      )
      .bind(citizenId),
  ]);
  const rows = page?.results ?? [];
  return {
    entries: rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
      action: r.action,
      resource: r.resource,
      purpose: r.purpose,
      prevHash: r.prev_hash,
      hash: r.hash,
    })),
    head: last?.results[0]?.hash ?? GENESIS_HASH,
  };
}

function wholeNumber(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
