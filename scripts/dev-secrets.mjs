// Development secrets: fresh ES256 signing and VAPID keys, HMAC and sealing keys, generated locally and never committed.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

export function devSecrets(kid = `dev-${Date.now().toString(36)}`) {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid, alg: "ES256" };
  return {
    JWT_PRIVATE_KEYS: JSON.stringify([jwk]),
    CREDENTIAL_HASH_KEY: randomBytes(32).toString("base64url"),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    VAPID_PRIVATE_KEY: JSON.stringify(vapidJwk()),
    FRANKING_KEY: randomBytes(32).toString("base64url"),
  };
}

/** A Web Push (VAPID) key pair: a P-256 private JWK, the format VAPID_PRIVATE_KEY takes (src/push/vapid.ts). */
export function vapidJwk() {
  const { kty, crv, x, y, d } = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  return { kty, crv, x, y, d };
}

/** Reads .dev.vars, writing it with fresh secrets first if it does not exist. */
export function ensureDevVars(path = ".dev.vars") {
  if (!existsSync(path)) {
    const lines = Object.entries(devSecrets()).map(([k, v]) => `${k}=${v}`);
    writeFileSync(path, `# Generated for local runs only. Never commit.\n${lines.join("\n")}\n`, { mode: 0o600 });
    console.log(`Wrote ${path} with a fresh development signing key.`);
  }
  const vars = {};
  // Secrets added after a developer's .dev.vars was written are generated and appended.
  const missing = Object.entries(devSecrets()).filter(([k]) => !new RegExp(`^${k}=`, "m").test(readFileSync(path, "utf8")));
  if (missing.length > 0) appendFileSync(path, missing.map(([k, v]) => `${k}=${v}\n`).join(""));
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}
