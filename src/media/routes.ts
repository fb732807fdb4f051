import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { ApiError, notFound } from "../lib/errors";
import { type AppEnv, citizenSecurity, json, jsonBody, problems, router } from "../lib/hono";
import { hex, newId } from "../lib/ids";
import { log } from "../lib/log";
import { hitUser, type Limit } from "../lib/rate-limit";
import { imageSize, videoDuration } from "./bytes/dimensions";
import { stripJpegStream } from "./bytes/jpeg";
import { canonicalType, matchesDeclared, sniff } from "./bytes/sniff";
import {
  canRead,
  contentDisposition,
  getMedia,
  hashStored,
  kindOf,
  type MediaKind,
  type MediaRow,
  mediaType,
  refundQuota,
  reserveQuota,
  servedInline,
  toMedia,
} from "./store";

/** Bytes the sniffer and the dimension readers look at. */
const SNIFF_BYTES = 64;
/** Enough of a file's start to find dimensions and, in well-formed files, the duration. */
const PROBE_BYTES = 256 * 1024;
const MULTIPART_MAX = 4 * 1024 ** 3;
/** R2 needs parts of at least 5 MiB (but the last), all the same size; 8 MiB keeps 4 GiB under 600 parts. */
const PART_SIZE = 8 * 1024 * 1024;
/** Uploads a person starts, single and multipart together (docs/api.md, "Limits"); the byte quota is apart. */
const UPLOADS_PER_MINUTE: Limit = { name: "upload:min", max: 60, windowMs: 60_000 };
const UPLOADS_PER_DAY: Limit = { name: "upload:day", max: 2000, windowMs: 24 * 3600_000 };

async function limitUploads(env: Env, userId: string): Promise<void> {
  await hitUser(env, UPLOADS_PER_MINUTE, userId);
  await hitUser(env, UPLOADS_PER_DAY, userId);
}

const Media = z
  .object({
    id: z.string(),
    contentType: z.string(),
    kind: z.enum(["photo", "video", "voice", "document", "file"]),
    size: z.number().int(),
    sha256: z.string().nullable().openapi({
      description:
        "Hex SHA-256 of the whole stored object. A multipart upload's is computed after completion: null in the answer to complete, then present in GET /media/{id}/info within 60 seconds.",
    }),
    filename: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    durationMs: z.number().int().nullable(),
    thumbhash: z.string().nullable(),
    createdAt: z.string(),
    attachedAt: z.string().nullable(),
  })
  .openapi("Media");

const Upload = z
  .object({ id: z.string(), partSize: z.number().int(), partCount: z.number().int(), uploadedParts: z.array(z.number().int()) })
  .openapi("Upload");

const Thumbhash = z.string().regex(/^[A-Za-z0-9+/_-]{4,64}={0,2}$/, "base64 thumbhash, at most 64 characters");
const Filename = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^\p{Cc}/\\]+$/u, "a file name without slashes or control characters");

const UploadQuery = z.object({
  as: z.literal("file").optional().openapi({ description: "`file`: store as a file (no photo processing, downloaded, not shown inline)." }),
  filename: Filename.optional(),
  thumbhash: Thumbhash.optional(),
  durationMs: z.coerce.number().int().min(0).max(3_600_000).optional().openapi({
    description:
      "Voice notes and videos: their length as the recorder measured it, in ms (at most an hour). Used only when the file's first bytes carry none (a browser's MediaRecorder WebM does not).",
  }),
});

function declaredType(c: Context<AppEnv>): string {
  const type = mediaType(canonicalType(c.req.header("content-type") ?? ""));
  if (!type) throw new ApiError(415, "unsupported_media_type", "Send the file's type in Content-Type.");
  return type;
}

function declaredLength(c: Context<AppEnv>, max: number): number {
  const header = c.req.header("content-length");
  if (!header || !/^\d+$/.test(header)) throw new ApiError(411, "length_required", "Send Content-Length with the upload.");
  const length = Number(header);
  if (length === 0) throw new ApiError(400, "empty_upload", "The upload has no bytes.");
  if (length > max)
    throw new ApiError(413, "too_large", `Uploads in one request are limited to ${max} bytes; use /media/uploads for larger files.`);
  return length;
}

