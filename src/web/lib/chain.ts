// Recomputes a citizen's access-log hash chain in the browser, trusting nothing the server says about it.
// The hashing and checking are the server's own code (src/audit/chain.ts, WebCrypto and JCS only); this
// only shapes the answer for the page. Users' device-key logs (secret chats) are chained the same way.
import { type AccessLogEntry, GENESIS_HASH, verifyChain as verify } from "../../audit/chain";
import { canonicalize } from "../../audit/jcs";
import { hex } from "../../lib/ids";

export type LogEntry = AccessLogEntry;

export type ChainResult =
  | { valid: true; count: number; head: string }
  /** `brokenAt`: the first seq whose entry is missing, out of place, unlinked or not matching its hash. */
  | { valid: false; brokenAt: number; headMismatch: boolean };

export async function verifyChain(entries: readonly LogEntry[], head: string): Promise<ChainResult> {
  const result = await verify(entries, { head });
  if (result.valid) return { valid: true, count: entries.length, head };
  const brokenAt = result.brokenAt ?? 1;
  // Every entry checked out, but the chain does not end at the stated head.
  return { valid: false, brokenAt, headMismatch: brokenAt > entries.length };
}

/**
 * A user's device-key log entry (api-contract.md "End-to-end encrypted chats"): every device key they ever
 * published (`added`) or revoked, `use` saying which kind of key.
 */
export interface KeyLogEntry {
  seq: number;
  at: string;
  userId: string;
  deviceId: string;
  action: string;
  /** An MLS key as base64url; a holder key as a JWK. */
  key: string | Record<string, unknown>;
  use?: string;
  prevHash: string;
  hash: string;
}

/**
 * Recomputes a user's key log exactly as the access log is chained: hash = hex(SHA-256(prevHash + "\n" +
 * JCS(entry without hash))), the first prevHash 64 zeros, ascending seq without gaps, ending at `head`.
 * Answers the keys the log says are live (added and not revoked since; a JWK by its JCS text), by device.
 */
export async function verifyKeyLog(
  entries: readonly KeyLogEntry[],
  head: string,
  userId: string,
): Promise<{ valid: true; live: Map<string, { deviceId: string; use: string }> } | { valid: false; brokenAt: number }> {
  let prev = { seq: 0, hash: GENESIS_HASH };
  const live = new Map<string, { deviceId: string; use: string }>();
  for (const entry of entries) {
    const broken = { valid: false as const, brokenAt: prev.seq + 1 };
    if (entry.seq !== prev.seq + 1 || entry.prevHash !== prev.hash || entry.userId !== userId) return broken;
    const { hash, ...unhashed } = entry;
    const digest = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${entry.prevHash}\n${canonicalize(unhashed)}`)));
    if (digest !== hash) return broken;
    const k = typeof entry.key === "string" ? entry.key : canonicalize(entry.key);
    if (entry.action === "added") live.set(k, { deviceId: entry.deviceId, use: entry.use ?? "mls" });
    else if (entry.action === "revoked") live.delete(k);
    prev = { seq: entry.seq, hash };
  }
  if (prev.hash !== head) return { valid: false, brokenAt: prev.seq + 1 };
  return { valid: true, live };
}
