import * as z from "zod";
import type { FieldError } from "../lib/errors";
import { compilePattern, MAX_INSTRUCTIONS, patternMatches, UnsafePatternError } from "./pattern";

/**
 * Forms are published by agencies as a small subset of JSON Schema draft 2020-12. The subset is
 * deliberately closed: FormSchema rejects every keyword we do not enforce in `validate`, so a
 * citizen is never shown a constraint that the server silently ignores.
 */

export const MAX_DEPTH = 8;
export const MAX_TOTAL_PROPERTIES = 500;
export const MAX_STRING_LENGTH = 10_000;
export const MAX_PATTERN_LENGTH = 500;
export const MAX_ENUM_VALUES = 500;
export const MAX_ARRAY_ITEMS = 1000;

export const SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

/** `file`: the value is the id of a file the citizen uploaded (POST /media); the submission attaches it. */
export const FORMATS = ["email", "date", "date-time", "phone", "uri", "inn", "snils", "file"] as const;
export type Format = (typeof FORMATS)[number];

type Primitive = string | number | boolean | null;

interface Display {
  title?: string;
  description?: string;
  default?: unknown;
}

export interface StringSchema extends Display {
  type: "string";
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: Format;
  enum?: Primitive[];
  const?: Primitive;
}

export interface NumberSchema extends Display {
  type: "number" | "integer";
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  enum?: Primitive[];
  const?: Primitive;
}

export interface BooleanSchema extends Display {
  type: "boolean";
  enum?: Primitive[];
  const?: Primitive;
}

export interface ArraySchema extends Display {
  type: "array";
  items?: PropertySchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

export interface ObjectSchema extends Display {
  type: "object";
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: false;
}

export type PropertySchema = StringSchema | NumberSchema | BooleanSchema | ArraySchema | ObjectSchema;

export interface FormSchemaType extends ObjectSchema {
  $schema?: typeof SCHEMA_DIALECT;
}

const count = z.number().int().nonnegative();
const primitive = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const display = { title: z.string().max(500).optional(), description: z.string().max(5000).optional(), default: z.unknown().optional() };
const choices = { enum: z.array(primitive).min(1).max(MAX_ENUM_VALUES).optional(), const: primitive.optional() };

/** Marks the issue of a pattern the linear-time engine cannot run, which publishing answers with `422 unsafe_pattern`. */
export const UNSAFE_PATTERN = "unsafe_pattern";

export function isUnsafePatternIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === "custom" && (issue.params as { reason?: string } | undefined)?.reason === UNSAFE_PATTERN;
}

/**
 * A pattern must be a JavaScript RegExp with the u flag (what browsers and JSON Schema tools read) and must
 * compile for the linear-time engine that evaluates it (./pattern.ts): no backtracking engine ever sees
 * citizen input, so no pattern can stall the isolate.
 */
const patternSchema = z
  .string()
  .max(MAX_PATTERN_LENGTH, `pattern must be at most ${MAX_PATTERN_LENGTH} characters`)
  .superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern, "u");
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `pattern is not a valid regular expression with the u flag: ${(e as Error).message}` });
      return;
    }
    try {
      compilePattern(pattern);
    } catch (e) {
      ctx.addIssue({
        code: "custom",
        params: { reason: UNSAFE_PATTERN },
        message: `pattern cannot be evaluated in linear time (backreferences, lookaround, modifiers and very large repetitions are not supported): ${(e as Error).message}`,
      });
    }
  });

const stringSchema = z.strictObject({
  type: z.literal("string"),
  ...display,
  minLength: count.max(MAX_STRING_LENGTH).optional(),
  maxLength: count.max(MAX_STRING_LENGTH).optional(),
  pattern: patternSchema.optional(),
  format: z.enum(FORMATS).optional(),
  ...choices,
});

const finite = z.number().refine(Number.isFinite, "must be a finite number");
const numberSchema = z.strictObject({
  type: z.enum(["number", "integer"]),
  ...display,
  minimum: finite.optional(),
  maximum: finite.optional(),
  exclusiveMinimum: finite.optional(),
  exclusiveMaximum: finite.optional(),
  multipleOf: z.number().positive().refine(Number.isFinite, "must be a finite number").optional(),
  ...choices,
});

const booleanSchema = z.strictObject({ type: z.literal("boolean"), ...display, ...choices });

const arraySchema = z.strictObject({
  type: z.literal("array"),
  ...display,
  get items(): z.ZodOptional<z.ZodType<PropertySchema>> {
    return propertySchema.optional();
  },
  minItems: count.max(MAX_ARRAY_ITEMS).optional(),
  maxItems: count.max(MAX_ARRAY_ITEMS).optional(),
  uniqueItems: z.boolean().optional(),
});

