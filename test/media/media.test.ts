import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { BASE, call, callJson, expectProblem, openSocket, type SignedIn, signIn } from "../helpers";
import { float64, webm } from "./bytes/fixtures";

// ---------- fixtures: real minimal files, built byte by byte ----------

const ascii = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: (Uint8Array | number[])[]) => {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
};
const segment = (marker: number, payload: Uint8Array) =>
  concat([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff], payload);
const includes = (hay: Uint8Array, needle: Uint8Array) => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
};

const GPS_MARK = ascii("GPSLatitude=55.7558N;GPSLongitude=37.6173E;MakerNote=SecretCam");
const EXIF = segment(0xe1, concat(ascii("Exif\0\0"), ascii("II*\0"), [8, 0, 0, 0], GPS_MARK));
const ICC = segment(0xe2, concat(ascii("ICC_PROFILE\0"), [1, 1], ascii("colour-profile-bytes")));
const SCAN = ascii("scan-data-that-must-survive-byte-for-byte");

/** SOI, JFIF, EXIF (with GPS text), ICC, DQT, SOF0 32×16, DHT, SOS, scan data, EOI. */
function jpegWithExif(): Uint8Array {
  return concat(
    [0xff, 0xd8],
    segment(0xe0, concat(ascii("JFIF\0"), [1, 1, 0, 0, 1, 0, 1, 0, 0])),
    EXIF,
    ICC,
    segment(0xdb, concat([0], new Uint8Array(64).fill(1))),
    segment(0xc0, new Uint8Array([8, 0, 16, 0, 32, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])),
    segment(0xc4, concat([0], [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])),
    segment(0xda, new Uint8Array([3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0])),
    SCAN,
    [0xff, 0xd9],
  );
}

function png(width: number, height: number): Uint8Array {
  const ihdr = concat(
    [0, 0, 0, 13],
    ascii("IHDR"),
    [0, 0, width >> 8, width & 0xff, 0, 0, height >> 8, height & 0xff, 8, 6, 0, 0, 0],
    [0, 0, 0, 0],
  );
  return concat([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], ihdr, [0, 0, 0, 0], ascii("IEND"), [0xae, 0x42, 0x60, 0x82]);
}

const MP4_HEAD = concat([0, 0, 0, 0x18], ascii("ftypisom"), [0, 0, 2, 0], ascii("isomiso2"));
function mp4(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 0xff;
  bytes.set(MP4_HEAD);
  return bytes;
}

// ---------- helpers ----------

const postMedia = (user: SignedIn, bytes: Uint8Array, type: string, query = "") =>
  call(`/api/v1/media${query}`, { method: "POST", token: user.accessToken, rawBody: bytes, headers: { "content-type": type } });

async function upload(user: SignedIn, bytes: Uint8Array, type: string, query = "") {
  return callJson<{ media: { id: string; size: number; sha256: string; kind: string; width: number | null; height: number | null } }>(
    `/api/v1/media${query}`,
    { method: "POST", token: user.accessToken, rawBody: bytes, headers: { "content-type": type } },
  );
}

