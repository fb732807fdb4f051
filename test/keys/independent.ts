// The key log's hash computed without src/: test/audit/independent.ts's own SHA-256, and the canonical JSON
// of a key-log entry spelled out by hand from the contract.
import { sha256HexPure } from "../audit/independent";
import type { KeyEntry } from "./support";

/**
 * RFC 8785 member order (UTF-16): "action" < "at" < "deviceId" < "key" < "prevHash" < "seq" < "use" <
 * "userId"; a JWK's "crv" < "kty" < "x" < "y".
 */
export function canonicalKeyEntry(e: Omit<KeyEntry, "hash">): string {
  const s = (v: string) => JSON.stringify(v);
  const key = typeof e.key === "string" ? s(e.key) : `{"crv":${s(e.key.crv)},"kty":${s(e.key.kty)},"x":${s(e.key.x)},"y":${s(e.key.y)}}`;
  return (
    `{"action":${s(e.action)},"at":${s(e.at)},"deviceId":${s(e.deviceId)},"key":${key},"prevHash":${s(e.prevHash)},` +
    `"seq":${e.seq},"use":${s(e.use)},"userId":${s(e.userId)}}`
  );
}

export const independentKeyHash = (e: Omit<KeyEntry, "hash">): string => sha256HexPure(`${e.prevHash}\n${canonicalKeyEntry(e)}`);

/** Checks a whole chain from the genesis; answers the first broken seq, or null. */
export function brokenAt(entries: readonly KeyEntry[], head: string): number | null {
  let prev = "0".repeat(64);
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i + 1 || e.prevHash !== prev || independentKeyHash(e) !== e.hash) return i + 1;
    prev = e.hash;
  }
  return prev === head ? null : entries.length + 1;
}
