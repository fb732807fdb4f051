import { drizzle } from "drizzle-orm/d1";

export type Db = ReturnType<typeof database>;

export function database(d1: D1Database) {
  return drizzle(d1);
}

/**
 * A typed drizzle query as a D1 statement, for batches that also carry statements drizzle does not build
 * (the access log's, webhook events'): one D1 batch is one transaction, whoever wrote its parts.
 */
export function statement(d1: D1Database, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}
