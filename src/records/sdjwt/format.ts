import { base64url } from "jose";

// The SD-JWT wire format (RFC 9901 / draft-ietf-oauth-selective-disclosure-jwt) and the SD-JWT VC profile
// (draft-ietf-oauth-sd-jwt-vc): what issuing, presenting and verifying share.

/** `typ` of an SD-JWT VC's issuer-signed JWT. Older drafts used `vc+sd-jwt`; we issue and accept only the current one. */
export const CREDENTIAL_TYP = "dc+sd-jwt";
export const KEY_BINDING_TYP = "kb+jwt";
/** The only signing algorithm issued or accepted, for credentials and key binding alike. */
export const SIGNING_ALG = "ES256";
/** The only digest algorithm (`_sd_alg`); it is also the spec's default when the claim is absent. */
export const SD_ALG = "sha-256";

/**
 * Claims that must stay in the clear because verification itself needs them (SD-JWT VC forbids making them
 * selectively disclosable), plus the SD-JWT machinery. `iat` is here because we always issue it in the clear.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  "iss",
  "iat",
  "nbf",
  "exp",
  "cnf",
  "vct",
  "vct#integrity",
  "status",
  "_sd",
  "_sd_alg",
  "...",
]);

/** Nesting deeper than this is refused on issue and on verify, so recursion over hostile input stays bounded. */
export const MAX_DEPTH = 32;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();
// Fatal, BOM kept: a disclosure that is not plain UTF-8 JSON is malformed, not silently repaired into different text.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** base64url(SHA-256(ascii)), the digest of a disclosure and the `sd_hash` of a presentation. */
export async function sha256Base64url(ascii: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(ascii))));
}

/** 128 random bits: the spec's recommended minimum, so a digest cannot be brute-forced back to a guessable value. */
export function randomSalt(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
}

export function encodeDisclosure(salt: string, name: string, value: unknown): string {
  return base64url.encode(encoder.encode(JSON.stringify([salt, name, value])));
}

/** A decoded disclosure. `name` is absent for an array-element disclosure (`[salt, value]`). */
export interface Disclosure {
  encoded: string;
  digest: string;
  name?: string;
  value: unknown;
}

/** Decodes one disclosure, or answers null when it is not one (bad base64url, UTF-8, JSON or shape). */
export async function decodeDisclosure(encoded: string): Promise<Disclosure | null> {
  if (!BASE64URL.test(encoded)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(base64url.decode(encoded)));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== "string") return null;
  const digest = await sha256Base64url(encoded);
  if (parsed.length === 3 && typeof parsed[1] === "string") return { encoded, digest, name: parsed[1], value: parsed[2] };
  if (parsed.length === 2) return { encoded, digest, value: parsed[1] };
  return null;
}

/** An SD-JWT split at its tildes. */
export interface SdJwtParts {
  jwt: string;
  disclosures: string[];
  /** The Key Binding JWT, or "" when there is none (the string then ends with "~"). */
  kbJwt: string;
  /** Everything up to and including the last "~": what a KB-JWT's `sd_hash` covers. */
  signedPart: string;
}

export function splitSdJwt(value: string): SdJwtParts | null {
  const last = value.lastIndexOf("~");
  if (last < 0) return null;
  const signedPart = value.slice(0, last + 1);
  const [jwt, ...disclosures] = signedPart.slice(0, -1).split("~");
  if (!jwt || disclosures.some((d) => d === "")) return null;
  return { jwt, disclosures, kbJwt: value.slice(last + 1), signedPart };
}

export function joinSdJwt(jwt: string, disclosures: readonly string[]): string {
  return `${[jwt, ...disclosures].join("~")}~`;
}

/**
 * The digest an array element stands for, when the element is a `{"...": digest}` placeholder.
 * A one-key object whose key is "..." is always treated as one, which is why issuing refuses such values.
 */
export function arrayElementDigest(element: unknown): string | undefined {
  if (!isRecord(element)) return undefined;
  const keys = Object.keys(element);
  if (keys.length !== 1 || keys[0] !== "...") return undefined;
  const digest = element["..."];
  return typeof digest === "string" ? digest : undefined;
}

/** The digests an object's own `_sd` lists, or null when `_sd` is there but is not a list of strings. */
export function sdDigests(object: Record<string, unknown>): string[] | null {
  if (!Object.hasOwn(object, "_sd")) return [];
  const sd = object._sd;
  if (!Array.isArray(sd) || !sd.every((d): d is string => typeof d === "string")) return null;
  return sd;
}
