import { env } from "cloudflare:workers";
import fc from "fast-check";
import { parsePhoneNumberFromString as parseWithFullPlans } from "libphonenumber-js/max";
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from "libphonenumber-js/mobile";
import examples from "libphonenumber-js/mobile/examples";
import { beforeAll, describe, expect, it } from "vitest";
import { isSmsNumber, type NumberingPlans } from "../../src/auth/numbering";
import { PHONE_METADATA_PATH } from "../../src/auth/phone";

// src/auth/numbering.ts replaced libphonenumber-js's code in the Worker: for every number, it must decide
// what sign-in decided with the library (parse, same number back, valid, mobile or fixed-line-or-mobile).

const NUM_RUNS = 5000;
const SMS_TYPES = new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]);

/** The decision src/auth/phone.ts made with libphonenumber-js before. */
function library(e164: string): boolean {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed !== undefined && parsed.number === e164 && parsed.isValid() && SMS_TYPES.has(parsed.getType() ?? "");
}

let plans: NumberingPlans;
const ours = (e164: string): boolean => isSmsNumber(e164, plans);

/** Every country's example mobile number (libphonenumber's own), in E.164. */
const mobiles = getCountries()
  .map((country) => getExampleNumber(country, examples)?.number)
  .filter((n): n is NonNullable<typeof n> => n !== undefined);

const digit = fc.integer({ min: 0, max: 9 }).map(String);

/** An example with one digit changed, removed or added, anywhere (the calling code included). */
const mutated = fc.oneof(
  fc
    .tuple(fc.constantFrom(...mobiles), fc.nat(), digit)
    .map(([n, at, d]) => ({ n, i: 1 + (at % (n.length - 1)), d }))
    .map(({ n, i, d }) => `${n.slice(0, i)}${d}${n.slice(i + 1)}`),
  fc
    .tuple(fc.constantFrom(...mobiles), fc.nat())
    .map(([n, at]) => ({ n, i: 1 + (at % (n.length - 1)) }))
    .map(({ n, i }) => `${n.slice(0, i)}${n.slice(i + 1)}`),
  fc
    .tuple(fc.constantFrom(...mobiles), fc.nat(), digit)
    .map(([n, at, d]) => ({ n, i: 1 + (at % n.length), d }))
    .map(({ n, i, d }) => `${n.slice(0, i)}${d}${n.slice(i)}`),
);

describe("isSmsNumber decides what libphonenumber-js decided", () => {
  beforeAll(async () => {
    // The very file the Worker reads in production, from the static assets.
    const res = await env.ASSETS.fetch(new Request(`https://assets.invalid${PHONE_METADATA_PATH}`));
    expect(res.status).toBe(200);
    plans = (await res.json()) as NumberingPlans;
  });

  it("every country's example mobile number gets the same answer from both", () => {
    expect(mobiles.length).toBeGreaterThan(240);
    // A few examples are not valid by the mobile plans themselves (Tristan da Cunha's plan has no number
    // types, so the library refuses its example too); nearly all are.
    const accepted = mobiles.filter(library);
    expect(accepted.length).toBeGreaterThan(mobiles.length - 5);
    for (const e164 of mobiles) expect(ours(e164), e164).toBe(library(e164));
  });

  it("landlines, and numbers no plan has, are refused by both", () => {
    // Fixed lines (Moscow, London, Paris, Berlin, Astana: landlines by the full plans, which the mobile ones
    // leave out), then mobile numbers on shared codes (+1 US and Canada, +44 Isle of Man, +7 Kazakhstan),
    // where the country's own plan has to be found.
    const fixed = ["+74951234567", "+442079460958", "+33142685300", "+493012345678", "+77172123456"];
    for (const e164 of fixed) {
      expect(parseWithFullPlans(e164)?.getType(), e164).toBe("FIXED_LINE");
      expect(library(e164), e164).toBe(false);
      expect(ours(e164), e164).toBe(false);
    }
    for (const e164 of ["+12133734253", "+16135550123", "+447624369230", "+77012345678"]) {
      expect(library(e164), e164).toBe(true);
      expect(ours(e164), e164).toBe(true);
    }
    for (const e164 of ["+70000000000", "+10000000000", "+440000000000", "+4420794609580", "+79", "+0123", "+999123"]) {
      expect(library(e164), e164).toBe(false);
      expect(ours(e164), e164).toBe(false);
    }
  });

  it("agrees on numbers one digit away from a real mobile one", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated, (e164) => {
        const expected = library(e164);
        if (expected) accepted++;
        expect(ours(e164), e164).toBe(expected);
      }),
      { numRuns: NUM_RUNS },
    );
    // Many stay valid mobiles and many do not: both sides of the decision were compared.
    expect(accepted).toBeGreaterThan(NUM_RUNS / 10);
    expect(accepted).toBeLessThan(NUM_RUNS - NUM_RUNS / 10);
  });

  it("agrees on random digits after every calling code", () => {
    const codes = Object.keys(plans.country_calling_codes);
    expect(codes.length).toBeGreaterThan(200);
    const random = fc.tuple(fc.constantFrom(...codes), fc.stringMatching(/^\d{0,15}$/)).map(([code, rest]) => `+${code}${rest}`);
    fc.assert(
      fc.property(fc.oneof(random, fc.stringMatching(/^\+\d{1,17}$/)), (e164) => {
        expect(ours(e164), e164).toBe(library(e164));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
