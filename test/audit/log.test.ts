import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalize } from "../../src/audit/jcs";
import {
  type AccessLogEntry,
  type Actor,
  appendStatements,
  GENESIS_HASH,
  listEntries,
  MAX_PAGE,
  type NewEntry,
  verifyChain,
  withAccessLog,
} from "../../src/audit/log";
import { ApiError } from "../../src/lib/errors";
import { canonicalEntry, independentHash, sha256HexPure } from "./independent";

// The access log against the real D1: the chain's format (checked by an independent implementation),
// paging, separate chains, atomicity with the access it records, and appends racing each other.

const db = env.DB;
const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const tax: Actor = { type: "agency", id: "agency-tax", name: "Федеральная налоговая служба" };
const operator: Actor = { type: "operator", id: "op-7", name: 'Support "night shift" 🌙' };

const freshCitizen = () => `citizen-${crypto.randomUUID()}`;
const read = (resource: string, purpose: string | null = "tax assessment 2026"): NewEntry => ({
  actor: tax,
  action: "read",
  resource,
  purpose,
});

// Stands in for the bills, records and consents tables whose accesses the log records.
beforeAll(async () => {
  await db
    .prepare("CREATE TABLE IF NOT EXISTS audit_test_access (id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL, what TEXT NOT NULL)")
    .run();
});

const recordAccess = (citizenId: string, what: string, id: string = crypto.randomUUID()) =>
  db.prepare("INSERT INTO audit_test_access (id, citizen_id, what) VALUES (?1, ?2, ?3)").bind(id, citizenId, what);

async function accessesOf(citizenId: string): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT what FROM audit_test_access WHERE citizen_id = ?1 ORDER BY what")
    .bind(citizenId)
    .all<{ what: string }>();
  return results.map((r) => r.what);
}

async function allEntries(citizenId: string): Promise<{ entries: AccessLogEntry[]; head: string }> {
  return listEntries(db, citizenId, { limit: MAX_PAGE });
}

/** Asserts that `entries` are exactly seq 1..n of a well-formed chain ending at `head`. */
async function expectIntactChain(entries: AccessLogEntry[], head: string): Promise<void> {
  expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
  expect(await verifyChain(entries, { head })).toEqual({ valid: true });
  for (const e of entries) expect(independentHash(e)).toBe(e.hash);
}

