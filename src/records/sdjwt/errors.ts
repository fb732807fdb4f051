/**
 * Why `verifyPresentation` said no. The strings are part of the API (the verify route returns them and
 * clients branch on them), so they never change meaning; new reasons get new codes.
 */
export type VerifyErrorCode =
  /** Not an SD-JWT, a part does not decode, a required claim is missing or has the wrong type. */
  | "malformed"
  /** Longer than any presentation we issue; rejected before any parsing or crypto work. */
  | "too_large"
  /** The JWT is not ES256, or `_sd_alg` is not sha-256. */
  | "unsupported_algorithm"
  /** The header's `typ` is not `dc+sd-jwt`, so this is some other kind of JWT. */
  | "wrong_type"
  /** The issuer's key set could not be found (or is not a usable JWKS). */
  | "unknown_issuer"
  /** No key of the issuer verifies the signature: tampered, or signed by someone else. */
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  /** A disclosure whose digest the issuer did not sign: altered or forged. */
  | "digest_mismatch"
  /** The same disclosure appears twice. */
  | "duplicate_disclosure"
  /** The verifier asked for an audience or nonce but the presentation carries no Key Binding JWT. */
  | "key_binding_required"
  /** The Key Binding JWT is present but wrong: signature, key, audience, nonce, age or `sd_hash`. */
  | "key_binding_invalid";

/** Why issuing, presenting or a status-list operation refused. */
export type SdJwtErrorCode =
  | "malformed"
  | "invalid_argument"
  /** A claim name the SD-JWT VC format keeps for itself (`iss`, `vct`, `_sd`…), so it cannot be a record claim. */
  | "reserved_claim"
  /** A claim value that JSON cannot carry unchanged (undefined, NaN, a Date, a class instance…) or nests too deep. */
  | "invalid_claim_value"
  /** `present` was asked to disclose a claim the credential does not have as a disclosable claim. */
  | "unknown_claim"
  /** A holder key was given but the credential has no `cnf` key to bind to. */
  | "not_key_bound"
  | "malformed_status_list"
  | "status_index_out_of_range";

/** Thrown by the issuing and presenting side (which runs on our own data); the verifier never throws one. */
export class SdJwtError extends Error {
  constructor(
    readonly code: SdJwtErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "SdJwtError";
  }
}
