// Fuzzing every POST, PATCH and PUT of the OpenAPI document with bodies drawn from its own schemas: bodies of
// the documented shape and malformed ones (wrong types, missing fields, junk, not JSON). Whatever arrives,
// the server answers without a 5xx, and a refused request (4xx) changes nothing a user can see: the listings
// of the resources the operation touches read the same before and after.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, callJson, newAgency, newChat, postText, type SignedIn, signIn, type TestAgency } from "../helpers";

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
};
interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Operations the fuzzer leaves alone: dev-only ones, raw byte uploads, and the one that ends its own session. */
const SKIP = [/^\/api\/v1\/dev\//, /^post \/api\/v1\/media$/, /\/parts\/\{n\}$/, /^post \/api\/v1\/auth\/logout$/];

/**
 * Values that make a body of the documented shape also meaningful (a real citizen's phone, a currency),
 * so that accepted requests are exercised too; each is one choice among generated ones.
 */
let hints: Record<string, fc.Arbitrary<unknown>> = {};

function arbitraryOf(doc: Doc, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    return arbitraryOf(doc, doc.components.schemas[name] ?? {}, depth);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => arbitraryOf(doc, s, depth)));
  if (schema.allOf?.[0]) return arbitraryOf(doc, schema.allOf[0], depth);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryOf(doc, { ...schema, type }, depth)));
  switch (types[0]) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e9), max: Math.min(schema.maximum ?? 1e6, 1e12) });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case "string": {
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 40, min + 40);
      if (schema.pattern) {
        // A character class repeated (`^[A-Za-z0-9_-]*$`) with the length bounds: strings of that class and
        // length, drawn directly. Filtering the pattern's own strings by length would spin synchronously,
        // out of reach of the test's timeout, when few of them have it (a token of exactly 43 characters).
        const repeated = /^\^(\[(?:[^\]\\]|\\.)+\])([*+])\$$/.exec(schema.pattern);
        if (repeated?.[1]) {
          const unit = fc.stringMatching(new RegExp(`^${repeated[1]}$`));
          const least = Math.max(min, repeated[2] === "+" ? 1 : 0);
          return fc.string({ unit, minLength: least, maxLength: Math.max(least, max) });
        }
        try {
          // Other patterns carry their own lengths (`^[A-Za-z][A-Za-z0-9_]{2,31}$`): the filter rarely refuses.
          return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? 1e6));
        } catch {
          // a pattern JavaScript cannot compile the same way: plain strings
        }
      }
      return fc.oneof(fc.string({ minLength: min, maxLength: max }), fc.constantFrom("+79161234567", "2026-12-31", "https://example.com/"));
    }
    case "array":
      return depth > 3
        ? fc.constant([])
        : fc.array(arbitraryOf(doc, schema.items ?? {}, depth + 1), {
            minLength: schema.minItems ?? 0,
            maxLength: Math.min(schema.maxItems ?? 3, 3),
          });
    case "object":
    case undefined: {
      if (depth > 3 || !schema.properties)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 });
      const required = new Set(schema.required ?? []);
      const shape = Object.fromEntries(
        Object.entries(schema.properties).map(([k, s]) => {
          const generated = arbitraryOf(doc, s, depth + 1);
          const hint = hints[k];
          return [k, hint ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: generated, weight: 1 }) : generated];
        }),
      );
      return fc.record(shape, { requiredKeys: Object.keys(shape).filter((k) => required.has(k)) });
    }
    default:
      return fc.anything();
  }
}

/** A body of the documented shape, broken: a field of the wrong type, a required one dropped, or junk. */
function malformedOf(valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ raw: string }> {
  const junk = fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.array(fc.anything(), { maxLength: 3 }), fc.object());
  const broken = fc.tuple(valid, fc.nat(), junk, fc.boolean()).map(([body, i, value, drop]) => {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return value;
    const keys = Object.keys(body);
    const key = keys[i % Math.max(1, keys.length)] ?? "extra";
    const copy: Record<string, unknown> = { ...body };
    if (drop) delete copy[key];
    else copy[key] = value;
    return copy;
  });
  return fc.oneof(
    broken.map((b) => ({ raw: JSON.stringify(b) ?? "null" })),
    junk.map((b) => ({ raw: JSON.stringify(b) ?? "null" })),
    fc.constantFrom({ raw: "{" }, { raw: '{"a":' }, { raw: "[1,2" }, { raw: "\u0000" }, { raw: "" }),
  );
}