/** Reads from the stream until `enough(head)` or the stream ends or `max` bytes are buffered. */
async function readHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  enough: (head: Uint8Array) => boolean,
  max: number,
): Promise<Uint8Array> {
  let head = new Uint8Array(0);
  while (head.length < max && !enough(head)) {
    const { value, done } = await reader.read();
    if (done) break;
    const next = new Uint8Array(head.length + value.length);
    next.set(head);
    next.set(value, head.length);
    head = next;
  }
  return head;
}

function refuseType(declared: string): never {
  throw new ApiError(415, "unsupported_media_type", `The bytes are not ${declared}.`);
}

/** The buffered head followed by the rest of the body, as one stream. */
function rejoin(head: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Streams an upload into R2: the first bytes decide (type check, dimensions), JPEG photos lose their
 * metadata segments on the way, and everything is hashed as it passes. R2 needs the length up front;
 * stripping only removes whole segments before the image data, so the stored length is known once the
 * JPEG header has been read, before the image data is.
 */
async function storeUpload(
  env: Env,
  id: string,
  body: ReadableStream<Uint8Array>,
  length: number,
  type: string,
  kind: MediaKind,
): Promise<{ size: number; sha256: string; width?: number; height?: number; durationMs?: number }> {
  const reader = body.getReader();
  const head = await readHead(reader, (h) => h.length >= PROBE_BYTES, PROBE_BYTES);
  if (kind !== "file" && !matchesDeclared(type, sniff(head.subarray(0, SNIFF_BYTES)))) refuseType(type);

  let source = rejoin(head, reader);
  let size = length;
  const { width, height } = (kind === "photo" ? imageSize(head, type) : undefined) ?? {};
  const durationMs = kind === "video" || kind === "voice" ? videoDuration(head, type) : undefined;
  if (kind === "photo" && type === "image/jpeg") {
    // Throws 415 for a JPEG it cannot parse: such a file could still carry its location.
    const stripped = await stripJpegStream(source);
    source = stripped.stream;
    size = length - stripped.removedBytes;
  }

  const { readable, writable } = new FixedLengthStream(size);
  const digest = new crypto.DigestStream("SHA-256");
  const pump = (async () => {
    const out = writable.getWriter();
    const hash = digest.getWriter();
    const chunks = source.getReader();
    for (;;) {
      const { value, done } = await chunks.read();
      if (done) break;
      await out.write(value);
      await hash.write(value);
    }
    await out.close();
    await hash.close();
  })();
  const put = env.MEDIA.put(id, readable, { httpMetadata: { contentType: type } });
  try {
    await Promise.all([pump, put]);
  } catch {
    await env.MEDIA.delete(id).catch(() => undefined);
    throw new ApiError(400, "incomplete_upload", "The upload ended before Content-Length bytes arrived.");
  }
  return { size, sha256: hex(await digest.digest), width, height, durationMs };
}

/** RFC 9110 single byte range; null for no (or an unsupported multi-) range. */
function parseRange(header: string | undefined, size: number): { offset: number; length: number } | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, from, to] = m;
  if (from === "" && to === "") return null;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(from);
  if (start >= size) return "unsatisfiable";
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (end < start) return null;
  return { offset: start, length: end - start + 1 };
}

const mediaProblems = problems([401, "unauthorized"], [404, "not_found: no such media, or you may not read it"]);

