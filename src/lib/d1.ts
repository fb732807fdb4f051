/** D1 binds at most 100 parameters per statement. */
export const D1_MAX_PARAMS = 100;

/**
 * `ids` in chunks that fit D1's parameter limit after `leading` other parameters, each with its `IN (…)` list of
 * numbered placeholders (`?<leading + 1>`, …), to bind as `.bind(...leading, ...chunk.ids)`.
 */
export function inLists(ids: readonly string[], leading = 0): { ids: string[]; inList: string }[] {
  const size = D1_MAX_PARAMS - leading;
  const chunks: { ids: string[]; inList: string }[] = [];
  for (let i = 0; i < ids.length; i += size) {
    const chunk = ids.slice(i, i + size);
    chunks.push({ ids: chunk, inList: `(${chunk.map((_, k) => `?${leading + k + 1}`).join(",")})` });
  }
  return chunks;
}

/**
 * The ids among `ids` that a query finds, asked in chunks that fit D1's parameter limit. `sql` receives the
 * `IN (…)` list of numbered placeholders, which start after the `leading` parameters.
 */
export async function foundIds(
  db: D1Database,
  ids: readonly string[],
  sql: (inList: string) => string,
  leading: readonly (string | number)[] = [],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of inLists(ids, leading.length)) {
    const { results } = await db
      .prepare(sql(chunk.inList))
      .bind(...leading, ...chunk.ids)
      .all<{ id: string }>();
    for (const r of results) found.add(r.id);
  }
  return found;
}
