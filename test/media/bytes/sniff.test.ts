// Sniffing and the declared-type policy: photos, videos and voice notes must be what they claim.
import { describe, expect, it } from "vitest";
import { canonicalType, isScriptable, isVerifiedType, matchesDeclared, SNIFF_HEAD_BYTES, sniff } from "../../../src/media/bytes/sniff";
import {
  box,
  buildJpeg,
  buildPng,
  bytes,
  concat,
  ebmlHeader,
  fromBase64,
  ftyp,
  GIF_1X1,
  heicHead,
  mp4,
  oggOpusHead,
  u32be,
  WEBP_LOSSLESS_1X1,
  WEBP_LOSSY_1X1,
  webm,
} from "./fixtures";

const head = (file: Uint8Array) => file.subarray(0, SNIFF_HEAD_BYTES);

describe("sniff", () => {
  it("recognises each photo format by its signature", async () => {
    expect(sniff(head(buildJpeg().file))).toEqual({ type: "image/jpeg" });
    expect(sniff(head(await buildPng(3, 2)))).toEqual({ type: "image/png" });
    expect(sniff(head(fromBase64(WEBP_LOSSY_1X1)))).toEqual({ type: "image/webp" });
    expect(sniff(head(fromBase64(WEBP_LOSSLESS_1X1)))).toEqual({ type: "image/webp" });
    expect(sniff(head(fromBase64(GIF_1X1)))).toEqual({ type: "image/gif" });
    expect(sniff(bytes("GIF87a\x01\x00\x01\x00"))).toEqual({ type: "image/gif" });
  });

  it("tells HEIC, HEIF and AVIF apart by their ftyp brands", () => {
    expect(sniff(head(heicHead()))).toEqual({ type: "image/heic", brand: "heic" });
    for (const brand of ["heix", "hevc", "heim", "heis"]) expect(sniff(ftyp(brand, "mif1", brand))?.type).toBe("image/heic");
    expect(sniff(ftyp("mif1", "mif1", "heic"))).toEqual({ type: "image/heif", brand: "mif1" });
    expect(sniff(ftyp("msf1", "msf1"))).toEqual({ type: "image/heif", brand: "msf1" });
    expect(sniff(ftyp("avif", "mif1", "miaf"))?.type).toBe("image/avif");
    expect(sniff(ftyp("mif1", "avif", "mif1", "miaf"))?.type).toBe("image/avif");
  });

  it("recognises MP4, QuickTime, M4A and 3GPP by their brands", () => {
    for (const brand of ["isom", "iso2", "mp41", "mp42", "avc1", "dash", "M4V "]) {
      expect(sniff(head(mp4({ version: 0, timescale: 1000, duration: 1n, brand })))).toEqual({ type: "video/mp4", brand });
    }
    expect(sniff(ftyp("qt  ", "qt  "))).toEqual({ type: "video/quicktime", brand: "qt  " });
    expect(sniff(ftyp("M4A ", "M4A ", "mp42", "isom"))).toEqual({ type: "audio/mp4", brand: "M4A " });
    expect(sniff(ftyp("3gp4", "isom", "3gp4"))?.type).toBe("video/3gpp");
    // An unknown major brand (Sony's cameras write XAVC) is decided by the compatible brands.
    expect(sniff(ftyp("XYZW", "XYZW", "mp42", "iso2"))).toEqual({ type: "video/mp4", brand: "mp42" });
    // A QuickTime movie from before ftyp existed starts with a bare atom.
    expect(sniff(concat(box("wide"), box("mdat", "....")))).toEqual({ type: "video/quicktime", brand: "wide" });
  });

  it("reads the EBML DocType to tell WebM from Matroska", () => {
    expect(sniff(head(webm({ duration: [0x40, 0, 0, 0] })))).toEqual({ type: "video/webm", brand: "webm" });
    expect(sniff(ebmlHeader("matroska"))).toEqual({ type: "video/x-matroska", brand: "matroska" });
    expect(sniff(ebmlHeader("other"))).toBeNull();
  });

  it("recognises Ogg and PDF", () => {
    expect(sniff(oggOpusHead())).toEqual({ type: "audio/ogg" });
    expect(sniff(bytes("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"))).toEqual({ type: "application/pdf" });
  });

  it("recognises HTML and SVG however they are cased or indented", () => {
    for (const html of [
      "<!DOCTYPE html><p>x",
      "  \n\t<html lang=ru>",
      "\xef\xbb\xbf<HTML>",
      "<script>alert(1)</script>",
      "<!-- hi --><b>x",
    ]) {
      expect(sniff(bytes(html)), html).toEqual({ type: "text/html" });
    }
    expect(sniff(bytes('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'))).toEqual({ type: "image/svg+xml" });
    expect(sniff(bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'))).toEqual({ type: "image/svg+xml" });
    expect(sniff(bytes('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!DOCTYPE something>'))).toEqual({
      type: "application/xml",
    });
    expect(isScriptable(sniff(bytes("<html>")))).toBe(true);
    expect(isScriptable(sniff(bytes("<svg>")))).toBe(true);
    expect(isScriptable(sniff(buildJpeg().file))).toBe(false);
  });

  it("returns null for bytes of no known type", () => {
    expect(sniff(new Uint8Array(0))).toBeNull();
    expect(sniff(bytes("hello, world"))).toBeNull();
    expect(sniff(bytes("<htmlx>"))).toBeNull();
    expect(sniff(Uint8Array.of(0xff, 0xd8))).toBeNull();
    expect(sniff(bytes("RIFF\0\0\0\0WAVEfmt "))).toBeNull();
    expect(sniff(concat(u32be(12), "ftyp", "abcd"))).toBeNull();
  });
});

describe("matchesDeclared", () => {
  it("accepts photos, videos and voice notes that are what they claim", async () => {
    expect(matchesDeclared("image/jpeg", sniff(buildJpeg().file))).toBe(true);
    expect(matchesDeclared("image/png", sniff(await buildPng(1, 1)))).toBe(true);
    expect(matchesDeclared("image/webp", sniff(fromBase64(WEBP_LOSSY_1X1)))).toBe(true);
    expect(matchesDeclared("image/gif", sniff(fromBase64(GIF_1X1)))).toBe(true);
    expect(matchesDeclared("video/mp4", sniff(mp4({ version: 0, timescale: 1000, duration: 5n })))).toBe(true);
    expect(matchesDeclared("video/webm", sniff(webm({})))).toBe(true);
    expect(matchesDeclared("audio/ogg", sniff(oggOpusHead()))).toBe(true);
  });

  it("treats containers that overlap as agreeing", () => {
    const heic = sniff(heicHead());
    const heif = sniff(ftyp("mif1", "mif1"));
    const mov = sniff(ftyp("qt  ", "qt  "));
    const isom = sniff(ftyp("isom", "isom", "mp42"));
    const m4a = sniff(ftyp("M4A ", "M4A ", "isom"));
    expect(matchesDeclared("image/heic", heif)).toBe(true);
    expect(matchesDeclared("image/heif", heic)).toBe(true);
    expect(matchesDeclared("video/mp4", mov)).toBe(true);
    expect(matchesDeclared("video/quicktime", isom)).toBe(true);
    expect(matchesDeclared("audio/mp4", m4a)).toBe(true);
    expect(matchesDeclared("audio/x-m4a", m4a)).toBe(true);
    // Android's recorder writes AAC voice notes with only the generic MP4 brands.
    expect(matchesDeclared("audio/x-m4a", isom)).toBe(true);
    expect(matchesDeclared("video/mp4; codecs=avc1.42E01E", isom)).toBe(true);
    expect(matchesDeclared("IMAGE/JPG", sniff(buildJpeg().file))).toBe(true);
  });

  it("refuses photos, videos and voice notes that are something else", async () => {
    expect(matchesDeclared("image/jpeg", sniff(await buildPng(1, 1)))).toBe(false);
    expect(matchesDeclared("image/png", sniff(bytes("<!doctype html><script>steal()</script>")))).toBe(false);
    expect(matchesDeclared("image/gif", sniff(bytes("<svg onload=alert(1)>")))).toBe(false);
    expect(matchesDeclared("image/webp", null)).toBe(false);
    expect(matchesDeclared("image/heic", sniff(ftyp("avif", "mif1")))).toBe(false);
    expect(matchesDeclared("video/mp4", sniff(webm({})))).toBe(false);
    expect(matchesDeclared("video/mp4", sniff(ftyp("M4A ", "M4A ")))).toBe(false);
    expect(matchesDeclared("video/webm", sniff(ebmlHeader("matroska")))).toBe(false);
    expect(matchesDeclared("audio/ogg", sniff(ftyp("M4A ", "M4A ")))).toBe(false);
    expect(matchesDeclared("audio/mp4", sniff(ftyp("qt  ", "qt  ")))).toBe(false);
    expect(matchesDeclared("image/jpeg", sniff(bytes("%PDF-1.4")))).toBe(false);
  });

  it("leaves other files to be stored as declared (they are served as attachments)", () => {
    expect(matchesDeclared("application/pdf", sniff(bytes("%PDF-1.4")))).toBe(true);
    // Documents are offered for preview, so a "PDF" must be one.
    expect(matchesDeclared("application/pdf", sniff(bytes("<html>")))).toBe(false);
    expect(matchesDeclared("application/octet-stream", sniff(bytes("<html>")))).toBe(true);
    expect(matchesDeclared("text/plain", null)).toBe(true);
    expect(matchesDeclared("constructor", null)).toBe(true);
    expect(isVerifiedType("image/jpeg")).toBe(true);
    expect(isVerifiedType("audio/x-m4a")).toBe(true);
    expect(isVerifiedType("image/svg+xml")).toBe(false);
    expect(isVerifiedType("application/pdf")).toBe(true);
    expect(canonicalType(" Video/MP4 ; codecs=x")).toBe("video/mp4");
  });
});
