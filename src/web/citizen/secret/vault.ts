// The device's secrets at rest: the MLS signature key, key packages' private halves, group states and the
// decrypted messages of secret chats. Each record is sealed with AES-256-GCM under one WebCrypto key that
// is generated non-extractable and kept in IndexedDB as a CryptoKey: scripts can use it but nobody can read
// it out, and nothing here is ever sent to the server. The record's name is the additional data, so a
// sealed record cannot be moved under another name.
import { idbGet, idbPut, SECRET } from "../../lib/idb";
import { b64u, fromB64u } from "./mls";

const KEY = "wrapping-key";
let keyPromise: Promise<CryptoKey> | null = null;

function wrappingKey(): Promise<CryptoKey> {
  keyPromise ??= (async () => {
    const make = async () => {
      const existing = await idbGet(SECRET, KEY);
      if (existing instanceof CryptoKey) return existing;
      const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      await idbPut(SECRET, KEY, key);
      return key;
    };
    // Two tabs starting at once must end up with one key, or each would seal what the other cannot open.
    return navigator.locks ? navigator.locks.request("veche-secret-key", make) : make();
  })();
  keyPromise.catch(() => {
    keyPromise = null;
  });
  return keyPromise;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JSON with byte arrays kept as `{ $b: base64url }`. */
const toJson = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: b64u(v) } : v));
const fromJson = (text: string): unknown =>
  JSON.parse(text, (_k, v: unknown) =>
    v && typeof v === "object" && "$b" in v && typeof (v as { $b: unknown }).$b === "string" ? fromB64u((v as { $b: string }).$b) : v,
  );

interface Sealed {
  iv: Uint8Array;
  data: ArrayBuffer;
}

export async function seal(name: string, value: unknown): Promise<void> {
  const key = await wrappingKey();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(name) }, key, enc.encode(toJson(value)));
  await idbPut(SECRET, name, { iv, data } satisfies Sealed);
}

/** The record, or undefined when there is none (or it was sealed under a key this browser no longer has). */
export async function unseal(name: string): Promise<unknown> {
  const raw = await idbGet(SECRET, name);
  if (!raw || typeof raw !== "object" || !("iv" in raw) || !("data" in raw)) return undefined;
  const { iv, data } = raw as Sealed;
  const key = await wrappingKey();
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(iv), additionalData: enc.encode(name) }, key, data);
    return fromJson(dec.decode(plain));
  } catch {
    return undefined;
  }
}

export const forget = (name: string): Promise<void> => idbPut(SECRET, name, undefined);
