// The byte-level media parsers as properties over generated input: nothing an uploader sends makes
// them throw, and JPEG stripping is exact, idempotent and the same whether planned, buffered or streamed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { imageSize, videoDuration } from "../../../src/media/bytes/dimensions";
import { exifOrientation, jpegSize, planJpegStrip, stripJpeg, stripJpegStream } from "../../../src/media/bytes/jpeg";
import { matchesDeclared, sniff } from "../../../src/media/bytes/sniff";
import {
  buildJpeg,
  concat,
  ebmlHeader,
  float64,
  fromBase64,
  ftyp,
  GIF_1X1,
  heicHead,
  mp4,
  oggOpusHead,
  SEG,
  scanData,
  segment,
  WEBP_ALPHA_1X1,
  webm,
} from "./fixtures";

const NUM_RUNS = 300;

const TYPES = [
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
  "image/heic",
  "image/heif",
  "image/avif",
  "video/mp4",
  "video/quicktime",
  "video/webm",
  "video/x-matroska",
  "audio/mp4",
  "audio/ogg",
  "application/pdf",
  "text/plain",
];

/** Real files and headers to mutate, so generated input reaches past the signature checks. */
const SEEDS = [
  buildJpeg({ metadata: [SEG.app0(), SEG.exif({ orientation: 6 }), SEG.icc()] }).file,
  concat("\x89PNG\r\n\x1a\n", [0, 0, 0, 13], "IHDR", [0, 0, 1, 0, 0, 0, 0, 200, 8, 0, 0, 0, 0]),
  fromBase64(GIF_1X1),
  fromBase64(WEBP_ALPHA_1X1),
  heicHead({ rotate: true }),
  mp4({ version: 1, timescale: 90_000, duration: 900_000n }),
  mp4({ version: 0, timescale: 1000, duration: 0n }),
  webm({ duration: float64(1234) }),
  ebmlHeader("matroska"),
  oggOpusHead(),
  ftyp("mif1", "heic"),
];

/** Bytes of three kinds: random; a known signature then random; a real file with some bytes changed and maybe cut short. */
const uploads = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc
    .tuple(fc.constantFrom(...SEEDS.map((s) => s.subarray(0, 16))), fc.uint8Array({ maxLength: 400 }))
    .map(([prefix, rest]) => concat(prefix, rest)),
  fc
    .tuple(
      fc.constantFrom(...SEEDS),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([seed, edits, cut]) => {
      const file = seed.slice();
      for (const [at, value] of edits) file[at % file.length] = value;
      return cut === undefined ? file : file.subarray(0, cut % (file.length + 1));
    }),
);

