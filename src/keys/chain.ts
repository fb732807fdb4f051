// The key log's hash chain, pure (WebCrypto and JCS only), so the server, the tests and a browser run this
// one copy. It is the access log's construction (src/audit/chain.ts) over the key log's entries:
//
//   hash = hex(SHA-256(prevHash + "\n" + JCS(entry without hash))), the first prevHash 64 zeros.

import { type ChainLink, type ChainVerification, GENESIS_HASH, linkHash, verifyLinks } from "../audit/chain";

export { GENESIS_HASH };

/** A P-256 public key as a JWK: exactly these four members (no private `d`). */
export interface PublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
}

export type KeyUse = "mls" | "holder";

/** An entry as stored and served (api-contract "End-to-end encrypted chats", plus `use`). */
export interface KeyLogEntry {
  seq: number;
  /** RFC 3339 UTC with milliseconds. */
  at: string;
  userId: string;
  deviceId: string;
  action: "added" | "revoked";
  /** What the key is for: an MLS signature key, or an SD-JWT holder key. */
  use: KeyUse;
  /** base64url for `mls`; the public JWK for `holder`. */
  key: string | PublicJwk;
  prevHash: string;
  hash: string;
}

export type UnhashedKeyEntry = Omit<KeyLogEntry, "hash">;

/** hex(SHA-256(prevHash + "\n" + JCS(entry without hash))) over exactly the fields the entry has. */
export function keyEntryHash(entry: UnhashedKeyEntry): Promise<string> {
  // Rebuilt field by field so that anything else a caller's object carries never enters the digest.
  const key = typeof entry.key === "string" ? entry.key : { kty: entry.key.kty, crv: entry.key.crv, x: entry.key.x, y: entry.key.y };
  const unhashed: UnhashedKeyEntry = {
    seq: entry.seq,
    at: entry.at,
    userId: entry.userId,
    deviceId: entry.deviceId,
    action: entry.action,
    use: entry.use,
    key,
    prevHash: entry.prevHash,
  };
  return linkHash(entry.prevHash, unhashed);
}

/** Recomputes every hash and link (see verifyChain in src/audit/chain.ts for `from` and `head`). */
export function verifyKeyLog(entries: readonly KeyLogEntry[], opts: { from?: ChainLink; head?: string } = {}): Promise<ChainVerification> {
  return verifyLinks(entries, keyEntryHash, opts);
}

/**
 * The keys a verified log says are live now: every `added` not followed by a `revoked` of the same device,
 * use and key. A client compares these with GET /users/:id/devices.
 */
export function liveKeys(entries: readonly KeyLogEntry[]): { deviceId: string; use: KeyUse; key: string | PublicJwk }[] {
  const live = new Map<string, { deviceId: string; use: KeyUse; key: string | PublicJwk }>();
  for (const e of entries) {
    const id = `${e.deviceId}\n${e.use}\n${typeof e.key === "string" ? e.key : `${e.key.x}.${e.key.y}`}`;
    if (e.action === "added") live.set(id, { deviceId: e.deviceId, use: e.use, key: e.key });
    else live.delete(id);
  }
  return [...live.values()];
}