const objectShape = {
  type: z.literal("object"),
  ...display,
  get properties(): z.ZodRecord<z.ZodString, z.ZodType<PropertySchema>> {
    return z.record(z.string().min(1).max(200), propertySchema);
  },
  required: z.array(z.string()).optional(),
  additionalProperties: z.literal(false).optional(),
};

const objectSchema = z.strictObject(objectShape);

const propertySchema: z.ZodType<PropertySchema> = z
  .discriminatedUnion("type", [stringSchema, numberSchema, booleanSchema, arraySchema, objectSchema])
  .superRefine((schema, ctx) => checkConsistency(schema, ctx));

type Ctx = z.RefinementCtx;

/** Contradictions (a minimum above its maximum, an enum value of the wrong type) make a form no one can submit. */
function checkConsistency(schema: PropertySchema, ctx: Ctx): void {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: "custom", path: [path], message });
  switch (schema.type) {
    case "string":
      if (schema.minLength !== undefined && schema.maxLength !== undefined && schema.minLength > schema.maxLength) {
        issue("minLength", "minLength is greater than maxLength");
      }
      break;
    case "number":
    case "integer":
      if (schema.minimum !== undefined && schema.maximum !== undefined && schema.minimum > schema.maximum) {
        issue("minimum", "minimum is greater than maximum");
      }
      break;
    case "array":
      if (schema.minItems !== undefined && schema.maxItems !== undefined && schema.minItems > schema.maxItems) {
        issue("minItems", "minItems is greater than maxItems");
      }
      return;
    case "object":
      for (const [i, name] of (schema.required ?? []).entries()) {
        if (!Object.hasOwn(schema.properties, name)) {
          ctx.addIssue({ code: "custom", path: ["required", i], message: `required property "${name}" is not defined in properties` });
        }
      }
      return;
  }
  const kind = schema.type;
  for (const [i, value] of (schema.enum ?? []).entries()) {
    if (!matchesType(kind, value)) ctx.addIssue({ code: "custom", path: ["enum", i], message: `enum value does not match type "${kind}"` });
  }
  if (schema.const !== undefined && !matchesType(kind, schema.const)) issue("const", `const does not match type "${kind}"`);
}

function matchesType(type: PropertySchema["type"], value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
}

