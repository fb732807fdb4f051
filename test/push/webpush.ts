// Test helpers for Web Push: a browser's subscription keys held by the test, the stand-in push service's boxes
// (test/fixtures/webhook-sink.mjs), and an independent RFC 8291 decryption written from the RFC with WebCrypto
// (HKDF as WebCrypto implements it, not the library's own HMAC steps), so a broken body fails here.
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { expect, vi } from "vitest";
import { callJson } from "../helpers";

export interface Received {
  at: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  /** base64 of the body's bytes. */
  body: string;
}

/** What a browser's PushSubscription holds: the endpoint, its ECDH key pair and auth secret. */
export interface Browser {
  box: string;
  endpoint: string;
  keyPair: CryptoKeyPair;
  p256dh: string;
  auth: string;
  authBytes: Uint8Array;
}

/** The stand-in push service, reached at a development endpoint (`http://127.0.0.1:<port>`). */
export async function newBrowser(query = ""): Promise<Browser> {
  const box = `push-${crypto.randomUUID()}`;
  const keyPair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", keyPair.publicKey)) as ArrayBuffer);
  const authBytes = crypto.getRandomValues(new Uint8Array(16));
  return {
    box,
    endpoint: `http://127.0.0.1:9/push/${box}${query}`,
    keyPair,
    p256dh: base64url.encode(raw),
    auth: base64url.encode(authBytes),
    authBytes,
  };
}

export async function subscribe(token: string, b: Browser) {
  return callJson<{ subscription: { id: string } }>("/api/v1/push/subscriptions", {
    token,
    body: { endpoint: b.endpoint, keys: { p256dh: b.p256dh, auth: b.auth } },
  });
}

export async function received(box: string): Promise<Received[]> {
  return (await env.WEBHOOK_SINK.fetch(`http://sink/boxes/${box}`)).json<Received[]>();
}

/** Waits until the box holds at least n requests. */
export function waitForPushes(box: string, n: number, timeout = 15_000): Promise<Received[]> {
  return vi.waitFor(
    async () => {
      const got = await received(box);
      expect(got.length).toBeGreaterThanOrEqual(n);
      return got;
    },
    { timeout, interval: 100 },
  );
}

const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

async function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, bytes * 8));
}

/**
 * RFC 8291 §3.4 and RFC 8188 §2: the body is salt (16) | record size (4) | key id length (1) | key id (the
 * sender's ephemeral public key, 65) | one record; the record decrypts with the CEK and nonce derived from
 * the ECDH secret and the auth secret, and ends in the last-record delimiter 0x02 followed by zero padding.
 */
export async function decrypt(b: Browser, bodyBase64: string): Promise<{ plaintext: string; recordSize: number; bodyBytes: number }> {
  const body = bytesOf(bodyBase64);
  const salt = body.slice(0, 16);
  const recordSize = new DataView(body.buffer, body.byteOffset + 16, 4).getUint32(0);
  const idLength = body[20] ?? 0;
  expect(idLength).toBe(65);
  const senderPublic = body.slice(21, 21 + idLength);
  const record = body.slice(21 + idLength);
  const senderKey = await crypto.subtle.importKey("raw", senderPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  // WebCrypto's member is `public`; workerd's generated types spell it `$public`, so no object literal here.
  const ecdh = { name: "ECDH", public: senderKey };
  const ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits(ecdh, b.keyPair.privateKey, 256));
  const uaPublic = base64url.decode(b.p256dh);
  const enc = new TextEncoder();
  const ikm = await hkdf(b.authBytes, ecdhSecret, concat(enc.encode("WebPush: info\0"), uaPublic, senderPublic), 32);
  const cek = await hkdf(salt, ikm, enc.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, enc.encode("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, record));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  expect(padded[end]).toBe(0x02);
  return { plaintext: new TextDecoder().decode(padded.slice(0, end)), recordSize, bodyBytes: body.byteLength };
}
