import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FormSchema,
  type FormSchemaType,
  isUnsafePatternIssue,
  isValidInn,
  isValidSnils,
  MAX_DEPTH,
  type PropertySchema,
  SUPPORTED_SUBSET_DOC,
  validate,
} from "../../src/forms/schema";

function form(properties: Record<string, unknown>, extra: Record<string, unknown> = {}): FormSchemaType {
  return FormSchema.parse({ type: "object", properties, additionalProperties: false, ...extra });
}

/** Parses a one-field form and validates `{ v: value }`, so each keyword is tested in isolation. */
function one(schema: Record<string, unknown>, value: unknown): string[] {
  return validate(form({ v: schema }), { v: value }).map((e) => e.message);
}

function rejection(input: unknown): { path: string; message: string }[] {
  const result = FormSchema.safeParse(input);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

function nest(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < depth; i++) node = { type: "object", properties: { n: node } };
  return node;
}

describe("FormSchema: publishing", () => {
  it("accepts a realistic form with every supported keyword", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Заявление",
      description: "Пример",
      type: "object",
      required: ["name", "inn"],
      additionalProperties: false,
      properties: {
        name: { type: "string", title: "ФИО", minLength: 1, maxLength: 100, pattern: "^[\\p{L} -]+$", default: "" },
        inn: { type: "string", format: "inn" },
        age: { type: "integer", minimum: 0, maximum: 150, exclusiveMinimum: -1, exclusiveMaximum: 151, multipleOf: 1 },
        kind: { type: "string", enum: ["a", "b"] },
        agree: { type: "boolean", const: true },
        tags: { type: "array", items: { type: "string" }, minItems: 0, maxItems: 10, uniqueItems: true },
        address: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
      },
    };
    expect(FormSchema.safeParse(schema).success).toBe(true);
  });

  it.each([
    ["oneOf", { oneOf: [{ type: "string" }] }],
    ["$ref", { $ref: "#/$defs/x" }],
    ["if", { if: { type: "string" } }],
    ["patternProperties", { patternProperties: {} }],
  ])("rejects the unsupported keyword %s with its path", (keyword, extra) => {
    const issues = rejection({ type: "object", properties: { a: { type: "string", ...extra } } });
    expect(issues.some((i) => i.path === "properties.a" && i.message.includes(keyword))).toBe(true);
  });

  it("rejects unsupported keywords at the root and in nested items", () => {
    expect(rejection({ type: "object", properties: {}, $defs: {} })[0]?.message).toContain("$defs");
    const issues = rejection({ type: "object", properties: { l: { type: "array", items: { type: "string", anyOf: [] } } } });
    expect(issues[0]?.path).toBe("properties.l.items");
  });

  it("rejects a non-object root, a type array, null type, additionalProperties true and another dialect", () => {
    rejection({ type: "string" });
    rejection({ type: "object", properties: { a: { type: ["string", "null"] } } });
    rejection({ type: "object", properties: { a: { type: "null" } } });
    rejection({ type: "object", properties: {}, additionalProperties: true });
    rejection({ type: "object", properties: {}, $schema: "http://json-schema.org/draft-07/schema#" });
    rejection(null);
  });

  it("rejects keywords that belong to another type", () => {
    rejection({ type: "object", properties: { a: { type: "number", minLength: 1 } } });
    rejection({ type: "object", properties: { a: { type: "array", enum: [[1]] } } });
  });

  it("rejects patterns that do not compile or are too long", () => {
    expect(rejection({ type: "object", properties: { a: { type: "string", pattern: "([a-z" } } })[0]?.path).toBe("properties.a.pattern");
    // Valid without the u flag but not with it.
    rejection({ type: "object", properties: { a: { type: "string", pattern: "\\-" } } });
    rejection({ type: "object", properties: { a: { type: "string", pattern: "a".repeat(501) } } });
  });

  it.each([
    ["a backreference", "^(a)\\1$"],
    ["a named backreference", "^(?<x>a)\\k<x>$"],
    ["a lookahead", "^(?=a)a"],
    ["a negative lookahead", "^(?!a)b"],
    ["a lookbehind", "(?<=a)b"],
    ["a negative lookbehind", "(?<!a)b"],
  ])("marks %s, which the linear-time engine cannot run, as unsafe", (_, pattern) => {
    const result = FormSchema.safeParse({ type: "object", properties: { a: { type: "string", pattern } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.some(isUnsafePatternIssue)).toBe(true);
    expect(result.error?.issues[0]?.path.join(".")).toBe("properties.a.pattern");
  });

  it("accepts nested quantifiers, which cost linear time in the matcher", () => {
    for (const pattern of ["^(a+)+$", "^(\\w*)*x$", "^(a|a)+$", "^(\\w+\\s?)+$", "^([a-z]+[0-9]?)+$"]) {
      expect(FormSchema.safeParse({ type: "object", properties: { a: { type: "string", pattern } } }).success).toBe(true);
    }
  });

  it("enforces limits on lengths, enums and items", () => {
    rejection({ type: "object", properties: { a: { type: "string", maxLength: 10_001 } } });
    rejection({ type: "object", properties: { a: { type: "array", maxItems: 1001 } } });
    rejection({ type: "object", properties: { a: { type: "string", enum: Array.from({ length: 501 }, (_, i) => `v${i}`) } } });
    rejection({ type: "object", properties: { a: { type: "string", enum: [] } } });
    rejection({ type: "object", properties: { a: { type: "string", enum: [{ x: 1 }] } } });
    rejection({ type: "object", properties: { a: { type: "number", multipleOf: 0 } } });
  });

  it("rejects contradictions: bad required names, min above max, enum of the wrong type", () => {
    expect(rejection({ type: "object", properties: {}, required: ["ghost"] })[0]?.path).toBe("required.0");
    rejection({ type: "object", properties: { a: { type: "string", minLength: 5, maxLength: 2 } } });
    rejection({ type: "object", properties: { a: { type: "integer", minimum: 5, maximum: 2 } } });
    expect(rejection({ type: "object", properties: { a: { type: "integer", enum: [1, 1.5] } } })[0]?.path).toBe("properties.a.enum.1");
    rejection({ type: "object", properties: { a: { type: "boolean", const: "yes" } } });
  });

  it(`allows nesting to depth ${MAX_DEPTH} and rejects deeper`, () => {
    expect(FormSchema.safeParse(nest(MAX_DEPTH - 1)).success).toBe(true);
    const issues = rejection(nest(MAX_DEPTH));
    expect(issues[0]?.message).toContain("deeper");
    // Arrays count as levels too.
    let node: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < MAX_DEPTH; i++) node = { type: "array", items: node };
    rejection({ type: "object", properties: { a: node } });
  });

  it("refuses a hostile, very deep document without overflowing the stack", () => {
    let node: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 5000; i++) node = { type: "object", properties: { n: node } };
    rejection(node);
  });

  it("limits the total number of properties across all levels", () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "string" }]));
    expect(FormSchema.safeParse({ type: "object", properties: many(500) }).success).toBe(true);
    rejection({ type: "object", properties: { ...many(300), inner: { type: "object", properties: many(200) } } });
  });

  it("documents the subset", () => {
    expect(SUPPORTED_SUBSET_DOC).toContain("draft 2020-12");
    expect(SUPPORTED_SUBSET_DOC).toContain("snils");
  });
});