async function download(user: SignedIn, id: string, headers: Record<string, string> = {}) {
  const res = await call(`/api/v1/media/${id}`, { token: user.accessToken, headers });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

async function sha256Hex(bytes: Uint8Array) {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The real Worker with some bindings changed (limits), as in production configuration. */
async function fetchWith(overrides: Partial<Record<keyof Env, string>>, path: string, init: RequestInit & { body: Uint8Array }) {
  const ctx = createExecutionContext();
  // Called directly (not over a connection), a Request carries no Content-Length unless it is set.
  const headers = new Headers(init.headers);
  headers.set("content-length", String(init.body.length));
  const res = await worker.fetch(new Request(BASE + path, { ...init, headers }), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function directChat(a: SignedIn, b: SignedIn) {
  const { body } = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
    token: a.accessToken,
    body: { type: "direct", userId: b.user.id },
  });
  return body.chat.id;
}

const mediaRows = async (ownerId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM media WHERE owner_id = ?1").bind(ownerId).first<{ n: number }>())?.n;

// ---------- tests ----------

describe("single-request uploads", () => {
  it("takes a browser's voice recording (audio/webm) as a voice note, with the length the recorder measured", async () => {
    const anna = await signIn();
    // MediaRecorder's WebM: an EBML header and a Segment of unknown size, with no Duration in it.
    const recording = webm({});
    const { status, body } = await upload(anna, recording, "audio/webm", "?durationMs=4200");
    expect(status).toBe(201);
    expect(body.media).toMatchObject({ kind: "voice", durationMs: 4200 });
    const info = await callJson<{ media: { contentType: string; durationMs: number } }>(`/api/v1/media/${body.media.id}/info`, {
      token: anna.accessToken,
    });
    expect(info.body.media).toMatchObject({ contentType: "audio/webm", durationMs: 4200 });
    // A length in the file wins over the declared one (10 s at the default timecode scale of 1 ms).
    const timed = await upload(anna, webm({ duration: float64(10_000) }), "audio/webm", "?durationMs=1");
    expect(timed.body.media).toMatchObject({ kind: "voice", durationMs: 10_000 });
  });

  it("refuses a voice note whose bytes are not WebM, or a length that is not one, and stores nothing", async () => {
    const anna = await signIn();
    await expectProblem(await postMedia(anna, png(4, 4), "audio/webm"), 415, "unsupported_media_type");
    for (const bad of ["-1", "3600001", "1.5", "soon"])
      await expectProblem(await postMedia(anna, webm({}), "audio/webm", `?durationMs=${bad}`), 400, "validation_failed");
    const listed = await env.DB.prepare("SELECT COUNT(*) AS n FROM media WHERE owner_id = ?").bind(anna.user.id).first<{ n: number }>();
    expect(listed?.n).toBe(0);
  });

  it("stores a photo with its dimensions and hash and serves it back to the uploader", async () => {
    const anna = await signIn();
    const bytes = png(40, 30);
    const { status, body } = await upload(anna, bytes, "image/png", "?thumbhash=YJqGPQw7sFlslqhFafSE%2BQ6oJ1h2iHB2Rw");
    expect(status).toBe(201);
    expect(body.media).toMatchObject({ kind: "photo", size: bytes.length, width: 40, height: 30, sha256: await sha256Hex(bytes) });
    const { res, bytes: back } = await download(anna, body.media.id);
    expect(res.status).toBe(200);
    expect(back).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toMatch(/^inline/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toMatch(/^private/);
    expect(res.headers.get("etag")).toBe(`"${body.media.sha256}"`);
  });

  it("removes EXIF (location, camera) from JPEG photos and keeps the image data and colour profile", async () => {
    const anna = await signIn();
    const original = jpegWithExif();
    const { status, body } = await upload(anna, original, "image/jpeg");
    expect(status).toBe(201);
    const { bytes: stored } = await download(anna, body.media.id);
    expect(includes(original, GPS_MARK)).toBe(true);
    expect(includes(stored, GPS_MARK)).toBe(false);
    expect(includes(stored, ascii("Exif"))).toBe(false);
    expect(includes(stored, ascii("ICC_PROFILE"))).toBe(true);
    expect(includes(stored, SCAN)).toBe(true);
    expect(stored.length).toBe(original.length - EXIF.length);
    expect(body.media).toMatchObject({ size: stored.length, sha256: await sha256Hex(stored), width: 32, height: 16 });
  });

  it("keeps a photo sent as a file byte for byte, and serves it as a download", async () => {
    const anna = await signIn();
    const original = jpegWithExif();
    const { status, body } = await upload(anna, original, "image/jpeg", "?as=file&filename=IMG_0001.jpg");
    expect(status).toBe(201);
    expect(body.media.kind).toBe("file");
    const { res, bytes } = await download(anna, body.media.id);
    expect(bytes).toEqual(original);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="IMG_0001.jpg"/);
  });

  it("refuses bytes that are not what their photo or video type says, storing nothing and charging nothing", async () => {
    const anna = await signIn();
    await expectProblem(await postMedia(anna, png(2, 2), "image/jpeg"), 415, "unsupported_media_type");
    await expectProblem(
      await postMedia(anna, ascii("<!doctype html><script>alert(1)</script>"), "image/png"),
      415,
      "unsupported_media_type",
    );
    await expectProblem(await postMedia(anna, png(2, 2), "video/mp4"), 415, "unsupported_media_type");
    await expectProblem(await postMedia(anna, ascii("not a pdf at all"), "application/pdf"), 415, "unsupported_media_type");
    await expectProblem(
      await postMedia(anna, ascii("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/svg+xml"),
      415,
      "unsupported_media_type",
    );
    expect(await mediaRows(anna.user.id)).toBe(0);
    const usage = await env.DB.prepare("SELECT COALESCE(SUM(bytes), 0) AS b FROM media_usage WHERE user_id = ?1")
      .bind(anna.user.id)
      .first<{ b: number }>();
    expect(usage?.b).toBe(0);
    expect((await upload(anna, mp4(4096), "video/mp4")).status).toBe(201);
  });

  it("never serves SVG or HTML inline", async () => {
    const anna = await signIn();
    for (const [bytes, type] of [
      [ascii("<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"), "image/svg+xml"],
      [ascii("<html><script>alert(1)</script></html>"), "text/html"],
    ] as const) {
      const { status, body } = await upload(anna, bytes, type, "?as=file");
      expect(status).toBe(201);
      const { res } = await download(anna, body.media.id);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("sandbox");
    }
    // Declared as plain text/html (a file, not a photo), it is still a download.
    const { body } = await upload(anna, ascii("<html></html>"), "text/html");
    expect(body.media.kind).toBe("file");
    expect((await download(anna, body.media.id)).res.headers.get("content-disposition")).toMatch(/^attachment/);
  });

  it("needs a type and a length, and refuses uploads over the limit", async () => {
    const anna = await signIn();
    await expectProblem(
      await call("/api/v1/media", { method: "POST", token: anna.accessToken, rawBody: png(2, 2) }),
      415,
      "unsupported_media_type",
    );
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(png(2, 2));
        c.close();
      },
    });
    const noLength = await call("/api/v1/media", {
      method: "POST",
      token: anna.accessToken,
      rawBody: stream,
      headers: { "content-type": "image/png" },
    });
    await expectProblem(noLength, 411, "length_required");
    const big = await fetchWith({ MEDIA_MAX_UPLOAD_BYTES: "1000" }, "/api/v1/media", {
      method: "POST",
      headers: { authorization: `Bearer ${anna.accessToken}`, "content-type": "video/mp4" },
      body: mp4(2000),
    });
    await expectProblem(big, 413, "too_large");
    // Bigger than the 64 KiB JSON limit is fine for media.
    expect((await upload(anna, mp4(200_000), "video/mp4")).status).toBe(201);
    await expectProblem(
      await call("/api/v1/media", { method: "POST", rawBody: png(2, 2), headers: { "content-type": "image/png" } }),
      401,
      "unauthorized",
    );
  });

  it("holds each user to a daily quota", async () => {
    const anna = await signIn();
    const post = (size: number) =>
      fetchWith({ MEDIA_DAILY_QUOTA_BYTES: "5000" }, "/api/v1/media", {
        method: "POST",
        headers: { authorization: `Bearer ${anna.accessToken}`, "content-type": "video/mp4" },
        body: mp4(size),
      });
    expect((await post(3000)).status).toBe(201);
    const over = await post(3000);
    await expectProblem(over, 429, "daily_quota_exceeded");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await post(2000)).status).toBe(201);
    expect(await mediaRows(anna.user.id)).toBe(2);
  });
});

