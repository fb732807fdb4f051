// Recomputes a citizen's access-log hash chain in the browser, trusting nothing the server says about it.
// The hashing and checking are the server's own code (src/audit/chain.ts, WebCrypto and JCS only); this
// only shapes the answer for the page.
import { type AccessLogEntry, verifyChain as verify } from "../../audit/chain";

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