describe("validate: types", () => {
  it("is strict about every type", () => {
    expect(one({ type: "string" }, 1)).toEqual(["Ожидается строка"]);
    expect(one({ type: "number" }, "1")).toEqual(["Ожидается число"]);
    expect(one({ type: "number" }, Number.NaN)).toEqual(["Ожидается число"]);
    expect(one({ type: "number" }, Number.POSITIVE_INFINITY)).toEqual(["Ожидается число"]);
    expect(one({ type: "number" }, 1.5)).toEqual([]);
    expect(one({ type: "integer" }, 1.5)).toEqual(["Ожидается целое число"]);
    expect(one({ type: "integer" }, 2)).toEqual([]);
    expect(one({ type: "boolean" }, "true")).toHaveLength(1);
    expect(one({ type: "boolean" }, 0)).toHaveLength(1);
    expect(one({ type: "boolean" }, false)).toEqual([]);
    expect(one({ type: "object", properties: {} }, [])).toEqual(["Ожидается объект"]);
    expect(one({ type: "object", properties: {} }, null)).toEqual(["Ожидается объект"]);
    expect(one({ type: "array" }, { 0: "a" })).toEqual(["Ожидается список"]);
    expect(one({ type: "string" }, null)).toEqual(["Ожидается строка"]);
  });

  it("reports a non-object submission at the root path", () => {
    expect(validate(form({}), "x")).toEqual([{ path: "", message: "Ожидается объект" }]);
  });
});