interface World {
  anna: SignedIn;
  boris: SignedIn;
  agency: TestAgency;
  ids: Record<string, string>;
}

async function world(): Promise<World> {
  const [anna, boris, agency] = await Promise.all([signIn(), signIn(), newAgency("Ведомство для фаззинга")]);
  const chat = await newChat(anna.accessToken, { type: "group", title: "Фаззинг", memberIds: [boris.user.id] });
  await postText(anna.accessToken, chat.id, "первое");
  const bill = await callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: anna.phone, amount: 1000, currency: "RUB", purpose: "Пошлина", externalRef: "fuzz-1" },
  });
  const form = await callJson<{ form: { id: string } }>("/api/v1/agency/forms", {
    token: agency.token,
    body: {
      key: "fuzz",
      title: "Заявление",
      schema: { type: "object", properties: { name: { type: "string", maxLength: 50 } }, required: ["name"] },
    },
  });
  const submission = await callJson<{ submission: { id: string } }>(`/api/v1/forms/${form.body.form.id}/submissions`, {
    token: anna.accessToken,
    body: { data: { name: "Анна" } },
  });
  const record = await callJson<{ record: { id: string } }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: anna.phone, type: "DriverLicense", claims: { category: "B" } },
  });
  const consent = await callJson<{ consent: { id: string } }>("/api/v1/agency/consent-requests", {
    token: agency.token,
    body: { citizenPhone: anna.phone, scope: "records", purpose: "Проверка", expiresAt: "2099-01-01" },
  });
  const upload = await callJson<{ upload: { id: string } }>("/api/v1/media/uploads", {
    token: anna.accessToken,
    body: { contentType: "application/zip", size: 1000, filename: "a.zip" },
  });
  for (const r of [bill, form, submission, record, consent, upload]) expect(r.status, JSON.stringify(r.body)).toBe(201);
  return {
    anna,
    boris,
    agency,
    ids: {
      chat: chat.id,
      bill: bill.body.bill.id,
      form: form.body.form.id,
      submission: submission.body.submission.id,
      record: record.body.record.id,
      consent: consent.body.consent.id,
      upload: upload.body.upload.id,
    },
  };
}

/** The path with its parameters filled with the fixture's real ids (a refused request on a real resource). */
function fill(path: string, w: World): string {
  const byPrefix: [RegExp, string][] = [
    [/\/(agency\/)?bills\/\{id\}/, w.ids.bill ?? ""],
    [/\/(agency\/)?records\/\{id\}/, w.ids.record ?? ""],
    [/\/forms\/\{id\}/, w.ids.form ?? ""],
    [/\/submissions\/\{id\}/, w.ids.submission ?? ""],
    [/\/consents\/\{id\}/, w.ids.consent ?? ""],
    [/\/media\/uploads\/\{id\}/, w.ids.upload ?? ""],
  ];
  let out = path;
  for (const [re, id] of byPrefix) if (re.test(out)) out = out.replace("{id}", id);
  return out
    .replace("{chatId}", w.ids.chat ?? "")
    .replace("{userId}", w.boris.user.id)
    .replace("{seq}", "1")
    .replace("{emoji}", encodeURIComponent("👍"))
    .replace(/\{[^}]+\}/g, "01J0000000000000000000000Z");
}

/** What users see of each resource, without the fields that change by themselves (presence). */
function readers(w: World): Record<string, () => Promise<unknown>> {
  const get = async (path: string, token: string) => {
    const res = await callJson(path, { token });
    expect(res.status, path).toBe(200);
    return res.body;
  };
  const a = w.anna.accessToken;
  const g = w.agency.token;
  return {
    me: () => get("/api/v1/me", a),
    chats: async () => [
      await get("/api/v1/chats", a),
      await get(`/api/v1/chats/${w.ids.chat}/messages`, a),
      await get(`/api/v1/chats/${w.ids.chat}/members`, a),
    ],
    bills: async () => [await get("/api/v1/bills", a), await get("/api/v1/agency/bills", g)],
    forms: async () => [await get("/api/v1/forms", a), await get("/api/v1/submissions", a), await get("/api/v1/agency/submissions", g)],
    records: async () => [await get("/api/v1/records", a), await get("/api/v1/agency/records", g)],
    consents: async () => [await get("/api/v1/consents", a), await get("/api/v1/agency/consent-requests", g)],
    agency: () => get("/api/v1/agency/me", g),
    media: () => get(`/api/v1/media/uploads/${w.ids.upload}`, a),
  };
}

