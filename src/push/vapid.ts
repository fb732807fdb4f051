// The application server's VAPID identity (RFC 8292): one ES256 key pair from the VAPID_PRIVATE_KEY secret, a
// private JWK (`{"kty":"EC","crv":"P-256","x","y","d"}`, the format of JWT_PRIVATE_KEYS' entries; docs/deploy.md
// says how to make one). The public key browsers pass to `pushManager.subscribe` is derived from it (its x and
// y as an uncompressed point), so the two can never disagree; a JWK whose x/y do not belong to its d is refused
// at load by signing and verifying once. VAPID_SUBJECT is the contact URI push services may use (`mailto:` or
// `https:`).
import { importJWK, base64url as joseBase64url, SignJWT } from "jose";
import * as z from "zod";
import { base64url } from "../lib/ids";

const PrivateJwk = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  d: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/** RFC 8292 §2.1: the contact. */
const Subject = z.string().regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/);

export interface Vapid {
  /** base64url of the uncompressed P-256 point (65 bytes, 0x04 first): the `applicationServerKey`. */
  publicKey: string;
  privateKey: CryptoKey;
  subject: string;
}

const cache = new Map<string, Promise<Vapid>>();

/** The VAPID identity, imported once per isolate per secret value. Throws when it is unset or unusable. */
export function vapid(env: Env): Promise<Vapid> {
  const secret = env.VAPID_PRIVATE_KEY;
  const subject = env.VAPID_SUBJECT;
  if (!secret) return Promise.reject(new Error("VAPID_PRIVATE_KEY is not configured"));
  const key = `${subject}\n${secret}`;
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = load(secret, subject);
    cache.set(key, loaded);
    loaded.catch(() => cache.delete(key));
  }
  return loaded;
}

async function load(secret: string, subjectValue: string | undefined): Promise<Vapid> {
  let json: unknown;
  try {
    json = JSON.parse(secret);
  } catch {
    throw new Error("VAPID_PRIVATE_KEY is not JSON (expected a P-256 private JWK)");
  }
  const jwk = PrivateJwk.safeParse(json);
  if (!jwk.success) throw new Error("VAPID_PRIVATE_KEY is not a P-256 private JWK with x, y and d");
  const subject = Subject.safeParse(subjectValue);
  if (!subject.success) throw new Error("VAPID_SUBJECT is not a mailto: or https: contact URI");
  const { x, y, d } = jwk.data;
  const privateKey = await importJWK({ kty: "EC", crv: "P-256", x, y, d }, "ES256");
  const publicKey = await importJWK({ kty: "EC", crv: "P-256", x, y }, "ES256");
  if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey)) throw new Error("VAPID_PRIVATE_KEY did not import");
  // x and y must be d's public point, or every push service would refuse every request. workerd's import
  // refuses such a JWK already; this keeps the guarantee whatever the runtime's import checks.
  const probe = new TextEncoder().encode("vapid key check");
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, probe);
  if (!(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, signature, probe))) {
    throw new Error("VAPID_PRIVATE_KEY's x and y are not the public key of its d");
  }
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(joseBase64url.decode(x), 1);
  point.set(joseBase64url.decode(y), 33);
  return { publicKey: base64url(point), privateKey, subject: subject.data };
}

/** A VAPID JWT lives this long; RFC 8292 §2 allows at most 24 hours. */
export const VAPID_TTL_SEC = 12 * 3600;

/** `Authorization: vapid t=<JWT>, k=<public key>` for a request to this endpoint (RFC 8292 §3). */
export async function vapidAuthorization(v: Vapid, endpoint: URL, now = Date.now()): Promise<string> {
  const jwt = await new SignJWT({ sub: v.subject })
    .setProtectedHeader({ typ: "JWT", alg: "ES256" })
    .setAudience(endpoint.origin)
    .setExpirationTime(Math.floor(now / 1000) + VAPID_TTL_SEC)
    .sign(v.privateKey);
  return `vapid t=${jwt}, k=${v.publicKey}`;
}
