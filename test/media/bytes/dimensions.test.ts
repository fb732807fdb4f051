// Photo sizes and video durations read from the head of the file.
import { describe, expect, it } from "vitest";
import { imageSize, videoDuration } from "../../../src/media/bytes/dimensions";
import {
  buildJpeg,
  buildPng,
  concat,
  float32,
  float64,
  fromBase64,
  GIF_1X1,
  gifOfSize,
  heicHead,
  mp4,
  SEG,
  u32be,
  WEBP_ALPHA_1X1,
  WEBP_LOSSLESS_1X1,
  WEBP_LOSSY_1X1,
  webm,
  webpExtendedHeader,
  webpLosslessHeader,
  webpLossyHeader,
} from "./fixtures";

describe("imageSize", () => {
  it("reads PNG from IHDR", async () => {
    expect(imageSize(await buildPng(3, 2), "image/png")).toEqual({ width: 3, height: 2 });
    expect(imageSize(await buildPng(1, 300), "image/png")).toEqual({ width: 1, height: 300 });
  });

  it("reads GIF from the logical screen", () => {
    expect(imageSize(fromBase64(GIF_1X1), "image/gif")).toEqual({ width: 1, height: 1 });
    expect(imageSize(gifOfSize(640, 480), "image/gif")).toEqual({ width: 640, height: 480 });
  });

  it("reads all three forms of WebP", () => {
    expect(imageSize(fromBase64(WEBP_LOSSY_1X1), "image/webp")).toEqual({ width: 1, height: 1 });
    expect(imageSize(fromBase64(WEBP_LOSSLESS_1X1), "image/webp")).toEqual({ width: 1, height: 1 });
    expect(imageSize(fromBase64(WEBP_ALPHA_1X1), "image/webp")).toEqual({ width: 1, height: 1 });
    expect(imageSize(webpLossyHeader(320, 240), "image/webp")).toEqual({ width: 320, height: 240 });
    expect(imageSize(webpLosslessHeader(16383, 9), "image/webp")).toEqual({ width: 16383, height: 9 });
    expect(imageSize(webpExtendedHeader(4000, 16_777_216), "image/webp")).toEqual({ width: 4000, height: 16_777_216 });
  });

  it("reads JPEG from the frame header, past metadata, progressive too", () => {
    const jpeg = buildJpeg({ width: 1200, height: 900, metadata: [SEG.app0(), SEG.exif(), SEG.icc()] });
    expect(imageSize(jpeg.file, "image/jpeg")).toEqual({ width: 1200, height: 900 });
    // Only the segments up to the frame header are needed.
    const sofEnd = jpeg.file.length - jpeg.tail.length - SEG.dht().length - SEG.sos().length;
    expect(imageSize(jpeg.file.subarray(0, sofEnd), "image/jpeg")).toEqual({ width: 1200, height: 900 });
    expect(imageSize(jpeg.file.subarray(0, sofEnd - 9), "image/jpeg")).toBeUndefined();
    const progressive = concat([0xff, 0xd8], SEG.app0(), SEG.dqt(), SEG.dht(), SEG.sof2(77, 55), SEG.sos());
    expect(imageSize(progressive, "image/jpeg")).toEqual({ width: 77, height: 55 });
  });

  it("reads HEIC from the primary item's ispe, not a tile's, and applies irot", () => {
    expect(imageSize(heicHead(), "image/heic")).toEqual({ width: 4032, height: 3024 });
    expect(imageSize(heicHead({ rotate: true }), "image/heic")).toEqual({ width: 3024, height: 4032 });
    // Without item associations the largest extent is the best guess.
    expect(imageSize(heicHead({ withAssociations: false }), "image/heif")).toEqual({ width: 4032, height: 3024 });
    // When the properties are not within the head, the size is unknown.
    expect(imageSize(heicHead().subarray(0, 120), "image/heic")).toBeUndefined();
  });

  it("answers undefined for other types and for bytes of another format", async () => {
    expect(imageSize(await buildPng(3, 2), "image/gif")).toBeUndefined();
    expect(imageSize(await buildPng(3, 2), "application/pdf")).toBeUndefined();
    expect(imageSize(new Uint8Array(0), "image/jpeg")).toBeUndefined();
    expect(imageSize(concat("\x89PNG\r\n\x1a\n", u32be(13), "IHDR", u32be(0), u32be(5)), "image/png")).toBeUndefined();
  });
});

describe("videoDuration", () => {
  it("reads an MP4's mvhd, version 0 and version 1", () => {
    expect(videoDuration(mp4({ version: 0, timescale: 1000, duration: 12_345n }), "video/mp4")).toBe(12_345);
    expect(videoDuration(mp4({ version: 0, timescale: 600, duration: 3_000n, brand: "qt  " }), "video/quicktime")).toBe(5_000);
    expect(videoDuration(mp4({ version: 1, timescale: 90_000, duration: 315_000n }), "video/mp4")).toBe(3_500);
    // A duration past 32 bits: 10,000 hours in units of 1/48,000 s.
    expect(videoDuration(mp4({ version: 1, timescale: 48_000, duration: 48_000n * 36_000_000n }), "video/mp4")).toBe(36_000_000_000);
    expect(videoDuration(mp4({ version: 0, timescale: 44_100, duration: 44_100n * 7n, brand: "M4A " }), "audio/x-m4a")).toBe(7_000);
  });

  it("does not know the duration when it is unstated or not in the head", () => {
    expect(videoDuration(mp4({ version: 0, timescale: 1000, duration: 0xffffffffn }), "video/mp4")).toBeUndefined();
    expect(videoDuration(mp4({ version: 1, timescale: 1000, duration: 0xffffffffffffffffn }), "video/mp4")).toBeUndefined();
    expect(videoDuration(mp4({ version: 0, timescale: 0, duration: 10n }), "video/mp4")).toBeUndefined();
    // moov after mdat and the head ending inside mdat.
    const moovLast = mp4({ version: 0, timescale: 1000, duration: 10n, moovLast: true });
    expect(videoDuration(moovLast, "video/mp4")).toBe(10);
    expect(videoDuration(moovLast.subarray(0, 60), "video/mp4")).toBeUndefined();
  });

  it("reads a WebM's Info Duration in TimecodeScale units", () => {
    expect(videoDuration(webm({ duration: float64(5123) }), "video/webm")).toBe(5123);
    expect(videoDuration(webm({ duration: float64(5123.4), timecodeScale: 1_000_000, sized: true }), "video/webm")).toBe(5123);
    expect(videoDuration(webm({ duration: float32(2.5), timecodeScale: 1_000_000_000 }), "video/webm")).toBe(2500);
    expect(videoDuration(webm({ duration: float32(48_000), timecodeScale: 20_833, docType: "matroska" }), "video/x-matroska")).toBe(1000);
  });

  it("does not know a live WebM's duration", () => {
    expect(videoDuration(webm({}), "video/webm")).toBeUndefined();
    const full = webm({ duration: float64(5123) });
    expect(videoDuration(full.subarray(0, 60), "video/webm")).toBeUndefined();
  });

  it("answers undefined for other types", () => {
    expect(videoDuration(webm({ duration: float64(1) }), "video/mp4")).toBeUndefined();
    expect(videoDuration(mp4({ version: 0, timescale: 1, duration: 1n }), "image/png")).toBeUndefined();
  });
});