const touched = (path: string): string[] => {
  if (path.includes("/chats")) return ["chats"];
  if (path.includes("bills")) return ["bills"];
  if (path.includes("forms") || path.includes("submissions")) return ["forms"];
  if (path.includes("records") || path === "/api/v1/verify") return ["records"];
  if (path.includes("consent")) return ["consents"];
  if (path.includes("/media")) return ["media"];
  if (path.startsWith("/api/v1/agency/")) return ["agency"];
  return ["me", "chats"];
};

/** Strips presence, which changes on its own between two reads. */
const stable = (v: unknown): string => JSON.stringify(v, (k, x) => (k === "online" || k === "lastSeenAt" ? undefined : x));

describe("OpenAPI-driven fuzzing", () => {
  // Every POST/PUT/PATCH operation the document lists, eight bodies each: its time grows with the API.
  it("no operation answers 5xx, and none changes anything when it refuses", { timeout: 300_000 }, async () => {
    const doc = (await callJson<Doc>("/api/openapi.json")).body;
    const w = await world();
    const read = readers(w);
    hints = {
      citizenPhone: fc.constant(w.anna.phone),
      phone: fc.constant(w.anna.phone),
      currency: fc.constantFrom("RUB", "EUR"),
      clientId: fc.uuid(),
      text: fc.string({ minLength: 1, maxLength: 50 }),
      purpose: fc.constantFrom("Пошлина", "Проверка"),
      dueDate: fc.constantFrom("2099-12-31", "2099-12-31T12:00:00Z", "2099-12-31T15:00:00+03:00"),
      expiresAt: fc.constantFrom("2099-12-31", "2099-12-31T12:00:00Z", "2099-12-31T15:00:00+03:00"),
      type: fc.constantFrom("DriverLicense", "https://gov.example/vct/passport", "group"),
      claims: fc.constant({ category: "B" }),
      key: fc.constantFrom("fuzz", "fuzz-2"),
      userId: fc.constant(w.boris.user.id),
      memberIds: fc.constant([w.boris.user.id]),
      data: fc.constant({ name: "Анна" }),
      disclose: fc.constant(["category"]),
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([m]) => m === "post" || m === "patch" || m === "put")
        .filter(([m]) => !SKIP.some((re) => re.test(path) || re.test(`${m} ${path}`)))
        .map(([method, op]) => ({ method, path, op })),
    );
    expect(operations.length).toBeGreaterThan(25);
    const seen = new Set<string>();
    for (const { method, path, op } of operations) {
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      const token = scheme === "agency" ? w.agency.token : scheme === "citizen" ? w.anna.accessToken : undefined;
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      const valid = schema ? arbitraryOf(doc, schema) : fc.constant(undefined);
      const bodies = fc.oneof(
        valid.map((b) => ({ raw: b === undefined ? undefined : JSON.stringify(b) })),
        malformedOf(valid),
      );
      const url = fill(path, w);
      const keys = touched(path);
      await fc.assert(
        fc.asyncProperty(bodies, async ({ raw }) => {
          const before = await Promise.all(keys.map((k) => read[k]?.()));
          const headers: Record<string, string> = { "idempotency-key": `fuzz-${crypto.randomUUID()}` };
          if (raw !== undefined) headers["content-type"] = "application/json";
          const res = await call(url, { method: method.toUpperCase(), token, rawBody: raw, headers });
          const text = await res.text();
          expect(res.status, `${method} ${path} ${raw} → ${text}`).toBeLessThan(500);
          seen.add(`${res.status}`);
          if (res.status >= 400) {
            const after = await Promise.all(keys.map((k) => read[k]?.()));
            expect(stable(after), `${method} ${path} ${raw} → ${res.status} changed state`).toBe(stable(before));
          }
        }),
        { numRuns: 8 },
      );
    }
    // Both kinds of answer were exercised: accepted bodies and refused ones.
    expect([...seen].some((s) => s.startsWith("2"))).toBe(true);
    expect([...seen].some((s) => s.startsWith("4"))).toBe(true);
  });
});
