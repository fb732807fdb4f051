import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalizationError, canonicalize } from "../../src/audit/jcs";

// RFC 8785 JSON Canonicalization Scheme: the RFC's own examples, its number vectors, and properties.

/** A double from its IEEE 754 bit pattern, as RFC 8785 Appendix B lists them. */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("canonicalize: RFC 8785 examples", () => {
  it("§3.2.2: literals, numbers and string escaping", () => {
    // The input exactly as the RFC writes it, parsed as JSON.
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalize(JSON.parse(input))).toBe(expected);
  });

  it("§3.2.3: members sorted by UTF-16 code units, not by code points or locale", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 although its code point is larger.
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("Appendix B: every number vector", () => {
    const vectors: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    for (const [bits, text] of vectors) expect(canonicalize(fromBits(bits)), bits).toBe(text);
  });

  it("Appendix B: NaN and Infinity have no canonical form", () => {
    for (const bits of ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]) {
      expect(() => canonicalize(fromBits(bits))).toThrow(CanonicalizationError);
    }
  });

  it("numbers at the switch between plain and exponent notation", () => {
    expect(canonicalize(1e21)).toBe("1e+21");
    expect(canonicalize(1e20)).toBe("100000000000000000000");
    expect(canonicalize(0.000001)).toBe("0.000001");
    expect(canonicalize(1e-7)).toBe("1e-7");
    expect(canonicalize(-0)).toBe("0");
    expect(canonicalize([-0, 0.1 + 0.2, -1.5, 2 ** 53 + 2])).toBe("[0,0.30000000000000004,-1.5,9007199254740994]");
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => canonicalize({ a: [bad] })).toThrow(CanonicalizationError);
    }
  });
});

describe("canonicalize: structure", () => {
  it("no whitespace, arrays keep their order, nested objects are sorted too", () => {
    expect(canonicalize({ b: [3, 1, 2], a: { d: true, c: false } })).toBe('{"a":{"c":false,"d":true},"b":[3,1,2]}');
    expect(canonicalize([])).toBe("[]");
    expect(canonicalize({})).toBe("{}");
    expect(canonicalize("")).toBe('""');
  });

  it("null is kept; undefined members are omitted, as JSON.stringify does", () => {
    expect(canonicalize({ z: null, y: undefined, x: 1 })).toBe('{"x":1,"z":null}');
    expect(canonicalize([undefined, null])).toBe("[null,null]");
    expect(() => canonicalize(undefined)).toThrow(CanonicalizationError);
  });

  it("strings are escaped minimally, like JSON.stringify", () => {
    expect(canonicalize('\u0000\u001f\u007f\u2028\u2029"\\/\b\f\n\r\t')).toBe('"\\u0000\\u001f\u007f\u2028\u2029\\"\\\\/\\b\\f\\n\\r\\t"');
    expect(canonicalize("Привет, 世界 👋")).toBe('"Привет, 世界 👋"');
  });

  it("toJSON and boxed primitives serialise as JSON.stringify would", () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    expect(canonicalize({ at })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
    // Object(x) boxes a primitive.
    expect(canonicalize([Object(1), Object("s"), Object(false)])).toBe('[1,"s",false]');
  });

  it("refuses what is not I-JSON: lone surrogates, BigInt, cycles", () => {
    expect(() => canonicalize("\ud800")).toThrow(CanonicalizationError);
    expect(() => canonicalize({ "\udc00": 1 })).toThrow(CanonicalizationError);
    expect(() => canonicalize({ n: 1n })).toThrow(CanonicalizationError);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(CanonicalizationError);
    // A shared (not cyclic) reference is fine.
    const shared = { v: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"v":1},"b":{"v":1}}');
  });
});

/** JSON values with strings over all of Unicode (fast-check never produces lone surrogates here). */
const jsonValue = fc.jsonValue({ stringUnit: "binary" });

/** The same object with its members inserted in another order. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const order = entries.map((e, i) => ({ e, k: (i * 7919 + seed * 104729) % (entries.length + 13) }));
  order.sort((x, y) => x.k - y.k);
  return Object.fromEntries(order.map(({ e: [k, v] }, i) => [k, shuffled(v, seed + i)]));
}

describe("canonicalize: properties", () => {
  it("is valid JSON that parses back to the same value as JSON.stringify's output does", () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        // Not to `v` itself: -0 is written as 0, by both.
        expect(JSON.parse(canonicalize(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });

  it("is a fixed point and ignores member insertion order", () => {
    fc.assert(
      fc.property(jsonValue, fc.nat(1000), (v, seed) => {
        const c = canonicalize(v);
        expect(canonicalize(JSON.parse(c))).toBe(c);
        expect(canonicalize(shuffled(v, seed))).toBe(c);
        expect(c).toBe(canonicalize(JSON.parse(JSON.stringify(v, null, 2))));
      }),
      { numRuns: 300 },
    );
  });

  it("member names come out in UTF-16 code unit order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), fc.integer()), (dict) => {
        const names = Object.keys(JSON.parse(canonicalize(dict)));
        const byCodeUnits = [...names].sort((x, y) => {
          for (let i = 0; i < Math.min(x.length, y.length); i++) {
            const d = x.charCodeAt(i) - y.charCodeAt(i);
            if (d !== 0) return d;
          }
          return x.length - y.length;
        });
        expect(names).toEqual(byCodeUnits);
      }),
      { numRuns: 300 },
    );
  });
});
