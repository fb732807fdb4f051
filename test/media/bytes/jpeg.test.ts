// JPEG metadata stripping: location and camera data gone, colours and pixels untouched, streaming
// and whole-buffer results identical.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/lib/errors";
import { imageSize } from "../../../src/media/bytes/dimensions";
import { exifOrientation, JPEG_HEADER_LIMIT, planJpegStrip, stripJpeg, stripJpegStream } from "../../../src/media/bytes/jpeg";
import { buildJpeg, concat, containsBytes, GPS_LATITUDE_BYTES, indexOfBytes, SECRETS, SEG, sameBytes, segment } from "./fixtures";

/** A phone photo's metadata, in the order cameras write it. */
function phonePhoto(opts: { orientation?: number; width?: number; height?: number } = {}) {
  const kept = { app0: SEG.app0(), icc: SEG.icc(), adobe: SEG.adobe(), otherApp1: SEG.otherApp1() };
  const dropped = {
    exif: SEG.exif({ orientation: opts.orientation }),
    xmp: SEG.xmp(),
    extendedXmp: SEG.extendedXmp(),
    app13: SEG.app13(),
    comment: SEG.comment(),
  };
  const metadata = [
    kept.app0,
    dropped.exif,
    dropped.xmp,
    kept.icc,
    dropped.extendedXmp,
    dropped.app13,
    kept.otherApp1,
    dropped.comment,
    kept.adobe,
  ];
  const jpeg = buildJpeg({ width: opts.width, height: opts.height, metadata });
  return { ...jpeg, kept, dropped };
}

function streamOf(data: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= data.length) controller.close();
      else {
        controller.enqueue(data.slice(at, at + chunkSize));
        at += chunkSize;
      }
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("stripJpeg", () => {
  it("removes Exif (GPS, maker note, camera), XMP, IPTC and comments and nothing else", () => {
    const photo = phonePhoto();
    for (const secret of Object.values(SECRETS)) expect(containsBytes(photo.file, secret), secret).toBe(true);
    expect(containsBytes(photo.file, GPS_LATITUDE_BYTES)).toBe(true);

    const stripped = stripJpeg(photo.file);

    for (const secret of Object.values(SECRETS)) expect(containsBytes(stripped, secret), secret).toBe(false);
    expect(containsBytes(stripped, GPS_LATITUDE_BYTES)).toBe(false);
    expect(containsBytes(stripped, "Exif")).toBe(false);
    expect(containsBytes(stripped, "http://ns.adobe.com")).toBe(false);
    const { app0, otherApp1, icc, adobe } = photo.kept;
    expect(stripped).toEqual(concat([0xff, 0xd8], app0, icc, otherApp1, adobe, photo.tables, photo.tail));
  });

  it("keeps the ICC profile, frame, tables and scan byte for byte", () => {
    const photo = phonePhoto({ width: 40, height: 24 });
    const stripped = stripJpeg(photo.file);
    expect(containsBytes(stripped, photo.kept.icc)).toBe(true);
    // Everything from the tables on, including the entropy-coded data and EOI, is identical.
    expect(stripped.subarray(stripped.length - photo.tables.length - photo.tail.length)).toEqual(concat(photo.tables, photo.tail));
  });

  it("plans the same bytes from the head alone, and states exactly how many it removes", () => {
    const photo = phonePhoto({ width: 300, height: 200 });
    const sosEnd = photo.file.length - photo.tail.length;
    const plan = planJpegStrip(photo.file.subarray(0, sosEnd));
    expect(plan).not.toBeNull();
    if (!plan) return;
    const droppedBytes = Object.values(photo.dropped).reduce((n, s) => n + s.length, 0);
    expect(plan.consumed).toBe(sosEnd);
    expect(plan.removedBytes).toBe(droppedBytes);
    expect(plan.keep.length).toBe(sosEnd - droppedBytes);
    expect(plan.width).toBe(300);
    expect(plan.height).toBe(200);
    const streamed = concat(plan.keep, photo.file.subarray(plan.consumed));
    expect(streamed).toEqual(stripJpeg(photo.file));
    expect(streamed.length).toBe(photo.file.length - plan.removedBytes);
    // A longer head (here, the whole file) gives the same plan.
    expect(planJpegStrip(photo.file)).toEqual(plan);
  });

  it("needs the whole scan header in the head", () => {
    const photo = phonePhoto();
    const sosEnd = photo.file.length - photo.tail.length;
    expect(planJpegStrip(photo.file.subarray(0, sosEnd - 1))).toBeNull();
    expect(planJpegStrip(photo.file.subarray(0, 100))).toBeNull();
    expect(planJpegStrip(photo.file.subarray(0, 2))).toBeNull();
  });

  it("keeps the orientation in a minimal Exif segment so the photo is not shown on its side", () => {
    const photo = phonePhoto({ orientation: 6, width: 32, height: 16 });
    const stripped = stripJpeg(photo.file);
    for (const secret of Object.values(SECRETS)) expect(containsBytes(stripped, secret), secret).toBe(false);
    const plan = planJpegStrip(stripped);
    expect(plan?.orientation).toBe(6);
    // Where the Exif segment was: right after APP0.
    const app0End = 2 + photo.kept.app0.length;
    expect([...stripped.subarray(app0End, app0End + 4)]).toEqual([0xff, 0xe1, 0x00, 0x22]);
    expect(exifOrientation(stripped.subarray(app0End + 4, app0End + 36))).toBe(6);
    expect(stripJpeg(stripped)).toEqual(stripped);
    // Shown turned a quarter: 16 wide, 32 high.
    expect(imageSize(stripped, "image/jpeg")).toEqual({ width: 16, height: 32 });
    expect(imageSize(photo.file, "image/jpeg")).toEqual({ width: 16, height: 32 });
    expect(plan?.width).toBe(32);
  });

  it("reads the orientation of little-endian Exif, and drops orientation 1 entirely", () => {
    const little = buildJpeg({ metadata: [SEG.exif({ orientation: 8, little: true })] }).file;
    expect(planJpegStrip(little)?.orientation).toBe(8);
    expect(containsBytes(stripJpeg(little), [0xff, 0xe1])).toBe(true);
    const upright = buildJpeg({ metadata: [SEG.exif({ orientation: 1 })] });
    expect(stripJpeg(upright.file)).toEqual(concat([0xff, 0xd8], upright.tables, upright.tail));
  });

  it("leaves a JPEG without metadata as it is", () => {
    const plain = buildJpeg({ metadata: [SEG.app0()] }).file;
    expect(stripJpeg(plain)).toEqual(plain);
    expect(planJpegStrip(plain)?.removedBytes).toBe(0);
  });

  it("drops fill bytes before markers and stray bytes between segments, as decoders skip them", () => {
    const clean = buildJpeg({ metadata: [SEG.app0()] });
    const messy = concat([0xff, 0xd8], [0xff, 0xff], SEG.app0(), [0x00, 0x00], SEG.comment(), clean.tables, clean.tail);
    expect(stripJpeg(messy)).toEqual(clean.file);
  });

  it("refuses what is not a well-formed JPEG", () => {
    const png = concat("\x89PNG\r\n\x1a\n");
    expect(planJpegStrip(png)).toBeNull();
    expect(() => stripJpeg(png)).toThrow(ApiError);
    // A scan before any frame header.
    expect(planJpegStrip(concat([0xff, 0xd8], SEG.dht(), SEG.sos(), [0, 0xff, 0xd9]))).toBeNull();
    // A segment length below 2.
    expect(planJpegStrip(concat([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01], SEG.sof0(8, 8), SEG.sos()))).toBeNull();
    // EOI before any scan.
    expect(planJpegStrip(concat([0xff, 0xd8], SEG.sof0(8, 8), [0xff, 0xd9]))).toBeNull();
    try {
      stripJpeg(Uint8Array.of(0xff, 0xd8, 0xff));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 415, code: "unsupported_media_type" });
    }
  });

  it("refuses a header that would keep more than the limit", () => {
    // 17 ICC segments of 64 KiB: more colour profile than any real photo, past the 1 MiB limit.
    const icc = segment(0xe2, concat("ICC_PROFILE\0", new Uint8Array(65_000)));
    const huge = buildJpeg({ metadata: Array.from({ length: 17 }, () => icc) }).file;
    expect(huge.length).toBeGreaterThan(JPEG_HEADER_LIMIT);
    expect(planJpegStrip(huge)).toBeNull();
  });

  it("bounds the work a crafted header can cause", () => {
    const { tables, tail } = buildJpeg();
    const strayBytes = concat([0xff, 0xd8], new Uint8Array(5000), tables, tail);
    expect(planJpegStrip(strayBytes)).toBeNull();
    const fillBytes = concat([0xff, 0xd8], new Uint8Array(5000).fill(0xff), tables, tail);
    expect(planJpegStrip(fillBytes)).toBeNull();
    const tinySegments = concat([0xff, 0xd8], ...Array.from({ length: 2000 }, () => segment(0xfe, [])), tables, tail);
    expect(planJpegStrip(tinySegments)).toBeNull();
    // Within the bounds, the same oddities are fine.
    const tolerable = concat([0xff, 0xd8], new Uint8Array(100), ...Array.from({ length: 500 }, () => segment(0xfe, [])), tables, tail);
    expect(stripJpeg(tolerable)).toEqual(concat([0xff, 0xd8], tables, tail));
  });
});

