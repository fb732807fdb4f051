// What a file is, from its first bytes, and whether that agrees with the type its uploader declared.
// Photos, videos and voice notes are shown inline by clients, so their bytes must be what the declared
// type says; any other file is stored as declared and served as an attachment with `nosniff`.

import { boxes, elements, hasAscii, latin1, u8, u32be } from "./read";

/**
 * How many leading bytes `sniff` needs. Every signature it knows fits in them, including an ISO BMFF
 * `ftyp` box with a handful of compatible brands and an EBML header up to its DocType.
 */
export const SNIFF_HEAD_BYTES = 64;

export type SniffedType =
  | "image/jpeg"
  | "image/png"
  | "image/webp"
  | "image/gif"
  | "image/heic"
  | "image/heif"
  | "image/avif"
  | "video/mp4"
  | "video/quicktime"
  | "video/3gpp"
  | "video/webm"
  | "video/x-matroska"
  | "audio/ogg"
  | "audio/mp4"
  | "application/pdf"
  | "text/html"
  | "image/svg+xml"
  | "application/xml";

export interface Sniffed {
  type: SniffedType;
  /** For ISO BMFF files the brand that decided the type (e.g. "isom", "heic", "qt  "); for EBML the DocType. */
  brand?: string;
}

const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis"]);
const HEIF_BRANDS = new Set(["mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);
// Brands that only say "an MP4 file" (ISO base media, MPEG-4 v1/v2, DASH, Apple M4V, camera makers'
// XAVC). Which tracks it holds is not in the brand, so an audio-only file may carry them too.
const MP4_BRANDS = new Set([
  "isom",
  "iso2",
  "iso3",
  "iso4",
  "iso5",
  "iso6",
  "iso7",
  "iso8",
  "iso9",
  "mp41",
  "mp42",
  "mp71",
  "avc1",
  "dash",
  "msdh",
  "msix",
  "M4V ",
  "M4VH",
  "M4VP",
  "mmp4",
  "MSNV",
  "NDAS",
  "XAVC",
  "f4v ",
]);
const M4A_BRANDS = new Set(["M4A ", "M4B ", "M4P ", "F4A ", "F4B "]);
const QUICKTIME_BRANDS = new Set(["qt  "]);

function typeOfBrand(brand: string): SniffedType | undefined {
  if (HEIC_BRANDS.has(brand)) return "image/heic";
  if (HEIF_BRANDS.has(brand)) return "image/heif";
  if (AVIF_BRANDS.has(brand)) return "image/avif";
  if (QUICKTIME_BRANDS.has(brand)) return "video/quicktime";
  if (M4A_BRANDS.has(brand)) return "audio/mp4";
  if (MP4_BRANDS.has(brand)) return "video/mp4";
  if (/^3g[p2][0-9a-z]$/.test(brand)) return "video/3gpp";
  return undefined;
}

/** An ISO BMFF file by its `ftyp` box: the major brand decides when known, else the first known compatible brand. */
function sniffFtyp(head: Uint8Array): Sniffed | null {
  const size = Math.min(u32be(head, 0), head.length);
  if (size < 16) return null;
  const major = latin1(head, 8, 4);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= size; at += 4) compatible.push(latin1(head, at, 4));
  const majorType = typeOfBrand(major);
  // A HEIF file whose major brand is the generic "mif1" may still be an AVIF, which is not a HEIC photo.
  if (majorType === "image/heif" && compatible.some((b) => AVIF_BRANDS.has(b))) return { type: "image/avif", brand: major };
  if (majorType) return { type: majorType, brand: major };
  for (const brand of compatible) {
    const type = typeOfBrand(brand);
    if (type) return { type, brand };
  }
  return null;
}

// QuickTime files from before `ftyp` existed start straight with one of these atoms.
const QUICKTIME_LEADING_ATOMS = new Set(["moov", "mdat", "wide", "free", "skip", "pnot"]);

function sniffBareQuickTime(head: Uint8Array): Sniffed | null {
  const first = boxes(head, 0, head.length).next();
  if (first.done || !QUICKTIME_LEADING_ATOMS.has(first.value.type)) return null;
  return { type: "video/quicktime", brand: first.value.type };
}

const EBML_DOCTYPE = 0x4282;

function sniffEbml(head: Uint8Array): Sniffed | null {
  const header = elements(head, 0, head.length).next();
  if (header.done || header.value.id !== 0x1a45dfa3) return null;
  for (const el of elements(head, header.value.dataStart, header.value.dataEnd)) {
    if (el.id !== EBML_DOCTYPE) continue;
    if (el.dataEnd > head.length) return null;
    const docType = latin1(head, el.dataStart, el.dataEnd - el.dataStart).replace(/\0+$/, "");
    if (docType === "webm") return { type: "video/webm", brand: docType };
    if (docType === "matroska") return { type: "video/x-matroska", brand: docType };
    return null;
  }
  return null;
}

const WHITESPACE = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x20]);
// The WHATWG MIME Sniffing standard's list of markup that makes a browser render a response as HTML;
// each must be followed by a space or ">" to count.
const HTML_OPENERS = [
  "<!doctype html",
  "<html",
  "<head",
  "<script",
  "<iframe",
  "<h1",
  "<div",
  "<font",
  "<table",
  "<a",
  "<style",
  "<title",
  "<b",
  "<body",
  "<br",
  "<p",
];

function lowerAsciiFrom(head: Uint8Array, at: number): string {
  return latin1(head, at, head.length - at).toLowerCase();
}

