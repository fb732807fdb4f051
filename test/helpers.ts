import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const BASE = "http://veche.test";

let phoneCounter = 0;
const phoneRun = Math.floor(Math.random() * 100);
/**
 * A fresh, valid Russian mobile number, unique within a test file (each file has its own D1). The operator
 * code is fixed: not every +7 9xx range is allocated (+7 930 0… is not), and sign-in refuses numbers that
 * cannot take an SMS, so a random code failed a whole file about once in a thousand runs.
 */
export function freshPhone(): string {
  phoneCounter += 1;
  return `+7916${String(phoneRun).padStart(2, "0")}${String(phoneCounter).padStart(5, "0")}`;
}

let addressCounter = 0;
/** A distinct client address per call, so per-address rate limits do not couple unrelated tests. */
export function freshAddress(): string {
  addressCounter += 1;
  return `198.51.${Math.floor(addressCounter / 250) % 250}.${(addressCounter % 250) + 1}`;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  token?: string;
  headers?: Record<string, string>;
}

/** Calls the Worker through its real fetch handler, as a client over HTTP would. */
export function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return exports.default.fetch(new Request(BASE + path, { method: opts.method ?? (body ? "POST" : "GET"), headers, body }));
}

export async function callJson<T = Record<string, unknown>>(
  path: string,
  opts: CallOptions = {},
): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(path, opts);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, res };
}

/** Asserts an RFC 9457 problem with the given status and code, and returns it. */
export async function expectProblem(res: Response, status: number, code: string) {
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code });
  expect(res.status).toBe(status);
  expect(typeof body.type).toBe("string");
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  return body;
}