describe("stripJpegStream", () => {
  it("streams the same bytes as stripJpeg, whatever the chunking", async () => {
    const photo = phonePhoto({ orientation: 3, width: 64, height: 48 });
    const expected = stripJpeg(photo.file);
    for (const chunkSize of [1, 7, 100, 4096, photo.file.length]) {
      const result = await stripJpegStream(streamOf(photo.file, chunkSize));
      expect(result.removedBytes, `chunks of ${chunkSize}`).toBe(photo.file.length - expected.length);
      expect(result).toMatchObject({ width: 64, height: 48, orientation: 3 });
      expect(await collect(result.stream), `chunks of ${chunkSize}`).toEqual(expected);
    }
  });

  it("passes a large image body through untouched", async () => {
    const photo = phonePhoto();
    const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0x7f);
    const file = concat(photo.file.subarray(0, photo.file.length - photo.tail.length), body, [0xff, 0xd9]);
    const result = await stripJpegStream(streamOf(file, 64 * 1024));
    const out = await collect(result.stream);
    expect(out.length).toBe(file.length - result.removedBytes);
    expect(indexOfBytes(out, SECRETS.gps)).toBe(-1);
    expect(sameBytes(out.subarray(out.length - body.length - 2), concat(body, [0xff, 0xd9]))).toBe(true);
  });

  it("rejects with 415 a stream that is not a JPEG or ends inside the header", async () => {
    await expect(stripJpegStream(streamOf(concat("GIF89a", new Uint8Array(100)), 10))).rejects.toMatchObject({ status: 415 });
    const photo = phonePhoto();
    const sosEnd = photo.file.length - photo.tail.length;
    await expect(stripJpegStream(streamOf(photo.file.subarray(0, sosEnd - 1), 64))).rejects.toMatchObject({ status: 415 });
  });
});
