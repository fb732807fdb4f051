// Recomputes a citizen's access-log hash chain in the browser, trusting nothing the server says about it:
//   hash = hex(SHA-256(prevHash + "\n" + JCS(entry without hash))), the first prevHash 64 zeros,
// each entry's prevHash the previous entry's hash, seqs 1, 2, 3, … and the last hash the stated head.
// JCS is the same dependency-free RFC 8785 module the server hashes with (src/audit/jcs.ts).
import { canonicalize } from "../../audit/jcs";

export interface LogEntry {
  seq: number;
  at: string;
  actor: { type: string; id: string; name: string };
  action: string;
  resource: string;
  purpose: string | null;
  prevHash: string;
  hash: string;
}

export type ChainResult =
  | { valid: true; count: number; head: string }
  /** `brokenAt`: the first seq whose entry is missing, out of place, unlinked or not matching its hash. */
  | { valid: false; brokenAt: number; headMismatch: boolean };

export const GENESIS = "0".repeat(64);
const encoder = new TextEncoder();

export async function entryHash(e: LogEntry): Promise<string> {
  // Only the fields the contract names; anything else an entry carries stays out of the digest.
  const unhashed = {
    seq: e.seq,
    at: e.at,
    actor: { type: e.actor.type, id: e.actor.id, name: e.actor.name },
    action: e.action,
    resource: e.resource,
    purpose: e.purpose,
    prevHash: e.prevHash,
  };
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`${e.prevHash}\n${canonicalize(unhashed)}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function verifyChain(entries: readonly LogEntry[], head: string): Promise<ChainResult> {
  let prev = { seq: 0, hash: GENESIS };
  for (const e of entries) {
    const broken: ChainResult = { valid: false, brokenAt: prev.seq + 1, headMismatch: false };
    if (e.seq !== prev.seq + 1 || e.prevHash !== prev.hash) return broken;
    try {
      if ((await entryHash(e)) !== e.hash) return broken;
    } catch {
      return broken;
    }
    prev = { seq: e.seq, hash: e.hash };
  }
  if (prev.hash !== head) return { valid: false, brokenAt: prev.seq + 1, headMismatch: true };
  return { valid: true, count: entries.length, head };
}
