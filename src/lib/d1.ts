/** D1 binds at most 100 parameters per statement. */
export const D1_MAX_PARAMS = 100;

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
  const size = D1_MAX_PARAMS - leading.length;
  for (let i = 0; i < ids.length; i += size) {
    const chunk = ids.slice(i, i + size);
    const inList = `(${chunk.map((_, k) => `?${leading.length + k + 1}`).join(",")})`;
    const { results } = await db
      .prepare(sql(inList))
      .bind(...leading, ...chunk)
      .all<{ id: string }>();
    for (const r of results) found.add(r.id);
  }
  return found;
}
