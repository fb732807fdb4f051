// QR codes as pictures for the verifier's browser tests, made on the spot (nothing binary is committed): the
// module matrix read back from the citizen app's SVG (exactly what the screen shows) or encoded with uqr as
// the app does, then written as a grayscale PNG (to upload) or a one-frame Y4M video (Chromium's fake camera,
// `--use-file-for-fake-video-capture`).
import { crc32, deflateSync } from "node:zlib";
import type { Locator } from "playwright-core";
import { encode } from "uqr";

/** true = dark module. Rows of columns, quiet zone included. */
export type Matrix = boolean[][];

/** The modules of a QR code the app drew (src/web/lib/qr.tsx: one path of `M{x} {y}h1v1h-1z` squares). */
export async function matrixOfSvg(svg: Locator): Promise<Matrix> {
  const { viewBox, d } = await svg.evaluate((el) => ({
    viewBox: el.getAttribute("viewBox") ?? "",
    d: el.querySelector("path")?.getAttribute("d") ?? "",
  }));
  const size = Number(viewBox.split(" ")[2]);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`not a QR viewBox: ${viewBox}`);
  const m: Matrix = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [, x, y] of d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    const row = m[Number(y)];
    if (row) row[Number(x)] = true;
  }
  return m;
}

/** The matrix the app would draw for this text. */
export function matrixOf(text: string): Matrix {
  return encode(text, { ecc: "L", boostEcc: true, border: 4 }).data;
}

/** Up to 4 px a module, as large as fits. */
const moduleSize = (m: Matrix, side: number) => Math.max(1, Math.min(4, Math.floor(side / m.length)));

/** Luma of a picture `side` pixels square with the code centred at `scale` pixels a module, white around. */
function luma(m: Matrix, scale: number, side: number): Buffer {
  const size = m.length * scale;
  if (size > side) throw new Error(`a ${m.length}-module code at ${scale} px does not fit ${side} px`);
  const offset = Math.floor((side - size) / 2);
  const y = Buffer.alloc(side * side, 255);
  for (let r = 0; r < m.length; r++) {
    for (let c = 0; c < m.length; c++) {
      if (!m[r]?.[c]) continue;
      for (let dy = 0; dy < scale; dy++)
        y.fill(0, (offset + r * scale + dy) * side + offset + c * scale, (offset + r * scale + dy) * side + offset + (c + 1) * scale);
    }
  }
  return y;
}

/** A YUV4MPEG2 (4:2:0) video of one frame: the code in black and white. Chromium loops it. */
export function y4m(m: Matrix, side = 640, scale = moduleSize(m, side)): Buffer {
  const header = Buffer.from(`YUV4MPEG2 W${side} H${side} F10:1 Ip A1:1 C420jpeg\n`, "ascii");
  const chroma = Buffer.alloc((side / 2) * (side / 2) * 2, 128);
  return Buffer.concat([header, Buffer.from("FRAME\n", "ascii"), luma(m, scale, side), chroma]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A grayscale PNG of the code, as a photo or screenshot of it would be uploaded. */
export function png(m: Matrix, side = 640, scale = moduleSize(m, side)): Buffer {
  const y = luma(m, scale, side);
  const raw = Buffer.alloc((side + 1) * side);
  for (let r = 0; r < side; r++) y.copy(raw, r * (side + 1) + 1, r * side, (r + 1) * side);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
