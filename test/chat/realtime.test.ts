import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callJson, openSocket, type SignedIn, signIn, type TestSocket } from "../helpers";

interface Msg {
  seq: number;
  clientId: string;
  senderId: string;
  text: string | null;
}

async function groupOf(n: number): Promise<{ chatId: string; people: SignedIn[] }> {
  const people = await Promise.all(Array.from({ length: n }, () => signIn()));
  const [owner, ...rest] = people as [SignedIn, ...SignedIn[]];
  const { status, body } = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
    token: owner.accessToken,
    body: { type: "group", title: "realtime", memberIds: rest.map((p) => p.user.id) },
  });
  expect(status).toBe(201);
  return { chatId: body.chat.id, people };
}

async function history(chatId: string, token: string): Promise<Msg[]> {
  const all: Msg[] = [];
  for (;;) {
    const after = all.at(-1)?.seq ?? 0;
    const { body } = await callJson<{ messages: Msg[] }>(`/api/v1/chats/${chatId}/messages?after=${after}&limit=200`, { token });
    all.push(...body.messages);
    if (body.messages.length < 200) return all;
  }
}

const messageSeqs = (s: TestSocket) => s.frames.filter((f) => f.type === "message").map((f) => (f.message as Msg).seq);
const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("realtime delivery", () => {
  it("numbers messages 1..n with no gaps under concurrent senders, keeping each sender's order", async () => {
    const { chatId, people } = await groupOf(4);
    const sockets = await Promise.all(people.map((p) => openSocket(`/api/v1/chats/${chatId}/ws`, { token: p.accessToken })));
    const perSender = 15;
    // Three senders over their sockets, one over HTTP, all at once.
    await Promise.all([
      ...sockets.slice(0, 3).map(async (s, i) => {
        for (let k = 0; k < perSender; k++) s.send({ type: "send", clientId: `s${i}-${k}`, text: `${i}:${k}` });
        await s.next((f) => f.type === "ack" && f.clientId === `s${i}-${perSender - 1}`, 10_000);
      }),
      (async () => {
        const p = people[3] as SignedIn;
        await Promise.all(
          range(0, perSender - 1).map((k) =>
            callJson(`/api/v1/chats/${chatId}/messages`, { token: p.accessToken, body: { clientId: `h-${k}`, text: `h:${k}` } }),
          ),
        );
      })(),
    ]);
    const total = 4 * perSender;
    const log = await history(chatId, people[0]?.accessToken ?? "");
    expect(log.map((m) => m.seq)).toEqual(range(1, total));
    expect(new Set(log.map((m) => m.clientId)).size).toBe(total);
    for (let i = 0; i < 3; i++) {
      const mine = log.filter((m) => m.clientId.startsWith(`s${i}-`)).map((m) => m.text);
      expect(mine).toEqual(range(0, perSender - 1).map((k) => `${i}:${k}`));
    }
    // Every socket saw every message once, in seq order.
    for (const s of sockets) {
      await s.next((f) => f.type === "message" && (f.message as Msg).seq === total, 10_000);
      expect(messageSeqs(s)).toEqual(range(1, total));
      s.close();
    }
  });

  it("answers a retried send with the same seq and stores it once", async () => {
    const { chatId, people } = await groupOf(2);
    const [a, b] = people as [SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: a.accessToken });
    const sb = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: b.accessToken });
    sa.send({ type: "send", clientId: "dup", text: "once" });
    sa.send({ type: "send", clientId: "dup", text: "once" });
    sa.send({ type: "send", clientId: "after", text: "next" });
    await sa.next((f) => f.type === "ack" && f.clientId === "after");
    const acks = sa.frames.filter((f) => f.type === "ack");
    expect(acks).toEqual([
      { type: "ack", clientId: "dup", seq: 1, pts: 1 },
      { type: "ack", clientId: "dup", seq: 1, pts: 1 },
      { type: "ack", clientId: "after", seq: 2, pts: 2 },
    ]);
    // The same clientId over HTTP is the same message too.
    const again = await callJson<{ message: Msg }>(`/api/v1/chats/${chatId}/messages`, {
      token: a.accessToken,
      body: { clientId: "dup", text: "once" },
    });
    expect(again.status).toBe(200);
    expect(again.body.message.seq).toBe(1);
    await sb.next((f) => f.type === "message" && (f.message as Msg).seq === 2);
    expect(messageSeqs(sb)).toEqual([1, 2]);
    expect((await history(chatId, a.accessToken)).map((m) => m.clientId)).toEqual(["dup", "after"]);
    // Another sender may use the same clientId: dedupe is per sender.
    const other = await callJson<{ message: Msg }>(`/api/v1/chats/${chatId}/messages`, {
      token: b.accessToken,
      body: { clientId: "dup", text: "mine" },
    });
    expect(other.status).toBe(201);
    expect(other.body.message.seq).toBe(3);
    sa.close();
    sb.close();
  });

  it("replays exactly the missed messages on reconnect with ?after, then goes live", async () => {
    const { chatId, people } = await groupOf(2);
    const [a, b] = people as [SignedIn, SignedIn];
    for (let k = 1; k <= 5; k++)
      await callJson(`/api/v1/chats/${chatId}/messages`, { token: a.accessToken, body: { clientId: `m${k}`, text: `m${k}` } });
    const first = await openSocket(`/api/v1/chats/${chatId}/ws?after=0`, { token: b.accessToken });
    await first.next((f) => f.type === "message" && (f.message as Msg).seq === 5);
    first.close();
    await first.closed;
    for (let k = 6; k <= 8; k++)
      await callJson(`/api/v1/chats/${chatId}/messages`, { token: a.accessToken, body: { clientId: `m${k}`, text: `m${k}` } });
    const second = await openSocket(`/api/v1/chats/${chatId}/ws?after=5`, { token: b.accessToken });
    await second.next((f) => f.type === "message" && (f.message as Msg).seq === 8);
    await callJson(`/api/v1/chats/${chatId}/messages`, { token: a.accessToken, body: { clientId: "m9", text: "m9" } });
    await second.next((f) => f.type === "message" && (f.message as Msg).seq === 9);
    expect(messageSeqs(first)).toEqual([1, 2, 3, 4, 5]);
    expect(messageSeqs(second)).toEqual([6, 7, 8, 9]);
    // Without ?after a socket gets only live messages.
    const live = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: b.accessToken });
    await callJson(`/api/v1/chats/${chatId}/messages`, { token: a.accessToken, body: { clientId: "m10", text: "m10" } });
    await live.next((f) => f.type === "message");
    expect(messageSeqs(live)).toEqual([10]);
    second.close();
    live.close();
  });

  it("keeps every acknowledged message, and its sockets, across eviction", async () => {
    const { chatId, people } = await groupOf(2);
    const [a, b] = people as [SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: a.accessToken });
    const sb = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: b.accessToken });
    sa.send({ type: "send", clientId: "before", text: "before eviction" });
    await sa.next((f) => f.type === "ack" && f.clientId === "before");
    await evictDurableObject(room(chatId));
    // The hibernated sockets wake the new instance, which knows its chat and members from storage alone.
    sa.send({ type: "send", clientId: "after", text: "after eviction" });
    expect(await sa.next((f) => f.type === "ack" && f.clientId === "after")).toEqual({ type: "ack", clientId: "after", seq: 2, pts: 2 });
    await sb.next((f) => f.type === "message" && (f.message as Msg).seq === 2);
    expect(messageSeqs(sb)).toEqual([1, 2]);
    sb.send({ type: "read", seq: 2 });
    await sa.next((f) => f.type === "read" && f.userId === b.user.id && f.seq === 2);
    sa.close();
    sb.close();
  });

  it("loses nothing acknowledged when the room is torn down without warning", async () => {
    const { chatId, people } = await groupOf(2);
    const [a] = people as [SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: a.accessToken });
    for (let k = 0; k < 20; k++) sa.send({ type: "send", clientId: `k${k}`, text: `k${k}` });
    await sa.next((f) => f.type === "ack" && f.clientId === "k19");
    await abortAllDurableObjects();
    await sa.closed;
    const log = await history(chatId, a.accessToken);
    expect(log.map((m) => m.clientId)).toEqual(range(0, 19).map((k) => `k${k}`));
  });

  it("answers malformed, unknown and oversized frames with error frames and keeps the socket open", async () => {
    const { chatId, people } = await groupOf(2);
    const [a] = people as [SignedIn, SignedIn];
    const s = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: a.accessToken });
    const bad: [unknown, string][] = [
      ["{not json", "malformed_json"],
      [{ type: "explode" }, "invalid_frame"],
      [{ type: "send", text: "no client id" }, "invalid_frame"],
      [{ type: "send", clientId: "x", text: 42 }, "invalid_frame"],
      [{ type: "send", clientId: "x", text: "a".repeat(4097) }, "invalid_frame"],
      [{ type: "send", clientId: "x", text: "hi", extra: true }, "invalid_frame"],
      [{ type: "read", seq: -1 }, "invalid_frame"],
      [[1, 2, 3], "invalid_frame"],
      ["null", "invalid_frame"],
      [{ type: "send", clientId: "big", text: "x".repeat(40_000) }, "frame_too_large"],
      [{ type: "send", clientId: "empty", text: "   " }, "empty_message"],
      [{ type: "send", clientId: "r", text: "reply", replyTo: 99 }, "invalid_reply"],
    ];
    for (const [frame, code] of bad) {
      const from = s.frames.length;
      s.send(frame);
      expect(await s.next((f) => f.type === "error", 5000, from)).toMatchObject({ type: "error", code });
    }
    s.ws.send(new Uint8Array([1, 2, 3]));
    await s.next((f) => f.type === "error" && f.code === "unsupported_frame");
    // Still open and working, and none of it was stored.
    s.send({ type: "send", clientId: "ok", text: "fine" });
    expect(await s.next((f) => f.type === "ack")).toEqual({ type: "ack", clientId: "ok", seq: 1, pts: 1 });
    expect((await history(chatId, a.accessToken)).map((m) => m.clientId)).toEqual(["ok"]);
    s.close();
  });

  it("relays typing to the others, not back to the typist", async () => {
    const { chatId, people } = await groupOf(2);
    const [a, b] = people as [SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: a.accessToken });
    const sb = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: b.accessToken });
    sa.send({ type: "typing" });
    expect(await sb.next((f) => f.type === "typing")).toEqual({ type: "typing", userId: a.user.id });
    sa.send({ type: "send", clientId: "t", text: "done typing" });
    await sa.next((f) => f.type === "message");
    expect(sa.frames.some((f) => f.type === "typing")).toBe(false);
    sa.close();
    sb.close();
  });

  it("refuses a malformed ?after before the upgrade", async () => {
    const { chatId, people } = await groupOf(1);
    for (const after of ["abc", "-1", "1.5"]) {
      await expect(openSocket(`/api/v1/chats/${chatId}/ws?after=${after}`, { token: people[0]?.accessToken })).rejects.toThrow(
        /expected 101, got 400/,
      );
    }
  });

  it("refuses non-members before the upgrade", async () => {
    const { chatId } = await groupOf(2);
    const stranger = await signIn();
    await expect(openSocket(`/api/v1/chats/${chatId}/ws`, { token: stranger.accessToken })).rejects.toThrow(/expected 101, got 404/);
  });
});

