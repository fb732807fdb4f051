// base64url (RFC 4648 §5, no padding) as the key endpoints accept it: checked strictly, so a value means one
// byte string only (no padding, no stray bits in the last character).

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** The bytes of a strict unpadded base64url string, or null when it is not one. */
export function decodeBase64url(s: string): Uint8Array | null {
  if (!ALPHABET.test(s) || s.length % 4 === 1) return null;
  let bytes: Uint8Array;
  try {
    const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (s.length % 4)) % 4));
    bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
  // Canonical: re-encoding gives the same text (the unused low bits of the last character are zero).
  return encodeBase64url(bytes) === s ? bytes : null;
}

export function encodeBase64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Bytes a base64url string of `length` characters decodes to (for limits checked before decoding). */
export const decodedLength = (length: number): number => Math.floor((length * 3) / 4);