describe("downloads", () => {
  it("honours byte ranges, including their edge cases", async () => {
    const anna = await signIn();
    const bytes = mp4(1000);
    const { body } = await upload(anna, bytes, "video/mp4");
    const id = body.media.id;
    const first = await download(anna, id, { range: "bytes=0-9" });
    expect(first.res.status).toBe(206);
    expect(first.res.headers.get("content-range")).toBe("bytes 0-9/1000");
    expect(first.bytes).toEqual(bytes.subarray(0, 10));
    const suffix = await download(anna, id, { range: "bytes=-5" });
    expect(suffix.res.status).toBe(206);
    expect(suffix.bytes).toEqual(bytes.subarray(995));
    const open = await download(anna, id, { range: "bytes=990-" });
    expect(open.res.headers.get("content-range")).toBe("bytes 990-999/1000");
    expect(open.bytes).toEqual(bytes.subarray(990));
    const clipped = await download(anna, id, { range: "bytes=900-5000" });
    expect(clipped.res.headers.get("content-range")).toBe("bytes 900-999/1000");
    expect(clipped.bytes).toEqual(bytes.subarray(900));
    const outside = await download(anna, id, { range: "bytes=1000-1010" });
    expect(outside.res.status).toBe(416);
    expect(outside.res.headers.get("content-range")).toBe("bytes */1000");
    const garbage = await download(anna, id, { range: "bytes=abc" });
    expect(garbage.res.status).toBe(200);
    expect(garbage.bytes).toEqual(bytes);
    const cached = await download(anna, id, { "if-none-match": `"${body.media.sha256}"` });
    expect(cached.res.status).toBe(304);
  });

  it("lets only the uploader and members of a chat where a message carries the media read it", async () => {
    const [anna, boris, vera] = [await signIn(), await signIn(), await signIn()];
    const { body } = await upload(anna, png(8, 8), "image/png");
    const id = body.media.id;
    expect((await download(boris, id)).res.status).toBe(404);
    expect((await call(`/api/v1/media/${id}`)).status).toBe(401);
    await expectProblem(await call("/api/v1/media/01NOSUCHMEDIA0000000000000", { token: boris.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/media/${id}`, { token: boris.accessToken }), 404, "not_found");

    const chatId = await directChat(anna, boris);
    const sent = await callJson<{ message: { attachments: string[] } }>(`/api/v1/chats/${chatId}/messages`, {
      token: anna.accessToken,
      body: { clientId: "photo-1", text: "смотри", attachments: [id] },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.attachments).toEqual([id]);
    expect((await download(boris, id)).res.status).toBe(200);
    const info = await callJson<{ media: { id: string; width: number } }>(`/api/v1/media/${id}/info`, { token: boris.accessToken });
    expect(info.body.media).toMatchObject({ id, width: 8 });
    expect((await download(vera, id)).res.status).toBe(404);
    await expectProblem(await call(`/api/v1/media/${id}/info`, { token: vera.accessToken }), 404, "not_found");

    // Boris forwards it to a group with Vera: now Vera may read it.
    const { body: g } = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
      token: boris.accessToken,
      body: { type: "group", title: "друзья", memberIds: [vera.user.id] },
    });
    const fwd = await callJson<{ message: { attachments: string[] } }>(`/api/v1/chats/${g.chat.id}/messages`, {
      token: boris.accessToken,
      body: { clientId: "fwd-1", forwardOf: { chatId, seq: 1 } },
    });
    expect(fwd.status).toBe(201);
    expect(fwd.body.message.attachments).toEqual([id]);
    expect((await download(vera, id)).res.status).toBe(200);
  });

  it("stops serving a deleted message's media to those who could read it only through that message", async () => {
    const [anna, boris, vera] = [await signIn(), await signIn(), await signIn()];
    const { body: g } = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
      token: anna.accessToken,
      body: { type: "group", title: "фото", memberIds: [boris.user.id, vera.user.id] },
    });
    const chatId = g.chat.id;
    const { body: one } = await upload(anna, png(6, 6), "image/png");
    const { body: two } = await upload(anna, png(7, 7), "image/png");
    const send = (clientId: string, attachments: string[]) =>
      callJson(`/api/v1/chats/${chatId}/messages`, { token: anna.accessToken, body: { clientId, attachments } });
    expect((await send("p1", [one.media.id])).status).toBe(201);
    expect((await send("p2", [two.media.id])).status).toBe(201);
    // The second photo is in two messages; the first in one.
    expect((await send("p3", [two.media.id])).status).toBe(201);
    expect((await download(boris, one.media.id)).res.status).toBe(200);

    expect((await call(`/api/v1/chats/${chatId}/messages/1`, { method: "DELETE", token: anna.accessToken })).status).toBe(204);
    await expectProblem(await call(`/api/v1/media/${one.media.id}`, { token: boris.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/media/${one.media.id}/info`, { token: vera.accessToken }), 404, "not_found");
    // Its uploader still has it.
    expect((await download(anna, one.media.id)).res.status).toBe(200);

    // A photo another live message still carries stays readable until that one goes too.
    expect((await call(`/api/v1/chats/${chatId}/messages/2`, { method: "DELETE", token: anna.accessToken })).status).toBe(204);
    expect((await download(boris, two.media.id)).res.status).toBe(200);
    expect((await call(`/api/v1/chats/${chatId}/messages/3`, { method: "DELETE", token: anna.accessToken })).status).toBe(204);
    await expectProblem(await call(`/api/v1/media/${two.media.id}`, { token: boris.accessToken }), 404, "not_found");
  });

  it("refuses to attach media that is not the sender's own", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chatId = await directChat(anna, boris);
    const { body } = await upload(anna, png(4, 4), "image/png");
    const stolen = await call(`/api/v1/chats/${chatId}/messages`, {
      token: boris.accessToken,
      body: { clientId: "x", attachments: [body.media.id] },
    });
    const problem = await expectProblem(stolen, 400, "unknown_media");
    expect(problem.errors).toEqual([expect.objectContaining({ path: "attachments" })]);
    await expectProblem(
      await call(`/api/v1/chats/${chatId}/messages`, {
        token: boris.accessToken,
        body: { clientId: "y", attachments: ["01NOSUCHMEDIA0000000000000"] },
      }),
      400,
      "unknown_media",
    );
    expect((await download(boris, body.media.id)).res.status).toBe(404);
  });

  it("carries attachments over the socket the same way", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chatId = await directChat(anna, boris);
    const mine = (await upload(anna, png(4, 4), "image/png")).body.media.id;
    const theirs = (await upload(boris, png(4, 4), "image/png")).body.media.id;
    const s = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: anna.accessToken });
    s.send({ type: "send", clientId: "bad", attachments: [theirs] });
    expect(await s.next((f) => f.type === "error")).toMatchObject({ code: "unknown_media" });
    s.send({ type: "send", clientId: "good", attachments: [mine] });
    const message = await s.next((f) => f.type === "message");
    expect((message.message as { attachments: string[] }).attachments).toEqual([mine]);
    expect((await download(boris, mine)).res.status).toBe(200);
    s.close();
  });
});