describe("never throws on what an uploader sends", () => {
  it("sniff and matchesDeclared", () => {
    fc.assert(
      fc.property(uploads, fc.oneof(fc.constantFrom(...TYPES), fc.string()), (data, declared) => {
        const sniffed = sniff(data);
        expect(typeof matchesDeclared(declared, sniffed)).toBe("boolean");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("planJpegStrip, jpegSize and exifOrientation", () => {
    fc.assert(
      fc.property(uploads, (data) => {
        const plan = planJpegStrip(data);
        if (plan) expect(plan.consumed - plan.keep.length).toBe(plan.removedBytes);
        jpegSize(data);
        exifOrientation(data);
        exifOrientation(concat("Exif\0\0", data));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("imageSize and videoDuration, under every type", () => {
    fc.assert(
      fc.property(uploads, fc.constantFrom(...TYPES), (data, type) => {
        const size = imageSize(data, type);
        if (size) expect(size.width > 0 && size.height > 0).toBe(true);
        const ms = videoDuration(data, type);
        if (ms !== undefined) expect(Number.isSafeInteger(ms) && ms >= 0).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---- generated JPEG structures ----

const payload = fc.uint8Array({ maxLength: 120 });

/** Any header segment a JPEG may carry before its frame: metadata that goes, and segments that stay. */
const headerSegment = fc.oneof(
  fc.constantFrom(
    SEG.app0(),
    SEG.xmp(),
    SEG.extendedXmp(),
    SEG.icc(),
    SEG.app13(),
    SEG.comment(),
    SEG.adobe(),
    SEG.dqt(),
    SEG.dht(),
    SEG.dri(),
  ),
  fc.record({ orientation: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), little: fc.boolean() }).map((o) => SEG.exif(o)),
  // Exif and XMP identifiers followed by anything, and APPn segments with arbitrary payloads.
  payload.map((p) => segment(0xe1, concat("Exif\0\0", p))),
  payload.map((p) => segment(0xe1, concat("http://ns.adobe.com/xap/1.0/\0", p))),
  fc.tuple(fc.integer({ min: 0xe0, max: 0xef }), payload).map(([marker, p]) => segment(marker, p)),
  payload.map((p) => segment(0xfe, p)),
);

/** A segment, sometimes preceded by 0xFF fill bytes. */
const filledSegment = fc.tuple(fc.integer({ min: 0, max: 3 }), headerSegment).map(([fill, seg]) => concat(new Array(fill).fill(0xff), seg));

/** Entropy-coded data with every 0xFF stuffed with 0x00, as the format requires, and maybe restart markers. */
const scan = fc.uint8Array({ maxLength: 300 }).map((data) => concat(...[...data].map((b) => (b === 0xff ? [0xff, 0x00] : [b]))));

const jpegs = fc
  .record({
    before: fc.array(filledSegment, { maxLength: 10 }),
    after: fc.array(filledSegment, { maxLength: 4 }),
    width: fc.integer({ min: 1, max: 0xffff }),
    height: fc.integer({ min: 1, max: 0xffff }),
    progressive: fc.boolean(),
    scan,
  })
  .map((j) => ({
    ...j,
    file: concat(
      [0xff, 0xd8],
      ...j.before,
      j.progressive ? SEG.sof2(j.width, j.height) : SEG.sof0(j.width, j.height),
      ...j.after,
      SEG.sos(),
      j.scan,
      scanData(1),
      [0xff, 0xd9],
    ),
  }));

/** The header segments of a JPEG without fill bytes (as stripping writes them), up to and including SOS. */
function headerSegments(jpeg: Uint8Array): { marker: number; payload: Uint8Array }[] {
  const out: { marker: number; payload: Uint8Array }[] = [];
  let at = 2;
  for (;;) {
    expect(jpeg[at]).toBe(0xff);
    const marker = jpeg[at + 1] ?? 0;
    const length = ((jpeg[at + 2] ?? 0) << 8) | (jpeg[at + 3] ?? 0);
    out.push({ marker, payload: jpeg.subarray(at + 4, at + 2 + length) });
    at += 2 + length;
    if (marker === 0xda) return out;
  }
}

const startsWith = (p: Uint8Array, text: string) => p.length >= text.length && [...text].every((c, i) => p[i] === c.charCodeAt(0));

describe("JPEG stripping over generated structures", () => {
  it("is idempotent: stripping a stripped photo changes nothing", () => {
    fc.assert(
      fc.property(jpegs, ({ file }) => {
        const once = stripJpeg(file);
        expect(stripJpeg(once)).toEqual(once);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("leaves no Exif beyond an orientation, no XMP, IPTC or comment, and keeps every other segment in order", () => {
    fc.assert(
      fc.property(jpegs, ({ file }) => {
        const out = headerSegments(stripJpeg(file));
        for (const { marker, payload } of out) {
          expect(marker).not.toBe(0xed);
          expect(marker).not.toBe(0xfe);
          if (marker === 0xe1) {
            expect(startsWith(payload, "http://ns.adobe.com/")).toBe(false);
            // The only Exif left is the 32-byte orientation-only one.
            if (startsWith(payload, "Exif\0")) expect(payload.length).toBe(32);
          }
        }
        const isDropped = ({ marker, payload }: { marker: number; payload: Uint8Array }) =>
          marker === 0xed ||
          marker === 0xfe ||
          (marker === 0xe1 &&
            (startsWith(payload, "Exif\0") ||
              startsWith(payload, "http://ns.adobe.com/xap/1.0/\0") ||
              startsWith(payload, "http://ns.adobe.com/xmp/extension/\0")));
        const kept = out.filter((s) => !isDropped(s)).map((s) => [s.marker, ...s.payload]);
        const original = headerSegmentsLenient(file)
          .filter((s) => !isDropped(s))
          .map((s) => [s.marker, ...s.payload]);
        expect(kept).toEqual(original);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("plans from the head what stripJpeg does to the whole file, and reads the frame size", () => {
    fc.assert(
      fc.property(jpegs, ({ file, width, height, scan: scanBytes }) => {
        const whole = stripJpeg(file);
        const sosEnd = file.length - scanBytes.length - scanData(1).length - 2;
        const plan = planJpegStrip(file.subarray(0, sosEnd));
        expect(plan).not.toBeNull();
        if (!plan) return;
        expect(plan.consumed).toBe(sosEnd);
        expect(concat(plan.keep, file.subarray(plan.consumed))).toEqual(whole);
        expect(whole.length).toBe(file.length - plan.removedBytes);
        expect(plan.width).toBe(width);
        expect(plan.height).toBe(height);
        expect(planJpegStrip(file.subarray(0, sosEnd - 1))).toBeNull();
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("streams what stripJpeg returns, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(jpegs, fc.integer({ min: 1, max: 200 }), async ({ file }, chunkSize) => {
        let at = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (at >= file.length) controller.close();
            else controller.enqueue(file.slice(at, at + chunkSize));
            at += chunkSize;
          },
        });
        const result = await stripJpegStream(source);
        const out = new Uint8Array(await new Response(result.stream).arrayBuffer());
        expect(out).toEqual(stripJpeg(file));
        expect(out.length).toBe(file.length - result.removedBytes);
      }),
      { numRuns: 100 },
    );
  });
});

/** Header segments of a generated (unstripped) JPEG, skipping fill bytes. */
function headerSegmentsLenient(jpeg: Uint8Array): { marker: number; payload: Uint8Array }[] {
  const out: { marker: number; payload: Uint8Array }[] = [];
  let at = 2;
  for (;;) {
    while (jpeg[at + 1] === 0xff) at++;
    const marker = jpeg[at + 1] ?? 0;
    const length = ((jpeg[at + 2] ?? 0) << 8) | (jpeg[at + 3] ?? 0);
    out.push({ marker, payload: jpeg.subarray(at + 4, at + 2 + length) });
    at += 2 + length;
    if (marker === 0xda) return out;
  }
}
