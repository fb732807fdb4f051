import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePhone } from "../../src/auth/phone";

// Phone normalisation, as properties over generated inputs.

const E164 = /^\+[1-9]\d{7,14}$/;
const NUM_RUNS = 300;

/** The nine digits after "+79" of a Russian mobile number. */
const subscriber = fc.stringMatching(/^\d{9}$/);

/** The ways people write the country code of a Russian mobile number (or leave it out). */
const prefix = fc.constantFrom("+7", "+ 7", "8", "7", "007", "00 7", "00-7", "");
/** Separators people put between digit groups. */
const separator = fc.constantFrom("", " ", "-", " - ", "\u00a0", ".", "\u2011", "\u2013");

/** "+79161234567" written in one of the common forms: "+7 (916) 123-45-67", "8 916 123 45 67", "0079161234567", "9161234567"… */
const typedMobile = fc
  .record({
    digits: subscriber,
    prefix,
    seps: fc.tuple(separator, separator, separator, separator),
    parens: fc.boolean(),
    padding: fc.constantFrom("", " ", "  ", "\t", "\n"),
  })
  .map(({ digits, prefix, seps, parens, padding }) => {
    const area = `9${digits.slice(0, 2)}`;
    const groups = [parens ? `(${area})` : area, digits.slice(2, 5), digits.slice(5, 7), digits.slice(7, 9)];
    const body = groups.map((g, i) => (i === 0 ? "" : seps[i]) + g).join("");
    return { e164: `+79${digits}`, typed: `${padding}${prefix}${prefix ? seps[0] : ""}${body}${padding}` };
  });

/** Strings made mostly of the characters phone numbers are written with, so that many of them normalise. */
const phoneLike = fc.string({
  unit: fc.constantFrom("0", "1", "2", "7", "8", "9", "4", "+", " ", "-", "(", ")", ".", "x", "\u00a0"),
  maxLength: 45,
});

const anyString = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: "binary", maxLength: 60 }), phoneLike);

describe("normalizePhone", () => {
  it("every common way of writing a Russian mobile number normalises to the same E.164", () => {
    fc.assert(
      fc.property(typedMobile, ({ e164, typed }) => {
        expect(normalizePhone(typed)).toBe(e164);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("the fixed forms of one number all agree", () => {
    fc.assert(
      fc.property(subscriber, (d) => {
        const e164 = `+79${d}`;
        const [a, b, c, x, y] = [d.slice(0, 2), d.slice(2, 5), d.slice(5, 7), d.slice(7, 9), d.slice(2)];
        const forms = [
          e164,
          `+7 9${a} ${b} ${c} ${x}`,
          `+7 (9${a}) ${b}-${c}-${x}`,
          `+7-9${a}-${b}-${c}-${x}`,
          `8 (9${a}) ${b}-${c}-${x}`,
          `89${a}${y}`,
          `8-9${a}-${b}-${c}-${x}`,
          `79${a}${y}`,
          `9${a}${y}`,
          `(9${a}) ${b}-${c}-${x}`,
          `0079${a}${y}`,
          `00 7 9${a} ${b} ${c} ${x}`,
          `  +79${a}${y}  `,
        ];
        for (const form of forms) expect(normalizePhone(form), form).toBe(e164);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("other countries keep their code whether written with + or 00", () => {
    const foreign = fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{8,13}$/))
      .map(([first, rest]) => `${first}${rest}`)
      .filter((digits) => !digits.startsWith("7"));
    fc.assert(
      fc.property(foreign, (digits) => {
        const e164 = `+${digits}`;
        expect(normalizePhone(e164)).toBe(e164);
        expect(normalizePhone(`00${digits}`)).toBe(e164);
        expect(normalizePhone(`00 ${digits.slice(0, 2)} ${digits.slice(2)}`)).toBe(e164);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("the result is always null or E.164", () => {
    fc.assert(
      fc.property(anyString, (input) => {
        const out = normalizePhone(input);
        if (out !== null) expect(out).toMatch(E164);
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("is idempotent: normalising a normalised number changes nothing", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyString,
          typedMobile.map((t) => t.typed),
        ),
        (input) => {
          const once = normalizePhone(input);
          if (once !== null) expect(normalizePhone(once)).toBe(once);
        },
      ),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("never throws, whatever the string", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyString, fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ minLength: 38, maxLength: 50 })),
        (input) => {
          expect(() => normalizePhone(input)).not.toThrow();
        },
      ),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("a Russian number has exactly ten digits after +7", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,14}$/), (digits) => {
        const out = normalizePhone(`+7${digits}`);
        if (digits.length === 10) expect(out).toBe(`+7${digits}`);
        else expect(out).toBeNull();
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
