// Removing location and camera metadata from JPEG photos, as the big messengers do.
//
// A JPEG is a run of marker segments (each "FF xx" plus a 16-bit length) up to the first SOS (start of
// scan), followed by entropy-coded image data. Metadata lives in segments before the first SOS, so
// rewriting only that header and passing the rest through untouched strips it without decoding or
// buffering the image: the new length is known once the header is read.
//
// Dropped: APP1 Exif (GPS position, camera make and serial, maker notes, the embedded thumbnail), APP1
// XMP and extended XMP (which can also carry location and, from some cameras, a depth map and the
// unedited original), APP13 (Photoshop/IPTC: captions, keywords, author, place) and COM comments.
// Kept: everything needed to render the photo as the sender saw it: APP0 (JFIF), APP2 (the ICC colour
// profile, and MPF), APP14 (Adobe colour transform), the tables, frame and scan headers. The EXIF
// orientation is kept too, in a fresh minimal Exif segment, because a photo taken upright on a phone
// would otherwise show on its side.

import { ApiError } from "../../lib/errors";
import { concatBytes, hasAscii, u8, u16be, u16le, u32be, u32le } from "./read";

/** The largest JPEG header (everything up to and including the first SOS segment) that stripping keeps. */
export const JPEG_HEADER_LIMIT = 1024 * 1024;

// Bounds on the work done before the first scan, so that a crafted upload (megabytes of stray bytes or
// of 4-byte segments) costs little CPU. Real photos have tens of segments in a header of well under
// 16 MiB, even when a depth map or an edited original is split over 64 KiB extended-XMP segments.
const MAX_HEADER_SEGMENTS = 1024;
const MAX_HEADER_READ = 16 * 1024 * 1024;
const MAX_STRAY_BYTES = 4096;

export interface JpegStripPlan {
  /** The bytes to write instead of the original's first `consumed` bytes. */
  keep: Uint8Array;
  /** How many bytes of the original `keep` replaces; everything after them passes through unchanged. */
  consumed: number;
  /** `consumed - keep.length`: the stripped file is this many bytes shorter than the original. */
  removedBytes: number;
  /** The size as coded in the frame header; `orientation` 5–8 means a viewer shows it turned, width and height swapped. */
  width?: number;
  height?: number;
  /** The EXIF orientation (1–8) when the original stated one; kept in the output when it is not 1. */
  orientation?: number;
}

// ---- the header walk, written once for buffers and streams ----

// The walk is a generator that asks its driver for bytes, so the same code runs synchronously over a
// buffer (planJpegStrip) and asynchronously over a stream (stripJpegStream) without the stream driver
// holding dropped segments in memory.
type Want = { read: number } | { skip: number };
type Walk = Generator<Want, WalkResult, Uint8Array>;
type WalkResult =
  | { ok: true; keep: Uint8Array; consumed: number; width?: number; height?: number; orientation?: number }
  | { ok: false; reason: string };

const SOI = 0xd8;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP13 = 0xed;
const COM = 0xfe;

const EXIF_ID = "Exif\0";
const XMP_IDS = ["http://ns.adobe.com/xap/1.0/\0", "http://ns.adobe.com/xmp/extension/\0"];

/** SOF0..SOF15: the frame headers that state the image size. C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that may appear before the first scan and are followed by a length. */
function isHeaderSegment(marker: number): boolean {
  return (marker >= 0xc0 && marker <= 0xcf) || (marker >= 0xdb && marker <= 0xdf) || (marker >= APP0 && marker <= COM);
}

function isDroppedApp1(payload: Uint8Array): boolean {
  return hasAscii(payload, 0, EXIF_ID) || XMP_IDS.some((id) => hasAscii(payload, 0, id));
}

/** The Orientation tag (0x0112) of IFD0 in an APP1 Exif payload, when present and valid (1–8). */
export function exifOrientation(payload: Uint8Array): number | undefined {
  if (!hasAscii(payload, 0, EXIF_ID)) return undefined;
  const tiff = payload.subarray(6);
  const little = hasAscii(tiff, 0, "II");
  if (!little && !hasAscii(tiff, 0, "MM")) return undefined;
  const u16 = little ? u16le : u16be;
  const u32 = little ? u32le : u32be;
  if (u16(tiff, 2) !== 42) return undefined;
  const ifd = u32(tiff, 4);
  if (ifd + 2 > tiff.length) return undefined;
  const count = u16(tiff, ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(tiff, entry) !== 0x0112) continue;
    // SHORT, one value, stored in the first two bytes of the value field.
    if (u16(tiff, entry + 2) !== 3 || u32(tiff, entry + 4) !== 1) return undefined;
    const value = u16(tiff, entry + 8);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}

