// Consents' storage as typed drizzle queries (row types from the schema), for the decisions the citizen
// makes. The rest of the folder's queries are still raw SQL in routes.ts.
import { and, eq } from "drizzle-orm";
import { database, statement } from "../db";
import { consents } from "../db/schema";

export type ConsentRecord = typeof consents.$inferSelect;
export type ConsentStatus = ConsentRecord["status"];

/**
 * The statement, for the decision's own batch, that moves the citizen's consent from `from` to `to`; it
 * changes nothing (0 rows) when the consent is no longer `from`, so two decisions cannot both apply.
 */
export function decideStatement(
  d1: D1Database,
  d: { id: string; citizenId: string; from: ConsentStatus; to: ConsentStatus; at: number },
): D1PreparedStatement {
  return statement(
    d1,
    database(d1)
      .update(consents)
      .set({ status: d.to, decidedAt: d.at })
      .where(and(eq(consents.id, d.id), eq(consents.citizenId, d.citizenId), eq(consents.status, d.from))),
  );
}
