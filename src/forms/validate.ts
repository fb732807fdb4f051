// A citizen's submission checked against a form's schema, and the types of the JSON Schema subset forms
// are written in. No zod here: the web client's form screen imports this (docs/performance.md, "Bundle
// size"), and ./schema.ts, which parses the schemas agencies publish with zod, builds on it.

import type { FieldError } from "../lib/errors";
import { patternMatches, UnsafePatternError } from "./pattern";

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

/** Whether `value` is of the JSON Schema `type` (finite numbers only; integers have no fraction). */
export function matchesType(type: PropertySchema["type"], value: unknown): boolean {
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