describe("validate: string keywords", () => {
  it("minLength and maxLength count code points", () => {
    expect(one({ type: "string", minLength: 3 }, "ab")).toEqual(["Не меньше 3 символов"]);
    expect(one({ type: "string", minLength: 3 }, "abc")).toEqual([]);
    expect(one({ type: "string", minLength: 1 }, "")).toEqual(["Обязательное поле"]);
    expect(one({ type: "string", maxLength: 100 }, "a".repeat(101))).toEqual(["Не больше 100 символов"]);
    expect(one({ type: "string", maxLength: 1 }, "ab")).toEqual(["Не больше 1 символа"]);
    expect(one({ type: "string", maxLength: 2 }, "😀😀")).toEqual([]);
  });

  it("pattern", () => {
    expect(one({ type: "string", pattern: "^\\d{6}$" }, "123456")).toEqual([]);
    expect(one({ type: "string", pattern: "^\\d{6}$" }, "12345a")).toEqual(["Неверный формат"]);
    expect(one({ type: "string", pattern: "^\\p{Lu}" }, "Москва")).toEqual([]);
  });

  it("pattern keeps its JavaScript meaning in the linear-time engine", () => {
    const ok = (pattern: string, value: string) => one({ type: "string", pattern }, value).length === 0;
    for (const [pattern, value, expected] of [
      ["^\\u0410$", "А", true],
      ["^\\u{1F600}$", "😀", true],
      ["^\\uD83D\\uDE00$", "😀", true],
      ["^.$", "😀", true],
      ["^.$", "\n", false],
      ["^.$", "\u2028", false],
      ["^\\s$", "\u00a0", true],
      ["^\\s$", "\u3000", true],
      ["^[\\s]$", "\u00a0", true],
      ["^\\S$", "\u00a0", false],
      ["^\\S$", "x", true],
      ["^\\p{Script=Cyrillic}+$", "Тверь", true],
      ["^\\p{sc=Cyrillic}+$", "Tver", false],
      ["^\\d+$", "١٢٣", false],
      ["^[[:a]+$", "[:a", true],
      ["^[\\]a]+$", "]a", true],
      ["^(?<zip>\\d{6})$", "170000", true],
      ["^a$", "a\n", false],
      ["b", "abc", true],
    ] as const) {
      expect(ok(pattern, value), `${pattern} on ${JSON.stringify(value)}`).toBe(expected);
    }
  });

  it("pattern: catastrophic patterns answer at once on adversarial input", () => {
    // With the backtracking engine each of these took more than 20 s on 30 characters; here all run in milliseconds.
    const adversarial = (n: number) => [
      `${"a".repeat(n)}!`,
      `${"ab1".repeat(Math.floor(n / 3))}!`,
      `${"word ".repeat(Math.floor(n / 5))}!`,
    ];
    for (const pattern of ["^(a|a)+$", "^(\\w+\\s?)+$", "^([a-z]+[0-9]?)+$", "^(a+)+$"]) {
      for (const value of [...adversarial(30), ...adversarial(10_000)]) {
        expect(one({ type: "string", pattern }, value)).toEqual(["Неверный формат"]);
      }
    }
    expect(one({ type: "string", pattern: "^(\\w+\\s?)+$" }, "word ".repeat(2000).trim())).toEqual([]);
  });

  it("checks maxLength before the pattern, which does not run on a value that is too long", () => {
    expect(one({ type: "string", maxLength: 5, pattern: "^(a|a)+$" }, "a".repeat(10_000))).toEqual(["Не больше 5 символов"]);
  });

  it("enum and const", () => {
    expect(one({ type: "string", enum: ["да", "нет"] }, "да")).toEqual([]);
    expect(one({ type: "string", enum: ["да", "нет"] }, "может быть")).toEqual(["Допустимые значения: да, нет"]);
    expect(one({ type: "integer", enum: [1, 2] }, 3)).toEqual(["Допустимые значения: 1, 2"]);
    expect(one({ type: "boolean", const: true }, true)).toEqual([]);
    expect(one({ type: "boolean", const: true }, false)).toEqual(["Допустимое значение: true"]);
  });
});

