import { base64url } from "jose";
import { SdJwtError } from "./errors";

// Token Status List (draft-ietf-oauth-status-list), one bit per credential: 1 means revoked. The list is a byte
// array in which the status of index i is bit (i % 8) of byte floor(i / 8), counted from the least significant
// bit; `lst` is that array ZLIB-compressed (RFC 1950, which is what CompressionStream calls "deflate") and
// base64url-encoded. Other bit sizes (2, 4, 8 bits per status) are not used by Veche.

/** The most a decoded list may hold (8 million entries at 1 bit each is 1 MiB); larger is a decompression bomb. */
export const MAX_STATUS_LIST_BYTES = 4 * 1024 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A list with room for `size` statuses, all 0 (valid). */
export function newStatusList(size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0 || Math.ceil(size / 8) > MAX_STATUS_LIST_BYTES)
    throw new SdJwtError("invalid_argument", `a status list holds 0 to ${MAX_STATUS_LIST_BYTES * 8} entries`);
  return new Uint8Array(Math.ceil(size / 8));
}

/** Whether the status at `idx` is set (revoked). An index past the end is an error: the spec says to reject it. */
export function isSet(bits: Uint8Array, idx: number): boolean {
  const [byte, mask] = position(bits, idx);
  return ((bits[byte] ?? 0) & mask) !== 0;
}

export function setStatus(bits: Uint8Array, idx: number, set = true): void {
  const [byte, mask] = position(bits, idx);
  bits[byte] = set ? (bits[byte] ?? 0) | mask : (bits[byte] ?? 0) & ~mask;
}

function position(bits: Uint8Array, idx: number): [number, number] {
  if (!Number.isSafeInteger(idx) || idx < 0 || idx >= bits.length * 8)
    throw new SdJwtError("status_index_out_of_range", `index ${idx} is outside a list of ${bits.length * 8} statuses`);
  return [Math.floor(idx / 8), 1 << (idx % 8)];
}

/** The `lst` value of a status list: base64url(ZLIB(bits)). */
export async function encodeStatusList(bits: Uint8Array): Promise<string> {
  return base64url.encode(await transform(bits, new CompressionStream("deflate"), Number.POSITIVE_INFINITY));
}

/** The bytes of a status list's `lst`. Throws SdJwtError `malformed_status_list` for anything that is not one. */
export async function decodeStatusList(lst: string): Promise<Uint8Array> {
  if (!BASE64URL.test(lst)) throw new SdJwtError("malformed_status_list", "lst is not base64url");
  let compressed: Uint8Array;
  try {
    compressed = base64url.decode(lst);
  } catch {
    throw new SdJwtError("malformed_status_list", "lst is not base64url");
  }
  try {
    return await transform(compressed, new DecompressionStream("deflate"), MAX_STATUS_LIST_BYTES);
  } catch (err) {
    if (err instanceof SdJwtError) throw err;
    throw new SdJwtError("malformed_status_list", "lst is not ZLIB-compressed data");
  }
}

/** Pushes bytes through a (de)compression stream, reading as it writes so backpressure cannot stall it. */
async function transform(input: Uint8Array, stream: CompressionStream | DecompressionStream, maxOutput: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Read while writing; the write side's failure surfaces on the read side too, so this one is only observed.
  // A copy on an ArrayBuffer of its own: the DOM's stream types (this also runs in the web verifier) refuse a
  // view that could be on a SharedArrayBuffer.
  const written = writer.write(new Uint8Array(input)).then(() => writer.close());
  written.catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxOutput) {
      await reader.cancel().catch(() => {});
      throw new SdJwtError("malformed_status_list", `the status list is larger than ${maxOutput} bytes`);
    }
    chunks.push(value);
  }
  await written;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
