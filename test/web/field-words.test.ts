// The form validator's messages in English (src/web/citizen/services/field-words.ts): every sentence the
// validator (src/forms/validate.ts) says, provoked here one by one, has English words, numbers and values kept.
import { describe, expect, test } from "vitest";
import { type FormSchemaType, type PropertySchema, validate } from "../../src/forms/validate";
import { fieldMessage } from "../../src/web/citizen/services/field-words";

/** The validator's messages for `value` in a one-field form whose field is `field`. */
const said = (field: PropertySchema, value: unknown, required = false): string[] => {
  const schema: FormSchemaType = {
    type: "object",
    properties: { f: field },
    ...(required ? { required: ["f"] } : {}),
    additionalProperties: false,
  };
  return validate(schema, value === undefined ? {} : { f: value }).map((e) => e.message);
};

const CASES: [PropertySchema, unknown, boolean?][] = [
  [{ type: "string" }, 1],
  [{ type: "number" }, "1"],
  [{ type: "integer" }, 1.5],
  [{ type: "boolean" }, "yes"],
  [{ type: "object", properties: {} }, []],
  [{ type: "array" }, {}],
  ...(["email", "date", "date-time", "phone", "uri", "inn", "snils"] as const).map((format): [PropertySchema, unknown] => [
    { type: "string", format },
    "x",
  ]),
  [{ type: "string", format: "file" }, ""],
  [{ type: "string" }, undefined, true],
  [{ type: "string", minLength: 1 }, ""],
  [{ type: "string", minLength: 3 }, "ab"],
  [{ type: "string", maxLength: 1 }, "ab"],
  [{ type: "string", maxLength: 5 }, "abcdefg"],
  [{ type: "string", pattern: "^[0-9]+$" }, "ab"],
  [{ type: "string", pattern: "(a)\\1" }, "aa"],
  [{ type: "number", minimum: 2.5 }, 1],
  [{ type: "number", maximum: 10 }, 11],
  [{ type: "number", exclusiveMinimum: 0 }, 0],
  [{ type: "number", exclusiveMaximum: 0 }, 0],
  [{ type: "number", multipleOf: 5 }, 7],
  [{ type: "array", minItems: 2 }, [1]],
  [{ type: "array", maxItems: 1 }, [1, 2]],
  [{ type: "array", uniqueItems: true }, [1, 1]],
  [{ type: "string", const: "yes" }, "no"],
  [{ type: "string", enum: ["Work", "Study"] }, "Rest"],
  [{ type: "object", properties: {}, additionalProperties: false }, { extra: 1 }],
];

describe("form messages in English", () => {
  const messages = new Set(CASES.flatMap(([field, value, required]) => said(field, value, required)));

  test("each case provokes a message, all of them Russian", () => {
    for (const [field, value, required] of CASES) expect(said(field, value, required), JSON.stringify(field)).not.toEqual([]);
    for (const m of messages) expect(m).toMatch(/[\u0400-\u04FF]/);
    expect(messages).toContain("Поле нельзя проверить: ведомству нужно обновить форму");
  });

  test("every message the validator says has its English", () => {
    for (const m of messages) expect(fieldMessage(m, "en"), m).not.toMatch(/[\u0400-\u04FF]/);
  });

  test("numbers, plurals and values are kept", () => {
    expect(fieldMessage("Не меньше 3 символов", "en")).toBe("At least 3 characters");
    expect(fieldMessage("Не больше 1 символа", "en")).toBe("At most 1 character");
    expect(fieldMessage("Не меньше 2 элементов", "en")).toBe("At least 2 items");
    expect(fieldMessage("Не меньше 2.5", "en")).toBe("At least 2.5");
    expect(fieldMessage("Допустимые значения: Work, Study", "en")).toBe("Allowed values: Work, Study");
    expect(fieldMessage("Обязательное поле", "en")).toBe("Required");
  });

  test("Russian stays as the validator says it; an unknown sentence stays as it is", () => {
    expect(fieldMessage("Не меньше 3 символов", "ru")).toBe("Не меньше 3 символов");
    expect(fieldMessage("Something new", "en")).toBe("Something new");
  });
});
