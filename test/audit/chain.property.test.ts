import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AccessLogEntry, listEntries, MAX_PAGE, type NewEntry, verifyChain, withAccessLog } from "../../src/audit/log";
import { independentHash } from "./independent";

// The access log as properties: whatever is recorded (any Unicode, nulls), the stored chain verifies
// and agrees with the independent implementation, and changing any single field of any entry
// breaks it exactly there.

const db = env.DB;
const NUM_RUNS = 40;

/** Text of every kind: all of Unicode, controls and NUL, lone surrogates, the empty string. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: fc.constantFrom("\u0000", "\n", '"', "\\", "\ud800", "\udfff", "é", "😀", "\u2028", "a"), maxLength: 8 }),
  fc.constantFrom("", "records", "bill:01HZX3V5Q6AB"),
);

const newEntry: fc.Arbitrary<NewEntry> = fc.record({
  actor: fc.record({ type: fc.constantFrom("agency", "operator", "system"), id: text, name: text }),
  action: fc.oneof(fc.constantFrom("read", "create", "update", "revoke"), text),
  resource: text,
  purpose: fc.option(text, { nil: null }),
});

/** Batches of entries, each appended by one call. */
const batches = fc.array(fc.array(newEntry, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 });

type Field = "seq" | "at" | "actor.type" | "actor.id" | "actor.name" | "action" | "resource" | "purpose" | "prevHash" | "hash";
const FIELDS: Field[] = ["seq", "at", "actor.type", "actor.id", "actor.name", "action", "resource", "purpose", "prevHash", "hash"];

/** A different value for one field of an entry. */
function mutate(entry: AccessLogEntry, field: Field, noise: string): AccessLogEntry {
  const changed = (s: string) => (noise === "" || noise === s ? `${s}x` : noise);
  const e: AccessLogEntry = { ...entry, actor: { ...entry.actor } };
  switch (field) {
    case "seq":
      e.seq = entry.seq + 1;
      break;
    case "at":
      e.at = new Date(Date.parse(entry.at) + 1).toISOString();
      break;
    case "actor.type":
      e.actor.type = entry.actor.type === "agency" ? "operator" : "agency";
      break;
    case "actor.id":
      e.actor.id = changed(entry.actor.id);
      break;
    case "actor.name":
      e.actor.name = changed(entry.actor.name);
      break;
    case "action":
      e.action = changed(entry.action);
      break;
    case "resource":
      e.resource = changed(entry.resource);
      break;
    case "purpose":
      // null and "" are different values; the noise's length picks between the two kinds of change.
      e.purpose = entry.purpose === null ? noise : noise.length % 2 === 0 ? null : changed(entry.purpose);
      break;
    case "prevHash":
      e.prevHash = entry.prevHash.replace(/^./, (c) => (c === "0" ? "1" : "0"));
      break;
    case "hash":
      e.hash = entry.hash.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
      break;
  }
  return e;
}

describe("access log chain properties", () => {
  it("any sequence of appends verifies, and any single-field change breaks it at that entry", async () => {
    await fc.assert(
      fc.asyncProperty(
        batches,
        fc.nat(),
        fc.constantFrom(...FIELDS),
        fc.string({ unit: "binary", maxLength: 6 }),
        async (calls, pick, field, noise) => {
          const citizen = `citizen-${crypto.randomUUID()}`;
          for (const call of calls) await withAccessLog(db, citizen, call, []);
          const { entries, head } = await listEntries(db, citizen, { limit: MAX_PAGE });

          const count = calls.reduce((n, c) => n + c.length, 0);
          expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
          expect(await verifyChain(entries, { head })).toEqual({ valid: true });
          for (const e of entries) expect(independentHash(e)).toBe(e.hash);
          // What was recorded is what is stored, up to text UTF-8 cannot carry.
          const recorded = calls.flat();
          entries.forEach((e, i) => {
            expect(e.resource).toBe(recorded[i]?.resource.toWellFormed());
            expect(e.purpose).toBe(recorded[i]?.purpose?.toWellFormed() ?? null);
          });

          const index = pick % entries.length;
          const original = entries[index];
          if (!original) throw new Error("no entry to mutate");
          const tampered = entries.with(index, mutate(original, field, noise));
          expect(await verifyChain(tampered), `${field} of entry ${original.seq}`).toEqual({ valid: false, brokenAt: original.seq });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
