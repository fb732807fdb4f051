// SD-JWT Verifiable Credentials for Veche records: agencies issue, citizens present selectively, anyone verifies
// with the agency's public JWKS alone. Plain functions over WebCrypto and jose, so they run in Workers, in tests
// and in any verifier's own code unchanged.
export { SdJwtError, type SdJwtErrorCode, type VerifyErrorCode } from "./errors";
export { CREDENTIAL_TYP, KEY_BINDING_TYP } from "./format";
export { type IssueInput, issueCredential } from "./issue";
export { type PresentOptions, present } from "./present";
export { decodeStatusList, encodeStatusList, isSet, MAX_STATUS_LIST_BYTES, newStatusList, setStatus } from "./status-list";
export {
  CLOCK_TOLERANCE_SEC,
  KEY_BINDING_MAX_AGE_SEC,
  MAX_PRESENTATION_CHARS,
  type VerificationResult,
  type VerifyOptions,
  verifyPresentation,
} from "./verify";
