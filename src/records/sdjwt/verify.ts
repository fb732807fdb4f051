import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import type { VerifyErrorCode } from "./errors";
import {
  arrayElementDigest,
  CREDENTIAL_TYP,
  type Disclosure,
  decodeDisclosure,
  isRecord,
  KEY_BINDING_TYP,
  MAX_DEPTH,
  RESERVED_CLAIMS,
  SD_ALG,
  type SdJwtParts,
  SIGNING_ALG,
  sdDigests,
  sha256Base64url,
  splitSdJwt,
} from "./format";

export interface VerifyOptions {
  /**
   * The issuer's public keys, looked up by the (not yet verified) `iss`. Answer null for an issuer you do not
   * trust; that is the only place trust is decided. A saved JWKS is enough: verification needs no network.
   */
  jwks: (iss: string) => Promise<JSONWebKeySet | null> | JSONWebKeySet | null;
  now?: Date;
  /** When set, a Key Binding JWT is required and its `aud` must be this. */
  audience?: string;
  /** When set, a Key Binding JWT is required and its `nonce` must be this. */
  nonce?: string;
  /** Asked only for a credential that is otherwise valid and has a status reference. */
  isRevoked?: (status: { uri: string; idx: number }) => Promise<boolean>;
  /**
   * How old a KB-JWT may be, in seconds (default KEY_BINDING_MAX_AGE_SEC). null: no age check here, for a
   * verifier with a time rule of its own (the web app's in-person verifier reads `keyBinding.iat` and tells
   * "too old" apart from "tampered"); `iat` is still required.
   */
  keyBindingMaxAgeSec?: number | null;
}

export interface VerificationResult {
  valid: boolean;
  issuer?: string;
  vct?: string;
  /** Only what the presentation disclosed, plus the issuer's clear claims (`iss`, `vct`, `iat`, `exp`…). */
  claims?: Record<string, unknown>;
  /**
   * Whether the issuer revoked the credential; reported alongside `valid`, which speaks only about integrity.
   * false when the credential has no status at all; absent when it cannot be told (no `isRevoked` given, or a
   * status mechanism other than a status list).
   */
  revoked?: boolean;
  /** The verified Key Binding JWT's claims, when the presentation carries one. */
  keyBinding?: { iat: number; nonce: string; aud: string | string[] };
  error?: VerifyErrorCode;
}

/** Comfortably above the largest record we issue; anything bigger is refused before any work is spent on it. */
export const MAX_PRESENTATION_CHARS = 256 * 1024;
/** Seconds of clock skew forgiven on `exp`, `nbf` and the KB-JWT's `iat`. */
export const CLOCK_TOLERANCE_SEC = 30;
/** How old a KB-JWT may be: it answers one verifier's fresh nonce, so minutes are plenty. */
export const KEY_BINDING_MAX_AGE_SEC = 5 * 60;

/** Claims that are SD-JWT machinery rather than record content, so the result leaves them out. */
const MACHINERY_CLAIMS = ["_sd_alg", "cnf", "status"];

/** A reason to reject, thrown inside the pure checks and turned into a result at the top. */
class Rejection extends Error {
  constructor(readonly code: VerifyErrorCode) {
    super(code);
  }
}

/** An error from one of the caller's callbacks: passed through, because it says nothing about the presentation. */
class CallbackFailure extends Error {
  constructor(readonly reason: unknown) {
    super("callback failed");
  }
}

async function callback<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new CallbackFailure(err);
  }
}

/**
 * Verifies an SD-JWT VC presentation: the issuer's signature (ES256 only, `typ` dc+sd-jwt), every disclosure
 * against the signed digests, validity times, key binding, and revocation. Never throws for bad input: every
 * problem is `{ valid: false, error }` with a stable code. Errors thrown by the `jwks` or `isRevoked` callbacks
 * are rethrown as they are, since an unreachable key store must not look like a forged credential.
 */
export async function verifyPresentation(presentation: string, opts: VerifyOptions): Promise<VerificationResult> {
  try {
    return await verify(presentation, opts);
  } catch (err) {
    if (err instanceof CallbackFailure) throw err.reason;
    if (err instanceof Rejection) return { valid: false, error: err.code };
    // Anything else (a stack overflow on absurd input, say) is still bad input, not a server fault.
    return { valid: false, error: "malformed" };
  }
}

