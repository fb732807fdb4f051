// Width and height of photos and duration of videos, read from the first bytes of the file so that a
// chat can lay out a placeholder of the right shape before the media loads. Only what the container
// states up front is used: nothing is decoded, and a value not within the head is simply unknown.

import { jpegSize } from "./jpeg";
import { type Box, boxes, elements, findBox, hasAscii, u8, u16be, u16le, u24le, u32be, u32le, u64be } from "./read";
import { canonicalType } from "./sniff";

/**
 * How many leading bytes to pass for `imageSize` and `videoDuration` to find what they look for in
 * nearly every real file: JPEG frame headers come after at most a 64 KiB Exif segment and a colour
 * profile, HEIF item properties within the first few KiB, a fast-start MP4's `mvhd` and a WebM's Info
 * right after the file header. (An MP4 written with its `moov` at the end has no duration in its head.)
 */
export const MEDIA_INFO_HEAD_BYTES = 256 * 1024;

export interface ImageSize {
  width: number;
  height: number;
}

const MAX_DIMENSION = 0x7fffffff;

function size(width: number, height: number): ImageSize | undefined {
  const valid = (n: number) => Number.isInteger(n) && n > 0 && n <= MAX_DIMENSION;
  return valid(width) && valid(height) ? { width, height } : undefined;
}

function pngSize(head: Uint8Array): ImageSize | undefined {
  // The signature, then IHDR, which the format requires to be the first chunk.
  if (!hasAscii(head, 0, "\x89PNG\r\n\x1a\n") || !hasAscii(head, 12, "IHDR") || head.length < 24) return undefined;
  return size(u32be(head, 16), u32be(head, 20));
}

function gifSize(head: Uint8Array): ImageSize | undefined {
  if (!(hasAscii(head, 0, "GIF87a") || hasAscii(head, 0, "GIF89a")) || head.length < 10) return undefined;
  return size(u16le(head, 6), u16le(head, 8));
}