export async function requestCode(phone: string, address = freshAddress()): Promise<string> {
  const sent = await call("/api/v1/auth/otp", { body: { phone }, headers: { "cf-connecting-ip": address } });
  expect(sent.status).toBe(202);
  const { status, body } = await callJson<{ code: string }>(`/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
  expect(status).toBe(200);
  return body.code;
}

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  user: { id: string; phone: string; displayName: string | null; username: string | null };
  phone: string;
}

/** Signs a new (or existing) citizen in through the public flow. */
export async function signIn(phone = freshPhone(), deviceName = "test device"): Promise<SignedIn> {
  const code = await requestCode(phone);
  const { status, body } = await callJson<Omit<SignedIn, "phone">>("/api/v1/auth/verify", { body: { phone, code, deviceName } });
  expect(status).toBe(200);
  return { ...body, phone };
}

/** A client's WebSocket with every frame it received, in order. */
export interface TestSocket {
  ws: WebSocket;
  /** Every frame, with batches (JSON arrays) unpacked, in order. */
  frames: Record<string, unknown>[];
  /** Every WebSocket message as received. */
  raw: string[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  /** Resolves with the first frame (at or after index `from`) that matches, or fails after `ms`. */
  next(match: (f: Record<string, unknown>) => boolean, ms?: number, from?: number): Promise<Record<string, unknown>>;
  close(): void;
}

/** Opens a WebSocket through the Worker's real fetch handler, as a client would. */
export async function openSocket(path: string, opts: { token?: string } = {}): Promise<TestSocket> {
  const headers: Record<string, string> = { upgrade: "websocket" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await call(path, { headers });
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected 101, got ${res.status}: ${await res.text()}`);
  const ws = res.webSocket;
  const frames: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (e) => {
      resolve({ code: e.code, reason: e.reason });
      for (const w of waiters) w();
    });
  });
  ws.addEventListener("message", (e) => {
    raw.push(String(e.data));
    const parsed = JSON.parse(String(e.data));
    frames.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    for (const w of waiters) w();
  });
  ws.accept();
  return {
    ws,
    frames,
    raw,
    closed,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    close: () => ws.close(1000, "bye"),
    next(match, ms = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.slice(from).find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(frames)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

// ---- chats and messages (test/chat) ----

export interface MessageView {
  id: string;
  chatId: string;
  seq: number;
  senderId: string;
  clientId: string;
  text: string | null;
  attachments: string[];
  replyTo: number | null;
  forwardOf: { chatId: string; seq: number; senderId: string } | null;
  mentions: string[];
  reactions: { emoji: string; count: number; userIds: string[] }[];
  pinned: boolean;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

export interface ChatView {
  id: string;
  type: "direct" | "group" | "channel" | "official";
  title: string | null;
  memberCount: number;
  role: "owner" | "admin" | "member";
  lastSeq: number;
  unreadCount: number;
  unreadMention?: boolean;
  lastMessage: MessageView | null;
}

let nameCounter = 0;
/** A username no other test of this run uses. */
export function freshUsername(prefix = "u"): string {
  nameCounter += 1;
  return `${prefix}${Date.now().toString(36)}${nameCounter}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
}

/** Signs a new citizen in and sets their profile through PATCH /api/v1/me. */
export async function signInWithProfile(profile: { displayName?: string; username?: string }): Promise<SignedIn> {
  const user = await signIn();
  const { status, body } = await callJson<{ user: SignedIn["user"] }>("/api/v1/me", {
    method: "PATCH",
    token: user.accessToken,
    body: profile,
  });
  expect(status).toBe(200);
  return { ...user, user: { ...user.user, ...body.user } };
}

/** Creates (or, for an existing direct chat, finds) a chat and returns it. */
export async function newChat(token: string, body: Record<string, unknown>): Promise<ChatView> {
  const res = await callJson<{ chat: ChatView }>("/api/v1/chats", { token, body });
  expect([200, 201]).toContain(res.status);
  return res.body.chat;
}

/** Posts a text message over HTTP and expects it stored (201). */
export async function postText(token: string, chatId: string, text: string, clientId: string = crypto.randomUUID()): Promise<MessageView> {
  const res = await callJson<{ message: MessageView }>(`/api/v1/chats/${chatId}/messages`, { token, body: { clientId, text } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
}

/** A page of a chat's history as the caller sees it. */
export async function historyOf(token: string, chatId: string, query = ""): Promise<MessageView[]> {
  const res = await callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chatId}/messages${query}`, { token });
  expect(res.status).toBe(200);
  return res.body.messages;
}

/** The caller's chat list. */
export async function chatList(token: string): Promise<ChatView[]> {
  const res = await callJson<{ chats: ChatView[] }>("/api/v1/chats", { token });
  expect(res.status).toBe(200);
  return res.body.chats;
}

type Tuple<T, N extends number, R extends T[] = []> = R["length"] extends N ? R : Tuple<T, N, [...R, T]>;

/** Signs in `n` new citizens at once. */
export function signInMany<N extends number>(n: N): Promise<Tuple<SignedIn, N>> {
  return Promise.all(Array.from({ length: n }, () => signIn())) as Promise<Tuple<SignedIn, N>>;
}

export interface TestAgency {
  agency: { id: string; name: string };
  clientId: string;
  clientSecret: string;
  /** The key of the `Veche-Signature` on its webhooks. */
  webhookSecret: string;
  /** An agency access token with all scopes. */
  token: string;
}

/** Registers an agency through the dev endpoint and signs it in with its client credentials. */
export async function newAgency(name = "Ведомство (тест)", opts: { webhookUrl?: string } = {}): Promise<TestAgency> {
  const created = await callJson<{ agency: { id: string; name: string }; clientId: string; clientSecret: string; webhookSecret: string }>(
    "/api/v1/dev/agencies",
    { body: { name, ...opts } },
  );
  expect(created.status).toBe(201);
  const token = await callJson<{ accessToken: string }>("/api/v1/agency/token", {
    body: { clientId: created.body.clientId, clientSecret: created.body.clientSecret },
  });
  expect(token.status).toBe(200);
  return { ...created.body, token: token.body.accessToken };
}
