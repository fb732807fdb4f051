import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePattern, MAX_INSTRUCTIONS, UnsafePatternError } from "../../src/forms/pattern";

// The linear-time matcher against the JavaScript engine itself: on short inputs, where backtracking costs
// nothing, both must give the same answer for every pattern the matcher accepts.

const NUM_RUNS = 2_000;

/** Atoms: literals, escapes, classes and `.` over a small alphabet, so generated inputs hit them often. */
const atom = fc.constantFrom(
  "a",
  "b",
  "1",
  " ",
  "Ж",
  "😀",
  ".",
  "\\d",
  "\\D",
  "\\w",
  "\\W",
  "\\s",
  "\\S",
  "\\p{L}",
  "\\P{Lu}",
  "\\p{Script=Cyrillic}",
  "\\u0416",
  "\\u{1F600}",
  "\\uD83D\\uDE00",
  "\\x61",
  "\\n",
  "\\.",
  "[ab]",
  "[^a]",
  "[a-c1]",
  "[\\s\\d]",
  "[^\\p{L}]",
  "[\\]a]",
  "[[:a]",
);

const quantifier = fc.constantFrom("", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{0,2}", "{1,}", "{2,3}?", "{0}");

const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(atom, quantifier).map(([a, q]) => a + q),
    fc.constantFrom("^", "$", "\\b", "\\B"),
    fc.array(tie("node"), { minLength: 1, maxLength: 4 }).map((items) => items.join("")),
    fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map((items) => items.join("|")),
    fc.tuple(fc.constantFrom("(", "(?:", "(?<g>"), tie("node"), quantifier).map(([open, inner, q]) => `${open}${inner})${q}`),
  ),
})).node;

const input = fc.string({
  unit: fc.constantFrom("a", "b", "c", "1", "2", " ", "\n", "\u00a0", "Ж", "ж", "😀", "\uD83D", "_", "]", "[", ":", "."),
  maxLength: 8,
});

describe("form patterns: the linear-time matcher", () => {
  it("answers as the JavaScript engine does, for every pattern it accepts", () => {
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 5 }), (source, values) => {
        let native: RegExp;
        try {
          native = new RegExp(source, "u");
        } catch {
          // Generated named groups may repeat a name; the schema refuses such patterns before the matcher runs.
          return;
        }
        const compiled = compilePattern(source);
        for (const value of values) {
          expect(compiled.test(value), `${source} on ${JSON.stringify(value)}`).toBe(native.test(value));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("refuses what would need backtracking, and programs over the size cap", () => {
    for (const source of ["(a)\\1", "(?<x>a)\\k<x>", "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?i:a)"]) {
      expect(() => compilePattern(source), source).toThrow(UnsafePatternError);
    }
    expect(() => compilePattern(`\\d{${MAX_INSTRUCTIONS + 1}}`)).toThrow(UnsafePatternError);
    expect(() => compilePattern("((a{100}){100})")).toThrow(UnsafePatternError);
    expect(compilePattern("^\\d{1000}$").test("7".repeat(1000))).toBe(true);
  });

  it("compiles repetitions of nothing at once, however deeply nested", () => {
    const compiled = compilePattern(`${"(?:".repeat(20)}(?:){1000}${"){1000}".repeat(20)}x`);
    expect(compiled.test("x")).toBe(true);
    expect(compiled.test("y")).toBe(false);
  });
});