describe("the chain's format", () => {
  it("the independent SHA-256 is right (FIPS 180-2 vectors), so it can vouch for the chain", () => {
    expect(sha256HexPure("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256HexPure("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256HexPure("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("append, list, and recompute every hash independently", async () => {
    const citizen = freshCitizen();
    await withAccessLog(db, citizen, [read("records")], [recordAccess(citizen, "a")]);
    await withAccessLog(
      db,
      citizen,
      [
        { actor: tax, action: "create", resource: "bill:01HZX3V5Q6", purpose: null },
        { actor: operator, action: "update", resource: "submission:01HZX3V5Q7" },
      ],
      [recordAccess(citizen, "b")],
    );
    await withAccessLog(
      db,
      citizen,
      [{ actor: { type: "system", id: "expiry", name: "Veche" }, action: "revoke", resource: "consent:c1" }],
      [],
    );

    const { entries, head } = await allEntries(citizen);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({
      seq: 1,
      actor: tax,
      action: "read",
      resource: "records",
      purpose: "tax assessment 2026",
      prevHash: GENESIS_HASH,
    });
    expect(entries[1]).toMatchObject({ seq: 2, action: "create", resource: "bill:01HZX3V5Q6", purpose: null });
    // A purpose left out is stored and hashed as null, never omitted.
    expect(entries[2]).toMatchObject({ seq: 3, actor: operator, purpose: null });
    expect(entries[3]).toMatchObject({ seq: 4, actor: { type: "system" }, action: "revoke" });
    for (const [i, e] of entries.entries()) {
      expect(e.at).toMatch(RFC3339_MS_UTC);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.prevHash).toBe(i === 0 ? GENESIS_HASH : entries[i - 1]?.hash);
      // The contract's shape, and nothing else.
      expect(Object.keys(e).sort()).toEqual(["action", "actor", "at", "hash", "prevHash", "purpose", "resource", "seq"]);
      const { hash: _hash, ...unhashed } = e;
      expect(canonicalize(unhashed)).toBe(canonicalEntry(e));
    }
    // Both entries of one call share their batch's time.
    expect(entries[1]?.at).toBe(entries[2]?.at);
    expect(head).toBe(entries[3]?.hash);
    await expectIntactChain(entries, head);
    expect(await accessesOf(citizen)).toEqual(["a", "b"]);
  });

  it("an empty log has no entries and the genesis head", async () => {
    const empty = await listEntries(db, freshCitizen());
    expect(empty).toEqual({ entries: [], head: GENESIS_HASH });
    expect(await verifyChain(empty.entries, { head: empty.head })).toEqual({ valid: true });
  });

  it("appendStatements goes into the caller's own batch and keeps an explicit time", async () => {
    const citizen = freshCitizen();
    const at = new Date(Date.UTC(2026, 10, 24, 23, 59, 58, 7));
    const log = await appendStatements(db, citizen, [read("bill:1"), read("bill:2")], at);
    expect(log).toHaveLength(2);
    await db.batch([recordAccess(citizen, "bills"), ...log]);
    const { entries, head } = await allEntries(citizen);
    expect(entries.map((e) => [e.seq, e.resource, e.at])).toEqual([
      [1, "bill:1", "2026-11-24T23:59:58.007Z"],
      [2, "bill:2", "2026-11-24T23:59:58.007Z"],
    ]);
    await expectIntactChain(entries, head);
  });

  it("time never runs backwards along a chain", async () => {
    const citizen = freshCitizen();
    await withAccessLog(db, citizen, [read("r1")], [], { at: new Date("2030-01-01T00:00:00.000Z") });
    await withAccessLog(db, citizen, [read("r2")], [], { at: new Date("2020-01-01T00:00:00.000Z") });
    await withAccessLog(db, citizen, [read("r3")], [], { at: new Date("2031-06-01T12:00:00.500Z") });
    const { entries, head } = await allEntries(citizen);
    expect(entries.map((e) => e.at)).toEqual(["2030-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z", "2031-06-01T12:00:00.500Z"]);
    await expectIntactChain(entries, head);
  });

  it("text that UTF-8 cannot carry (lone surrogates) is hashed as it will be read back", async () => {
    const citizen = freshCitizen();
    await withAccessLog(
      db,
      citizen,
      [{ actor: { ...tax, name: "bad \ud800 name" }, action: "read", resource: "x\udfff", purpose: "\u0000nul" }],
      [],
    );
    const { entries, head } = await allEntries(citizen);
    expect(entries[0]).toMatchObject({ actor: { name: "bad \ufffd name" }, resource: "x\ufffd", purpose: "\u0000nul" });
    await expectIntactChain(entries, head);
  });
});

describe("listEntries", () => {
  it("pages by seq; head is always the whole chain's; a page verifies from its anchor", async () => {
    const citizen = freshCitizen();
    for (let i = 1; i <= 5; i++) await withAccessLog(db, citizen, [read(`bill:${i}`)], []);
    const all = await allEntries(citizen);

    const page = await listEntries(db, citizen, { after: 2, limit: 2 });
    expect(page.entries.map((e) => e.seq)).toEqual([3, 4]);
    expect(page.head).toBe(all.head);
    expect(page.head).toBe(all.entries[4]?.hash);
    const anchor = all.entries[1];
    if (!anchor) throw new Error("no entry 2");
    expect(await verifyChain(page.entries, { from: anchor })).toEqual({ valid: true });
    // Without its anchor a page does not pass for a whole chain.
    expect(await verifyChain(page.entries)).toEqual({ valid: false, brokenAt: 1 });
    // Nor does a prefix pass for the whole chain when the head is checked.
    expect(await verifyChain(all.entries.slice(0, 4), { head: all.head })).toEqual({ valid: false, brokenAt: 5 });

    expect((await listEntries(db, citizen, { after: 5 })).entries).toEqual([]);
    expect((await listEntries(db, citizen, { after: 99 })).head).toBe(all.head);
    expect((await listEntries(db, citizen, { limit: 0 })).entries.map((e) => e.seq)).toEqual([1]);
    expect((await listEntries(db, citizen, { limit: Number.NaN, after: -3 })).entries).toHaveLength(5);
    expect((await listEntries(db, citizen, { limit: 10 ** 9 })).entries).toHaveLength(5);
  });

  it("each citizen has a chain of their own", async () => {
    const [a, b] = [freshCitizen(), freshCitizen()];
    for (let i = 0; i < 3; i++) {
      await withAccessLog(db, a, [read(`a:${i}`)], []);
      await withAccessLog(db, b, [read(`b:${i}`), read(`b:${i}'`)], []);
    }
    const chainA = await allEntries(a);
    const chainB = await allEntries(b);
    expect(chainA.entries.map((e) => e.resource)).toEqual(["a:0", "a:1", "a:2"]);
    expect(chainB.entries.map((e) => e.resource)).toEqual(["b:0", "b:0'", "b:1", "b:1'", "b:2", "b:2'"]);
    await expectIntactChain(chainA.entries, chainA.head);
    await expectIntactChain(chainB.entries, chainB.head);
    expect(chainA.entries[0]?.prevHash).toBe(GENESIS_HASH);
    expect(chainB.entries[0]?.prevHash).toBe(GENESIS_HASH);
  });
});

describe("concurrency", () => {
  it("ten appends at once for one citizen: seq 1..10 without gaps, one valid chain, each access once", async () => {
    const citizen = freshCitizen();
    const other = freshCitizen();
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => withAccessLog(db, citizen, [read(`bill:${i}`)], [recordAccess(citizen, `access-${i}`)])),
      // Another citizen's appends at the same time neither interfere nor share a chain.
      ...Array.from({ length: 5 }, (_, i) => withAccessLog(db, other, [read(`other:${i}`)], [recordAccess(other, `other-${i}`)])),
    ]);

    const { entries, head } = await allEntries(citizen);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(entries.map((e) => e.resource).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `bill:${i}`).sort());
    await expectIntactChain(entries, head);
    expect(await accessesOf(citizen)).toEqual(Array.from({ length: 10 }, (_, i) => `access-${i}`).sort());
    // What each call reports is what was stored.
    const stored = new Map(entries.map((e) => [e.hash, e]));
    for (const r of results.slice(0, 10)) {
      expect(r.entries).toHaveLength(1);
      const [mine] = r.entries;
      expect(stored.get(mine?.hash ?? "")).toEqual(mine);
      expect(r.results).toHaveLength(1);
    }

    const otherChain = await allEntries(other);
    expect(otherChain.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    await expectIntactChain(otherChain.entries, otherChain.head);
    expect(await accessesOf(other)).toHaveLength(5);
  });

  it("concurrent multi-entry appends interleave whole, never entry by entry", async () => {
    const citizen = freshCitizen();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withAccessLog(db, citizen, [read(`call:${i}:first`), read(`call:${i}:second`)], [recordAccess(citizen, `c${i}`)]),
      ),
    );
    const { entries, head } = await allEntries(citizen);
    await expectIntactChain(entries, head);
    expect(entries).toHaveLength(12);
    for (let i = 0; i < 12; i += 2) {
      const first = entries[i]?.resource ?? "";
      expect(first).toMatch(/:first$/);
      expect(entries[i + 1]?.resource).toBe(first.replace(/:first$/, ":second"));
    }
  });

  it("a lost race is retried with a fresh head, and gives up with 503 access_log_busy", async () => {
    const citizen = freshCitizen();
    let calls = 0;
    // Each attempt's statements are built after its head was read: a competing append made here
    // makes that head stale, exactly as a concurrent request would.
    const racing = async () => {
      calls += 1;
      if (calls === 1) await withAccessLog(db, citizen, [read("winner")], [recordAccess(citizen, "winner")]);
      return [recordAccess(citizen, `loser-attempt-${calls}`)];
    };

    const failed = await withAccessLog(db, citizen, [read("loser")], racing, { maxRetries: 0 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect(failed).toMatchObject({ status: 503, code: "access_log_busy" });
    expect(calls).toBe(1);
    expect((await allEntries(citizen)).entries.map((e) => e.resource)).toEqual(["winner"]);
    expect(await accessesOf(citizen)).toEqual(["winner"]);

    calls = 0;
    const done = await withAccessLog(db, citizen, [read("loser")], racing, { maxRetries: 1 });
    expect(calls).toBe(2);
    expect(done.entries.map((e) => e.seq)).toEqual([3]);
    const { entries, head } = await allEntries(citizen);
    expect(entries.map((e) => e.resource)).toEqual(["winner", "winner", "loser"]);
    await expectIntactChain(entries, head);
    // Only the successful attempt's access persisted.
    expect(await accessesOf(citizen)).toEqual(["loser-attempt-2", "winner", "winner"]);
  });
});

