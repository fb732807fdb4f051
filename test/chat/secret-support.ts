// Secret-chat test helpers: two people with devices, and MLS-shaped envelopes around real (AES-GCM) ciphertext
// made with a key the server never sees, so a test can look for the plaintext in every store afterwards.
import { expect } from "vitest";
import { call, callJson, type MessageView, type SignedIn, signIn } from "../helpers";
import { b64url, mlsKey, putDevice } from "../keys/support";

export interface SecretMessage extends MessageView {
  ciphertext?: string;
  mls?: "application" | "commit" | "welcome";
  epoch?: number;
  to?: string[];
  devices?: string[];
  franking?: string;
  expiresAt?: string;
}

const groupKey = crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]) as Promise<CryptoKey>;

/** Stands in for an MLS PrivateMessage: the plaintext encrypted under a key only the test holds. */
export async function encrypt(plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await groupKey, new TextEncoder().encode(plaintext)));
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return b64url(out);
}

export const randomCiphertext = (n = 200): string => b64url(crypto.getRandomValues(new Uint8Array(n)));

export interface Person {
  s: SignedIn;
  deviceId: string;
}

/** Signs someone in and publishes a device with an MLS key. */
export async function withDevice(phone?: string): Promise<Person> {
  const s = await signIn(phone);
  const device = await putDevice(s.accessToken, { mlsKey: mlsKey() });
  return { s, deviceId: device.id };
}

export async function secretChat(a: SignedIn, b: SignedIn): Promise<string> {
  const res = await callJson<{ chat: { id: string; type: string } }>("/api/v1/chats", {
    token: a.accessToken,
    body: { type: "secret", userId: b.user.id },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.chat.type).toBe("secret");
  return res.body.chat.id;
}

export const send = (token: string, chatId: string, body: Record<string, unknown>) =>
  callJson<{ message: SecretMessage; code?: string }>(`/api/v1/chats/${chatId}/messages`, {
    token,
    body: { clientId: crypto.randomUUID(), ...body },
  });

/** Sends and expects it stored. */
export async function sent(token: string, chatId: string, body: Record<string, unknown>): Promise<SecretMessage> {
  const res = await send(token, chatId, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
}

export const commit = (token: string, chatId: string, epoch: number, devices: string[]) =>
  sent(token, chatId, { ciphertext: randomCiphertext(), mls: "commit", epoch, devices });

export const application = (token: string, chatId: string, epoch: number, ciphertext = randomCiphertext()) =>
  send(token, chatId, { ciphertext, mls: "application", epoch });

export const signOut = (token: string) => call("/api/v1/auth/logout", { method: "POST", token });