describe("validate: formats", () => {
  const fmt = (format: string, value: string) => one({ type: "string", format }, value);

  it("email", () => {
    expect(fmt("email", "ivan@example.ru")).toEqual([]);
    expect(fmt("email", "иван@почта.рф")).toEqual([]);
    for (const bad of ["ivan", "ivan@", "@example.ru", "ivan@example", "iv an@example.ru", "a@b..ru"]) {
      expect(fmt("email", bad)).toEqual(["Неверный адрес электронной почты"]);
    }
  });

  it("date checks the calendar", () => {
    expect(fmt("date", "2026-02-28")).toEqual([]);
    expect(fmt("date", "2024-02-29")).toEqual([]);
    expect(fmt("date", "2026-02-30")).toEqual(["Неверный формат даты"]);
    expect(fmt("date", "2025-02-29")).toEqual(["Неверный формат даты"]);
    expect(fmt("date", "2026-13-01")).toEqual(["Неверный формат даты"]);
    expect(fmt("date", "26-01-01")).toEqual(["Неверный формат даты"]);
    expect(fmt("date", "01.02.2026")).toEqual(["Неверный формат даты"]);
  });

  it("date-time", () => {
    expect(fmt("date-time", "2026-02-28T10:20:30Z")).toEqual([]);
    expect(fmt("date-time", "2026-02-28T10:20:30.123+03:00")).toEqual([]);
    expect(fmt("date-time", "2026-02-30T10:20:30Z")).toEqual(["Неверный формат даты и времени"]);
    expect(fmt("date-time", "2026-02-28T24:00:00Z")).toHaveLength(1);
    expect(fmt("date-time", "2026-02-28T10:20:30")).toHaveLength(1);
    expect(fmt("date-time", "2026-02-28")).toHaveLength(1);
  });

  it("phone is E.164", () => {
    expect(fmt("phone", "+79991234567")).toEqual([]);
    expect(fmt("phone", "89991234567")).toHaveLength(1);
    expect(fmt("phone", "+7 999 123-45-67")).toHaveLength(1);
    expect(fmt("phone", "+0123456789")).toHaveLength(1);
  });

  it("uri must be absolute", () => {
    expect(fmt("uri", "https://gosuslugi.ru/path?q=1")).toEqual([]);
    expect(fmt("uri", "mailto:ivan@example.ru")).toEqual([]);
    expect(fmt("uri", "/relative/path")).toEqual(["Неверная ссылка"]);
    expect(fmt("uri", "not a uri")).toEqual(["Неверная ссылка"]);
  });

  it("inn: 10 and 12 digits with check digits", () => {
    // 7707083893 is a real organisation's ИНН; 500100732259 is the usual individual's example.
    expect(isValidInn("7707083893")).toBe(true);
    expect(isValidInn("500100732259")).toBe(true);
    expect(isValidInn("7707083894")).toBe(false);
    expect(isValidInn("500100732258")).toBe(false);
    expect(isValidInn("500100732269")).toBe(false);
    expect(isValidInn("770708389")).toBe(false);
    expect(isValidInn("77070838931")).toBe(false);
    expect(isValidInn("77070838a3")).toBe(false);
    expect(fmt("inn", "7707083893")).toEqual([]);
    expect(fmt("inn", "7707083894")).toEqual(["Неверный ИНН"]);
  });

  it("snils: format and check number", () => {
    // 1*9+1*8+2*7+2*6+3*5+3*4+4*3+4*2+5*1 = 95.
    expect(isValidSnils("112-233-445 95")).toBe(true);
    // 1*9+2*8+…+9*1 = 165; 165 mod 101 = 64.
    expect(isValidSnils("123-456-789 64")).toBe(true);
    expect(isValidSnils("112-233-445 96")).toBe(false);
    expect(isValidSnils("11223344595")).toBe(false);
    expect(isValidSnils("112-233-44595")).toBe(false);
    expect(fmt("snils", "112-233-445 95")).toEqual([]);
    expect(fmt("snils", "123-456-789 65")).toEqual(["Неверный СНИЛС"]);
  });
});

