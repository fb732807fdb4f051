// The safety number two people compare to know their secret chat is not being listened to: Signal's
// numeric fingerprint (version 0), computed with WebCrypto SHA-512 only. For each user:
//
//   hash = version (2 bytes, 0) ‖ keys ‖ userId;  5200 times: hash = SHA-512(hash ‖ keys)
//   fingerprint = the first 30 bytes as six 5-byte big-endian numbers, each mod 100000, 5 digits each
//
// where `keys` is every live MLS device key of the user (from their verified key log), sorted by bytes and
// concatenated, so a new or re-keyed device changes the number. The safety number is both users'
// 30 digits, the smaller first, so both sides see the same 60 digits.
import { b64u, fromB64u } from "./mls";

const ITERATIONS = 5200;
const enc = new TextEncoder();

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** The user's keys in one canonical order (base64url in, bytes sorted). */
export function keyBytes(keys: readonly string[]): Uint8Array {
  const sorted = [...new Set(keys)].map(fromB64u).sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
    return a.length - b.length;
  });
  return concat(...sorted);
}

export async function fingerprint(userId: string, keys: readonly string[]): Promise<string> {
  const k = keyBytes(keys);
  let hash = concat(new Uint8Array([0, 0]), k, enc.encode(userId));
  for (let i = 0; i < ITERATIONS; i++) hash = new Uint8Array(await crypto.subtle.digest("SHA-512", concat(hash, k)));
  let digits = "";
  for (let o = 0; o < 30; o += 5) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + (hash[o + j] ?? 0);
    digits += String(n % 100000).padStart(5, "0");
  }
  return digits;
}

/** The 60 digits both sides see (in twelve groups of five for reading aloud). */
export async function safetyNumber(
  a: { userId: string; keys: readonly string[] },
  b: { userId: string; keys: readonly string[] },
): Promise<string> {
  const [fa, fb] = await Promise.all([fingerprint(a.userId, a.keys), fingerprint(b.userId, b.keys)]);
  return fa < fb ? fa + fb : fb + fa;
}

export const groups = (digits: string): string[] => digits.match(/\d{5}/g) ?? [];

/** What is remembered about a contact's keys: the set, as one string (order-free). */
export const keySetId = (keys: readonly string[]): string => b64u(keyBytes(keys));
