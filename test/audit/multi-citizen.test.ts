import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type Actor, listEntries, MAX_PAGE, type NewEntry, verifyChain, withAccessLog, withAccessLogs } from "../../src/audit/log";
import { ApiError } from "../../src/lib/errors";

// withAccessLogs: one access that touches several citizens (an agency's listing) commits with every
// citizen's entry or with none, and a race on any one chain retries the whole batch.

const db = env.DB;
const agency: Actor = { type: "agency", id: "agency-console", name: "Консоль ведомства" };
const read = (resource: string): NewEntry => ({ actor: agency, action: "read", resource });
const freshCitizen = () => `citizen-${crypto.randomUUID()}`;

beforeAll(async () => {
  await db.prepare("CREATE TABLE IF NOT EXISTS audit_multi_access (id TEXT PRIMARY KEY, what TEXT NOT NULL)").run();
});
const recordAccess = (what: string, id: string = crypto.randomUUID()) =>
  db.prepare("INSERT INTO audit_multi_access (id, what) VALUES (?1, ?2)").bind(id, what);
const accessed = async (what: string) =>
  (await db.prepare("SELECT COUNT(*) AS n FROM audit_multi_access WHERE what = ?1").bind(what).first<{ n: number }>())?.n ?? 0;

async function chainOf(citizenId: string) {
  const { entries, head } = await listEntries(db, citizenId, { limit: MAX_PAGE });
  expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
  expect(await verifyChain(entries, { head })).toEqual({ valid: true });
  return entries.map((e) => e.resource);
}

describe("withAccessLogs", () => {
  it("appends to every citizen's chain in the access's own batch, merging repeated citizens", async () => {
    const [a, b, c] = [freshCitizen(), freshCitizen(), freshCitizen()];
    await withAccessLog(db, a, [read("earlier")], []);
    const what = crypto.randomUUID();
    const done = await withAccessLogs(
      db,
      [
        { citizenId: a, entries: [read("bills")] },
        { citizenId: b, entries: [read("bills")] },
        { citizenId: a, entries: [read("bills:again")] },
        { citizenId: c, entries: [] },
      ],
      [recordAccess(what)],
    );
    expect(done.results).toHaveLength(1);
    expect(await accessed(what)).toBe(1);
    expect(await chainOf(a)).toEqual(["earlier", "bills", "bills:again"]);
    expect(await chainOf(b)).toEqual(["bills"]);
    expect(await chainOf(c)).toEqual([]);
    expect(done.entries.map((e) => `${e.seq} ${e.resource}`).sort()).toEqual(["1 bills", "2 bills", "3 bills:again"]);
  });

  it("an access whose batch fails leaves no entry on any chain, and is not retried", async () => {
    const [a, b] = [freshCitizen(), freshCitizen()];
    const id = crypto.randomUUID();
    let calls = 0;
    const failing = () => {
      calls += 1;
      return [recordAccess("dup", id), recordAccess("dup", id)];
    };
    await expect(
      withAccessLogs(
        db,
        [
          { citizenId: a, entries: [read("records")] },
          { citizenId: b, entries: [read("records")] },
        ],
        failing,
      ),
    ).rejects.toThrow(/UNIQUE|constraint/i);
    expect(calls).toBe(1);
    expect(await chainOf(a)).toEqual([]);
    expect(await chainOf(b)).toEqual([]);
  });

  it("a race lost on one chain retries the whole batch, and gives up with 503 access_log_busy", async () => {
    const [a, b] = [freshCitizen(), freshCitizen()];
    const what = `listing-${crypto.randomUUID()}`;
    let calls = 0;
    // A competing append to b's chain after the heads were read makes this attempt's plan stale.
    const racing = async () => {
      calls += 1;
      if (calls === 1) await withAccessLog(db, b, [read("winner")], []);
      return [recordAccess(what)];
    };
    const appends = [
      { citizenId: a, entries: [read("listing")] },
      { citizenId: b, entries: [read("listing")] },
    ];
    const failed = await withAccessLogs(db, appends, racing, { maxRetries: 0 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect(failed).toMatchObject({ status: 503, code: "access_log_busy" });
    // Atomic: a's chain did not move either, and the access did not happen.
    expect(await chainOf(a)).toEqual([]);
    expect(await chainOf(b)).toEqual(["winner"]);
    expect(await accessed(what)).toBe(0);

    calls = 0;
    await withAccessLogs(db, appends, racing, { maxRetries: 1 });
    expect(calls).toBe(2);
    expect(await chainOf(a)).toEqual(["listing"]);
    expect(await chainOf(b)).toEqual(["winner", "winner", "listing"]);
    expect(await accessed(what)).toBe(1);
  });

  it("concurrent listings over overlapping citizens keep every chain whole, each entry once", async () => {
    const citizens = Array.from({ length: 4 }, freshCitizen);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withAccessLogs(
          db,
          citizens.filter((_, k) => (i + k) % 3 !== 0).map((citizenId) => ({ citizenId, entries: [read(`listing:${i}`)] })),
          [recordAccess(`concurrent:${i}`)],
        ),
      ),
    );
    for (const [k, citizen] of citizens.entries()) {
      const expected = Array.from({ length: 6 }, (_, i) => i)
        .filter((i) => (i + k) % 3 !== 0)
        .map((i) => `listing:${i}`);
      expect((await chainOf(citizen)).sort()).toEqual(expected.sort());
    }
  });
});
