import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { issueCredential, present, verifyPresentation } from "../../../src/records/sdjwt";
import { ISSUER, newKey, trusting, userClaims, VCT } from "./fixtures";

// Selective disclosure as properties over generated records: whatever the claims (unicode names and values,
// nested objects and arrays, numbers of every kind), what is issued is what verifies, and a presentation shows
// exactly the chosen claims.

const NUM_RUNS = 60;
const agency = await newKey("prop");
const jwks = trusting(ISSUER, agency);

/** Names the SD-JWT VC format keeps for itself; a record claim may be anything else, "__proto__" included. */
const RESERVED = new Set(["iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "_sd", "_sd_alg", "..."]);

const claimName = fc
  .oneof(
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.string({ unit: "binary", maxLength: 6 }),
    fc.constantFrom("__proto__", "constructor", "sub"),
  )
  .filter((k) => !RESERVED.has(k));

/** JSON values without SD-JWT syntax inside them (issuing refuses `_sd` keys and `{"...": x}` elements). */
const claimValue = fc
  .oneof(
    fc.jsonValue({ maxDepth: 4, stringUnit: "grapheme" }),
    fc.jsonValue({ maxDepth: 2, stringUnit: "binary" }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  )
  .filter((v) => !JSON.stringify(v).includes('"_sd"') && !JSON.stringify(v).includes('"..."'));

const claims = fc.dictionary(claimName, claimValue, { maxKeys: 10 });

/** What the claims are once carried by JSON (-0 becomes 0): the most a JSON-based credential can promise. */
function asJson(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value));
}

describe("selective disclosure, as properties", () => {
  it("any record survives issue → present(all) → verify unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(claims, async (record) => {
        const credential = await issueCredential({ issuer: ISSUER, vct: VCT, claims: record, key: agency });
        const result = await verifyPresentation(await present(credential, Object.keys(record)), { jwks });
        expect(result.valid).toBe(true);
        expect(userClaims(result.claims)).toEqual(asJson(record));
        expect(Object.keys(userClaims(result.claims)).sort()).toEqual(Object.keys(record).sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("any subset discloses exactly that subset", async () => {
    const recordAndSubset = claims.chain((record) => fc.tuple(fc.constant(record), fc.subarray(Object.keys(record))));
    await fc.assert(
      fc.asyncProperty(recordAndSubset, async ([record, chosen]) => {
        const credential = await issueCredential({ issuer: ISSUER, vct: VCT, claims: record, key: agency });
        const presentation = await present(credential, chosen);
        expect(presentation.split("~").length - 2).toBe(chosen.length);
        const result = await verifyPresentation(presentation, { jwks });
        expect(result.valid).toBe(true);
        const expected = asJson(Object.fromEntries(chosen.map((name) => [name, record[name]])));
        expect(userClaims(result.claims)).toEqual(expected);
        expect(Object.keys(userClaims(result.claims)).sort()).toEqual([...chosen].sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("dropping any one disclosure from a presentation never breaks it, and adding a foreign one always does", async () => {
    const other = await issueCredential({ issuer: ISSUER, vct: VCT, claims: { foreign: 1 }, key: agency });
    const foreign = other.split("~")[1] ?? "";
    await fc.assert(
      fc.asyncProperty(claims, fc.nat(), async (record, pick) => {
        const credential = await issueCredential({ issuer: ISSUER, vct: VCT, claims: record, key: agency });
        const [jwt = "", ...rest] = credential.split("~");
        const disclosures = rest.slice(0, -1);
        const kept = disclosures.filter((_, i) => disclosures.length === 0 || i !== pick % disclosures.length);
        expect((await verifyPresentation(`${[jwt, ...kept].join("~")}~`, { jwks })).valid).toBe(true);
        expect(await verifyPresentation(`${[jwt, ...kept, foreign].join("~")}~`, { jwks })).toEqual({
          valid: false,
          error: "digest_mismatch",
        });
      }),
      { numRuns: 30 },
    );
  });
});
