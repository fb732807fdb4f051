// Real minimal media files, built byte by byte, for the byte-level media tests. Each builder follows
// its format's specification closely enough that a decoder would accept the result (the JPEG below
// is a decodable grey image with one-code Huffman tables), so the parsers are tested on what they meet.

export type ByteSource = Uint8Array | readonly number[] | string;

/** Text as bytes, one byte per char (Latin-1), so "\x89PNG" is the PNG signature. */
export function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function concat(...parts: ByteSource[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === "string" ? bytes(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function indexOfBytes(hay: Uint8Array, needle: ByteSource): number {
  const n = typeof needle === "string" ? bytes(needle) : Uint8Array.from(needle);
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}

/** Byte equality without the deep-equality machinery, which takes seconds on megabytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function containsBytes(hay: Uint8Array, needle: ByteSource): boolean {
  return indexOfBytes(hay, needle) >= 0;
}

export function u16be(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

export function u32be(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function u64be(n: bigint): number[] {
  return [...u32be(Number(n >> 32n)), ...u32be(Number(n & 0xffffffffn))];
}

export function fromBase64(b64: string): Uint8Array {
  return bytes(atob(b64));
}

// ---- JPEG ----

export function segment(marker: number, payload: ByteSource): Uint8Array {
  const body = concat(payload);
  return concat([0xff, marker], u16be(body.length + 2), body);
}

interface TiffEntry {
  tag: number;
  type: number;
  count: number;
  data: Uint8Array;
}

const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const UNDEFINED = 7;

function tiffWriter(little: boolean) {
  const short = (v: number) => (little ? [v & 0xff, v >>> 8] : u16be(v));
  const long = (v: number) => (little ? u32be(v).reverse() : u32be(v));
  return {
    short,
    long,
    ascii: (tag: number, s: string): TiffEntry => ({ tag, type: ASCII, count: s.length + 1, data: bytes(`${s}\0`) }),
    shortEntry: (tag: number, v: number): TiffEntry => ({ tag, type: SHORT, count: 1, data: concat(short(v), [0, 0]) }),
    rationals: (tag: number, values: [number, number][]): TiffEntry => ({
      tag,
      type: RATIONAL,
      count: values.length,
      data: concat(...values.flatMap(([n, d]) => [long(n), long(d)])),
    }),
    undefinedEntry: (tag: number, data: ByteSource): TiffEntry => {
      const d = concat(data);
      return { tag, type: UNDEFINED, count: d.length, data: d };
    },
  };
}

/** A TIFF structure as Exif stores it: IFD0 pointing to an Exif IFD and a GPS IFD, values over 4 bytes stored after each IFD. */
function tiff(little: boolean, ifd0: TiffEntry[], exif: TiffEntry[], gps: TiffEntry[]): Uint8Array {
  const w = tiffWriter(little);
  const sizeOf = (entries: TiffEntry[]) =>
    2 + 12 * entries.length + 4 + entries.reduce((n, e) => n + (e.data.length > 4 ? e.data.length + (e.data.length & 1) : 0), 0);
  const pointer = (tag: number): TiffEntry => ({ tag, type: LONG, count: 1, data: new Uint8Array(4) });
  const exifPointer = pointer(0x8769);
  const gpsPointer = pointer(0x8825);
  const ifd0All = [...ifd0, exifPointer, gpsPointer].sort((a, b) => a.tag - b.tag);
  const ifd0At = 8;
  const exifAt = ifd0At + sizeOf(ifd0All);
  const gpsAt = exifAt + sizeOf(exif);
  exifPointer.data = Uint8Array.from(w.long(exifAt));
  gpsPointer.data = Uint8Array.from(w.long(gpsAt));
  const out = new Uint8Array(gpsAt + sizeOf(gps));
  out.set(concat(little ? "II" : "MM", w.short(42), w.long(ifd0At)), 0);
  const writeIfd = (at: number, entries: TiffEntry[]) => {
    out.set(w.short(entries.length), at);
    let dataAt = at + 2 + 12 * entries.length + 4;
    entries.forEach((e, i) => {
      const p = at + 2 + 12 * i;
      out.set(concat(w.short(e.tag), w.short(e.type), w.long(e.count)), p);
      if (e.data.length <= 4) out.set(e.data, p + 8);
      else {
        out.set(w.long(dataAt), p + 8);
        out.set(e.data, dataAt);
        dataAt += e.data.length + (e.data.length & 1);
      }
    });
    // The next-IFD offset stays 0: no thumbnail IFD.
  };
  writeIfd(ifd0At, ifd0All);
  writeIfd(exifAt, exif);
  writeIfd(gpsAt, gps);
  return out;
}

/** Recognisable strings placed in the metadata that stripping must remove. */
export const SECRETS = {
  camera: "SecretCam Model-X",
  makerNote: "MAKERNOTE-SERIAL-0042",
  gps: "GPS-SECRET-PLACE",
  xmp: "XMP-SECRET-LOCATION",
  iptc: "IPTC-SECRET-CAPTION",
  comment: "COMMENT-SECRET",
};

/** The GPS latitude 55° 45' 20.93" as Exif stores it (big-endian rationals): bytes that must not survive. */
export const GPS_LATITUDE_BYTES = [...u32be(55), ...u32be(1), ...u32be(45), ...u32be(1), ...u32be(2093), ...u32be(100)];

/** An APP1 Exif payload with camera make, a maker note, a GPS position and optionally an orientation. */
export function exifPayload(opts: { orientation?: number; little?: boolean } = {}): Uint8Array {
  const little = opts.little ?? false;
  const w = tiffWriter(little);
  const ifd0 = [w.ascii(0x010f, SECRETS.camera)];
  if (opts.orientation !== undefined) ifd0.push(w.shortEntry(0x0112, opts.orientation));
  const exif = [w.undefinedEntry(0x927c, SECRETS.makerNote), w.ascii(0xa431, "SN-99887766")];
  const gps = [
    { tag: 0x0000, type: 1, count: 4, data: Uint8Array.of(2, 3, 0, 0) },
    w.ascii(0x0001, "N"),
    w.rationals(0x0002, [
      [55, 1],
      [45, 1],
      [2093, 100],
    ]),
    w.ascii(0x0003, "E"),
    w.rationals(0x0004, [
      [37, 1],
      [37, 1],
      [1234, 100],
    ]),
    w.undefinedEntry(0x001b, `ASCII\0\0\0${SECRETS.gps}`),
  ];
  return concat("Exif\0\0", tiff(little, ifd0, exif, gps));
}

export const SEG = {
  app0: () => segment(0xe0, concat("JFIF\0", [1, 1, 0, 0, 1, 0, 1, 0, 0])),
  exif: (opts: { orientation?: number; little?: boolean } = {}) => segment(0xe1, exifPayload(opts)),
  xmp: () =>
    segment(
      0xe1,
      `http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>55,45.35N</exif:GPSLatitude>${SECRETS.xmp}</x:xmpmeta>`,
    ),
  extendedXmp: () => segment(0xe1, `http://ns.adobe.com/xmp/extension/\0${"0".repeat(32)}\0\0\0\x10\0\0\0\0GDepth:Data=...`),
  /** An APP1 segment that is neither Exif nor XMP: kept. */
  otherApp1: () => segment(0xe1, "VENDOR-APP1\0data"),
  icc: () => segment(0xe2, concat("ICC_PROFILE\0", [1, 1], "ICC-PROFILE-BYTES: display P3 primaries and curves")),
  app13: () => segment(0xed, concat("Photoshop 3.0\0", "8BIM", [0x04, 0x04, 0, 0], u32be(24), `\x1c\x02\x78${SECRETS.iptc}`)),
  comment: () => segment(0xfe, SECRETS.comment),
  adobe: () => segment(0xee, concat("Adobe", [0, 100, 0, 0, 0, 0, 1])),
  dqt: () => segment(0xdb, concat([0], new Array<number>(64).fill(1))),
  sof0: (width: number, height: number) => segment(0xc0, concat([8], u16be(height), u16be(width), [1, 1, 0x11, 0])),
  sof2: (width: number, height: number) => segment(0xc2, concat([8], u16be(height), u16be(width), [1, 1, 0x11, 0])),
  // One code each: DC category 0 is "0" and AC end-of-block is "0", so every 8x8 block is two 0 bits.
  dht: () => segment(0xc4, concat([0x00, 1], new Array<number>(15).fill(0), [0x00], [0x10, 1], new Array<number>(15).fill(0), [0x00])),
  dri: () => segment(0xdd, u16be(0)),
  sos: () => segment(0xda, [1, 1, 0x00, 0, 63, 0]),
};

/** Entropy-coded data for a grey image of `blocks` 8x8 blocks under SEG.dht's tables, padded with 1 bits. */
export function scanData(blocks: number): Uint8Array {
  const bits = "00".repeat(blocks);
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, "1");
  const out = new Uint8Array(padded.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(padded.slice(i * 8, i * 8 + 8), 2);
  return out;
}

/**
 * A baseline greyscale JPEG of the given size with the given segments between SOI and the tables. The
 * result's `tail` is everything from the scan data on: what stripping must pass through unchanged.
 */
export function buildJpeg(opts: { width?: number; height?: number; metadata?: Uint8Array[] } = {}) {
  const width = opts.width ?? 16;
  const height = opts.height ?? 8;
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const tables = concat(SEG.dqt(), SEG.sof0(width, height), SEG.dht(), SEG.sos());
  const tail = concat(scanData(blocks), [0xff, 0xd9]);
  const file = concat([0xff, 0xd8], ...(opts.metadata ?? []), tables, tail);
  return { file, tables, tail };
}

// ---- PNG ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat(type, data);
  return concat(u32be(data.length), typed, u32be(crc32(typed)));
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A complete greyscale PNG (signature, IHDR, zlib-compressed IDAT, IEND) with correct CRCs. */
export async function buildPng(width: number, height: number): Promise<Uint8Array> {
  const ihdr = concat(u32be(width), u32be(height), [8, 0, 0, 0, 0]);
  // Each row: filter type 0, then one byte per pixel.
  const raw = new Uint8Array(height * (width + 1)).map((_, i) => (i % (width + 1) === 0 ? 0 : i & 0xff));
  return concat("\x89PNG\r\n\x1a\n", pngChunk("IHDR", ihdr), pngChunk("IDAT", await deflate(raw)), pngChunk("IEND", new Uint8Array(0)));
}

// ---- GIF and WebP: well-known 1x1 files, and headers of larger ones ----

export const GIF_1X1 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
export const WEBP_LOSSY_1X1 = "UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA";
export const WEBP_LOSSLESS_1X1 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==";
export const WEBP_ALPHA_1X1 =
  "UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==";

/** The 1x1 GIF with its logical screen (and image descriptor) set to `width`x`height`. */
export function gifOfSize(width: number, height: number): Uint8Array {
  const gif = fromBase64(GIF_1X1);
  gif.set([width & 0xff, width >> 8, height & 0xff, height >> 8], 6);
  return gif;
}

function riff(chunks: Uint8Array): Uint8Array {
  const le32 = (n: number) => u32be(n).reverse();
  return concat("RIFF", le32(chunks.length + 4), "WEBP", chunks);
}

function riffChunk(type: string, data: Uint8Array): Uint8Array {
  const le32 = (n: number) => u32be(n).reverse();
  return concat(type, le32(data.length), data, data.length & 1 ? [0] : []);
}

export function webpLossyHeader(width: number, height: number): Uint8Array {
  const frame = concat(
    [0x30, 0x01, 0x00],
    [0x9d, 0x01, 0x2a],
    [width & 0xff, width >> 8, height & 0xff, height >> 8],
    new Array(10).fill(0),
  );
  return riff(riffChunk("VP8 ", frame));
}

export function webpLosslessHeader(width: number, height: number): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14);
  return riff(riffChunk("VP8L", concat([0x2f], u32be(bits >>> 0).reverse(), new Array(8).fill(0))));
}

export function webpExtendedHeader(width: number, height: number): Uint8Array {
  const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
  return riff(riffChunk("VP8X", concat([0x10, 0, 0, 0], le24(width - 1), le24(height - 1))));
}

// ---- ISO BMFF: HEIF and MP4 ----

export function box(type: string, ...content: ByteSource[]): Uint8Array {
  const body = concat(...content);
  return concat(u32be(body.length + 8), type, body);
}

export function fullBox(type: string, version: number, flags: number, ...content: ByteSource[]): Uint8Array {
  return box(type, [version, (flags >> 16) & 0xff, (flags >> 8) & 0xff, flags & 0xff], ...content);
}

export function ftyp(major: string, ...compatible: string[]): Uint8Array {
  return box("ftyp", major, u32be(0), ...compatible);
}

/**
 * The head of an iPhone-style HEIC: a 2x2 grid (item 1, primary) of 512x512 HEVC tiles (items 2..5).
 * The tiles' `ispe` comes first in ipco, as Apple writes it, so only the ipma association gives the
 * photo's own size. `rotate` adds an irot of 90° to the primary item.
 */
export function heicHead(opts: { rotate?: boolean; withAssociations?: boolean } = {}): Uint8Array {
  const ispe = (w: number, h: number) => fullBox("ispe", 0, 0, u32be(w), u32be(h));
  const properties = [
    box("hvcC", new Array(23).fill(0)),
    ispe(512, 512),
    ispe(4032, 3024),
    box("irot", [1]),
    box("pixi", [0, 0, 0, 0, 1, 8]),
  ];
  const association = (item: number, indices: number[]) =>
    concat(
      u16be(item),
      [indices.length],
      indices.map((i) => 0x80 | i),
    );
  const grid = opts.rotate ? [3, 4] : [3];
  const entries = [association(1, grid), ...[2, 3, 4, 5].map((item) => association(item, [1, 2]))];
  const ipma = fullBox("ipma", 0, 0, u32be(entries.length), ...entries);
  const iprp = box("iprp", box("ipco", ...properties), ...(opts.withAssociations === false ? [] : [ipma]));
  const meta = fullBox(
    "meta",
    0,
    0,
    fullBox("hdlr", 0, 0, u32be(0), "pict", new Array(12).fill(0), "\0"),
    fullBox("pitm", 0, 0, u16be(1)),
    fullBox("iinf", 0, 0, u16be(0)),
    iprp,
  );
  return concat(ftyp("heic", "mif1", "heic"), meta, box("mdat", "HEVC-DATA"));
}

/** An MP4 with `moov` first (fast start): ftyp, moov/mvhd (version 0 or 1), a track header stub, then mdat. */
export function mp4(opts: { version: 0 | 1; timescale: number; duration: bigint; brand?: string; moovLast?: boolean }): Uint8Array {
  const times =
    opts.version === 1 ? [...u64be(3_800_000_000n), ...u64be(3_800_000_100n)] : [...u32be(3_800_000_000), ...u32be(3_800_000_100)];
  const duration = opts.version === 1 ? u64be(opts.duration) : u32be(Number(opts.duration));
  const rest = new Array(80).fill(0);
  const mvhd = fullBox("mvhd", opts.version, 0, times, u32be(opts.timescale), duration, rest);
  const moov = box("moov", mvhd, box("trak", fullBox("tkhd", 0, 3, new Array(80).fill(0))));
  const mdat = box("mdat", new Array(64).fill(0x42));
  const brand = opts.brand ?? "isom";
  return opts.moovLast ? concat(ftyp(brand, brand, "mp41"), mdat, moov) : concat(ftyp(brand, brand, "mp41"), moov, mdat);
}

// ---- EBML: WebM ----

/** An EBML element with a size written in the shortest form (or 8 bytes when `wideSize`). */
export function ebml(id: number, ...content: ByteSource[]): Uint8Array {
  const body = concat(...content);
  const idBytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) idBytes.unshift(v & 0xff);
  return concat(idBytes, ebmlSize(body.length), body);
}