describe("validate: number keywords", () => {
  it("bounds", () => {
    expect(one({ type: "number", minimum: 1 }, 1)).toEqual([]);
    expect(one({ type: "number", minimum: 1 }, 0.5)).toEqual(["Не меньше 1"]);
    expect(one({ type: "number", maximum: 10 }, 10)).toEqual([]);
    expect(one({ type: "number", maximum: 10 }, 11)).toEqual(["Не больше 10"]);
    expect(one({ type: "number", exclusiveMinimum: 0 }, 0.1)).toEqual([]);
    expect(one({ type: "number", exclusiveMinimum: 0 }, 0)).toEqual(["Должно быть больше 0"]);
    expect(one({ type: "number", exclusiveMaximum: 5 }, 4.9)).toEqual([]);
    expect(one({ type: "number", exclusiveMaximum: 5 }, 5)).toEqual(["Должно быть меньше 5"]);
  });

  it("multipleOf tolerates binary fractions", () => {
    expect(one({ type: "number", multipleOf: 0.1 }, 0.3)).toEqual([]);
    expect(one({ type: "number", multipleOf: 0.01 }, 19.99)).toEqual([]);
    expect(one({ type: "integer", multipleOf: 5 }, 15)).toEqual([]);
    expect(one({ type: "integer", multipleOf: 5 }, 16)).toEqual(["Должно быть кратно 5"]);
  });
});

describe("validate: arrays and objects", () => {
  it("minItems, maxItems, uniqueItems", () => {
    expect(one({ type: "array", minItems: 2 }, [1])).toEqual(["Не меньше 2 элементов"]);
    expect(one({ type: "array", minItems: 2 }, [1, 2])).toEqual([]);
    expect(one({ type: "array", maxItems: 1 }, [1, 2])).toEqual(["Не больше 1 элемента"]);
    expect(one({ type: "array", uniqueItems: true }, [1, 2, 3])).toEqual([]);
    expect(one({ type: "array", uniqueItems: true }, [1, 2, 1])).toEqual(["Элементы не должны повторяться"]);
    // Key order does not make objects different.
    expect(
      one({ type: "array", uniqueItems: true }, [
        { a: 1, b: 2 },
        { b: 2, a: 1 },
      ]),
    ).toHaveLength(1);
    expect(one({ type: "array", uniqueItems: true }, [{ a: 1 }, { a: 2 }])).toEqual([]);
  });

  it("reports nested paths for objects and arrays", () => {
    const schema = form(
      {
        address: {
          type: "object",
          properties: { city: { type: "string", minLength: 2 } },
          required: ["city"],
          additionalProperties: false,
        },
        children: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name"] },
        },
      },
      { required: ["address"] },
    );
    expect(validate(schema, { address: { city: "Тверь" }, children: [{ name: "Аня", age: 3 }] })).toEqual([]);
    expect(validate(schema, { address: { city: "Т", zip: "1" }, children: [{ name: "Аня" }, { age: 1.5 }] })).toEqual([
      { path: "address.city", message: "Не меньше 2 символов" },
      { path: "address.zip", message: "Лишнее поле" },
      { path: "children.1.name", message: "Обязательное поле" },
      { path: "children.1.age", message: "Ожидается целое число" },
    ]);
    expect(validate(schema, {})).toEqual([{ path: "address", message: "Обязательное поле" }]);
  });

  it("additionalProperties false rejects unknown fields; without it they are allowed", () => {
    expect(validate(form({ a: { type: "string" } }), { a: "x", b: 1 })).toEqual([{ path: "b", message: "Лишнее поле" }]);
    const open = FormSchema.parse({ type: "object", properties: { a: { type: "string" } } });
    expect(validate(open, { a: "x", b: 1 })).toEqual([]);
  });

  it("does not accept required fields from the prototype", () => {
    const schema = form({ toString: { type: "string" } }, { required: ["toString"] });
    expect(validate(schema, {})).toEqual([{ path: "toString", message: "Обязательное поле" }]);
  });

  it("ignores default and reports every error at once", () => {
    const schema = form(
      {
        name: { type: "string", minLength: 1, default: "Иван" },
        email: { type: "string", format: "email" },
        age: { type: "integer", minimum: 18 },
        kind: { type: "string", enum: ["a", "b"] },
        code: { type: "string", minLength: 5, pattern: "^\\d+$" },
      },
      { required: ["name"] },
    );
    expect(validate(schema, { email: "x", age: 17, kind: "c", code: "ab", extra: true })).toEqual([
      { path: "name", message: "Обязательное поле" },
      { path: "email", message: "Неверный адрес электронной почты" },
      { path: "age", message: "Не меньше 18" },
      { path: "kind", message: "Допустимые значения: a, b" },
      { path: "code", message: "Не меньше 5 символов" },
      { path: "code", message: "Неверный формат" },
      { path: "extra", message: "Лишнее поле" },
    ]);
  });
});