/** Markup that a browser would run scripts in if it were ever served inline: HTML, SVG, or XML that may be either. */
function sniffMarkup(head: Uint8Array): Sniffed | null {
  let at = 0;
  if (u8(head, 0) === 0xef && u8(head, 1) === 0xbb && u8(head, 2) === 0xbf) at = 3;
  while (at < head.length && WHITESPACE.has(u8(head, at))) at++;
  const text = lowerAsciiFrom(head, at);
  if (text.startsWith("<svg")) return { type: "image/svg+xml" };
  if (text.startsWith("<?xml")) return { type: text.includes("<svg") ? "image/svg+xml" : "application/xml" };
  if (text.startsWith("<!--")) return { type: text.includes("<svg") ? "image/svg+xml" : "text/html" };
  for (const opener of HTML_OPENERS) {
    if (!text.startsWith(opener)) continue;
    const next = text.charCodeAt(opener.length);
    if (next === 0x20 || next === 0x3e || Number.isNaN(next)) return { type: "text/html" };
  }
  return null;
}

/**
 * The type of a file from its first bytes (pass at least `SNIFF_HEAD_BYTES`, fewer only when the file
 * is shorter), or null when it is none of the types listed in `SniffedType`. Never throws.
 */
export function sniff(head: Uint8Array): Sniffed | null {
  if (u8(head, 0) === 0xff && u8(head, 1) === 0xd8 && u8(head, 2) === 0xff) return { type: "image/jpeg" };
  if (hasAscii(head, 0, "\x89PNG\r\n\x1a\n")) return { type: "image/png" };
  if (hasAscii(head, 0, "GIF87a") || hasAscii(head, 0, "GIF89a")) return { type: "image/gif" };
  if (hasAscii(head, 0, "RIFF") && hasAscii(head, 8, "WEBP")) return { type: "image/webp" };
  if (hasAscii(head, 0, "%PDF-")) return { type: "application/pdf" };
  if (hasAscii(head, 0, "OggS") && head.length > 4 && u8(head, 4) === 0) return { type: "audio/ogg" };
  if (hasAscii(head, 0, "\x1a\x45\xdf\xa3")) return sniffEbml(head);
  if (hasAscii(head, 4, "ftyp")) return sniffFtyp(head);
  return sniffBareQuickTime(head) ?? sniffMarkup(head);
}

/** Types that script can run in when a browser renders them; never serve these inline. */
export function isScriptable(sniffed: Sniffed | null): boolean {
  return sniffed?.type === "text/html" || sniffed?.type === "image/svg+xml" || sniffed?.type === "application/xml";
}

// For each declared type whose bytes must agree, the sniffed types that agree with it. Containers that
// share a format count as agreeing: MP4 and QuickTime are one box structure, and an audio-only MP4
// often carries only the generic "isom"/"mp42" brands (Android's recorder) or a 3GPP brand.
// (Maps, not object literals, so that a declared type such as "constructor" finds nothing.)
const AGREEING: ReadonlyMap<string, readonly SniffedType[]> = new Map<string, readonly SniffedType[]>([
  ["image/jpeg", ["image/jpeg"]],
  ["image/png", ["image/png"]],
  ["image/webp", ["image/webp"]],
  ["image/gif", ["image/gif"]],
  ["image/heic", ["image/heic", "image/heif"]],
  ["image/heif", ["image/heic", "image/heif"]],
  ["video/mp4", ["video/mp4", "video/quicktime", "video/3gpp"]],
  ["video/quicktime", ["video/quicktime", "video/mp4"]],
  ["video/webm", ["video/webm"]],
  ["audio/ogg", ["audio/ogg"]],
  // A WebM holding only audio (what browsers' MediaRecorder writes) has the same header as a video one.
  ["audio/webm", ["video/webm"]],
  ["audio/mp4", ["audio/mp4", "video/mp4", "video/3gpp"]],
  // Documents are offered for preview as PDFs, so they must be PDFs.
  ["application/pdf", ["application/pdf"]],
]);

// Names clients send for the same types.
const ALIASES: ReadonlyMap<string, string> = new Map([
  ["image/jpg", "image/jpeg"],
  ["image/pjpeg", "image/jpeg"],
  ["image/heic-sequence", "image/heic"],
  ["image/heif-sequence", "image/heif"],
  ["audio/x-m4a", "audio/mp4"],
  ["audio/m4a", "audio/mp4"],
]);

/** The declared type without parameters, lower-cased, with common aliases resolved ("image/jpg" → "image/jpeg"). */
export function canonicalType(declared: string): string {
  const bare = (declared.split(";")[0] ?? "").trim().toLowerCase();
  return ALIASES.get(bare) ?? bare;
}

/** Whether uploads declared as this type must carry bytes of that type (photos, videos, voice notes, PDFs). */
export function isVerifiedType(declared: string): boolean {
  return AGREEING.has(canonicalType(declared));
}

/**
 * Whether bytes sniffed as `sniffed` may be stored under the `declared` type. For photo, video, voice and
 * PDF types the sniffed type must agree; for anything else the answer is yes, because such files are only
 * ever served as attachments with `nosniff` — which is also why a yes here never means "safe inline".
 */
export function matchesDeclared(declared: string, sniffed: Sniffed | null): boolean {
  const agreeing = AGREEING.get(canonicalType(declared));
  if (!agreeing) return true;
  return sniffed !== null && agreeing.includes(sniffed.type);
}
