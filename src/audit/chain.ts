// The access log's hash chain, pure: hashing an entry and verifying a list of entries, with WebCrypto
// and JCS only, so the server, the tests and the citizen's browser (src/web) all run this one copy:
//
//   hash = hex(SHA-256(prevHash + "\n" + JCS(entry without hash))), the first prevHash 64 zeros.

import { hex } from "../lib/ids";
import { canonicalize } from "./jcs";

/** prevHash of every chain's first entry, and the head of an empty chain. */
export const GENESIS_HASH = "0".repeat(64);

/** An entry as stored and served (the contract's shape). */
export interface AccessLogEntry {
  seq: number;
  /** RFC 3339 UTC with milliseconds. */
  at: string;
  // Typed as plain strings: entries are verified as data received from elsewhere, not trusted as typed.
  actor: { type: string; id: string; name: string };
  action: string;
  resource: string;
  purpose: string | null;
  prevHash: string;
  hash: string;
}

/** The part of an entry that its hash covers. */
export type UnhashedEntry = Omit<AccessLogEntry, "hash">;

/** The last entry of a chain (or of a verified prefix of it). */
export interface ChainLink {
  seq: number;
  hash: string;
}

export interface ChainVerification {
  valid: boolean;
  /**
   * The seq at which the chain breaks: the first position whose entry is missing, renumbered, not
   * linked to the entry before it (or to `from`), or not matching its own hash.
   */
  brokenAt?: number;
}

const encoder = new TextEncoder();

/** hex(SHA-256(prevHash + "\n" + JCS(entry))) over exactly the fields the contract names. */
export async function entryHash(entry: UnhashedEntry): Promise<string> {
  // Rebuilt field by field so that extra properties a caller's object may carry (the hash itself, UI
  // state) never enter the digest.
  const unhashed: UnhashedEntry = {
    seq: entry.seq,
    at: entry.at,
    actor: { type: entry.actor.type, id: entry.actor.id, name: entry.actor.name },
    action: entry.action,
    resource: entry.resource,
    purpose: entry.purpose,
    prevHash: entry.prevHash,
  };
  return linkHash(entry.prevHash, unhashed);
}

/**
 * hex(SHA-256(prevHash + "\n" + JCS(unhashed))): the link of every hash chain we serve (the access log, the
 * key log in src/keys/chain.ts), so they are one construction.
 */
export async function linkHash(prevHash: string, unhashed: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`${prevHash}\n${canonicalize(unhashed)}`));
  return hex(digest);
}

/**
 * Recomputes every hash and every prevHash link. Entries must be in ascending seq with no gaps,
 * starting right after `from` (by default the genesis, i.e. seq 1). With `head`, the chain must
 * also end there, which detects entries cut off the end (pass a head seen earlier, or the one
 * listEntries returned with the entries). Async only because WebCrypto is.
 */
export function verifyChain(
  entries: readonly AccessLogEntry[],
  opts: { from?: ChainLink; head?: string } = {},
): Promise<ChainVerification> {
  return verifyLinks(entries, entryHash, opts);
}

/** verifyChain for any chain of entries hashed by `hashOf` (linkHash over the entry without its hash). */
export async function verifyLinks<E extends { seq: number; prevHash: string; hash: string }>(
  entries: readonly E[],
  hashOf: (entry: E) => Promise<string>,
  opts: { from?: ChainLink; head?: string } = {},
): Promise<ChainVerification> {
  let prev = opts.from ?? { seq: 0, hash: GENESIS_HASH };
  for (const entry of entries) {
    // Reported by position (the seq that should come next), so a missing or renumbered entry is
    // located as precisely as an altered one.
    const broken = { valid: false, brokenAt: prev.seq + 1 };
    if (entry.seq !== prev.seq + 1 || entry.prevHash !== prev.hash) return broken;
    let hash: string;
    try {
      hash = await hashOf(entry);
    } catch {
      // An entry that cannot even be canonicalised (a lone surrogate, say) was not written by us.
      return broken;
    }
    if (hash !== entry.hash) return broken;
    prev = { seq: entry.seq, hash: entry.hash };
  }
  if (opts.head !== undefined && opts.head !== prev.hash) return { valid: false, brokenAt: prev.seq + 1 };
  return { valid: true };
}
