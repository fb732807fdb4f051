import * as z from "zod";
import { compilePattern, MAX_INSTRUCTIONS } from "./pattern";
import { FORMATS, type FormSchemaType, matchesType, type ObjectSchema, type PropertySchema, SCHEMA_DIALECT } from "./validate";

// Submissions are checked, and the subset's types defined, in ./validate.ts, which has no zod (the web
// client's form screen imports it); they are exported from here too.
export type {
  ArraySchema,
  BooleanSchema,
  Format,
  FormSchemaType,
  NumberSchema,
  ObjectSchema,
  PropertySchema,
  StringSchema,
} from "./validate";
export { FORMATS, fileFields, isValidInn, isValidSnils, SCHEMA_DIALECT, validate } from "./validate";

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