async function verify(presentation: string, opts: VerifyOptions): Promise<VerificationResult> {
  if (typeof presentation !== "string") throw new Rejection("malformed");
  if (presentation.length > MAX_PRESENTATION_CHARS) throw new Rejection("too_large");
  const parts = splitSdJwt(presentation.trim());
  if (!parts) throw new Rejection("malformed");

  const payload = await verifyIssuerJwt(parts.jwt, opts);
  const issuer = payload.iss;
  const vct = payload.vct;
  if (typeof issuer !== "string" || typeof vct !== "string") throw new Rejection("malformed");
  if (payload._sd_alg !== undefined && payload._sd_alg !== SD_ALG) throw new Rejection("unsupported_algorithm");

  const resolved = await resolveDisclosures(payload, parts.disclosures);

  let keyBinding: VerificationResult["keyBinding"];
  if (parts.kbJwt) keyBinding = await verifyKeyBinding(parts, payload, opts);
  else if (opts.audience !== undefined || opts.nonce !== undefined) throw new Rejection("key_binding_required");

  const claims = Object.fromEntries(Object.entries(resolved).filter(([name]) => !MACHINERY_CLAIMS.includes(name)));
  const status = statusReference(payload.status);
  let revoked: boolean | undefined;
  if (status === "none") revoked = false;
  else if (status !== "unknown" && opts.isRevoked) {
    const { isRevoked } = opts;
    revoked = await callback(() => isRevoked(status));
  }
  return { valid: true, issuer, vct, claims, ...(revoked === undefined ? {} : { revoked }), ...(keyBinding ? { keyBinding } : {}) };
}

async function verifyIssuerJwt(jwt: string, opts: VerifyOptions): Promise<JWTPayload> {
  let unverifiedIssuer: unknown;
  try {
    const header = decodeProtectedHeader(jwt);
    // Checked before the key lookup too, so a wrong kind of token costs the caller's key store nothing.
    if (header.alg !== SIGNING_ALG) throw new Rejection("unsupported_algorithm");
    if (header.typ !== CREDENTIAL_TYP) throw new Rejection("wrong_type");
    unverifiedIssuer = decodeJwt(jwt).iss;
  } catch (err) {
    throw err instanceof Rejection ? err : new Rejection("malformed");
  }
  if (typeof unverifiedIssuer !== "string" || !unverifiedIssuer) throw new Rejection("malformed");
  const iss = unverifiedIssuer;

  const jwks = await callback(() => opts.jwks(iss));
  if (!jwks) throw new Rejection("unknown_issuer");
  let keySet: ReturnType<typeof createLocalJWKSet>;
  try {
    keySet = createLocalJWKSet(jwks);
  } catch {
    throw new Rejection("unknown_issuer");
  }
  try {
    const { payload } = await jwtVerify(jwt, keySet, {
      algorithms: [SIGNING_ALG],
      typ: CREDENTIAL_TYP,
      issuer: iss,
      currentDate: opts.now,
      clockTolerance: CLOCK_TOLERANCE_SEC,
    });
    return payload;
  } catch (err) {
    throw new Rejection(issuerJwtErrorCode(err));
  }
}

function issuerJwtErrorCode(err: unknown): VerifyErrorCode {
  if (err instanceof joseErrors.JWTExpired) return "expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === "nbf" && err.reason === "check_failed") return "not_yet_valid";
    if (err.claim === "typ") return "wrong_type";
    return "malformed";
  }
  if (
    err instanceof joseErrors.JWSSignatureVerificationFailed ||
    err instanceof joseErrors.JWKSNoMatchingKey ||
    err instanceof joseErrors.JWKSMultipleMatchingKeys
  )
    return "bad_signature";
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) return "unsupported_algorithm";
  return "malformed";
}

/**
 * Replaces every digest the presentation discloses with its claim, recursively (a disclosed value may itself
 * hold digests), and drops the undisclosed and decoy ones. Rejects, as the SD-JWT spec requires: a disclosure no
 * signed digest refers to, a digest that appears twice, a disclosed name that clashes with an existing claim or
 * is reserved, and a disclosure of the wrong shape for its place (object property vs array element).
 */
