// Prefilling a form from the citizen's own records. An agency publishes, next to a form's schema, which
// record claim may fill which top-level field. Only the citizen asks for the values (POST
// /forms/:id/prefill), from their own records, and gets them back to review: nothing reaches the agency
// until the citizen submits, and then only what they submit.
// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";
import { inLists } from "../lib/d1";
import type { FieldError } from "../lib/errors";
import { isRecordType } from "../records/type";
import { type FormSchemaType, type PropertySchema, validate } from "./schema";

export const MAX_PREFILL_FIELDS = 100;

export const PrefillSource = z
  .object({
    type: z
      .string()
      .refine(isRecordType, "a record type as issued (POST /agency/records `type`)")
      .openapi({ description: "The record type the value comes from, as agencies issue it (`type`, not the `vct` URN)." }),
    claim: z.string().min(1).max(100).openapi({ description: "The claim of that record." }),
  })
  .strict();

export const Prefill = z
  .record(z.string().min(1).max(200), PrefillSource)
  .refine((m) => Object.keys(m).length <= MAX_PREFILL_FIELDS, `at most ${MAX_PREFILL_FIELDS} fields`)
  .openapi("FormPrefill", {
    description: "Which record claim may fill which top-level field: `{ field: { type, claim } }`. Filled only at the citizen's request.",
  });
export type Prefill = z.infer<typeof Prefill>;

/** Only single values are filled from a claim: strings, numbers and enumerations, at the top level. */
function prefillable(p: PropertySchema): boolean {
  return p.type === "string" || p.type === "number" || p.type === "integer" || (p.type === "boolean" && p.enum !== undefined);
}

/** Problems with a prefill map against the schema it is published with (none: it is valid). */
export function checkPrefill(schema: FormSchemaType, prefill: Prefill): FieldError[] {
  return Object.keys(prefill).flatMap((field) => {
    const property = Object.hasOwn(schema.properties, field) ? schema.properties[field] : undefined;
    if (property === undefined) return [{ path: `prefill.${field}`, message: "not a top-level property of the schema" }];
    if (!prefillable(property))
      return [{ path: `prefill.${field}`, message: `a ${property.type} property cannot be prefilled; only strings, numbers and enums` }];
    return [];
  });
}

/** The stored map read back; an empty one is stored as null. */
export function parsePrefill(column: string | null): Prefill | null {
  return column === null ? null : Prefill.parse(JSON.parse(column));
}

export interface PrefillSourceView {
  field: string;
  recordId: string;
  issuer: { id: string; name: string };
  type: string;
  claim: string;
}

interface RecordRow {
  id: string;
  type: string;
  claims: string;
  agency_id: string;
  agency_name: string;
  created_at: number;
}

const Claims = z.record(z.string(), z.unknown());

/**
 * The values the citizen's own records give the form's prefilled fields. For each field the newest
 * unrevoked, unexpired record of its type is the source; a field is left out when that record lacks the
 * claim or its value does not satisfy the field's schema (no conversion: "42" does not fill a number).
 */
export async function prefillFromRecords(
  db: D1Database,
  citizenId: string,
  schema: FormSchemaType,
  prefill: Prefill,
  now = Date.now(),
): Promise<{ data: Record<string, unknown>; sources: PrefillSourceView[] }> {
  const types = [...new Set(Object.values(prefill).map((p) => p.type))];
  const newest = new Map<string, RecordRow>();
  for (const chunk of inLists(types, 2)) {
    const { results } = await db
      .prepare(
        `SELECT r.id, r.type, r.claims, r.agency_id, a.name AS agency_name, r.created_at
         FROM records r JOIN agencies a ON a.id = r.agency_id
         WHERE r.citizen_id = ?1 AND r.revoked_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > ?2) AND r.type IN ${chunk.inList}
         ORDER BY r.created_at DESC, r.id DESC`,
      )
      .bind(citizenId, now, ...chunk.ids)
      .all<RecordRow>();
    for (const r of results) if (!newest.has(r.type)) newest.set(r.type, r);
  }
  const data: [string, unknown][] = [];
  const sources: PrefillSourceView[] = [];
  for (const [field, source] of Object.entries(prefill)) {
    const record = newest.get(source.type);
    const property = Object.hasOwn(schema.properties, field) ? schema.properties[field] : undefined;
    if (!record || !property) continue;
    const claims = Claims.parse(JSON.parse(record.claims));
    if (!Object.hasOwn(claims, source.claim)) continue;
    const value = claims[source.claim];
    // Checked as a one-field form, so the field's own rules (type, length, pattern, format, enum) apply.
    if (validate({ type: "object", properties: { [field]: property } }, Object.fromEntries([[field, value]])).length > 0) continue;
    data.push([field, value]);
    sources.push({
      field,
      recordId: record.id,
      issuer: { id: record.agency_id, name: record.agency_name },
      type: record.type,
      claim: source.claim,
    });
  }
  return { data: Object.fromEntries(data), sources };
}