function webpSize(head: Uint8Array): ImageSize | undefined {
  if (!hasAscii(head, 0, "RIFF") || !hasAscii(head, 8, "WEBP") || head.length < 30) return undefined;
  // The first chunk says which of the three WebP forms this is.
  if (hasAscii(head, 12, "VP8 ")) {
    // Lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height (2 bits of scaling above them).
    if (u8(head, 23) !== 0x9d || u8(head, 24) !== 0x01 || u8(head, 25) !== 0x2a) return undefined;
    return size(u16le(head, 26) & 0x3fff, u16le(head, 28) & 0x3fff);
  }
  if (hasAscii(head, 12, "VP8L")) {
    // Lossless: signature 0x2F, then width-1 and height-1 in 14 bits each, little-endian bit order.
    if (u8(head, 20) !== 0x2f) return undefined;
    const bits = u32le(head, 21);
    return size((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (hasAscii(head, 12, "VP8X")) {
    // Extended (alpha, animation, metadata): 4 bytes of flags, then canvas width-1 and height-1 in 24 bits each.
    return size(u24le(head, 24) + 1, u24le(head, 27) + 1);
  }
  return undefined;
}

/** A box's children, for boxes that are "full boxes" (a version byte and 24 bits of flags before the children). */
function fullBoxChildren(head: Uint8Array, box: Box): Generator<Box> {
  return boxes(head, box.contentStart + 4, box.end);
}

/** Whether the first `n` bytes of a box's content are in the head. */
function contentIn(head: Uint8Array, box: Box, n: number): boolean {
  return box.contentStart + n <= Math.min(box.end, head.length);
}

/**
 * HEIF/HEIC: the primary item's `ispe` (image spatial extent) property, turned by its `irot`. The item
 * properties live in meta/iprp/ipco and are tied to items by meta/iprp/ipma; a grid photo (as iPhones
 * write) has one `ispe` per tile size and one for the whole, so the association matters. Without the
 * association boxes the largest `ispe` is taken.
 */
function heifSize(head: Uint8Array): ImageSize | undefined {
  const meta = findBox(head, 0, head.length, "meta");
  if (!meta) return undefined;
  let primary: number | undefined;
  let ipco: Box | undefined;
  let ipma: Box | undefined;
  for (const box of fullBoxChildren(head, meta)) {
    if (box.type === "pitm" && contentIn(head, box, 6)) {
      primary = u8(head, box.contentStart) === 0 ? u16be(head, box.contentStart + 4) : u32be(head, box.contentStart + 4);
    } else if (box.type === "iprp") {
      ipco = findBox(head, box.contentStart, box.end, "ipco");
      ipma = findBox(head, box.contentStart, box.end, "ipma");
    }
  }
  if (!ipco) return undefined;
  const properties = [...boxes(head, ipco.contentStart, ipco.end)];
  const associated = primary !== undefined && ipma ? primaryProperties(head, ipma, primary) : undefined;
  const candidates = associated ? associated.map((i) => properties[i - 1]).filter((p) => p !== undefined) : properties;

  let best: ImageSize | undefined;
  for (const p of candidates) {
    if (p.type !== "ispe" || !contentIn(head, p, 12)) continue;
    const s = size(u32be(head, p.contentStart + 4), u32be(head, p.contentStart + 8));
    if (s && (!best || s.width * s.height > best.width * best.height)) best = s;
    if (associated) break;
  }
  if (!best) return undefined;
  // irot turns the image anticlockwise by 90° times its low two bits; odd turns swap width and height.
  const irot = associated ? candidates.find((p) => p.type === "irot" && contentIn(head, p, 1)) : undefined;
  return irot && (u8(head, irot.contentStart) & 1) === 1 ? { width: best.height, height: best.width } : best;
}

/** The 1-based ipco indices of the properties `ipma` associates with item `item`, or undefined when it lists none. */
function primaryProperties(head: Uint8Array, ipma: Box, item: number): number[] | undefined {
  const end = Math.min(ipma.end, head.length);
  const version = u8(head, ipma.contentStart);
  const wideIndices = (u8(head, ipma.contentStart + 3) & 1) === 1;
  if (ipma.contentStart + 8 > end) return undefined;
  const entries = u32be(head, ipma.contentStart + 4);
  let at = ipma.contentStart + 8;
  for (let e = 0; e < entries; e++) {
    const idSize = version < 1 ? 2 : 4;
    if (at + idSize + 1 > end) return undefined;
    const id = idSize === 2 ? u16be(head, at) : u32be(head, at);
    const count = u8(head, at + idSize);
    at += idSize + 1;
    const indexSize = wideIndices ? 2 : 1;
    if (at + count * indexSize > end) return undefined;
    if (id === item) {
      const indices: number[] = [];
      // The top bit of each association marks it "essential"; the rest is the index.
      for (let i = 0; i < count; i++) indices.push(wideIndices ? u16be(head, at + 2 * i) & 0x7fff : u8(head, at + i) & 0x7f);
      return indices;
    }
    at += count * indexSize;
  }
  return undefined;
}

/**
 * The width and height of a photo as shown (JPEG after EXIF orientation, HEIF after `irot`), from the
 * first bytes of the file (`MEDIA_INFO_HEAD_BYTES` is enough in practice). `type` is the media type
 * (sniffed or declared). Undefined when the type is not an image type handled here, the size is not
 * within `head`, or the bytes are malformed; never throws.
 */
export function imageSize(head: Uint8Array, type: string): ImageSize | undefined {
  try {
    switch (canonicalType(type)) {
      case "image/png":
        return pngSize(head);
      case "image/gif":
        return gifSize(head);
      case "image/webp":
        return webpSize(head);
      case "image/jpeg":
        return jpegSize(head);
      case "image/heic":
      case "image/heif":
      case "image/avif":
        return heifSize(head);
      default:
        return undefined;
    }
  } catch {
    // The parsers check bounds themselves; this is the promise to callers that bad bytes never become a 500.
    return undefined;
  }
}

// ---- durations ----

function milliseconds(duration: number, unitsPerSecond: number): number | undefined {
  if (!(unitsPerSecond > 0) || !Number.isFinite(duration) || duration < 0) return undefined;
  const ms = Math.round((duration * 1000) / unitsPerSecond);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * MP4/QuickTime: moov/mvhd states a timescale (units per second) and the duration in those units. A
 * fragmented MP4 leaves that duration 0 and states the whole in moov/mvex/mehd instead.
 */
function mp4Duration(head: Uint8Array): number | undefined {
  const moov = findBox(head, 0, head.length, "moov");
  if (!moov) return undefined;
  const mvhd = findBox(head, moov.contentStart, moov.end, "mvhd");
  if (!mvhd) return undefined;
  const at = mvhd.contentStart;
  let timescale: number;
  let duration: number;
  if (u8(head, at) === 1) {
    // Version 1: 64-bit creation and modification times and duration.
    if (!contentIn(head, mvhd, 32)) return undefined;
    timescale = u32be(head, at + 20);
    if (u32be(head, at + 24) === 0xffffffff && u32be(head, at + 28) === 0xffffffff) return undefined;
    duration = u64be(head, at + 24);
  } else {
    if (!contentIn(head, mvhd, 20)) return undefined;
    timescale = u32be(head, at + 12);
    duration = u32be(head, at + 16);
    // All ones means "unknown".
    if (duration === 0xffffffff) return undefined;
  }
  if (duration === 0) {
    const mvex = findBox(head, moov.contentStart, moov.end, "mvex");
    const mehd = mvex ? findBox(head, mvex.contentStart, mvex.end, "mehd") : undefined;
    if (!mehd) return undefined;
    const v1 = u8(head, mehd.contentStart) === 1;
    if (!contentIn(head, mehd, v1 ? 12 : 8)) return undefined;
    duration = v1 ? u64be(head, mehd.contentStart + 4) : u32be(head, mehd.contentStart + 4);
    if (duration === 0) return undefined;
  }
  return milliseconds(duration, timescale);
}

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const CLUSTER = 0x1f43b675;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

/**
 * WebM/Matroska: Segment/Info states Duration as a float in units of TimecodeScale nanoseconds (one
 * million, i.e. milliseconds, unless stated). Live recordings (a browser's MediaRecorder) leave it out.
 */
function webmDuration(head: Uint8Array): number | undefined {
  const top = elements(head, 0, head.length);
  const header = top.next();
  if (header.done || header.value.id !== EBML_HEADER) return undefined;
  const segment = elements(head, header.value.dataEnd, head.length).next();
  if (segment.done || segment.value.id !== SEGMENT) return undefined;
  for (const el of elements(head, segment.value.dataStart, segment.value.dataEnd)) {
    // Info precedes the clusters of media data; past the first cluster there is no point looking.
    if (el.id === CLUSTER) return undefined;
    if (el.id !== INFO) continue;
    let scale = 1_000_000;
    let duration: number | undefined;
    for (const field of elements(head, el.dataStart, el.dataEnd)) {
      const length = field.dataEnd - field.dataStart;
      if (field.dataEnd > head.length) return undefined;
      if (field.id === TIMECODE_SCALE && length >= 1 && length <= 6) {
        scale = 0;
        for (let i = 0; i < length; i++) scale = scale * 256 + u8(head, field.dataStart + i);
      } else if (field.id === DURATION && (length === 4 || length === 8)) {
        const view = new DataView(head.buffer, head.byteOffset + field.dataStart, length);
        duration = length === 4 ? view.getFloat32(0) : view.getFloat64(0);
      }
    }
    return duration === undefined || scale === 0 ? undefined : milliseconds(duration * scale, 1e9);
  }
  return undefined;
}

/**
 * The duration of a video or audio file in milliseconds, when its container states it within `head`
 * (MP4/QuickTime/M4A/3GPP: moov/mvhd; WebM/Matroska: Segment/Info/Duration). `type` is the media type
 * (sniffed or declared). Undefined otherwise, or for malformed bytes; never throws.
 */
export function videoDuration(head: Uint8Array, type: string): number | undefined {
  try {
    switch (canonicalType(type)) {
      case "video/mp4":
      case "video/quicktime":
      case "video/3gpp":
      case "audio/mp4":
        return mp4Duration(head);
      case "video/webm":
      case "video/x-matroska":
      case "audio/webm":
        return webmDuration(head);
      default:
        return undefined;
    }
  } catch {
    // As in imageSize: malformed input must come back as "unknown", never as an exception.
    return undefined;
  }
}