describe("multipart uploads", () => {
  const PART = 8 * 1024 * 1024;

  async function start(user: SignedIn, size: number, contentType = "video/mp4") {
    return callJson<{ upload: { id: string; partSize: number; partCount: number; uploadedParts: number[] } }>("/api/v1/media/uploads", {
      token: user.accessToken,
      body: { contentType, size, filename: "clip.mp4" },
    });
  }
  const putPart = (user: SignedIn, id: string, n: number, bytes: Uint8Array) =>
    call(`/api/v1/media/uploads/${id}/parts/${n}`, {
      method: "PUT",
      token: user.accessToken,
      rawBody: bytes,
      headers: { "content-type": "application/octet-stream" },
    });

  it("takes parts in any order, retries a part, resumes, and assembles the file", async () => {
    const anna = await signIn();
    const file = mp4(PART + 1000);
    const { status, body } = await start(anna, file.length);
    expect(status).toBe(201);
    expect(body.upload).toMatchObject({ partSize: PART, partCount: 2, uploadedParts: [] });
    const id = body.upload.id;

    expect((await putPart(anna, id, 2, new Uint8Array(1000).fill(7))).status).toBe(200);
    await expectProblem(await putPart(anna, id, 1, file.subarray(0, 100)), 400, "invalid_part_size");
    await expectProblem(await putPart(anna, id, 3, file.subarray(0, 100)), 400, "invalid_part");
    await expectProblem(
      await call(`/api/v1/media/uploads/${id}/complete`, { method: "POST", token: anna.accessToken }),
      400,
      "missing_parts",
    );

    // After a dropped connection, the client asks what arrived.
    const state = await callJson<{ upload: { uploadedParts: number[] } }>(`/api/v1/media/uploads/${id}`, { token: anna.accessToken });
    expect(state.body.upload.uploadedParts).toEqual([2]);

    expect((await putPart(anna, id, 1, file.subarray(0, PART))).status).toBe(200);
    // Part 2 again, now with the right bytes: the retry replaces it.
    expect((await putPart(anna, id, 2, file.subarray(PART))).status).toBe(200);
    const done = await callJson<{ media: { id: string; size: number; kind: string; sha256: string | null } }>(
      `/api/v1/media/uploads/${id}/complete`,
      {
        method: "POST",
        token: anna.accessToken,
      },
    );
    expect(done.status).toBe(201);
    expect(done.body.media).toMatchObject({ id, size: file.length, kind: "video" });
    // The same fields as a single upload; the hash of the assembled object follows within 60 s.
    expect(Object.keys(done.body.media).sort()).toEqual(
      [
        "attachedAt",
        "contentType",
        "createdAt",
        "durationMs",
        "filename",
        "height",
        "id",
        "kind",
        "sha256",
        "size",
        "thumbhash",
        "width",
      ].sort(),
    );
    const expected = await sha256Hex(file);
    expect([null, expected]).toContain(done.body.media.sha256);
    let info: { sha256: string | null } | undefined;
    for (let i = 0; i < 100 && !info?.sha256; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      info = (await callJson<{ media: { sha256: string | null } }>(`/api/v1/media/${id}/info`, { token: anna.accessToken })).body.media;
    }
    expect(info?.sha256).toBe(expected);
    const { bytes } = await download(anna, id);
    // Digests, not toEqual: comparing 8 MiB element by element takes vitest longer than the upload.
    expect(bytes.length).toBe(file.length);
    expect(await sha256Hex(bytes)).toBe(await sha256Hex(file));
    const tail = await download(anna, id, { range: `bytes=${PART - 2}-${PART + 1}` });
    expect(tail.bytes).toEqual(file.subarray(PART - 2, PART + 2));
  });

  it("hashes a completed upload whose hash did not finish after completion in the hourly run", async () => {
    const anna = await signIn();
    const file = mp4(4000);
    const { body } = await start(anna, file.length);
    const id = body.upload.id;
    expect((await putPart(anna, id, 1, file)).status).toBe(200);
    expect((await call(`/api/v1/media/uploads/${id}/complete`, { method: "POST", token: anna.accessToken })).status).toBe(201);
    // As if the isolate had gone before the hash after completion finished: no hash, an old upload.
    await env.DB.prepare("UPDATE media SET sha256 = NULL, created_at = ?2 WHERE id = ?1")
      .bind(id, Date.now() - 3600_000)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const info = await callJson<{ media: { sha256: string | null } }>(`/api/v1/media/${id}/info`, { token: anna.accessToken });
    expect(info.body.media.sha256).toBe(await sha256Hex(file));
  });

  it("checks the first part's signature, keeps uploads private, and sends photos to the single-request path", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const { body } = await start(anna, 5000);
    await expectProblem(await putPart(anna, body.upload.id, 1, new Uint8Array(5000)), 415, "unsupported_media_type");
    await expectProblem(await putPart(boris, body.upload.id, 1, mp4(5000)), 404, "not_found");
    await expectProblem(await call(`/api/v1/media/uploads/${body.upload.id}`, { token: boris.accessToken }), 404, "not_found");
    const startRaw = (size: number, contentType: string) =>
      call("/api/v1/media/uploads", { token: anna.accessToken, body: { contentType, size } });
    await expectProblem(await startRaw(5000, "image/jpeg"), 400, "use_single_upload");
    await expectProblem(await startRaw(5 * 1024 ** 3, "video/mp4"), 400, "validation_failed");
    expect((await call(`/api/v1/media/uploads/${body.upload.id}`, { method: "DELETE", token: anna.accessToken })).status).toBe(204);
    await expectProblem(await call(`/api/v1/media/uploads/${body.upload.id}`, { token: anna.accessToken }), 404, "not_found");
  });
});

