// Records and record types in D1, as typed drizzle queries (the "drizzle" decision, ../shared/design.md
// "Structure"): row types come from the schema, and JSON columns are parsed with zod on the way out.
import { and, desc, eq, or } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db";
import { agencies, records, recordTypes } from "../db/schema";
import { BUILT_IN_TYPES, type Lang, Localized, pick, RecordTypeBody, type RecordTypeMeta } from "./metadata";

export type RecordRow = typeof records.$inferSelect;
export type RecordTypeRow = typeof recordTypes.$inferSelect;

/** A record with the issuing agency as citizens see it. */
export interface RecordWithAgency {
  record: RecordRow;
  agency: { id: string; name: string; verified: boolean };
}

const withAgency = { record: records, agency: { id: agencies.id, name: agencies.name, verified: agencies.verified } };

export async function recordById(db: Db, id: string): Promise<RecordWithAgency | undefined> {
  const [row] = await db
    .select(withAgency)
    .from(records)
    .innerJoin(agencies, eq(agencies.id, records.agencyId))
    .where(eq(records.id, id))
    .limit(1);
  return row;
}

/** The citizen's records, newest first. */
export function recordsOfCitizen(db: Db, citizenId: string): Promise<RecordWithAgency[]> {
  return db
    .select(withAgency)
    .from(records)
    .innerJoin(agencies, eq(agencies.id, records.agencyId))
    .where(eq(records.citizenId, citizenId))
    .orderBy(desc(records.createdAt), desc(records.id));
}

const ClaimsJson = z.record(z.string(), RecordTypeBody.shape.claims.unwrap().valueType);

/** A stored record type's metadata, checked again on the way out (a column edited by hand fails loudly). */
export const metaOf = (row: RecordTypeRow): RecordTypeMeta => ({
  name: Localized.parse(JSON.parse(row.name)),
  claims: ClaimsJson.parse(JSON.parse(row.claims)),
});

/** Creates or replaces the agency's metadata for `type`; answers the stored row. */
export async function putRecordType(
  db: Db,
  agencyId: string,
  type: string,
  meta: RecordTypeMeta,
  now = Date.now(),
): Promise<RecordTypeRow> {
  const name = JSON.stringify(meta.name);
  const claims = JSON.stringify(meta.claims);
  const [row] = await db
    .insert(recordTypes)
    .values({ agencyId, type, name, claims, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [recordTypes.agencyId, recordTypes.type], set: { name, claims, updatedAt: now } })
    .returning();
  if (!row) throw new Error("record type missing after upsert");
  return row;
}

export function recordTypesOf(db: Db, agencyId: string): Promise<RecordTypeRow[]> {
  return db.select().from(recordTypes).where(eq(recordTypes.agencyId, agencyId)).orderBy(recordTypes.type);
}

const key = (agencyId: string, type: string) => `${agencyId}\n${type}`;
/** Two parameters per pair: 45 pairs stay under D1's 100. */
const PAIRS_PER_QUERY = 45;

/**
 * The metadata of each (agency, type) pair, with Veche's built-in types where the agency published none;
 * look up with `metaKey`. One query per 45 distinct pairs (a citizen's records name few).
 */
export async function metadataFor(db: Db, pairs: readonly { agencyId: string; type: string }[]): Promise<Map<string, RecordTypeMeta>> {
  const distinct = [...new Map(pairs.map((p) => [key(p.agencyId, p.type), p])).values()];
  const found = new Map<string, RecordTypeMeta>();
  for (let i = 0; i < distinct.length; i += PAIRS_PER_QUERY) {
    const chunk = distinct.slice(i, i + PAIRS_PER_QUERY);
    const rows = await db
      .select()
      .from(recordTypes)
      .where(or(...chunk.map((p) => and(eq(recordTypes.agencyId, p.agencyId), eq(recordTypes.type, p.type)))));
    for (const row of rows) found.set(key(row.agencyId, row.type), metaOf(row));
  }
  for (const p of distinct) {
    const builtIn = Object.hasOwn(BUILT_IN_TYPES, p.type) ? BUILT_IN_TYPES[p.type] : undefined;
    if (!found.has(key(p.agencyId, p.type)) && builtIn) found.set(key(p.agencyId, p.type), builtIn);
  }
  return found;
}

export const metaKey = key;

/**
 * A type's name in `lang` as any agency publishes it (the first by agency id), for texts that name a type
 * without an issuer, such as a consent to read "records:<type>" from whoever issued them.
 */
export async function recordTypeName(db: Db, type: string, lang: Lang): Promise<string | undefined> {
  const [row] = await db.select().from(recordTypes).where(eq(recordTypes.type, type)).orderBy(recordTypes.agencyId).limit(1);
  if (row) return pick(metaOf(row).name, lang);
  return Object.hasOwn(BUILT_IN_TYPES, type) ? BUILT_IN_TYPES[type]?.name[lang] : undefined;
}
