// The in-person verifier's verdict on a scanned Digital ID code (docs/web.md, "Digital ID and the verifier").
// Plain functions over WebCrypto, jose and the server's own SD-JWT verifier (src/records/sdjwt, which is
// runtime-neutral), with the agency keys, status lists and the codes already seen passed in: no DOM, no
// IndexedDB, no network, so the same code runs in the page (with the IndexedDB cache of ./store.ts) and in
// the workerd tests (test/web/verifier.test.ts).
import { decodeJwt, type JSONWebKeySet } from "jose";
import { isRecord, sha256Base64url, splitSdJwt } from "../../../records/sdjwt/format";
import { decodeStatusList, isSet } from "../../../records/sdjwt/status-list";
import { CLOCK_TOLERANCE_SEC, verifyPresentation } from "../../../records/sdjwt/verify";
import { ACCEPT_WINDOW_SEC, IN_PERSON_AUDIENCE, SEEN_RETENTION_MS } from "./constants";

export { ACCEPT_WINDOW_SEC, IN_PERSON_AUDIENCE, REFRESH_SEC, SEEN_RETENTION_MS } from "./constants";
/** How far in the future a KB-JWT `iat` may be, for clocks that disagree a little. */
export const FUTURE_SKEW_SEC = CLOCK_TOLERANCE_SEC;

/** An agency as the verifier last fetched it: the directory entry, its keys and its status list. */
export interface TrustedIssuer {
  /** The exact `iss` of its credentials (the directory's `issuer`). */
  issuer: string;
  agencyId: string;
  name: string;
  verified: boolean;
  jwks: JSONWebKeySet;
  /** The status list's `lst` (Token Status List, 1 bit per record) and when it was fetched; null: never fetched. */
  statusList: { lst: string; fetchedAt: number } | null;
  /** The record types the agency publishes (`GET /agencies/:id/record-types`), by type; absent: none kept. */
  recordTypes?: Record<string, TypeMeta>;
}

type Localized = { ru: string; en?: string };
/** A record type's names and claim labels, as the agency publishes them (contract v1.1, "Record types"). */
export interface TypeMeta {
  name: Localized;
  claims: Record<string, { label: Localized; format?: "text" | "date" | "money" | "image" | "enum"; values?: Record<string, Localized> }>;
}

export interface Trust {
  /** The trusted agency whose credentials carry this `iss`, or null: an issuer this verifier does not know. */
  issuer(iss: string): Promise<TrustedIssuer | null>;
}

/** The codes this verifier has accepted, by key (`nonce:…`, `code:…`). */
export interface Seen {
  has(keys: readonly string[], now: number): Promise<boolean>;
  add(keys: readonly string[], now: number): Promise<void>;
}

export type VerdictState =
  /** Genuine, current, not revoked, fresh and seen here for the first time. */
  | "valid"
  | "revoked"
  /** The credential is past its `exp` (or before its `nbf`). */
  | "expired"
  /** This code (its nonce, or the very same text) was accepted here before. */
  | "replayed"
  /** The code was made more than ACCEPT_WINDOW_SEC ago (or its time is ahead of this device's clock). */
  | "too_old"
  /** A signature or a digest does not match: altered or forged. */
  | "tampered"
  /** Signed by nobody this verifier knows. */
  | "unknown_issuer"
  /** A genuine presentation, but not a live Digital ID code: no device-signed time and nonce (a copied text). */
  | "not_live"
  /** Not a document at all (some other QR code). */
  | "unreadable";

export interface Verdict {
  state: VerdictState;
  issuer?: { id: string; name: string; verified: boolean };
  /** The record type (the agency's own name for it). */
  type?: string;
  /** That type's names and labels, when the verifier keeps the issuer's record types. */
  typeMeta?: TypeMeta;
  /** Exactly what the holder disclosed; empty unless the issuer's signature and every disclosure check out. */
  claims: Record<string, unknown>;
  /** The credential's expiry (ms), when it has one. */
  expiresAt?: number;
  /** Seconds since the holder's app made the code (negative: ahead of this clock). */
  ageSec?: number;
  /** When the status list the revocation check used was fetched (ms); null: revocation could not be checked. */
  statusAsOf?: number | null;
}

/** Our credentials' `vct` is the record type behind this prefix (src/records/issue.ts). */
const VCT_PREFIX = "urn:veche:vct:";
/** The issuer's clear claims, which are not what the holder disclosed. */
const CLEAR_CLAIMS = new Set(["iss", "vct", "iat", "exp", "nbf"]);

/**
 * What a scanned code proves. The checks, in the order their verdicts take precedence: it is an SD-JWT, its
 * issuer is a known agency, the signature and disclosures hold (else tampered), the credential is in date,
 * its status-list bit is clear, its KB-JWT was made at most ACCEPT_WINDOW_SEC ago for IN_PERSON_AUDIENCE, and
 * its nonce was never accepted here. A valid code is remembered, so showing it again answers "replayed".
 */