function ebmlSize(n: number): number[] {
  for (let length = 1; length <= 8; length++) {
    if (n < 2 ** (7 * length) - 1) {
      const out: number[] = [];
      let v = n;
      for (let i = 0; i < length; i++) {
        out.unshift(v & 0xff);
        v = Math.floor(v / 256);
      }
      out[0] = (out[0] ?? 0) | (0x80 >> (length - 1));
      return out;
    }
  }
  throw new Error("too large");
}

export function ebmlHeader(docType: string): Uint8Array {
  return ebml(
    0x1a45dfa3,
    ebml(0x4286, [1]),
    ebml(0x42f7, [1]),
    ebml(0x42f2, [4]),
    ebml(0x42f3, [8]),
    ebml(0x4282, docType),
    ebml(0x4287, [4]),
    ebml(0x4285, [2]),
  );
}

export function float64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v);
  return [...b];
}

export function float32(v: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v);
  return [...b];
}

/**
 * A WebM head: EBML header, a Segment (of unknown size, as live recorders write it, unless `sized`),
 * a SeekHead, Info with the given TimecodeScale and Duration, Tracks, and the start of a Cluster.
 */
export function webm(opts: { duration?: number[]; timecodeScale?: number; sized?: boolean; docType?: string }): Uint8Array {
  const info = ebml(
    0x1549a966,
    ...(opts.timecodeScale !== undefined ? [ebml(0x2ad7b1, u32be(opts.timecodeScale))] : []),
    ebml(0x4d80, "Lavf60.3.100"),
    ebml(0x5741, "Lavf60.3.100"),
    ...(opts.duration ? [ebml(0x4489, opts.duration)] : []),
  );
  const seekHead = ebml(0x114d9b74, ebml(0x4dbb, ebml(0x53ab, [0x15, 0x49, 0xa9, 0x66]), ebml(0x53ac, [0x20])));
  const tracks = ebml(0x1654ae6b, ebml(0xae, ebml(0xd7, [1]), ebml(0x83, [1]), ebml(0x86, "V_VP9")));
  const cluster = ebml(0x1f43b675, ebml(0xe7, [0]), ebml(0xa3, [0x81, 0, 0, 0x80, 1, 2, 3]));
  const children = concat(seekHead, ebml(0xec, new Array(10).fill(0)), info, tracks, cluster);
  const segment = opts.sized
    ? ebml(0x18538067, children)
    : concat([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], children);
  return concat(ebmlHeader(opts.docType ?? "webm"), segment);
}

/** The first page header of an Ogg Opus file. */
export function oggOpusHead(): Uint8Array {
  const page = concat("OggS", [0, 2], new Array(8).fill(0), u32be(0x12345678), u32be(0), u32be(0), [1, 19]);
  return concat(page, "OpusHead", [1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]);
}