describe("no access without its entry, no entry without its access", () => {
  it("an access whose batch fails leaves no log entry, and is not retried", async () => {
    const citizen = freshCitizen();
    await withAccessLog(db, citizen, [read("before")], []);
    const before = await allEntries(citizen);
    let calls = 0;
    const duplicateId = crypto.randomUUID();
    const failing = () => {
      calls += 1;
      return [recordAccess(citizen, "x", duplicateId), recordAccess(citizen, "y", duplicateId)];
    };
    await expect(withAccessLog(db, citizen, [read("records")], failing)).rejects.toThrow(/UNIQUE|constraint/i);
    expect(calls).toBe(1);
    expect(await allEntries(citizen)).toEqual(before);
    expect(await accessesOf(citizen)).toEqual([]);
  });

  it("a log append that fails leaves no access", async () => {
    const citizen = freshCitizen();
    const stale = await appendStatements(db, citizen, [read("records")]);
    // Someone else appends first, so the stale INSERT collides on (citizen_id, seq).
    await withAccessLog(db, citizen, [read("bill:9")], []);
    await expect(db.batch([recordAccess(citizen, "records"), ...stale])).rejects.toThrow();
    expect(await accessesOf(citizen)).toEqual([]);
    const { entries, head } = await allEntries(citizen);
    expect(entries.map((e) => e.resource)).toEqual(["bill:9"]);
    await expectIntactChain(entries, head);
  });

  it("the table itself refuses edits, deletions, forks and gaps", async () => {
    const citizen = freshCitizen();
    await withAccessLog(db, citizen, [read("r1"), read("r2")], []);
    const before = await allEntries(citizen);

    await expect(db.prepare("UPDATE access_log SET purpose = 'nothing to see' WHERE citizen_id = ?1").bind(citizen).run()).rejects.toThrow(
      /access_log_append_only/,
    );
    await expect(db.prepare("DELETE FROM access_log WHERE citizen_id = ?1 AND seq = 2").bind(citizen).run()).rejects.toThrow(
      /access_log_append_only/,
    );

    const insert = (seq: number, prevHash: string) =>
      db
        .prepare(
          `INSERT INTO access_log (citizen_id, seq, at, actor_type, actor_id, actor_name, action, resource, purpose, prev_hash, hash)
           VALUES (?1, ?2, '2026-01-01T00:00:00.000Z', 'agency', 'a', 'A', 'read', 'r', NULL, ?3, ?4)`,
        )
        .bind(citizen, seq, prevHash, "f".repeat(64))
        .run();
    // A third entry that links to the first instead of the second: a fork.
    await expect(insert(3, before.entries[0]?.hash ?? "")).rejects.toThrow(/access_log_broken_link/);
    // A gap.
    await expect(insert(4, before.head)).rejects.toThrow(/access_log_broken_link/);
    // A second first entry of the same chain.
    await expect(insert(1, GENESIS_HASH)).rejects.toThrow(/UNIQUE|constraint/i);
    // An unknown kind of actor.
    await expect(
      db
        .prepare(
          `INSERT INTO access_log (citizen_id, seq, at, actor_type, actor_id, actor_name, action, resource, purpose, prev_hash, hash)
           VALUES (?1, 1, '2026-01-01T00:00:00.000Z', 'citizen', 'a', 'A', 'read', 'r', NULL, ?2, ?3)`,
        )
        .bind(freshCitizen(), GENESIS_HASH, "f".repeat(64))
        .run(),
    ).rejects.toThrow(/CHECK|constraint/i);

    expect(await allEntries(citizen)).toEqual(before);
  });
});
