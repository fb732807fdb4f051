// Shared by the sync tests (issue 11): reading a chat's change log over HTTP and over room sockets, through the
// public API only.
import { expect } from "vitest";
import { callJson, type MessageView, newChat, type SignedIn, signInMany, type TestSocket } from "../helpers";

export type Frame = Record<string, unknown>;

/** Room frames that report a stored change and so carry the chat's `pts`. */
export const CHANGE_TYPES = ["message", "edited", "deleted", "reaction", "reactions", "pinned", "read", "member", "chat_updated"] as const;
export const isChange = (f: Frame): boolean => (CHANGE_TYPES as readonly string[]).includes(f.type as string);
/** The change frames a socket received (with `pts` > `after`), in the order received. */
export const changesOf = (s: TestSocket, after = 0): Frame[] => s.frames.filter((f) => isChange(f) && (f.pts as number) > after);
export const ptsOf = (frames: Frame[]): number[] => frames.map((f) => f.pts as number);
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export interface SyncChat {
  id: string;
  type: string;
  pts: number;
  readSeq: number;
  lastSeq: number;
  unreadCount: number;
  memberCount: number;
  title: string | null;
  role: string;
  lastMessage: MessageView | null;
}

/** A group of `n` new citizens; the first is its owner. */
export async function group(n: number, title = "sync"): Promise<{ chat: SyncChat; people: SignedIn[] }> {
  const people: SignedIn[] = await signInMany(n);
  const [owner, ...rest] = people as [SignedIn, ...SignedIn[]];
  const chat = (await newChat(owner.accessToken, { type: "group", title, memberIds: rest.map((p) => p.user.id) })) as unknown as SyncChat;
  return { chat, people };
}

/** GET /chats/:id as `token` sees it. */
export async function chatOf(token: string, chatId: string): Promise<SyncChat> {
  const res = await callJson<{ chat: SyncChat }>(`/api/v1/chats/${chatId}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.chat;
}

export interface ChangesPage {
  changes: Frame[];
  pts: number;
  tooLong: boolean;
}

/** One page of GET /chats/:id/changes. */
export async function changesSince(token: string, chatId: string, pts: number, limit?: number): Promise<ChangesPage> {
  const q = limit === undefined ? "" : `&limit=${limit}`;
  const res = await callJson<ChangesPage>(`/api/v1/chats/${chatId}/changes?pts=${pts}${q}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The chat's current pts, as GET /changes answers it (chat objects carry theirs as of their summary). */
export async function currentPts(token: string, chatId: string): Promise<number> {
  return (await changesSince(token, chatId, 0, 1)).pts;
}

/** Every change since `pts`, paging with the largest limit. */
export async function allChangesSince(token: string, chatId: string, pts: number): Promise<ChangesPage> {
  const changes: Frame[] = [];
  let from = pts;
  for (;;) {
    const page = await changesSince(token, chatId, from, 1000);
    if (page.tooLong) return page;
    changes.push(...page.changes);
    const last = page.changes.at(-1)?.pts as number | undefined;
    if (last === undefined || last >= page.pts) return { changes, pts: page.pts, tooLong: false };
    from = last;
  }
}

/** Waits until a socket has received the change numbered `pts`. */
export function untilPts(s: TestSocket, pts: number, ms = 10_000): Promise<Frame> {
  return s.next((f) => isChange(f) && f.pts === pts, ms);
}

/** Sends a message over a room socket and returns its ack. */
export async function sendOver(s: TestSocket, clientId: string, text: string): Promise<Frame> {
  const from = s.frames.length;
  s.send({ type: "send", clientId, text });
  const answer = await s.next((f) => (f.type === "ack" || f.type === "error") && f.clientId === clientId, 10_000, from);
  expect(answer, JSON.stringify(answer)).toMatchObject({ type: "ack", clientId });
  return answer;
}

/**
 * Sends many messages over one socket as fast as it takes them. A send refused with `rate_limited` (the
 * contract's sending limit) is sent again after its `retryAfter`, as a client would; resolves when every one
 * is acknowledged.
 */
export async function sendBurst(s: TestSocket, clientIds: string[], text = (id: string) => id): Promise<void> {
  const pending = new Set(clientIds);
  let scanned = s.frames.length;
  for (const id of clientIds) s.send({ type: "send", clientId: id, text: text(id) });
  const deadline = Date.now() + 120_000;
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} sends never acknowledged`);
    await new Promise((r) => setTimeout(r, 20));
    const fresh = s.frames.slice(scanned);
    scanned = s.frames.length;
    for (const f of fresh) {
      if (f.type === "ack") pending.delete(f.clientId as string);
      else if (f.type === "error") {
        expect(f.code, JSON.stringify(f)).toBe("rate_limited");
        const id = f.clientId as string;
        const wait = Math.ceil(((f.retryAfter as number | undefined) ?? 1) * 1000);
        setTimeout(() => s.send({ type: "send", clientId: id, text: text(id) }), wait);
      }
    }
  }
}

/** A chat's whole history as `token` sees it, ascending. */
export async function fullHistory(token: string, chatId: string): Promise<MessageView[]> {
  const all: MessageView[] = [];
  for (;;) {
    const after = all.at(-1)?.seq ?? 0;
    const res = await callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chatId}/messages?after=${after}&limit=200`, { token });
    expect(res.status).toBe(200);
    all.push(...res.body.messages);
    if (res.body.messages.length < 200) return all;
  }
}

/** Expects a 2xx answer to a call and returns its body. */
export async function ok<T = Record<string, unknown>>(p: Promise<{ status: number; body: T }>, status: number | number[]): Promise<T> {
  const res = await p;
  expect(Array.isArray(status) ? status : [status], JSON.stringify(res.body)).toContain(res.status);
  return res.body;
}
