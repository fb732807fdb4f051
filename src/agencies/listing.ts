// The agency console's lists of what an agency issued to citizens (bills, records, consent requests,
// submissions to its forms). Listing citizens' data is reading it, so each listing appends one "read"
// entry to the log of every citizen it shows, in the same D1 batch as the read itself.
// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";
import { type Actor, withAccessLogs } from "../audit/log";
import { inLists } from "../lib/d1";

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 500;

export const ListLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_LIST_LIMIT)
  .default(DEFAULT_LIST_LIMIT)
  .openapi({ description: `At most this many, newest first (default ${DEFAULT_LIST_LIMIT}, at most ${MAX_LIST_LIMIT}).` });

/** A listed row before it is read: which row, and whose. */
export interface Listed {
  id: string;
  citizen_id: string;
}

/**
 * Reads the rows of a listing. `page` (ids and citizens, in the order to show) says which rows; `sql` reads
 * them with all their data, in one batch with one `read` entry of `resource` per citizen listed, so nothing is
 * shown without its entry. `sql` gets the `IN (…)` list of ids, numbered after the `leading` parameters, and
 * should repeat the listing's filters: a row changed in between so that it no longer matches is left out
 * (its citizen's entry stays, which over-states the read, never under-states it).
 */
export async function readListed<R extends { id: string }>(
  db: D1Database,
  actor: Actor,
  resource: string,
  page: readonly Listed[],
  sql: (inList: string) => string,
  leading: readonly (string | number | null)[],
): Promise<R[]> {
  if (page.length === 0) return [];
  const ids = page.map((r) => r.id);
  const { results } = await withAccessLogs(
    db,
    [...new Set(page.map((r) => r.citizen_id))].map((citizenId) => ({ citizenId, entries: [{ actor, action: "read", resource }] })),
    () => inLists(ids, leading.length).map((chunk) => db.prepare(sql(chunk.inList)).bind(...leading, ...chunk.ids)),
  );
  const byId = new Map(results.flatMap((r) => r.results as R[]).map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
