// Bills' storage as typed drizzle queries (row types from the schema), for the queries the live state of
// official messages needs. The rest of the folder's queries are still raw SQL in routes.ts.
import { eq } from "drizzle-orm";
import type { Db } from "../db";
import { bills } from "../db/schema";

export type BillRecord = typeof bills.$inferSelect;

/** What a bill's official message shows of it: who it is between, and whether and when it was paid. */
export function billState(
  db: Db,
  id: string,
): Promise<Pick<BillRecord, "id" | "agencyId" | "citizenId" | "status" | "paidAt"> | undefined> {
  return db
    .select({ id: bills.id, agencyId: bills.agencyId, citizenId: bills.citizenId, status: bills.status, paidAt: bills.paidAt })
    .from(bills)
    .where(eq(bills.id, id))
    .get();
}