/** An APP1 Exif segment holding only IFD0 with the Orientation tag: what a viewer needs and nothing about the camera or place. */
function orientationSegment(orientation: number): Uint8Array {
  // biome-ignore format: one row per field of the segment
  return new Uint8Array([
    0xff, APP1, 0x00, 0x22, // marker, length 34
    0x45, 0x78, 0x69, 0x66, 0x00, 0x00, // "Exif\0\0"
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, IFD0 at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00, // Orientation, SHORT, 1
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
}

function* walkHeader(): Walk {
  const soi = yield { read: 2 };
  if (u8(soi, 0) !== 0xff || u8(soi, 1) !== SOI) return { ok: false, reason: "no start-of-image marker" };
  let consumed = 2;
  const parts: Uint8Array[] = [Uint8Array.of(0xff, SOI)];
  let keptLength = 2;
  let exifPart: number | undefined;
  let orientation: number | undefined;
  let frame: { width?: number; height?: number } | undefined;
  for (let segments = 0; ; segments++) {
    if (segments > MAX_HEADER_SEGMENTS || consumed > MAX_HEADER_READ) return { ok: false, reason: "a header above the size limit" };
    // Decoders (libjpeg among them) skip stray bytes between segments with a warning; so does this walk,
    // leaving them out of the output, rather than turning away a photo every viewer shows.
    const start = consumed;
    let byte = u8(yield { read: 1 }, 0);
    consumed += 1;
    while (byte !== 0xff) {
      if (consumed - start > MAX_STRAY_BYTES) return { ok: false, reason: "stray bytes between segments" };
      byte = u8(yield { read: 1 }, 0);
      consumed += 1;
    }
    let marker = 0xff;
    // Any number of 0xFF fill bytes may precede a marker code; the output drops them.
    while (marker === 0xff) {
      if (consumed - start > MAX_STRAY_BYTES) return { ok: false, reason: "stray bytes between segments" };
      marker = u8(yield { read: 1 }, 0);
      consumed += 1;
    }
    if (marker !== SOS && !isHeaderSegment(marker)) return { ok: false, reason: `unexpected marker 0x${marker.toString(16)}` };
    const lengthBytes = yield { read: 2 };
    consumed += 2;
    const length = u16be(lengthBytes, 0);
    if (length < 2) return { ok: false, reason: "a segment length below 2" };
    const size = length - 2;
    if (marker === APP13 || marker === COM) {
      yield { skip: size };
      consumed += size;
      continue;
    }
    const payload = yield { read: size };
    consumed += size;
    if (marker === APP1 && isDroppedApp1(payload)) {
      if (hasAscii(payload, 0, EXIF_ID)) {
        exifPart ??= parts.length;
        orientation ??= exifOrientation(payload);
      }
      continue;
    }
    if (isFrameHeader(marker) && !frame) {
      if (size < 6) return { ok: false, reason: "a frame header too short" };
      const height = u16be(payload, 1);
      const width = u16be(payload, 3);
      // A height of 0 is legal (it is stated later, in a DNL segment after the first scan).
      frame = { width: width || undefined, height: height || undefined };
    }
    if (marker === SOS) {
      if (!frame) return { ok: false, reason: "a scan before any frame header" };
      if (size < 1 || size !== 4 + 2 * u8(payload, 0)) return { ok: false, reason: "a malformed scan header" };
    }
    const segment = new Uint8Array(4 + size);
    segment.set([0xff, marker, length >> 8, length & 0xff]);
    segment.set(payload, 4);
    parts.push(segment);
    keptLength += segment.length;
    if (keptLength > JPEG_HEADER_LIMIT) return { ok: false, reason: "a header above the size limit" };
    if (marker === SOS) break;
  }
  if (exifPart !== undefined && orientation !== undefined && orientation !== 1) {
    parts.splice(exifPart, 0, orientationSegment(orientation));
  }
  return { ok: true, keep: concatBytes(parts), consumed, ...frame, ...(orientation !== undefined ? { orientation } : {}) };
}

const EMPTY = new Uint8Array(0);

/** Runs the walk over a buffer; "incomplete" when the buffer ends before the first scan header does. */
function walkBuffer(bytes: Uint8Array): WalkResult | "incomplete" {
  const walk = walkHeader();
  let at = 0;
  let step = walk.next(EMPTY);
  while (!step.done) {
    const want = step.value;
    const n = "read" in want ? want.read : want.skip;
    if (at + n > bytes.length) return "incomplete";
    const chunk = "read" in want ? bytes.subarray(at, at + n) : EMPTY;
    at += n;
    step = walk.next(chunk);
  }
  return step.value;
}

function toPlan(result: Extract<WalkResult, { ok: true }>): JpegStripPlan {
  const { ok: _ok, ...rest } = result;
  return { ...rest, removedBytes: result.consumed - result.keep.length };
}

/**
 * How to strip metadata from a JPEG whose first bytes are `head`: write `keep` instead of the first
 * `consumed` bytes and copy the rest unchanged. `head` must hold everything up to and including the
 * first SOS segment, or the first `JPEG_HEADER_LIMIT` bytes; returns null when it does not reach the end
 * of that segment or the bytes are not a well-formed JPEG header. Reads only `head`; never throws.
 */
export function planJpegStrip(head: Uint8Array): JpegStripPlan | null {
  const result = walkBuffer(head);
  return result !== "incomplete" && result.ok ? toPlan(result) : null;
}

function notAJpeg(reason: string): ApiError {
  return new ApiError(415, "unsupported_media_type", `The photo is not a well-formed JPEG (${reason}).`);
}

/**
 * A whole JPEG without its metadata. Throws a 415 ApiError when the bytes are not a well-formed JPEG,
 * because a photo whose metadata could not be found cannot be promised to be without it.
 */
export function stripJpeg(bytes: Uint8Array): Uint8Array {
  const result = walkBuffer(bytes);
  if (result === "incomplete") throw notAJpeg("it ends before the image data");
  if (!result.ok) throw notAJpeg(result.reason);
  return concatBytes([result.keep, bytes.subarray(result.consumed)]);
}

export interface StrippedJpeg extends Omit<JpegStripPlan, "keep" | "consumed"> {
  /** The stripped file: the rewritten header, then the rest of the source as it arrives. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Strips metadata from a JPEG as it streams: reads the source up to the end of the first SOS segment
 * (discarding dropped segments as they pass, keeping at most `JPEG_HEADER_LIMIT` bytes), then returns a
 * stream of the new header followed by the rest of the source. With the original length known, the
 * stripped length is `length - removedBytes` (R2 needs it: wrap the stream in a FixedLengthStream).
 * Rejects with a 415 ApiError when the source is not a well-formed JPEG or its header is past the
 * limits above (more than 1024 segments or 16 MiB read, or 1 MiB kept).
 */
export async function stripJpegStream(source: ReadableStream<Uint8Array>): Promise<StrippedJpeg> {
  const reader = source.getReader();
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;

  /** Waits until `n` bytes are queued; false when the source ends first. */
  const fill = async (n: number): Promise<boolean> => {
    while (queued < n && !ended) {
      const { done, value } = await reader.read();
      if (done) ended = true;
      else if (value.length > 0) {
        queue.push(value);
        queued += value.length;
      }
    }
    return queued >= n;
  };
  /** Takes `n` queued bytes off the front; copies only when they span chunks. */
  const take = (n: number, keep: boolean): Uint8Array => {
    const out = keep && n > 0 && (queue[0]?.length ?? 0) < n ? new Uint8Array(n) : undefined;
    let view: Uint8Array = EMPTY;
    let done = 0;
    while (done < n) {
      const head = queue[0];
      if (!head) break;
      const part = Math.min(n - done, head.length);
      if (out) out.set(head.subarray(0, part), done);
      else if (keep) view = head.subarray(0, part);
      if (part === head.length) queue.shift();
      else queue[0] = head.subarray(part);
      done += part;
    }
    queued -= n;
    return out ?? view;
  };
  /** Discards `n` bytes, reading through the source without keeping them. */
  const skip = async (n: number): Promise<boolean> => {
    let left = n;
    while (left > 0) {
      if (!(await fill(1))) return false;
      const part = Math.min(left, queued);
      take(part, false);
      left -= part;
    }
    return true;
  };

  const walk = walkHeader();
  let step = walk.next(EMPTY);
  try {
    while (!step.done) {
      const want = step.value;
      if ("read" in want) {
        if (!(await fill(want.read))) throw notAJpeg("it ends before the image data");
        step = walk.next(take(want.read, true));
      } else {
        if (!(await skip(want.skip))) throw notAJpeg("it ends before the image data");
        step = walk.next(EMPTY);
      }
    }
    if (!step.value.ok) throw notAJpeg(step.value.reason);
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  const { keep, consumed: _consumed, ...plan } = toPlan(step.value);
  const pending = [keep, ...queue];
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = pending.shift();
      if (next) {
        controller.enqueue(next);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { ...plan, stream };
}

/**
 * The size of a JPEG as shown (after EXIF orientation), from its head: only the segments up to the
 * frame header need be in `head`. Undefined when they are not, or the bytes are not a JPEG. Never throws.
 */
export function jpegSize(head: Uint8Array): { width: number; height: number } | undefined {
  if (u8(head, 0) !== 0xff || u8(head, 1) !== SOI) return undefined;
  let at = 2;
  let orientation: number | undefined;
  while (at + 4 <= head.length) {
    // Stray bytes between segments are skipped, as in the strip walk.
    while (at < head.length && u8(head, at) !== 0xff) at++;
    let markerAt = at + 1;
    while (u8(head, markerAt) === 0xff && markerAt < head.length) markerAt++;
    const marker = u8(head, markerAt);
    if (!isHeaderSegment(marker) || markerAt + 3 > head.length) return undefined;
    const length = u16be(head, markerAt + 1);
    if (length < 2) return undefined;
    const payloadAt = markerAt + 3;
    const end = payloadAt + length - 2;
    if (marker === APP1 && end <= head.length) orientation ??= exifOrientation(head.subarray(payloadAt, end));
    if (isFrameHeader(marker)) {
      if (payloadAt + 5 > head.length || length < 8) return undefined;
      const height = u16be(head, payloadAt + 1);
      const width = u16be(head, payloadAt + 3);
      if (width === 0 || height === 0) return undefined;
      return orientation !== undefined && orientation >= 5 ? { width: height, height: width } : { width, height };
    }
    at = end;
  }
  return undefined;
}
