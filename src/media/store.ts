// Media records in D1 (bytes are in R2 under the same id): kinds, quota, grants, cleanup.
import { foundIds } from "../lib/d1";
import { ApiError } from "../lib/errors";
import { iso, isoOrNull } from "../lib/hono";
import { hex } from "../lib/ids";
import { log } from "../lib/log";

export type MediaKind = "photo" | "video" | "voice" | "document" | "file";

export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif"];
export const VIDEO_TYPES = ["video/mp4", "video/quicktime", "video/webm"];
export const VOICE_TYPES = ["audio/ogg", "audio/webm", "audio/mp4", "audio/x-m4a"];

const DAY_MS = 24 * 3600_000;

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The bare, lower-case media type of a Content-Type header, or null when it is not one. */
export function mediaType(header: string | null | undefined): string | null {
  const type = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  return MIME.test(type) ? type : null;
}

/**
 * What a declared type is stored as. Photos, videos and voice notes must be one of the kinds clients can
 * show (their bytes are checked against the type); PDFs are documents; anything else is a file. An
 * image, video or audio type we cannot show is refused unless the sender sends it as a file.
 */
export function kindOf(type: string, asFile: boolean): MediaKind | null {
  if (asFile) return "file";
  if (PHOTO_TYPES.includes(type)) return "photo";
  if (VIDEO_TYPES.includes(type)) return "video";
  if (VOICE_TYPES.includes(type)) return "voice";
  if (type === "application/pdf") return "document";
  if (/^(image|video|audio)\//.test(type)) return null;
  return "file";
}

/** Photos, videos and voice notes play in place; everything else downloads. */
export const servedInline = (kind: MediaKind, type: string) =>
  (kind === "photo" || kind === "video" || kind === "voice") && type !== "image/svg+xml" && type !== "text/html";

/** A Content-Disposition with the file's name (or its id), in ASCII and in RFC 8187 UTF-8. */
export function contentDisposition(m: Pick<MediaRow, "id" | "filename">, disposition: "inline" | "attachment"): string {
  const name = m.filename ?? m.id;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export interface MediaRow {
  id: string;
  owner_id: string;
  content_type: string;
  kind: MediaKind;
  size: number;
  sha256: string | null;
  filename: string | null;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  thumbhash: string | null;
  status: "uploading" | "ready";
  r2_upload_id: string | null;
  part_size: number | null;
  created_at: number;
  attached_at: number | null;
}

export function toMedia(m: MediaRow) {
  return {
    id: m.id,
    contentType: m.content_type,
    kind: m.kind,
    size: m.size,
    sha256: m.sha256,
    filename: m.filename,
    width: m.width,
    height: m.height,
    durationMs: m.duration_ms,
    thumbhash: m.thumbhash,
    createdAt: iso(m.created_at),
    attachedAt: isoOrNull(m.attached_at),
  };
}

export function getMedia(db: D1Database, id: string): Promise<MediaRow | null> {
  return db.prepare("SELECT * FROM media WHERE id = ?1").bind(id).first<MediaRow>();
}

/**
 * The uploader, members of any chat where a message (or the chat's photo) carries the media, and, for a
 * profile photo or a public channel's photo, everyone signed in may read it.
 */
export async function canRead(db: D1Database, userId: string, m: MediaRow): Promise<boolean> {
  if (m.owner_id === userId) return m.status === "ready";
  if (m.status !== "ready") return false;
  const row = await db
    .prepare(
      `SELECT 1 FROM media_grants g JOIN chat_members c ON c.chat_id = g.chat_id WHERE g.media_id = ?1 AND c.user_id = ?2
       UNION ALL SELECT 1 FROM users WHERE avatar_id = ?1
       UNION ALL SELECT 1 FROM chats WHERE avatar_id = ?1 AND username IS NOT NULL LIMIT 1`,
    )
    .bind(m.id, userId)
    .first();
  return row !== null;
}

/**
 * Checks that `id` may become a profile or chat photo: a JPEG photo `ownerId` uploaded (the upload stripped
 * its metadata, location included), and keeps it from the hourly cleanup of unattached uploads.
 */
export async function takeAvatar(db: D1Database, ownerId: string, id: string, now = Date.now()): Promise<void> {
  const taken = await db
    .prepare(
      `UPDATE media SET attached_at = COALESCE(attached_at, ?3)
       WHERE id = ?1 AND owner_id = ?2 AND status = 'ready' AND kind = 'photo' AND content_type = 'image/jpeg' RETURNING id`,
    )
    .bind(id, ownerId, now)
    .first();
  if (!taken) {
    throw new ApiError(400, "invalid_avatar", "A photo must be a JPEG image you uploaded.", {
      errors: [{ path: "avatar", message: "a JPEG photo uploaded with POST /media" }],
    });
  }
}

const utcDay = (now: number) => new Date(now).toISOString().slice(0, 10);

/**
 * Counts `bytes` against the user's daily quota, or refuses with 429 and the time until the quota resets
 * (UTC midnight). The count is one atomic upsert, so concurrent uploads cannot both slip under it.
 */
export async function reserveQuota(env: Env, userId: string, bytes: number, now = Date.now()): Promise<void> {
  const quota = Number(env.MEDIA_DAILY_QUOTA_BYTES);
  const day = utcDay(now);
  const row = await env.DB.prepare(
    `INSERT INTO media_usage (user_id, day, bytes) VALUES (?1, ?2, ?3)
     ON CONFLICT (user_id, day) DO UPDATE SET bytes = bytes + ?3 RETURNING bytes`,
  )
    .bind(userId, day, bytes)
    .first<{ bytes: number }>();
  if (row && row.bytes > quota) {
    await refundQuota(env, userId, bytes, now);
    const reset = Date.parse(`${day}T00:00:00Z`) + DAY_MS;
    throw new ApiError(429, "daily_quota_exceeded", `You can upload ${quota} bytes a day; this upload would pass that.`, {
      headers: { "retry-after": String(Math.ceil((reset - now) / 1000)) },
    });
  }
}

export async function refundQuota(env: Env, userId: string, bytes: number, now = Date.now()): Promise<void> {
  await env.DB.prepare("UPDATE media_usage SET bytes = MAX(0, bytes - ?3) WHERE user_id = ?1 AND day = ?2")
    .bind(userId, utcDay(now), bytes)
    .run();
}

/**
 * Lets the members of `chatId` read these media, after checking the sender owns every one of them and each
 * is fully uploaded. Answers the ids that failed the check (and grants nothing then).
 */
export async function attachOwnMedia(
  db: D1Database,
  ownerId: string,
  chatId: string,
  ids: string[],
  now = Date.now(),
  opts: { opaque?: boolean } = {},
): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  // A secret chat carries only what its client encrypted: opaque bytes the server never parsed or altered.
  const opaque = opts.opaque ? " AND content_type = 'application/octet-stream'" : "";
  const found = await foundIds(
    db,
    unique,
    (inList) => `SELECT id FROM media WHERE owner_id = ?1 AND status = 'ready'${opaque} AND id IN ${inList}`,
    [ownerId],
  );
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length > 0) return missing;
  await grant(db, chatId, unique, now);
  return [];
}