/** Walks the parsed schema once so that size limits are reported against the path where they were exceeded. */
function checkLimits(root: ObjectSchema, ctx: Ctx): void {
  let total = 0;
  let reportedTotal = false;
  const walk = (schema: PropertySchema, depth: number, path: (string | number)[]): void => {
    if (depth > MAX_DEPTH) {
      ctx.addIssue({ code: "custom", path, message: `schema is nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (schema.type === "object") {
      for (const [name, child] of Object.entries(schema.properties)) {
        total += 1;
        if (total > MAX_TOTAL_PROPERTIES && !reportedTotal) {
          reportedTotal = true;
          ctx.addIssue({
            code: "custom",
            path: [...path, "properties", name],
            message: `schema has more than ${MAX_TOTAL_PROPERTIES} properties`,
          });
        }
        walk(child, depth + 1, [...path, "properties", name]);
      }
    } else if (schema.type === "array" && schema.items) {
      walk(schema.items, depth + 1, [...path, "items"]);
    }
  };
  walk(root, 1, []);
}

/** Measures nesting on the raw input, so a hostile, very deep document is refused before the recursive parse. */
function rawDepth(value: unknown, limit: number): number {
  if (typeof value !== "object" || value === null) return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, rawDepth(child, limit - 1));
    if (deepest >= limit) break;
  }
  return deepest + 1;
}

// Each schema level costs two raw levels (`properties` → name, or `items`), plus slack for `enum`/`default` values.
const RAW_DEPTH_LIMIT = MAX_DEPTH * 2 + 8;

const rootSchema = z.strictObject({ ...objectShape, $schema: z.literal(SCHEMA_DIALECT).optional() }).superRefine((schema, ctx) => {
  checkConsistency(schema, ctx);
  checkLimits(schema, ctx);
});

export const FormSchema: z.ZodType<FormSchemaType, unknown> = z
  .unknown()
  .superRefine((raw, ctx) => {
    if (rawDepth(raw, RAW_DEPTH_LIMIT) > RAW_DEPTH_LIMIT) {
      ctx.addIssue({ code: "custom", message: `schema is nested deeper than ${MAX_DEPTH} levels` });
    }
  })
  .pipe(rootSchema);

/**
 * A form's schema as stored. It passed FormSchema when it was published; one published before patterns had
 * to run in linear time may hold a pattern the engine refuses. Such a schema is still used, and that field
 * fails validation (`validate`) rather than the whole request: no backtracking engine ever runs it.
 */
export function storedFormSchema(json: string): FormSchemaType {
  const raw: unknown = JSON.parse(json);
  const parsed = FormSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  if (parsed.error.issues.every(isUnsafePatternIssue)) return raw as FormSchemaType;
  throw parsed.error;
}

// ---------------------------------------------------------------------------------------------
// Validation of submissions
// ---------------------------------------------------------------------------------------------

const TYPE_MESSAGES: Record<PropertySchema["type"], string> = {
  string: "Ожидается строка",
  number: "Ожидается число",
  integer: "Ожидается целое число",
  boolean: "Ожидается «да» или «нет»",
  object: "Ожидается объект",
  array: "Ожидается список",
};

const FORMAT_MESSAGES: Record<Format, string> = {
  email: "Неверный адрес электронной почты",
  date: "Неверный формат даты",
  "date-time": "Неверный формат даты и времени",
  phone: "Неверный номер телефона, ожидается формат +79991234567",
  uri: "Неверная ссылка",
  inn: "Неверный ИНН",
  snils: "Неверный СНИЛС",
  file: "Приложите файл",
};

/**
 * Validates a citizen's submission against a schema that FormSchema accepted. Returns every
 * problem at once (an empty array means valid), so the form can highlight all fields in one round.
 */
export function validate(schema: FormSchemaType, data: unknown): FieldError[] {
  const errors: FieldError[] = [];
  check(schema, data, [], errors);
  return errors;
}

function check(schema: PropertySchema, value: unknown, path: string[], errors: FieldError[]): void {
  const fail = (message: string, at: string[] = path): void => {
    errors.push({ path: at.join("."), message });
  };
  if (!matchesType(schema.type, value)) {
    // Further keywords would only repeat the same complaint in less useful words.
    fail(TYPE_MESSAGES[schema.type]);
    return;
  }
  switch (schema.type) {
    case "string":
      checkString(schema, value as string, fail);
      break;
    case "number":
    case "integer":
      checkNumber(schema, value as number, fail);
      break;
    case "boolean":
      break;
    case "array":
      checkArray(schema, value as unknown[], path, errors, fail);
      return;
    case "object":
      checkObject(schema, value as Record<string, unknown>, path, errors, fail);
      return;
  }
  if (schema.const !== undefined && value !== schema.const) {
    fail(`Допустимое значение: ${String(schema.const)}`);
  } else if (schema.enum && !schema.enum.includes(value as Primitive)) {
    fail(`Допустимые значения: ${schema.enum.map(String).join(", ")}`);
  }
}

type Fail = (message: string, at?: string[]) => void;

function checkString(schema: StringSchema, value: string, fail: Fail): void {
  // JSON Schema counts code points, not UTF-16 units, so an emoji is one character.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    fail(
      schema.minLength === 1
        ? "Обязательное поле"
        : `Не меньше ${schema.minLength} ${plural(schema.minLength, "символа", "символов", "символов")}`,
    );
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    fail(`Не больше ${schema.maxLength} ${plural(schema.maxLength, "символа", "символов", "символов")}`);
    // Too long is already wrong: no pattern runs on a value longer than the form allows.
    return;
  }
  if (schema.pattern !== undefined) {
    let matches: boolean;
    try {
      matches = patternMatches(schema.pattern, value);
    } catch (e) {
      if (!(e instanceof UnsafePatternError)) throw e;
      // Published before patterns had to be linear (storedFormSchema): never run, never passed.
      fail("Поле нельзя проверить: ведомству нужно обновить форму");
      matches = true;
    }
    if (!matches) fail("Неверный формат");
  }
  if (schema.format !== undefined && !FORMAT_CHECKS[schema.format](value)) fail(FORMAT_MESSAGES[schema.format]);
}

function checkNumber(schema: NumberSchema, value: number, fail: Fail): void {
  if (schema.minimum !== undefined && value < schema.minimum) fail(`Не меньше ${schema.minimum}`);
  if (schema.maximum !== undefined && value > schema.maximum) fail(`Не больше ${schema.maximum}`);
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) fail(`Должно быть больше ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) fail(`Должно быть меньше ${schema.exclusiveMaximum}`);
  if (schema.multipleOf !== undefined && !isMultipleOf(value, schema.multipleOf)) fail(`Должно быть кратно ${schema.multipleOf}`);
}

/** Binary floating point makes 0.3 / 0.1 = 2.9999999999999996, so compare with a relative tolerance. */
function isMultipleOf(value: number, divisor: number): boolean {
  const quotient = value / divisor;
  return Math.abs(quotient - Math.round(quotient)) <= 1e-9 * Math.max(1, Math.abs(quotient));
}

function checkArray(schema: ArraySchema, value: unknown[], path: string[], errors: FieldError[], fail: Fail): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    fail(`Не меньше ${schema.minItems} ${plural(schema.minItems, "элемента", "элементов", "элементов")}`);
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    fail(`Не больше ${schema.maxItems} ${plural(schema.maxItems, "элемента", "элементов", "элементов")}`);
  }
  if (schema.uniqueItems) {
    const seen = new Set<string>();
    for (const [i, item] of value.entries()) {
      const key = canonicalJson(item);
      if (seen.has(key)) fail("Элементы не должны повторяться", [...path, String(i)]);
      seen.add(key);
    }
  }
  const items = schema.items;
  if (items) {
    for (const [i, item] of value.entries()) check(items, item, [...path, String(i)], errors);
  }
}

function checkObject(schema: ObjectSchema, value: Record<string, unknown>, path: string[], errors: FieldError[], fail: Fail): void {
  const required = new Set(schema.required ?? []);
  for (const [name, child] of Object.entries(schema.properties)) {
    const at = [...path, name];
    // Only own properties count: a submission must not satisfy a field through its prototype.
    if (!Object.hasOwn(value, name) || value[name] === undefined) {
      if (required.has(name)) fail("Обязательное поле", at);
      continue;
    }
    check(child, value[name], at, errors);
  }
  if (schema.additionalProperties === false) {
    for (const name of Object.keys(value)) {
      if (!Object.hasOwn(schema.properties, name)) fail("Лишнее поле", [...path, name]);
    }
  }
}

/** Key order must not make two equal objects look different to uniqueItems. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

function plural(n: number, one: string, few: string, many: string): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

function isValidDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids local DST surprises.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isValidDateTime(text: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/u.exec(text);
  if (!m || !isValidDate(m[1] ?? "")) return false;
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4])];
  // RFC 3339 allows second 60 for leap seconds.
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[5] !== undefined && (Number(m[6]) > 23 || Number(m[7]) > 59)) return false;
  return true;
}

function isValidUri(text: string): boolean {
  // `new URL` alone accepts relative-looking junk once a base is guessed; require an explicit scheme.
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/u.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function digits(text: string): number[] {
  return [...text].map(Number);
}

function weightedSum(ds: number[], weights: number[]): number {
  return weights.reduce((sum, w, i) => sum + w * (ds[i] ?? 0), 0);
}

/** ИНН: 10 digits for organisations (one check digit) or 12 for individuals (two), weights per ФНС. */
export function isValidInn(text: string): boolean {
  if (!/^(?:\d{10}|\d{12})$/u.test(text)) return false;
  const ds = digits(text);
  const control = (weights: number[]): number => (weightedSum(ds, weights) % 11) % 10;
  if (ds.length === 10) return control([2, 4, 10, 3, 5, 9, 4, 6, 8]) === ds[9];
  return control([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) === ds[10] && control([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) === ds[11];
}

/** СНИЛС: "###-###-### ##"; the last two digits check the first nine (weights 9..1, modulo 101). */
export function isValidSnils(text: string): boolean {
  const m = /^(\d{3})-(\d{3})-(\d{3}) (\d{2})$/u.exec(text);
  if (!m) return false;
  const number = `${m[1]}${m[2]}${m[3]}`;
  // The Pension Fund only assigns check digits to numbers above 001-001-998.
  if (Number(number) <= 1001998) return true;
  let sum = weightedSum(digits(number), [9, 8, 7, 6, 5, 4, 3, 2, 1]) % 101;
  if (sum === 100) sum = 0;
  return sum === Number(m[4]);
}

const FORMAT_CHECKS: Record<Format, (value: string) => boolean> = {
  email: (v) => v.length <= 254 && /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/u.test(v),
  date: isValidDate,
  "date-time": isValidDateTime,
  phone: (v) => /^\+[1-9]\d{6,14}$/u.test(v),
  uri: isValidUri,
  inn: isValidInn,
  snils: isValidSnils,
  // Whose file it is, and that it exists, is checked against storage when the submission is stored.
  file: (v) => /^[0-9A-Za-z_-]{1,64}$/u.test(v),
};

/**
 * The files a submission's `file` fields name, with the dotted path of each (as validation errors give
 * them), in schema order: top-level fields and fields of nested objects.
 */
export function fileFields(schema: ObjectSchema, data: unknown, prefix = ""): { path: string; id: string }[] {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return [];
  const values = data as Record<string, unknown>;
  return Object.entries(schema.properties).flatMap(([name, property]) => {
    const value = values[name];
    const path = prefix ? `${prefix}.${name}` : name;
    if (property.type === "string" && property.format === "file" && typeof value === "string") return [{ path, id: value }];
    if (property.type === "object") return fileFields(property, value, path);
    return [];
  });
}

export const SUPPORTED_SUBSET_DOC = `# Form schemas

Forms are JSON Schema draft 2020-12, restricted to the subset below. A schema that uses anything
else is rejected when it is published, so every rule a citizen sees is enforced by the server.

- Root: \`{ "type": "object", "properties": {…}, "required": [...], "additionalProperties": false }\`,
  optional \`title\`, \`description\`, \`$schema\` (only \`${SCHEMA_DIALECT}\`).
- Every property has a \`type\`: \`string\`, \`number\`, \`integer\`, \`boolean\`, \`object\` or \`array\`,
  and may have \`title\`, \`description\` and \`default\` (display only; not used in validation).
- string: \`minLength\`, \`maxLength\` (≤ ${MAX_STRING_LENGTH}, counted in code points), \`pattern\`
  (a JavaScript RegExp with the \`u\` flag, ≤ ${MAX_PATTERN_LENGTH} characters, matched anywhere in the value unless anchored),
  \`format\`: \`email\`, \`date\` (YYYY-MM-DD, real calendar day), \`date-time\` (RFC 3339), \`phone\` (E.164),
  \`uri\` (absolute), \`inn\` (ИНН, 10 or 12 digits with check digits), \`snils\` (СНИЛС \`###-###-### ##\` with check number),
  \`file\` (the id of a file the citizen uploaded with \`POST /api/v1/media\`; the submission attaches it, and it must be the
  caller's own finished upload, else \`400 unknown_media\` with the field's path).
- number / integer: \`minimum\`, \`maximum\`, \`exclusiveMinimum\`, \`exclusiveMaximum\` (numbers, as in 2020-12), \`multipleOf\` (> 0).
- string, number, integer, boolean: \`enum\` (1–${MAX_ENUM_VALUES} values of the property's type), \`const\`.
- array: \`items\` (one schema for every item), \`minItems\`, \`maxItems\` (≤ ${MAX_ARRAY_ITEMS}), \`uniqueItems\`.
- object: \`properties\`, \`required\` (names defined in \`properties\`), \`additionalProperties: false\`.
- Limits: nesting depth ${MAX_DEPTH}, ${MAX_TOTAL_PROPERTIES} properties in total.
- Not supported: \`$ref\`, \`$defs\`, \`oneOf\`/\`anyOf\`/\`allOf\`/\`not\`, \`if\`/\`then\`/\`else\`, \`null\` type, type arrays,
  \`patternProperties\`, \`prefixItems\`, \`contains\`, and any other keyword.

Patterns are evaluated by a linear-time matcher, never by a backtracking engine, so no pattern and no
input can make validation slow; a value longer than \`maxLength\` is refused before its pattern runs.
A pattern that only a backtracking engine can run is refused when the form is published with
\`422 unsafe_pattern\`: backreferences (\`\\1\`, \`\\k<name>\`), lookahead and lookbehind (\`(?=\`, \`(?!\`,
\`(?<=\`, \`(?<!\`), group modifiers (\`(?i:\`), and patterns that expand past ${MAX_INSTRUCTIONS} steps once
counted repetitions are written out (\`\\d{6}\` is 6). Everything else means exactly what it means in
JavaScript with the \`u\` flag (each character, escape and class is decided by JavaScript's own engine):
\`\\s\`, \`.\`, \`\\d\`, \`\\w\`, \`\\b\`, \`\\p{L}\`, \`\\p{Script=Cyrillic}\`, \`\\u0410\`, \`\\u{1F600}\`. Nested quantifiers
such as \`(a+)+\` are fine.

Types are strict: \`"1"\` is not a number, \`1.5\` is not an integer, \`"true"\` is not a boolean.
Validation reports every error at once, each with a dotted \`path\` (\`address.city\`, \`children.0.name\`;
the root is \`""\`) and a message in Russian for the citizen.
`;
