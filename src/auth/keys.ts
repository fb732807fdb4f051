import { type CryptoKey, importJWK, type JWK } from "jose";
import * as z from "zod";

// Signing keys come from a secret holding a JSON array of private JWKs. The first key signs; every key
// in the list is published in the JWKS and accepted on verify, so rotation is: prepend a new key, deploy,
// wait out the longest token lifetime, then drop the old one (docs/operations.md).

const PrivateJwk = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  alg: z.literal("ES256").default("ES256"),
  kid: z.string().min(1),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
});
const PrivateJwkList = z.array(PrivateJwk).min(1);

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface KeyRing {
  current: SigningKey;
  byKid: Map<string, SigningKey>;
  jwks: { keys: JWK[] };
}

const cache = new Map<string, Promise<KeyRing>>();

/** Parses and imports the key ring once per isolate per secret value. */
export function keyRing(secret: string | undefined, name = "JWT_PRIVATE_KEYS"): Promise<KeyRing> {
  if (!secret) return Promise.reject(new Error(`${name} is not configured`));
  let ring = cache.get(secret);
  if (!ring) {
    ring = loadKeyRing(secret, name);
    cache.set(secret, ring);
    ring.catch(() => cache.delete(secret));
  }
  return ring;
}

async function loadKeyRing(secret: string, name: string): Promise<KeyRing> {
  const parsed = PrivateJwkList.safeParse(JSON.parse(secret));
  if (!parsed.success) throw new Error(`${name} is not a list of ES256 private JWKs`);
  const keys = await Promise.all(
    parsed.data.map(async (jwk): Promise<SigningKey> => {
      const { d: _d, ...pub } = jwk;
      const publicJwk: JWK = { ...pub, use: "sig" };
      return {
        kid: jwk.kid,
        privateKey: (await importJWK(jwk, "ES256")) as CryptoKey,
        publicKey: (await importJWK(publicJwk, "ES256")) as CryptoKey,
        publicJwk,
      };
    }),
  );
  const [current] = keys;
  if (!current) throw new Error(`${name} is empty`);
  return {
    current,
    byKid: new Map(keys.map((k) => [k.kid, k])),
    jwks: { keys: keys.map((k) => k.publicJwk) },
  };
}