async function resolveDisclosures(payload: JWTPayload, encoded: readonly string[]): Promise<Record<string, unknown>> {
  const byDigest = new Map<string, Disclosure>();
  for (const d of await Promise.all(encoded.map(decodeDisclosure))) {
    if (!d) throw new Rejection("malformed");
    if (byDigest.has(d.digest)) throw new Rejection("duplicate_disclosure");
    byDigest.set(d.digest, d);
  }
  const seen = new Set<string>();
  const used = new Set<string>();

  const lookUp = (digest: string): Disclosure | undefined => {
    if (seen.has(digest)) throw new Rejection("malformed");
    seen.add(digest);
    const d = byDigest.get(digest);
    if (d) used.add(digest);
    return d;
  };

  const walk = (value: unknown, depth: number, topLevel: boolean): unknown => {
    if (depth > MAX_DEPTH) throw new Rejection("malformed");
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const element of value) {
        const digest = arrayElementDigest(element);
        if (digest === undefined) {
          out.push(walk(element, depth + 1, false));
          continue;
        }
        const d = lookUp(digest);
        if (!d) continue;
        if (d.name !== undefined) throw new Rejection("malformed");
        out.push(walk(d.value, depth + 1, false));
      }
      return out;
    }
    if (!isRecord(value)) return value;

    const digests = sdDigests(value);
    if (!digests) throw new Rejection("malformed");
    const entries: [string, unknown][] = [];
    const names = new Set<string>();
    for (const [name, nested] of Object.entries(value)) {
      if (name === "_sd") continue;
      entries.push([name, walk(nested, depth + 1, false)]);
      names.add(name);
    }
    for (const digest of digests) {
      const d = lookUp(digest);
      if (!d) continue;
      if (d.name === undefined || d.name === "_sd" || d.name === "..." || names.has(d.name)) throw new Rejection("malformed");
      if (topLevel && RESERVED_CLAIMS.has(d.name) && d.name !== "iat") throw new Rejection("malformed");
      names.add(d.name);
      entries.push([d.name, walk(d.value, depth + 1, false)]);
    }
    // fromEntries defines own properties, so a claim named "__proto__" stays data and never becomes a prototype.
    return Object.fromEntries(entries);
  };

  const resolved = walk(payload, 0, true);
  if (used.size !== byDigest.size) throw new Rejection("digest_mismatch");
  if (!isRecord(resolved)) throw new Rejection("malformed");
  return resolved;
}

async function verifyKeyBinding(
  parts: SdJwtParts,
  payload: JWTPayload,
  opts: VerifyOptions,
): Promise<{ iat: number; nonce: string; aud: string | string[] }> {
  const jwk = isRecord(payload.cnf) ? payload.cnf.jwk : undefined;
  // Only the public coordinates of an ES256 key are used; anything else in `cnf` cannot bind a KB-JWT.
  if (
    !isRecord(jwk) ||
    jwk.kty !== "EC" ||
    jwk.crv !== "P-256" ||
    typeof jwk.x !== "string" ||
    typeof jwk.y !== "string" ||
    jwk.d !== undefined
  )
    throw new Rejection("key_binding_invalid");
  const maxAge = opts.keyBindingMaxAgeSec === undefined ? KEY_BINDING_MAX_AGE_SEC : opts.keyBindingMaxAgeSec;
  try {
    const holderKey = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, SIGNING_ALG);
    const { payload: kb } = await jwtVerify(parts.kbJwt, holderKey, {
      algorithms: [SIGNING_ALG],
      typ: KEY_BINDING_TYP,
      audience: opts.audience,
      currentDate: opts.now,
      clockTolerance: CLOCK_TOLERANCE_SEC,
      // Also rejects an `iat` in the future (beyond the tolerance).
      ...(maxAge === null ? {} : { maxTokenAge: maxAge }),
      requiredClaims: ["iat", "aud", "nonce", "sd_hash"],
    });
    if (typeof kb.nonce !== "string" || (opts.nonce !== undefined && kb.nonce !== opts.nonce)) throw new Rejection("key_binding_invalid");
    if (kb.sd_hash !== (await sha256Base64url(parts.signedPart))) throw new Rejection("key_binding_invalid");
    if (typeof kb.iat !== "number" || kb.aud === undefined) throw new Rejection("key_binding_invalid");
    return { iat: kb.iat, nonce: kb.nonce, aud: kb.aud };
  } catch {
    throw new Rejection("key_binding_invalid");
  }
}

/**
 * The Token Status List reference, "none" when the credential has no status at all (it cannot be revoked), or
 * "unknown" when it uses a status mechanism other than a status list, which we cannot check.
 */
function statusReference(status: unknown): { uri: string; idx: number } | "none" | "unknown" {
  if (status === undefined) return "none";
  if (!isRecord(status)) throw new Rejection("malformed");
  if (status.status_list === undefined) return "unknown";
  const list = status.status_list;
  if (!isRecord(list) || typeof list.uri !== "string" || typeof list.idx !== "number") throw new Rejection("malformed");
  if (!Number.isSafeInteger(list.idx) || list.idx < 0) throw new Rejection("malformed");
  return { uri: list.uri, idx: list.idx };
}