describe("validate: property", () => {
  type Field = { schema: PropertySchema; value: fc.Arbitrary<unknown> };

  const field: fc.Arbitrary<Field> = fc.oneof(
    fc.tuple(fc.nat(20), fc.nat(20)).map(([a, b]): Field => {
      const [min, max] = a <= b ? [a, b] : [b, a];
      return {
        schema: { type: "string", minLength: min, maxLength: max },
        value: fc.string({ minLength: min, maxLength: max, unit: "grapheme-ascii" }),
      };
    }),
    fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })).map(([a, b]): Field => {
      const [min, max] = a <= b ? [a, b] : [b, a];
      return { schema: { type: "integer", minimum: min, maximum: max }, value: fc.integer({ min, max }) };
    }),
    fc.constant<Field>({ schema: { type: "number", minimum: -1, maximum: 1 }, value: fc.double({ min: -1, max: 1, noNaN: true }) }),
    fc.constant<Field>({ schema: { type: "boolean" }, value: fc.boolean() }),
    fc
      .uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 })
      .map((values): Field => ({ schema: { type: "string", enum: values }, value: fc.constantFrom(...values) })),
    fc.constant<Field>({
      schema: { type: "string", format: "date" },
      value: fc
        .date({ min: new Date("1900-01-01"), max: new Date("2100-12-31"), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
    }),
    fc.constant<Field>({
      schema: { type: "array", items: { type: "integer", minimum: 0 }, maxItems: 5, uniqueItems: true },
      value: fc.uniqueArray(fc.nat(), { maxLength: 5 }),
    }),
  );

  it("accepts any data generated from a schema", () => {
    const arbitrary = fc
      .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), field), { minLength: 1, maxLength: 6, selector: ([name]) => name })
      .chain((fields) => {
        const properties = Object.fromEntries(fields.map(([name, f]) => [name, f.schema]));
        const schema = FormSchema.parse({
          type: "object",
          properties,
          required: fields.map(([name]) => name),
          additionalProperties: false,
        });
        const data = fc.record(Object.fromEntries(fields.map(([name, f]) => [name, f.value])));
        return fc.tuple(fc.constant(schema), data);
      });
    fc.assert(
      fc.property(arbitrary, ([schema, data]) => {
        expect(validate(schema, data)).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });
});
