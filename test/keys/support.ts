// Helpers for the key tests: keys as a browser would make them, and the device endpoints.
import { expect } from "vitest";
import { callJson } from "../helpers";

export const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

/** A stand-in Ed25519 MLS signature public key: 32 bytes (the server checks size and encoding only). */
export const mlsKey = (): string => b64url(crypto.getRandomValues(new Uint8Array(32)));

/** A real P-256 public JWK, as a browser's WebCrypto exports it (ext, key_ops included). */
export async function holderJwk(): Promise<JsonWebKey & { x: string; y: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey & { x: string; y: string };
}

export interface DeviceView {
  id: string;
  name: string | null;
  mlsKey: string | null;
  holderKey: { kty: string; crv: string; x: string; y: string } | null;
  createdAt: string;
}

export async function putDevice(token: string, body: Record<string, unknown>): Promise<DeviceView> {
  const res = await callJson<{ device: DeviceView }>("/api/v1/me/device", { method: "PUT", token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.device;
}

export interface KeyEntry {
  seq: number;
  at: string;
  userId: string;
  deviceId: string;
  action: "added" | "revoked";
  use: "mls" | "holder";
  key: string | { kty: "EC"; crv: "P-256"; x: string; y: string };
  prevHash: string;
  hash: string;
}

export async function keyLog(token: string, userId: string): Promise<{ entries: KeyEntry[]; head: string }> {
  const res = await callJson<{ entries: KeyEntry[]; head: string }>(`/api/v1/users/${userId}/key-log`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

export async function devicesOf(token: string, userId: string): Promise<DeviceView[]> {
  const res = await callJson<{ devices: DeviceView[] }>(`/api/v1/users/${userId}/devices`, { token });
  expect(res.status).toBe(200);
  return res.body.devices;
}
