import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type AccessLogEntry, type Actor, entryHash, listEntries, type NewEntry, verifyChain, withAccessLog } from "../../src/audit/log";
import { independentHash } from "./independent";

// Someone with raw access to the database (an operator with the console, a leaked credential) can
// drop the table's append-only triggers and rewrite rows. The hash chain is what gives them away.

const db = env.DB;
const police: Actor = { type: "agency", id: "agency-gibdd", name: "ГИБДД" };
const freshCitizen = () => `citizen-${crypto.randomUUID()}`;

/** The migration's text for a trigger, so that it can be put back exactly as it was. */
function triggerSql(name: string): string {
  const sql = env.TEST_MIGRATIONS.flatMap((m) => m.queries).find((q) => q.includes(`CREATE TRIGGER \`${name}\``));
  if (!sql) throw new Error(`no migration creates trigger ${name}`);
  return sql;
}

/**
 * Runs the statements with the append-only triggers dropped, in one batch that recreates them, so
 * nothing else ever sees the table unguarded.
 */
async function tamper(...statements: D1PreparedStatement[]): Promise<void> {
  await db.batch([
    db.prepare("DROP TRIGGER access_log_no_update"),
    db.prepare("DROP TRIGGER access_log_no_delete"),
    ...statements,
    db.prepare(triggerSql("access_log_no_update")),
    db.prepare(triggerSql("access_log_no_delete")),
  ]);
}

/** A citizen with a valid chain of five entries. */
async function citizenWithFiveEntries(): Promise<{ citizen: string; entries: AccessLogEntry[]; head: string }> {
  const citizen = freshCitizen();
  const entries: NewEntry[] = [
    { actor: police, action: "read", resource: "records", purpose: "traffic stop" },
    { actor: police, action: "create", resource: "bill:fine-1", purpose: null },
    { actor: police, action: "read", resource: "record:licence", purpose: "licence check" },
    { actor: police, action: "update", resource: "bill:fine-1", purpose: "reduced on appeal" },
    { actor: police, action: "read", resource: "records", purpose: "traffic stop" },
  ];
  for (const e of entries) await withAccessLog(db, citizen, [e], []);
  const chain = await listEntries(db, citizen);
  expect(await verifyChain(chain.entries, { head: chain.head })).toEqual({ valid: true });
  return { citizen, ...chain };
}

const update = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(...params);

describe("tampering with stored entries is detected", () => {
  it("an edited purpose breaks the chain at that entry", async () => {
    const { citizen } = await citizenWithFiveEntries();
    const bystander = await citizenWithFiveEntries();
    await tamper(update("UPDATE access_log SET purpose = 'routine' WHERE citizen_id = ?1 AND seq = 3", citizen));
    const after = await listEntries(db, citizen);
    expect(after.entries[2]?.purpose).toBe("routine");
    expect(await verifyChain(after.entries)).toEqual({ valid: false, brokenAt: 3 });
    // The independent implementation disagrees at the same place.
    expect(after.entries.findIndex((e) => independentHash(e) !== e.hash) + 1).toBe(3);
    // Other citizens' chains are untouched.
    const other = await listEntries(db, bystander.citizen);
    expect(await verifyChain(other.entries, { head: other.head })).toEqual({ valid: true });
  });

  it("an edited hash, actor or time breaks it at that entry", async () => {
    for (const [column, value, seq] of [
      ["hash", "1".padStart(64, "0"), 2],
      ["actor_name", "Someone else", 4],
      ["actor_type", "operator", 1],
      ["at", "2001-01-01T00:00:00.000Z", 5],
      ["resource", "records ", 3],
    ] as const) {
      const { citizen } = await citizenWithFiveEntries();
      // Column names come from the fixed list above, not from input.
      await tamper(update(`UPDATE access_log SET ${column} = ?1 WHERE citizen_id = ?2 AND seq = ?3`, value, citizen, seq));
      expect(await verifyChain((await listEntries(db, citizen)).entries), column).toEqual({ valid: false, brokenAt: seq });
    }
  });

  it("an edit with a recomputed hash still breaks the link to the next entry", async () => {
    const { citizen, entries } = await citizenWithFiveEntries();
    const target = entries[1];
    if (!target) throw new Error("no entry 2");
    const forged = { ...target, purpose: "court order" };
    await tamper(
      update(
        "UPDATE access_log SET purpose = ?1, hash = ?2 WHERE citizen_id = ?3 AND seq = 2",
        forged.purpose,
        await entryHash(forged),
        citizen,
      ),
    );
    expect(await verifyChain((await listEntries(db, citizen)).entries)).toEqual({ valid: false, brokenAt: 3 });
  });

  it("a deleted entry breaks the chain where it was", async () => {
    const { citizen } = await citizenWithFiveEntries();
    await tamper(update("DELETE FROM access_log WHERE citizen_id = ?1 AND seq = 3", citizen));
    const after = await listEntries(db, citizen);
    expect(after.entries.map((e) => e.seq)).toEqual([1, 2, 4, 5]);
    expect(await verifyChain(after.entries)).toEqual({ valid: false, brokenAt: 3 });
  });

  it("cutting off or rewriting the end is caught against a head the citizen saw before", async () => {
    const { citizen, head: seenHead } = await citizenWithFiveEntries();
    await tamper(update("DELETE FROM access_log WHERE citizen_id = ?1 AND seq >= 4", citizen));
    const cut = await listEntries(db, citizen);
    // The remaining entries are a valid chain of their own: only the earlier head shows the loss.
    expect(await verifyChain(cut.entries, { head: cut.head })).toEqual({ valid: true });
    expect(await verifyChain(cut.entries, { head: seenHead })).toEqual({ valid: false, brokenAt: 4 });

    // Re-appending different entries with correct hashes makes a valid-looking chain, but not the one seen.
    await withAccessLog(db, citizen, [{ actor: police, action: "read", resource: "nothing", purpose: null }], []);
    const rewritten = await listEntries(db, citizen);
    expect(await verifyChain(rewritten.entries, { head: rewritten.head })).toEqual({ valid: true });
    expect(rewritten.head).not.toBe(seenHead);
  });
});