describe("cleanup", () => {
  it("removes uploads no message carried within a day and aborts stale multipart uploads, keeping attached media", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const kept = (await upload(anna, png(4, 4), "image/png")).body.media.id;
    const dropped = (await upload(anna, png(4, 4), "image/png")).body.media.id;
    const fresh = (await upload(anna, png(4, 4), "image/png")).body.media.id;
    const chatId = await directChat(anna, boris);
    await callJson(`/api/v1/chats/${chatId}/messages`, { token: anna.accessToken, body: { clientId: "k", attachments: [kept] } });
    const pending = (
      await callJson<{ upload: { id: string } }>("/api/v1/media/uploads", {
        token: anna.accessToken,
        body: { contentType: "video/mp4", size: 5000 },
      })
    ).body.upload.id;
    const dayAgo = Date.now() - 25 * 3600_000;
    await env.DB.prepare(`UPDATE media SET created_at = ?1 WHERE id IN (?2, ?3, ?4)`).bind(dayAgo, kept, dropped, pending).run();

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const ids = (await env.DB.prepare("SELECT id FROM media WHERE owner_id = ?1").bind(anna.user.id).all<{ id: string }>()).results.map(
      (r) => r.id,
    );
    expect(ids.sort()).toEqual([kept, fresh].sort());
    expect(await env.MEDIA.get(dropped)).toBeNull();
    expect(await env.MEDIA.head(kept)).not.toBeNull();
    expect((await download(boris, kept)).res.status).toBe(200);
  });
});
