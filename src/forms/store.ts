// Submissions' storage as typed drizzle queries (row types from the schema), for the parts that take a
// reference number. The rest of the folder's queries are still raw SQL in routes.ts.
import { and, eq, sql } from "drizzle-orm";
import { type Db, database, statement } from "../db";
import { submissionCounters, submissions, webhookDeliveries } from "../db/schema";

export type SubmissionRecord = typeof submissions.$inferSelect;
export type NewSubmission = Omit<typeof submissions.$inferInsert, "reference" | "status" | "updatedAt" | "comment">;

/** The reference as people read and say it. */
export const showReference = (reference: string) => `№ ${reference}`;

/**
 * The statements, for the front of the submission's own insert batch, that take the agency's next
 * reference number and store the submission with it. A D1 batch is one transaction, run one after
 * another with every other write: concurrent submissions to one agency get consecutive, distinct
 * numbers, and a batch that fails (say an attachment vanished) takes no number, leaving no gap.
 */
export function insertSubmission(d1: D1Database, row: NewSubmission): D1PreparedStatement[] {
  const db = database(d1);
  const year = new Date(row.createdAt).getUTCFullYear();
  const next = db
    .insert(submissionCounters)
    .values({ agencyId: row.agencyId, year, last: 1 })
    .onConflictDoUpdate({
      target: [submissionCounters.agencyId, submissionCounters.year],
      set: { last: sql`${submissionCounters.last} + 1` },
    });
  const insert = db.insert(submissions).values({
    ...row,
    status: "submitted",
    updatedAt: row.createdAt,
    reference: sql`(SELECT printf('%d-%06d', ${submissionCounters.year}, ${submissionCounters.last}) FROM ${submissionCounters}
      WHERE ${and(eq(submissionCounters.agencyId, row.agencyId), eq(submissionCounters.year, year))})`,
  });
  return [statement(d1, next), statement(d1, insert)];
}

/** A submission's reference number, or null (none stored, or no such submission). */
export async function referenceOf(db: Db, id: string): Promise<string | null> {
  const row = await db.select({ reference: submissions.reference }).from(submissions).where(eq(submissions.id, id)).get();
  return row?.reference ?? null;
}

/**
 * The statement, for the same batch after the submission and its `submission.created` event, that writes
 * the reference number the batch just took into the event's payload (`data.submission.reference`). The
 * payload is signed when it is sent, from what is stored, so agencies get the number their citizen sees.
 */
export function referenceIntoEvent(d1: D1Database, eventId: string, submissionId: string): D1PreparedStatement {
  return statement(
    d1,
    database(d1)
      .update(webhookDeliveries)
      .set({
        payload: sql`json_set(${webhookDeliveries.payload}, '$.data.submission.reference',
          (SELECT ${submissions.reference} FROM ${submissions} WHERE ${eq(submissions.id, submissionId)}))`,
      })
      .where(eq(webhookDeliveries.id, eventId)),
  );
}
