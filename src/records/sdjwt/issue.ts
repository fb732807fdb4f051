import { type CryptoKey, type JWK, SignJWT } from "jose";
import { SdJwtError } from "./errors";
import {
  CREDENTIAL_TYP,
  encodeDisclosure,
  isRecord,
  joinSdJwt,
  MAX_DEPTH,
  RESERVED_CLAIMS,
  randomSalt,
  SD_ALG,
  SIGNING_ALG,
  sha256Base64url,
} from "./format";

export interface IssueInput {
  /** The issuing agency's identifier; verifiers look its JWKS up by this value. */
  issuer: string;
  /** The credential type, e.g. "urn:veche:record:driving-licence". */
  vct: string;
  /** The record's claims. Every top-level claim becomes separately disclosable; nested values disclose as a whole. */
  claims: Record<string, unknown>;
  /** Issued as a selectively disclosable `sub` claim, so a presentation need not reveal who the citizen is. */
  subject?: string;
  expiresAt?: Date;
  /** Where the record's revocation bit lives (Token Status List). */
  status?: { uri: string; idx: number };
  /** The holder's public key (EC P-256), bound as `cnf.jwk` so presentations can carry key binding. */
  holderJwk?: JWK;
  /** The agency's ES256 signing key. */
  key: { kid: string; privateKey: CryptoKey };
}

/** Decoy digests per credential, in this range, so the length of `_sd` does not reveal how many claims there are. */
const MIN_DECOYS = 2;
const MAX_DECOYS = 5;

/**
 * Issues an SD-JWT VC in issuance form: `<issuer-signed JWT>~<disclosure>~…~`.
 * Throws SdJwtError for input that would make a credential other verifiers misread.
 */
export async function issueCredential(input: IssueInput): Promise<string> {
  if (!input.issuer) throw new SdJwtError("invalid_argument", "issuer must be a non-empty string");
  if (!input.vct) throw new SdJwtError("invalid_argument", "vct must be a non-empty string");
  if (!input.key.kid) throw new SdJwtError("invalid_argument", "the signing key needs a kid, so verifiers can pick it from the JWKS");

  const entries = Object.entries(input.claims);
  if (input.subject !== undefined) {
    if (Object.hasOwn(input.claims, "sub"))
      throw new SdJwtError("reserved_claim", "give the subject either as `subject` or as claims.sub, not both");
    entries.push(["sub", input.subject]);
  }
  for (const [name, value] of entries) {
    if (RESERVED_CLAIMS.has(name)) throw new SdJwtError("reserved_claim", `"${name}" is reserved by SD-JWT VC`);
    assertPlainJson(value, name, 1);
  }

  const disclosures = entries.map(([name, value]) => encodeDisclosure(randomSalt(), name, value));
  const digests = await Promise.all(disclosures.map(sha256Base64url));
  const decoys = await Promise.all(Array.from({ length: decoyCount() }, () => sha256Base64url(randomSalt())));
  // Sorted, so the position of a digest says nothing about which claim it is or the order claims were given in.
  const sd = [...digests, ...decoys].sort();

  const payload: Record<string, unknown> = { vct: input.vct, _sd_alg: SD_ALG, _sd: sd };
  if (input.status) payload.status = { status_list: statusReference(input.status) };
  if (input.holderJwk) payload.cnf = { jwk: holderPublicJwk(input.holderJwk) };

  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: SIGNING_ALG, typ: CREDENTIAL_TYP, kid: input.key.kid })
    .setIssuer(input.issuer)
    .setIssuedAt();
  if (input.expiresAt) jwt.setExpirationTime(input.expiresAt);
  return joinSdJwt(await jwt.sign(input.key.privateKey), disclosures);
}

function decoyCount(): number {
  const [r = 0] = crypto.getRandomValues(new Uint8Array(1));
  return MIN_DECOYS + (r % (MAX_DECOYS - MIN_DECOYS + 1));
}

function statusReference(status: { uri: string; idx: number }): { idx: number; uri: string } {
  if (!status.uri) throw new SdJwtError("invalid_argument", "status.uri must be a non-empty string");
  if (!Number.isSafeInteger(status.idx) || status.idx < 0)
    throw new SdJwtError("invalid_argument", "status.idx must be a non-negative integer");
  return { idx: status.idx, uri: status.uri };
}

/** Only the public coordinates go into the credential, whatever else the caller's JWK object carries. */
function holderPublicJwk(jwk: JWK): JWK {
  if (jwk.d !== undefined) throw new SdJwtError("invalid_argument", "holderJwk must be a public key; it contains a private part");
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.x || !jwk.y) {
    throw new SdJwtError("invalid_argument", "holderJwk must be an EC P-256 public key (key binding is ES256)");
  }
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/**
 * Claim values must survive JSON unchanged (so what the verifier returns is what the agency issued) and must not
 * contain SD-JWT syntax (`_sd` keys, `{"...": x}` array elements), which any conforming verifier would read as
 * undisclosed claims rather than as data.
 */
function assertPlainJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new SdJwtError("invalid_claim_value", `${path} nests deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new SdJwtError("invalid_claim_value", `${path} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((element, i) => {
      if (isRecord(element) && Object.keys(element).length === 1 && Object.hasOwn(element, "..."))
        throw new SdJwtError("reserved_claim", `${path}[${i}] is a {"...": …} object, which SD-JWT reserves`);
      assertPlainJson(element, `${path}[${i}]`, depth + 1);
    });
    return;
  }
  if (isRecord(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new SdJwtError("invalid_claim_value", `${path} is not a plain object`);
    for (const [key, nested] of Object.entries(value)) {
      if (key === "_sd") throw new SdJwtError("reserved_claim", `${path} has an "_sd" key, which SD-JWT reserves`);
      assertPlainJson(nested, `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw new SdJwtError("invalid_claim_value", `${path} is a ${typeof value}, which JSON cannot carry`);
}