/** Lets the members of `chatId` read these media (forwarding: the forwarder could already read them). */
export async function grant(db: D1Database, chatId: string, ids: string[], now = Date.now()): Promise<void> {
  if (ids.length === 0) return;
  await db.batch(
    ids.flatMap((id) => [
      db.prepare("INSERT OR IGNORE INTO media_grants (media_id, chat_id, created_at) VALUES (?1, ?2, ?3)").bind(id, chatId, now),
      db.prepare("UPDATE media SET attached_at = COALESCE(attached_at, ?2) WHERE id = ?1").bind(id, now),
    ]),
  );
}

/**
 * Takes back a chat's grant to read these media: the message that carried them there was deleted and no other
 * message of the chat carries them (the room says which). Their uploader still reads them.
 */
export async function revoke(db: D1Database, chatId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.batch(ids.map((id) => db.prepare("DELETE FROM media_grants WHERE media_id = ?1 AND chat_id = ?2").bind(id, chatId)));
}

/**
 * The SHA-256 of a stored object, read back from R2 (multipart uploads: R2 assembles the object, so no
 * single request ever streams all of its bytes through us). The digest runs natively on the stream
 * (`crypto.DigestStream`), so hashing costs wall time, not CPU time. Only a row still without a hash is set.
 */
export async function hashStored(env: Env, id: string): Promise<string | null> {
  const object = await env.MEDIA.get(id);
  if (!object) return null;
  const digest = new crypto.DigestStream("SHA-256");
  await object.body.pipeTo(digest);
  const sha256 = hex(await digest.digest);
  await env.DB.prepare("UPDATE media SET sha256 = ?2 WHERE id = ?1 AND sha256 IS NULL AND status = 'ready'").bind(id, sha256).run();
  return sha256;
}

