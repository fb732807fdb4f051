// Development secrets: a fresh ES256 signing key and HMAC key, generated locally and never committed.
import { generateKeyPairSync, randomBytes } from "node:crypto";

export function devSecrets(kid = `dev-${Date.now().toString(36)}`) {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid, alg: "ES256" };
  return {
    JWT_PRIVATE_KEYS: JSON.stringify([jwk]),
    CREDENTIAL_HASH_KEY: randomBytes(32).toString("base64url"),
  };
}