export async function checkCode(text: string, deps: { trust: Trust; seen: Seen; now?: Date }): Promise<Verdict> {
  const now = deps.now ?? new Date();
  const value = text.trim();
  const parts = splitSdJwt(value);
  if (!parts) return { state: "unreadable", claims: {} };
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeJwt(parts.jwt);
  } catch {
    return { state: "unreadable", claims: {} };
  }
  if (typeof unverified.iss !== "string") return { state: "unreadable", claims: {} };

  const trusted = await deps.trust.issuer(unverified.iss);
  if (!trusted) return { state: "unknown_issuer", claims: {} };
  const issuer = { id: trusted.agencyId, name: trusted.name, verified: trusted.verified };

  const result = await verifyPresentation(value, {
    jwks: (iss) => (iss === trusted.issuer ? trusted.jwks : null),
    now,
    audience: IN_PERSON_AUDIENCE,
    // Freshness is this verifier's own, shorter rule (below), told apart from a forged key binding.
    keyBindingMaxAgeSec: null,
  });
  if (!result.valid) {
    switch (result.error) {
      case "expired":
      case "not_yet_valid":
        // jose checks the signature before the times, so the credential is genuine but out of date.
        return { state: "expired", issuer, claims: {} };
      case "key_binding_required":
        return { state: "not_live", issuer, claims: {} };
      case "unknown_issuer":
        return { state: "unknown_issuer", claims: {} };
      case "too_large":
      case "wrong_type":
      case "unsupported_algorithm":
        return { state: "unreadable", claims: {} };
      default:
        return { state: "tampered", issuer, claims: {} };
    }
  }

  const claims = Object.fromEntries(Object.entries(result.claims ?? {}).filter(([name]) => !CLEAR_CLAIMS.has(name)));
  const vct = result.vct ?? "";
  const type = vct.startsWith(VCT_PREFIX) ? vct.slice(VCT_PREFIX.length) : vct;
  const typeMeta = trusted.recordTypes && Object.hasOwn(trusted.recordTypes, type) ? trusted.recordTypes[type] : undefined;
  const verdict: Omit<Verdict, "state"> = {
    issuer,
    type,
    ...(typeMeta ? { typeMeta } : {}),
    claims,
    ...(typeof unverified.exp === "number" ? { expiresAt: unverified.exp * 1000 } : {}),
  };

  const status = await revocation(unverified.status, trusted);
  if (status === "revoked") return { ...verdict, state: "revoked", statusAsOf: trusted.statusList?.fetchedAt ?? null };
  if (status !== "irrevocable") verdict.statusAsOf = status;

  const kb = result.keyBinding;
  // audience was required, so a valid result always has one; checked all the same.
  if (!kb) return { ...verdict, state: "not_live" };
  const ageSec = Math.round(now.getTime() / 1000 - kb.iat);
  verdict.ageSec = ageSec;
  if (ageSec > ACCEPT_WINDOW_SEC || ageSec < -FUTURE_SKEW_SEC) return { ...verdict, state: "too_old" };

  const keys = [`nonce:${kb.nonce}`, `code:${await sha256Base64url(value)}`];
  if (await deps.seen.has(keys, now.getTime())) return { ...verdict, state: "replayed" };
  await deps.seen.add(keys, now.getTime());
  return { ...verdict, state: "valid" };
}

/**
 * "revoked"; "irrevocable" for a credential without a status; else when the status list that says it is not
 * revoked was fetched (ms), or null when that cannot be told: the credential names a list other than its
 * issuer's, none is cached, or the index is past the cached list (a record issued after it was fetched).
 */
async function revocation(status: unknown, trusted: TrustedIssuer): Promise<"revoked" | "irrevocable" | number | null> {
  if (status === undefined) return "irrevocable";
  if (!isRecord(status) || !isRecord(status.status_list)) return null;
  const { uri, idx } = status.status_list;
  if (uri !== `${trusted.issuer}/status-list` || typeof idx !== "number" || !trusted.statusList) return null;
  try {
    const bits = await decodeStatusList(trusted.statusList.lst);
    if (idx >= bits.length * 8) return null;
    return isSet(bits, idx) ? "revoked" : trusted.statusList.fetchedAt;
  } catch {
    return null;
  }
}

/** Seen codes in memory: for a browser without IndexedDB (private modes), and the tests. */
export function memorySeen(): Seen {
  const at = new Map<string, number>();
  return {
    async has(keys, now) {
      for (const [key, t] of at) if (now - t > SEEN_RETENTION_MS) at.delete(key);
      return keys.some((k) => at.has(k));
    },
    async add(keys, now) {
      for (const k of keys) at.set(k, now);
    },
  };
}
