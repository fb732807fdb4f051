import { type CryptoKey, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from "jose";
import { issueCredential } from "../../../src/records/sdjwt";

export const ISSUER = "https://veche.test/api/v1/agencies/01JTRAFFICPOLICE00000000000";
export const VCT = "urn:veche:record:driving-licence";

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let kidCounter = 0;
/** A fresh ES256 key pair with its public JWK, as an agency would publish it. */
export async function newKey(kid = `k${++kidCounter}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

export function jwksOf(...keys: TestKey[]): JSONWebKeySet {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** A resolver that knows one issuer. */
export function trusting(issuer: string, ...keys: TestKey[]) {
  return (iss: string): JSONWebKeySet | null => (iss === issuer ? jwksOf(...keys) : null);
}

export const LICENCE_CLAIMS = {
  given_name: "Анна",
  family_name: "Петрова",
  birthdate: "1990-04-12",
  licence_number: "77 12 345678",
  categories: ["B", "C1"],
  address: { city: "Казань", street: "ул. Баумана", house: 12 },
  points: 0,
  organ_donor: true,
};

export async function issueLicence(key: TestKey, extra: Partial<Parameters<typeof issueCredential>[0]> = {}): Promise<string> {
  return issueCredential({ issuer: ISSUER, vct: VCT, claims: LICENCE_CLAIMS, key, ...extra });
}

/** The record's own claims in a verification result, without the issuer's clear ones. */
export function userClaims(claims: Record<string, unknown> | undefined): Record<string, unknown> {
  const { iss: _iss, vct: _vct, iat: _iat, exp: _exp, ...rest } = claims ?? {};
  return rest;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function b64urlJson(value: unknown): string {
  return b64url(encoder.encode(JSON.stringify(value)));
}

export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromB64url(value: string): string {
  const bin = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
  return decoder.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The parts of an SD-JWT: issuer JWT, disclosures, and the KB-JWT ("" when none). */
export function partsOf(sdJwt: string): { jwt: string; disclosures: string[]; kb: string } {
  const pieces = sdJwt.split("~");
  const jwt = pieces[0] ?? "";
  const kb = pieces.at(-1) ?? "";
  return { jwt, disclosures: pieces.slice(1, -1), kb };
}

/** The decoded disclosure with the given claim name. */
export function disclosureNamed(sdJwt: string, name: string): { encoded: string; salt: string; value: unknown } {
  for (const encoded of partsOf(sdJwt).disclosures) {
    const [salt, claim, value] = JSON.parse(fromB64url(encoded)) as [string, string, unknown];
    if (claim === name) return { encoded, salt, value };
  }
  throw new Error(`no disclosure named ${name}`);
}
