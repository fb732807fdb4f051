// This device's SD-JWT holder key: an ES256 (P-256) key pair made here with WebCrypto, the private half
// non-extractable and kept in IndexedDB, the public half published as the device's holder key
// (`PUT /me/device { holderKey }`). The citizen's records are bound to it (`cnf.jwk`), so only this browser can
// sign a presentation's key-binding JWT or approve passing the records to a new device. Signing out forgets
// the key: the next sign-in is a new device with a new key.
import { onAuthChange, request } from "../lib/api";
import { idbGet, idbPut, KEYS } from "../lib/idb";

export interface PublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
}

export interface HolderKey {
  privateKey: CryptoKey;
  publicJwk: PublicJwk;
  /** The device the key was published for; a different one means this browser signed in anew. */
  deviceId: string | null;
}

const SLOT = "holder";
const encoder = new TextEncoder();

export function b64u(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
}

export function unb64u(text: string): Uint8Array {
  const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export const sha256b64u = async (ascii: string) => b64u(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(ascii))));

/** RFC 7638 thumbprint of a P-256 key: SHA-256 of its required members in lexicographic order. */
export const thumbprint = (k: PublicJwk) => sha256b64u(JSON.stringify({ crv: k.crv, kty: k.kty, x: k.x, y: k.y }));

/**
 * A compact JWS (RFC 7515) signed with ES256. WebCrypto's ECDSA signature is already the r‖s form JWS uses,
 * so this is only the encoding around one standard signature.
 */
export async function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: CryptoKey): Promise<string> {
  const input = `${b64u(encoder.encode(JSON.stringify(header)))}.${b64u(encoder.encode(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, encoder.encode(input));
  return `${input}.${b64u(new Uint8Array(signature))}`;
}

function isStored(value: unknown): value is HolderKey {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<HolderKey>;
  return v.privateKey instanceof CryptoKey && typeof v.publicJwk?.x === "string" && typeof v.publicJwk.y === "string";
}

async function makeKey(): Promise<HolderKey> {
  // extractable: false applies to the private key; the public one is always exportable.
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  if (typeof jwk.x !== "string" || typeof jwk.y !== "string") throw new Error("the browser exported no P-256 public key");
  return { privateKey: pair.privateKey, publicJwk: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, deviceId: null };
}

const publish = (k: HolderKey) => request<{ device: { id: string } }>("/me/device", { method: "PUT", body: { holderKey: k.publicJwk } });

let ready: Promise<HolderKey> | null = null;

/**
 * The device's holder key, made on first need and published once per page load (publishing the same key again
 * changes nothing on the server). A key last published for another device (this browser was signed out
 * elsewhere, then signed in again) is replaced by a new one.
 */
export function holderKey(): Promise<HolderKey> {
  ready ??= (async () => {
    const found = await idbGet(KEYS, SLOT);
    let key = isStored(found) ? found : await makeKey();
    let device = await publish(key);
    if (key.deviceId !== null && key.deviceId !== device.device.id) {
      key = await makeKey();
      device = await publish(key);
    }
    key = { ...key, deviceId: device.device.id };
    await idbPut(KEYS, SLOT, key);
    return key;
  })();
  ready.catch(() => {
    ready = null;
  });
  return ready;
}

// Signed out (here, in another tab, or the session died): the key belongs to that device, which is gone.
onAuthChange((signedIn) => {
  if (signedIn) return;
  ready = null;
  void idbPut(KEYS, SLOT, undefined).catch(() => undefined);
});