/**
 * Hourly backstop for `hashStored`: a completed multipart upload whose hash did not finish after its
 * completion (the Worker's `waitUntil` allowance ran out, or the isolate was recycled) is hashed here.
 */
export async function hashPendingMedia(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id FROM media WHERE status = 'ready' AND sha256 IS NULL AND created_at < ?1 ORDER BY created_at LIMIT 20",
  )
    .bind(now - 5 * 60_000)
    .all<{ id: string }>();
  let hashed = 0;
  for (const m of results) {
    try {
      if (await hashStored(env, m.id)) hashed += 1;
    } catch (err) {
      log.warn("media hash failed for one upload; next run retries", { mediaId: m.id, error: String(err) });
    }
  }
  return hashed;
}

/**
 * Hourly: removes uploads no message or form submission ever carried after a day (both set `attached_at`),
 * and aborts multipart uploads left unfinished for a day, so nothing a user cannot see is kept or billed.
 */
export async function cleanupMedia(env: Env, now = Date.now()): Promise<{ removed: number; aborted: number }> {
  const cutoff = now - DAY_MS;
  const { results } = await env.DB.prepare(
    "SELECT id, status, r2_upload_id FROM media WHERE attached_at IS NULL AND created_at < ?1 ORDER BY created_at LIMIT 500",
  )
    .bind(cutoff)
    .all<{ id: string; status: "uploading" | "ready"; r2_upload_id: string | null }>();
  let removed = 0;
  let aborted = 0;
  for (const m of results) {
    try {
      // The row goes first, and only if still unattached: a message that attached the media a moment ago
      // keeps it, and one attaching it now finds it gone (unknown_media) rather than pointing at no bytes.
      const [, gone] = await env.DB.batch([
        env.DB.prepare(
          "DELETE FROM media_parts WHERE media_id = ?1 AND EXISTS (SELECT 1 FROM media WHERE id = ?1 AND attached_at IS NULL)",
        ).bind(m.id),
        env.DB.prepare("DELETE FROM media WHERE id = ?1 AND attached_at IS NULL RETURNING id").bind(m.id),
      ]);
      if ((gone?.results.length ?? 0) === 0) continue;
      if (m.status === "uploading" && m.r2_upload_id) {
        await env.MEDIA.resumeMultipartUpload(m.id, m.r2_upload_id)
          .abort()
          .catch(() => undefined);
        aborted += 1;
      } else {
        await env.MEDIA.delete(m.id);
        removed += 1;
      }
    } catch (err) {
      log.warn("media cleanup failed for one upload; next run retries", { mediaId: m.id, error: String(err) });
    }
  }
  return { removed, aborted };
}
