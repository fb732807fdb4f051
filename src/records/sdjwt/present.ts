import { type CryptoKey, decodeJwt, type JWTPayload, SignJWT } from "jose";
import { SdJwtError } from "./errors";
import {
  arrayElementDigest,
  type Disclosure,
  decodeDisclosure,
  isRecord,
  joinSdJwt,
  KEY_BINDING_TYP,
  MAX_DEPTH,
  SIGNING_ALG,
  sdDigests,
  sha256Base64url,
  splitSdJwt,
} from "./format";

export interface PresentOptions {
  /** Who the presentation is for (the KB-JWT's `aud`). */
  audience?: string;
  /** The verifier's challenge (the KB-JWT's `nonce`), so a captured presentation cannot be replayed. */
  nonce?: string;
  /**
   * The private half of the credential's `cnf.jwk`. Without it no Key Binding JWT can be made: the citizen's app
   * holds no key in the first version, so `audience`/`nonce` alone yield a presentation without key binding, and
   * a verifier that expects them answers `key_binding_required`. A route holding a holder key may pass it here.
   */
  holderKey?: { privateKey: CryptoKey };
}

/**
 * Makes a presentation from a credential in issuance form, keeping only the disclosures of the named top-level
 * claims (and any disclosures nested inside their values). Throws SdJwtError `unknown_claim` for a name the
 * credential does not hold as a disclosable claim, so a typo never silently discloses less than asked.
 */
export async function present(credential: string, disclose: readonly string[], opts: PresentOptions = {}): Promise<string> {
  const parts = splitSdJwt(credential);
  if (parts?.kbJwt !== "") throw new SdJwtError("malformed", "expected an SD-JWT in issuance form (ending with ~)");
  let payload: JWTPayload;
  try {
    payload = decodeJwt(parts.jwt);
  } catch {
    throw new SdJwtError("malformed", "the issuer-signed JWT does not decode");
  }

  const decoded = await Promise.all(parts.disclosures.map(decodeDisclosure));
  const byDigest = new Map<string, Disclosure>();
  for (const d of decoded) {
    if (!d) throw new SdJwtError("malformed", "a disclosure does not decode");
    byDigest.set(d.digest, d);
  }
  const topLevel = new Map<string, Disclosure>();
  for (const digest of sdDigests(payload) ?? []) {
    const d = byDigest.get(digest);
    if (d?.name !== undefined) topLevel.set(d.name, d);
  }

  const keep = new Set<string>();
  for (const name of new Set(disclose)) {
    const d = topLevel.get(name);
    if (!d) throw new SdJwtError("unknown_claim", `the credential has no disclosable claim "${name}"`);
    keep.add(d.digest);
    collectNested(d.value, byDigest, keep, 1);
  }
  // The credential's own order, not the caller's, so the order of disclosures says nothing about the request.
  const presentation = joinSdJwt(
    parts.jwt,
    decoded.flatMap((d) => (d && keep.has(d.digest) ? [d.encoded] : [])),
  );

  if (!opts.holderKey) return presentation;
  if (!opts.audience || !opts.nonce) throw new SdJwtError("invalid_argument", "key binding needs both an audience and a nonce");
  if (!isRecord(payload.cnf) || !isRecord(payload.cnf.jwk))
    throw new SdJwtError("not_key_bound", "the credential binds no holder key (no cnf.jwk)");
  const kbJwt = await new SignJWT({ nonce: opts.nonce, sd_hash: await sha256Base64url(presentation) })
    .setProtectedHeader({ alg: SIGNING_ALG, typ: KEY_BINDING_TYP })
    .setAudience(opts.audience)
    .setIssuedAt()
    .sign(opts.holderKey.privateKey);
  return presentation + kbJwt;
}

/** Adds the digests referenced inside a disclosed value, so disclosing a claim discloses all of it. */
function collectNested(value: unknown, byDigest: ReadonlyMap<string, Disclosure>, keep: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) throw new SdJwtError("malformed", `the credential nests deeper than ${MAX_DEPTH} levels`);
  const visit = (digest: string) => {
    const d = byDigest.get(digest);
    if (!d || keep.has(digest)) return;
    keep.add(digest);
    collectNested(d.value, byDigest, keep, depth + 1);
  };
  if (Array.isArray(value)) {
    for (const element of value) {
      const digest = arrayElementDigest(element);
      if (digest !== undefined) visit(digest);
      else collectNested(element, byDigest, keep, depth + 1);
    }
  } else if (isRecord(value)) {
    for (const digest of sdDigests(value) ?? []) visit(digest);
    for (const [key, nested] of Object.entries(value)) if (key !== "_sd") collectNested(nested, byDigest, keep, depth + 1);
  }
}