/**
 * Model test: random interleavings of sends, duplicate sends, disconnects, reconnects and evictions. Each
 * client behaves as a real one: it keeps unacknowledged sends in an outbox and re-sends them after
 * reconnecting with ?after=<last seq seen>. Invariants: each client's view is a gap-free, duplicate-free
 * prefix of the room log; every acknowledged send is in the log exactly once; the log is 1..n.
 */
describe("delivery model", () => {
  type Cmd =
    | { kind: "send"; who: number }
    | { kind: "dup"; who: number }
    | { kind: "drop"; who: number }
    | { kind: "reconnect"; who: number }
    | { kind: "evict" };
  const who = fc.integer({ min: 0, max: 2 });
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    { weight: 5, arbitrary: who.map((w) => ({ kind: "send" as const, who: w })) },
    { weight: 1, arbitrary: who.map((w) => ({ kind: "dup" as const, who: w })) },
    { weight: 1, arbitrary: who.map((w) => ({ kind: "drop" as const, who: w })) },
    { weight: 1, arbitrary: who.map((w) => ({ kind: "reconnect" as const, who: w })) },
    { weight: 1, arbitrary: fc.constant({ kind: "evict" as const }) },
  );

  it("each client's view is a gap-free, duplicate-free prefix of the room log", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 25 }), async (cmds) => {
        const { chatId, people } = await groupOf(3);
        interface Client {
          token: string;
          socket: TestSocket | null;
          seen: number[];
          outbox: Map<string, string>;
          acked: Map<string, number>;
          counter: number;
        }
        const clients: Client[] = people.map((p) => ({
          token: p.accessToken,
          socket: null,
          seen: [],
          outbox: new Map(),
          acked: new Map(),
          counter: 0,
        }));
        const absorb = (c: Client) => {
          if (!c.socket) return;
          for (const f of c.socket.frames) {
            if (f.type === "message") c.seen.push((f.message as Msg).seq);
            if (f.type === "ack") {
              c.acked.set(f.clientId as string, f.seq as number);
              c.outbox.delete(f.clientId as string);
            }
          }
          c.socket.frames.length = 0;
        };
        const connect = async (c: Client) => {
          c.socket = await openSocket(`/api/v1/chats/${chatId}/ws?after=${c.seen.at(-1) ?? 0}`, { token: c.token });
          for (const [clientId, text] of c.outbox) c.socket.send({ type: "send", clientId, text });
        };
        const settle = async (c: Client) => {
          if (!c.socket) return;
          for (const clientId of c.outbox.keys()) await c.socket.next((f) => f.type === "ack" && f.clientId === clientId, 10_000);
          absorb(c);
        };
        for (const c of clients) await connect(c);

        for (const step of cmds) {
          if (step.kind === "evict") {
            await evictDurableObject(room(chatId)).catch(() => undefined);
            continue;
          }
          const c = clients[step.who] as Client;
          if (step.kind === "send" || step.kind === "dup") {
            const clientId =
              step.kind === "dup" && c.acked.size > 0 ? ([...c.acked.keys()].at(-1) as string) : `c${step.who}-${c.counter++}`;
            const text = `${step.who}/${clientId}`;
            if (step.kind === "send") c.outbox.set(clientId, text);
            c.socket?.send({ type: "send", clientId, text });
          } else if (step.kind === "drop" && c.socket) {
            absorb(c);
            c.socket.close();
            await c.socket.closed;
            c.socket = null;
          } else if (step.kind === "reconnect" && !c.socket) {
            await connect(c);
          }
        }
        // Everyone comes back and catches up.
        for (const c of clients) {
          if (!c.socket) await connect(c);
          await settle(c);
        }
        const log = await history(chatId, clients[0]?.token ?? "");
        expect(log.map((m) => m.seq)).toEqual(range(1, log.length));
        const last = log.length;
        for (const c of clients) {
          if (last > 0 && c.seen.at(-1) !== last)
            await c.socket?.next((f) => f.type === "message" && (f.message as Msg).seq === last, 10_000);
          absorb(c);
          expect(c.seen).toEqual(range(1, last));
          // Client ids are unique per client here, so each acknowledged one must be in the log once, at its seq.
          for (const [clientId, seq] of c.acked) {
            expect(log.filter((m) => m.clientId === clientId)).toHaveLength(1);
            expect(log[seq - 1]?.clientId).toBe(clientId);
          }
          c.socket?.close();
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe("batched fan-out (?batch=1)", () => {
  it("delivers the same frames, in order, as arrays to sockets that take batches and one by one to the rest", async () => {
    const { chatId, people } = await groupOf(3);
    const [a, b, c] = people as [SignedIn, SignedIn, SignedIn];
    const batched = await openSocket(`/api/v1/chats/${chatId}/ws?batch=1`, { token: b.accessToken });
    const single = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: c.accessToken });
    const sender = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: a.accessToken });
    for (let k = 1; k <= 30; k++) sender.send({ type: "send", clientId: `b${k}`, text: `burst ${k}` });
    await sender.next((f) => f.type === "ack" && f.clientId === "b30");
    await single.next((f) => f.type === "message" && (f.message as Msg).seq === 30);
    await batched.next((f) => f.type === "message" && (f.message as Msg).seq === 30);
    expect(messageSeqs(single)).toEqual(range(1, 30));
    expect(messageSeqs(batched)).toEqual(range(1, 30));
    // Arrays go only to the socket that asked for them; how many frames share a send depends on load.
    expect(single.raw.every((m) => m.startsWith("{"))).toBe(true);
    expect(batched.raw.every((m) => m.startsWith("{") || m.startsWith("["))).toBe(true);
    sender.close();
    batched.close();
    single.close();
  });

  it("replays the gap in arrays to a batch socket and goes live without a duplicate", async () => {
    const { chatId, people } = await groupOf(2);
    const [a, b] = people as [SignedIn, SignedIn];
    for (let k = 1; k <= 5; k++)
      await callJson(`/api/v1/chats/${chatId}/messages`, { token: a.accessToken, body: { clientId: `r${k}`, text: `r${k}` } });
    const s = await openSocket(`/api/v1/chats/${chatId}/ws?after=2&batch=1`, { token: b.accessToken });
    await s.next((f) => f.type === "message" && (f.message as Msg).seq === 5);
    await callJson(`/api/v1/chats/${chatId}/messages`, { token: a.accessToken, body: { clientId: "r6", text: "r6" } });
    await s.next((f) => f.type === "message" && (f.message as Msg).seq === 6);
    expect(messageSeqs(s)).toEqual([3, 4, 5, 6]);
    expect(s.raw[0]?.startsWith("[")).toBe(true);
    s.close();
  });

  it("refuses a batch value other than 1", async () => {
    const { chatId, people } = await groupOf(1);
    await expect(openSocket(`/api/v1/chats/${chatId}/ws?batch=yes`, { token: people[0]?.accessToken })).rejects.toThrow(/got 400/);
  });
});
