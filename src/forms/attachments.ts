// Files a citizen attaches to a submission: their own uploads (POST /media), checked and linked when the
// submission is stored. Linking sets the media's `attached_at`, so the hourly cleanup of unattached uploads
// (src/media/store.ts) keeps them; the foreign key makes a submission that races that cleanup fail whole.
// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";
import { foundIds } from "../lib/d1";
import { ApiError } from "../lib/errors";

export const MAX_SUBMISSION_ATTACHMENTS = 10;

export const AttachmentIds = z
  .array(z.string().min(1).max(64))
  .max(MAX_SUBMISSION_ATTACHMENTS)
  .openapi({ description: `Up to ${MAX_SUBMISSION_ATTACHMENTS} ids of media the caller uploaded.` });

export const SubmissionAttachment = z
  .object({ id: z.string(), contentType: z.string(), size: z.number().int(), filename: z.string().nullable() })
  .openapi("SubmissionAttachment");

/**
 * The `attachments` column that submission SELECTs add (`s` is the submission): a JSON array of the
 * attached media, each with its position.
 */
export const ATTACHMENTS_COLUMN = `(SELECT json_group_array(json_object('id', m.id, 'contentType', m.content_type, 'size', m.size,
    'filename', m.filename, 'position', sa.position))
  FROM submission_attachments sa JOIN media m ON m.id = sa.media_id WHERE sa.submission_id = s.id) AS attachments`;

const StoredAttachments = z.array(SubmissionAttachment.extend({ position: z.number().int() }));

/** The attachments column read back, in the order the citizen gave them. */
export function parseAttachments(column: string | null | undefined): z.infer<typeof SubmissionAttachment>[] {
  if (!column) return [];
  return StoredAttachments.parse(JSON.parse(column))
    .sort((a, b) => a.position - b.position)
    .map(({ position: _position, ...attachment }) => attachment);
}

/**
 * Refuses (400 `unknown_media`, as messages do; one field error per id, at `pathOf(i)`) any id that is not a
 * finished upload of `ownerId`.
 */
export async function checkOwnMedia(
  db: D1Database,
  ownerId: string,
  ids: readonly string[],
  pathOf: (i: number) => string = (i) => `attachments.${i}`,
): Promise<void> {
  if (ids.length === 0) return;
  const found = await foundIds(
    db,
    [...new Set(ids)],
    (inList) => `SELECT id FROM media WHERE owner_id = ?1 AND status = 'ready' AND id IN ${inList}`,
    [ownerId],
  );
  const errors = ids.flatMap((id, i) => (found.has(id) ? [] : [{ path: pathOf(i), message: `not your uploaded media: ${id}` }]));
  if (errors.length > 0) throw new ApiError(400, "unknown_media", "Attach only files you uploaded.", { errors });
}

/** The statements, for the submission's own batch, that link these media to it (duplicates once, in first order). */
export function attachStatements(db: D1Database, submissionId: string, ids: readonly string[], now: number): D1PreparedStatement[] {
  return [...new Set(ids)].flatMap((id, position) => [
    db
      .prepare("INSERT INTO submission_attachments (submission_id, media_id, position) VALUES (?1, ?2, ?3)")
      .bind(submissionId, id, position),
    db.prepare("UPDATE media SET attached_at = COALESCE(attached_at, ?2) WHERE id = ?1").bind(id, now),
  ]);
}