export const mediaRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/media",
      operationId: "uploadMedia",
      tags: ["media"],
      summary: "Upload a file in one request (up to 100 MiB)",
      description:
        "Raw body with Content-Type and Content-Length. Photos, videos and voice notes must be what their type says. Location and camera metadata are removed from JPEG photos unless sent with `?as=file`.",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { query: UploadQuery },
      responses: {
        201: json(z.object({ media: Media }), "Stored."),
        ...problems(
          [400, "empty_upload, incomplete_upload"],
          [401, "unauthorized"],
          [411, "length_required"],
          [413, "too_large"],
          [415, "unsupported_media_type"],
          [429, "daily_quota_exceeded, rate_limited (too many uploads; see Retry-After)"],
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const type = declaredType(c);
      const kind = kindOf(type, q.as === "file");
      if (!kind)
        throw new ApiError(415, "unsupported_media_type", `${type} is not a kind of media Veche can show; send it as a file (?as=file).`);
      const length = declaredLength(c, Number(c.env.MEDIA_MAX_UPLOAD_BYTES));
      const body = c.req.raw.body;
      if (!body) throw new ApiError(400, "empty_upload", "The upload has no bytes.");
      const userId = c.var.citizen.userId;
      await limitUploads(c.env, userId);
      await reserveQuota(c.env, userId, length);
      const id = newId();
      try {
        const stored = await storeUpload(c.env, id, body, length, type, kind);
        const now = Date.now();
        await c.env.DB.prepare(
          `INSERT INTO media (id, owner_id, content_type, kind, size, sha256, filename, width, height, duration_ms, thumbhash, status, created_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'ready', ?12)`,
        )
          .bind(
            id,
            userId,
            type,
            kind,
            stored.size,
            stored.sha256,
            q.filename ?? null,
            stored.width ?? null,
            stored.height ?? null,
            stored.durationMs ?? (kind === "voice" || kind === "video" ? q.durationMs : undefined) ?? null,
            q.thumbhash ?? null,
            now,
          )
          .run();
        const row = await getMedia(c.env.DB, id);
        if (!row) throw new Error("media row missing after insert");
        return c.json({ media: toMedia(row) }, 201);
      } catch (err) {
        await refundQuota(c.env, userId, length);
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/media/{id}",
      operationId: "downloadMedia",
      tags: ["media"],
      summary: "Download media (honours Range)",
      description: "Only the uploader and members of a chat where a message carries the media may read it; everyone else gets 404.",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: { description: "The bytes." },
        206: { description: "The requested range." },
        304: { description: "Not modified (If-None-Match)." },
        416: { description: "The range is outside the file." },
        ...mediaProblems,
      },
    }),
    async (c) => {
      const m = await getMedia(c.env.DB, c.req.valid("param").id);
      if (!m || !(await canRead(c.env.DB, c.var.citizen.userId, m))) throw notFound("media");
      const etag = `"${m.sha256 ?? m.id}"`;
      const headers = new Headers({
        "content-type": servedInline(m.kind, m.content_type) ? m.content_type : "application/octet-stream",
        "content-disposition": contentDisposition(m, servedInline(m.kind, m.content_type) ? "inline" : "attachment"),
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "private, max-age=31536000, immutable",
        "accept-ranges": "bytes",
        etag,
      });
      if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
      const range = parseRange(c.req.header("range"), m.size);
      if (range === "unsatisfiable") {
        headers.set("content-range", `bytes */${m.size}`);
        return new Response(null, { status: 416, headers });
      }
      const object = await c.env.MEDIA.get(m.id, range ? { range } : undefined);
      if (!object) throw notFound("media");
      if (range) {
        headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${m.size}`);
        headers.set("content-length", String(range.length));
        return new Response(object.body, { status: 206, headers });
      }
      headers.set("content-length", String(m.size));
      return new Response(object.body, { status: 200, headers });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/media/{id}/info",
      operationId: "getMediaInfo",
      tags: ["media"],
      summary: "Media metadata (kind, size, dimensions, duration, thumbhash), to render before the bytes load",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 200: json(z.object({ media: Media }), "The media."), ...mediaProblems },
    }),
    async (c) => {
      const m = await getMedia(c.env.DB, c.req.valid("param").id);
      if (!m || !(await canRead(c.env.DB, c.var.citizen.userId, m))) throw notFound("media");
      return c.json({ media: toMedia(m) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/media/uploads",
      operationId: "startMultipartUpload",
      tags: ["media"],
      summary: "Start a resumable multipart upload (videos and files up to 4 GiB)",
      description: `Then PUT each part (every part ${PART_SIZE} bytes but the last) in any order, retrying any, and complete. Photos are uploaded in one request.`,
      security: citizenSecurity,
      middleware: requireCitizen,
      request: {
        body: jsonBody(
          z
            .object({
              contentType: z.string().max(255),
              size: z.number().int().min(1).max(MULTIPART_MAX),
              filename: Filename.optional(),
              thumbhash: Thumbhash.optional(),
              asFile: z.boolean().optional(),
            })
            .strict(),
        ),
      },
      responses: {
        201: json(z.object({ upload: Upload }), "Started."),
        ...problems(
          [400, "validation_failed, use_single_upload"],
          [401, "unauthorized"],
          [415, "unsupported_media_type"],
          [429, "daily_quota_exceeded, rate_limited (too many uploads; see Retry-After)"],
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const type = mediaType(canonicalType(body.contentType));
      if (!type) throw new ApiError(415, "unsupported_media_type", "contentType is not a media type.");
      const kind = kindOf(type, body.asFile ?? false);
      if (!kind) throw new ApiError(415, "unsupported_media_type", `${type} is not a kind of media Veche can show; send it as a file.`);
      if (kind === "photo")
        throw new ApiError(400, "use_single_upload", "Photos are uploaded with POST /media, where their metadata is removed.");
      const userId = c.var.citizen.userId;
      await limitUploads(c.env, userId);
      await reserveQuota(c.env, userId, body.size);
      const id = newId();
      try {
        const upload = await c.env.MEDIA.createMultipartUpload(id, { httpMetadata: { contentType: type } });
        await c.env.DB.prepare(
          `INSERT INTO media (id, owner_id, content_type, kind, size, filename, thumbhash, status, r2_upload_id, part_size, created_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'uploading', ?8, ?9, ?10)`,
        )
          .bind(id, userId, type, kind, body.size, body.filename ?? null, body.thumbhash ?? null, upload.uploadId, PART_SIZE, Date.now())
          .run();
      } catch (err) {
        await refundQuota(c.env, userId, body.size);
        throw err;
      }
      return c.json({ upload: { id, partSize: PART_SIZE, partCount: Math.ceil(body.size / PART_SIZE), uploadedParts: [] } }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/media/uploads/{id}",
      operationId: "getMultipartUpload",
      tags: ["media"],
      summary: "Which parts have arrived (to resume after a dropped connection)",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: json(z.object({ upload: Upload }), "The upload."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const m = await ownUpload(c, c.req.valid("param").id);
      return c.json({ upload: await uploadState(c.env.DB, m) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/media/uploads/{id}/parts/{n}",
      operationId: "uploadPart",
      tags: ["media"],
      summary: "Upload (or re-upload) one part",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64), n: z.coerce.number().int().min(1).max(10_000) }) },
      responses: {
        200: json(
          z.object({ part: z.object({ n: z.number().int(), size: z.number().int() }) }),
          "Stored; a retried part replaces the earlier one.",
        ),
        ...problems(
          [400, "invalid_part, invalid_part_size"],
          [401, "unauthorized"],
          [404, "not_found"],
          [411, "length_required"],
          [415, "unsupported_media_type"],
        ),
      },
    }),
    async (c) => {
      const { id, n } = c.req.valid("param");
      const m = await ownUpload(c, id);
      const partSize = m.part_size ?? PART_SIZE;
      const partCount = Math.ceil(m.size / partSize);
      if (n > partCount) throw new ApiError(400, "invalid_part", `This upload has ${partCount} parts.`);
      const expected = n < partCount ? partSize : m.size - partSize * (partCount - 1);
      const length = declaredLength(c, expected);
      if (length !== expected) throw new ApiError(400, "invalid_part_size", `Part ${n} must be exactly ${expected} bytes.`);
      const body = c.req.raw.body;
      if (!body || !m.r2_upload_id) throw new ApiError(400, "empty_upload", "The part has no bytes.");
      const upload = c.env.MEDIA.resumeMultipartUpload(m.id, m.r2_upload_id);
      let value: ReadableStream<Uint8Array> | Uint8Array = body;
      if (n === 1 && m.kind !== "file") {
        // The first part carries the type's signature: check it before anything is stored.
        const bytes = new Uint8Array(await new Response(body).arrayBuffer());
        if (!matchesDeclared(m.content_type, sniff(bytes.subarray(0, SNIFF_BYTES)))) refuseType(m.content_type);
        value = bytes;
      }
      let part: R2UploadedPart;
      try {
        part = await upload.uploadPart(n, value);
      } catch {
        throw new ApiError(400, "incomplete_upload", "The part ended before Content-Length bytes arrived; send it again.");
      }
      await c.env.DB.prepare(
        "INSERT INTO media_parts (media_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (media_id, part_number) DO UPDATE SET etag = ?3, size = ?4",
      )
        .bind(m.id, n, part.etag, expected)
        .run();
      return c.json({ part: { n, size: expected } }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/media/uploads/{id}/complete",
      operationId: "completeMultipartUpload",
      tags: ["media"],
      summary: "Finish a multipart upload",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        201: json(z.object({ media: Media }), "Stored: the same fields as a single upload, sha256 null until computed (see Media)."),
        ...problems([400, "missing_parts"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const m = await ownUpload(c, c.req.valid("param").id);
      const state = await uploadState(c.env.DB, m);
      const missing = Array.from({ length: state.partCount }, (_, i) => i + 1).filter((n) => !state.uploadedParts.includes(n));
      if (missing.length > 0 || !m.r2_upload_id) {
        throw new ApiError(
          400,
          "missing_parts",
          `Parts not uploaded yet: ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", …" : ""}.`,
        );
      }
      const { results } = await c.env.DB.prepare("SELECT part_number, etag FROM media_parts WHERE media_id = ?1 ORDER BY part_number")
        .bind(m.id)
        .all<{ part_number: number; etag: string }>();
      await c.env.MEDIA.resumeMultipartUpload(m.id, m.r2_upload_id).complete(
        results.map((p) => ({ partNumber: p.part_number, etag: p.etag })),
      );
      let durationMs: number | undefined;
      if (m.kind === "video" || m.kind === "voice") {
        const head = await c.env.MEDIA.get(m.id, { range: { offset: 0, length: Math.min(PROBE_BYTES, m.size) } });
        if (head) durationMs = videoDuration(new Uint8Array(await head.arrayBuffer()), m.content_type);
      }
      await c.env.DB.batch([
        c.env.DB.prepare("UPDATE media SET status = 'ready', r2_upload_id = NULL, duration_ms = ?2 WHERE id = ?1").bind(
          m.id,
          durationMs ?? null,
        ),
        c.env.DB.prepare("DELETE FROM media_parts WHERE media_id = ?1").bind(m.id),
      ]);
      const row = await getMedia(c.env.DB, m.id);
      if (!row) throw new Error("media row missing after completion");
      // R2 assembled the object from parts that arrived in any order, so its hash is only knowable by
      // reading it back; that runs after the answer (sha256 null until then; an hourly backstop retries).
      c.executionCtx.waitUntil(
        hashStored(c.env, m.id).catch((err: unknown) =>
          log.warn("media hash after completion failed", { mediaId: m.id, error: String(err) }),
        ),
      );
      return c.json({ media: toMedia(row) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/media/uploads/{id}",
      operationId: "abortMultipartUpload",
      tags: ["media"],
      summary: "Abandon a multipart upload",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 204: { description: "Aborted; its parts are discarded." }, ...problems([401, "unauthorized"], [404, "not_found"]) },
    }),
    async (c) => {
      const m = await ownUpload(c, c.req.valid("param").id);
      if (m.r2_upload_id) await c.env.MEDIA.resumeMultipartUpload(m.id, m.r2_upload_id).abort();
      await c.env.DB.batch([
        c.env.DB.prepare("DELETE FROM media_parts WHERE media_id = ?1").bind(m.id),
        c.env.DB.prepare("DELETE FROM media WHERE id = ?1").bind(m.id),
      ]);
      await refundQuota(c.env, m.owner_id, m.size);
      return c.body(null, 204);
    },
  );

/** The caller's own unfinished multipart upload, or 404. */
async function ownUpload(c: Context<AppEnv>, id: string): Promise<MediaRow> {
  const m = await getMedia(c.env.DB, id);
  if (!m || m.owner_id !== c.var.citizen.userId || m.status !== "uploading") throw notFound("upload");
  return m;
}

async function uploadState(db: D1Database, m: MediaRow) {
  const partSize = m.part_size ?? PART_SIZE;
  const { results } = await db
    .prepare("SELECT part_number FROM media_parts WHERE media_id = ?1 ORDER BY part_number")
    .bind(m.id)
    .all<{ part_number: number }>();
  return { id: m.id, partSize, partCount: Math.ceil(m.size / partSize), uploadedParts: results.map((r) => r.part_number) };
}
