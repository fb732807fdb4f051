// A second implementation of the access log's hash, sharing no code with src/audit: its own
// SHA-256 (not WebCrypto) and its own canonical JSON, written out for the one shape an entry has.
// If both agree on every entry, a citizen's client written from the contract alone would too.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
/** Indexes are always in range here; the fallback only satisfies noUncheckedIndexedAccess. */
const word = (words: Uint32Array, i: number) => words[i] ?? 0;

/** FIPS 180-4 SHA-256 of a UTF-8 string, as lower-case hex. */
export function sha256HexPure(message: string): string {
  const bytes = new TextEncoder().encode(message);
  const bitLength = bytes.length * 8;
  // Message, the 0x80 marker, zero padding, and the 64-bit length: a whole number of 64-byte blocks.
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(padded.length - 4, bitLength >>> 0);

  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + t * 4);
    for (let t = 16; t < 64; t++) {
      const w15 = word(w, t - 15);
      const w2 = word(w, t - 2);
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = word(w, t - 16) + s0 + word(w, t - 7) + s1;
    }
    let a = word(h, 0);
    let b = word(h, 1);
    let c = word(h, 2);
    let d = word(h, 3);
    let e = word(h, 4);
    let f = word(h, 5);
    let g = word(h, 6);
    let hh = word(h, 7);
    for (let t = 0; t < 64; t++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + word(K, t) + word(w, t)) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    const out = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) h[i] = (word(h, i) + (out[i] ?? 0)) >>> 0;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, "0")).join("");
}

export interface EntryLike {
  seq: number;
  at: string;
  actor: { type: string; id: string; name: string };
  action: string;
  resource: string;
  purpose: string | null;
  prevHash: string;
}

/**
 * The RFC 8785 form of an entry without its hash, spelled out: member names in UTF-16 order
 * ("action" < "actor" < "at" < "prevHash" < "purpose" < "resource" < "seq"; "id" < "name" < "type"),
 * no whitespace, strings escaped as JSON does, seq an integer.
 */
export function canonicalEntry(e: EntryLike): string {
  const s = (v: string) => JSON.stringify(v);
  if (!Number.isSafeInteger(e.seq)) throw new Error("seq must be an integer");
  return (
    `{"action":${s(e.action)},"actor":{"id":${s(e.actor.id)},"name":${s(e.actor.name)},"type":${s(e.actor.type)}},` +
    `"at":${s(e.at)},"prevHash":${s(e.prevHash)},"purpose":${e.purpose === null ? "null" : s(e.purpose)},` +
    `"resource":${s(e.resource)},"seq":${e.seq}}`
  );
}

/** hex(SHA-256(prevHash + "\n" + JCS(entry without hash))), computed independently. */
export function independentHash(e: EntryLike): string {
  return sha256HexPure(`${e.prevHash}\n${canonicalEntry(e)}`);
}
