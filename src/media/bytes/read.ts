// Small readers shared by the sniffers and parsers in this folder. They read only what the caller has
// checked is inside the buffer: a byte past the end reads as 0 instead of throwing, so a missed check
// gives a wrong number (which the parsers' own sanity checks reject) rather than an exception.

export function u8(b: Uint8Array, at: number): number {
  return b[at] ?? 0;
}

export function u16be(b: Uint8Array, at: number): number {
  return (u8(b, at) << 8) | u8(b, at + 1);
}

export function u16le(b: Uint8Array, at: number): number {
  return u8(b, at) | (u8(b, at + 1) << 8);
}

export function u24le(b: Uint8Array, at: number): number {
  return u8(b, at) | (u8(b, at + 1) << 8) | (u8(b, at + 2) << 16);
}

export function u32be(b: Uint8Array, at: number): number {
  // Multiplying instead of shifting keeps values of 2^31 and above positive.
  return u8(b, at) * 0x1000000 + ((u8(b, at + 1) << 16) | (u8(b, at + 2) << 8) | u8(b, at + 3));
}

export function u32le(b: Uint8Array, at: number): number {
  return u8(b, at + 3) * 0x1000000 + ((u8(b, at + 2) << 16) | (u8(b, at + 1) << 8) | u8(b, at));
}

/** A 64-bit big-endian unsigned integer as a JS number: exact below 2^53, which any real size or duration is. */
export function u64be(b: Uint8Array, at: number): number {
  return u32be(b, at) * 0x100000000 + u32be(b, at + 4);
}

/** Bytes as Latin-1 text (one char per byte), for four-character codes and ASCII signatures. */
export function latin1(b: Uint8Array, at: number, length: number): string {
  let s = "";
  for (let i = at; i < at + length && i < b.length; i++) s += String.fromCharCode(u8(b, i));
  return s;
}

/** Whether `b` holds the ASCII text `text` at `at`. */
export function hasAscii(b: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- ISO base media file format (MP4, QuickTime, HEIF): a tree of length-prefixed boxes ----

export interface Box {
  /** The four-character type, e.g. "moov". */
  type: string;
  /** Where the box's content starts (after its header). */
  contentStart: number;
  /** Where the box ends as declared; may lie past the end of the buffer when only a head was read. */
  end: number;
}

/**
 * The boxes laid one after another in `b[start, end)`. Stops at the first header that does not fit in
 * the buffer or that declares an impossible size, so a truncated or malformed file yields a prefix.
 */
export function* boxes(b: Uint8Array, start: number, end: number): Generator<Box> {
  let at = start;
  while (at + 8 <= end && at + 8 <= b.length) {
    let size = u32be(b, at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > b.length) return;
      size = u64be(b, at + 8);
      header = 16;
    } else if (size === 0) {
      // Size 0 means "to the end of the enclosing container" (used for a last mdat of unknown length).
      size = end - at;
    }
    if (size < header) return;
    yield { type: latin1(b, at + 4, 4), contentStart: at + header, end: at + size };
    at += size;
  }
}

/** The first child box of the given type in `b[start, end)`, or undefined. */
export function findBox(b: Uint8Array, start: number, end: number, type: string): Box | undefined {
  for (const box of boxes(b, start, end)) if (box.type === type) return box;
  return undefined;
}

// ---- EBML (WebM, Matroska): elements with variable-length ids and sizes ----

export interface Vint {
  value: number;
  /** How many bytes the integer took. */
  length: number;
  /** All value bits set: for a size, "unknown" (a live stream's Segment or Cluster). */
  allOnes: boolean;
}

/**
 * An EBML variable-length integer at `at`. The count of leading zero bits in the first byte gives its
 * length (1..8 bytes); ids keep that length marker bit, sizes drop it.
 */
export function readVint(b: Uint8Array, at: number, keepMarker: boolean): Vint | undefined {
  if (at >= b.length) return undefined;
  const first = u8(b, at);
  if (first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > b.length) return undefined;
  const marker = 0x80 >> (length - 1);
  let value = keepMarker ? first : first & (marker - 1);
  let allOnes = (first & (marker - 1)) === marker - 1;
  for (let i = 1; i < length; i++) {
    const byte = u8(b, at + i);
    value = value * 256 + byte;
    if (byte !== 0xff) allOnes = false;
  }
  return { value, length, allOnes };
}

export interface Element {
  id: number;
  dataStart: number;
  /** Where the element's data ends as declared (the container's end when its size is unknown). */
  dataEnd: number;
  unknownSize: boolean;
}

/** The EBML elements laid one after another in `b[start, end)`, stopping where a header does not fit. */
export function* elements(b: Uint8Array, start: number, end: number): Generator<Element> {
  let at = start;
  while (at < end && at < b.length) {
    const id = readVint(b, at, true);
    if (!id || id.length > 4) return;
    const size = readVint(b, at + id.length, false);
    if (!size) return;
    const dataStart = at + id.length + size.length;
    const unknownSize = size.allOnes;
    const dataEnd = unknownSize ? end : dataStart + size.value;
    yield { id: id.value, dataStart, dataEnd, unknownSize };
    // An element of unknown size runs to the end of its container; nothing follows it at this level.
    if (unknownSize) return;
    at = dataEnd;
  }
}
