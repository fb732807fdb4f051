// Issue 11: evicting a chat's room or a user's inbox in the middle of a stream of changes loses nothing; a
// client that reconnects with ?pts= has everything, numbered consecutively.
import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, newChat, openSocket, postText, type SignedIn, signInMany, type TestSocket } from "../helpers";
import {
  allChangesSince,
  changesOf,
  type Frame,
  fullHistory,
  group,
  ok,
  ptsOf,
  range,
  type SyncChat,
  sendBurst,
  sendOver,
  untilPts,
} from "./sync-support";

const roomOf = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const inboxOf = (userId: string) => env.INBOX.get(env.INBOX.idFromName(userId));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const listOf = (u: SignedIn) => ok(callJson<{ chats: SyncChat[]; pts: number }>("/api/v1/chats", { token: u.accessToken }), 200);

describe("evicting a room mid-stream", () => {
  it("loses no change: the live socket and a reconnecting one both end with every pts once, in order", async () => {
    const { chat, people } = await group(3, "выселение");
    const [a, b, c] = people as [SignedIn, SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    const live = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: c.accessToken });
    let sb = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: b.accessToken });
    const seenByB: Frame[] = [];

    // A stream of sends; the room is evicted while it is still going.
    const burst = sendBurst(
      sa,
      range(1, 40).map((k) => `e${k}`),
    );
    await sa.next((f) => f.type === "ack" && f.clientId === "e10", 10_000);
    await evictDurableObject(roomOf(chat.id));
    await burst;
    // b drops, changes of other kinds go on over HTTP, the room is evicted again while b is away.
    sb.close();
    await sb.closed;
    seenByB.push(...changesOf(sb));
    await postText(c.accessToken, chat.id, "по HTTP");
    expect(
      (await call(`/api/v1/chats/${chat.id}/messages/3/reactions/${encodeURIComponent("👍")}`, { method: "PUT", token: c.accessToken }))
        .status,
    ).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 41 } })).status).toBe(204);
    await evictDurableObject(roomOf(chat.id));
    await ok(
      callJson(`/api/v1/chats/${chat.id}/messages/2`, { method: "PATCH", token: a.accessToken, body: { text: "после выселения" } }),
      200,
    );
    const lastSeen = (seenByB.at(-1)?.pts as number | undefined) ?? chat.pts;
    sb = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${lastSeen}`, { token: b.accessToken });

    const now = chat.pts + 40 + 4;
    await untilPts(sb, now);
    seenByB.push(...changesOf(sb));
    expect(ptsOf(seenByB)).toEqual(range(chat.pts + 1, now));
    await untilPts(live, now);
    expect(ptsOf(changesOf(live))).toEqual(range(chat.pts + 1, now));
    // The two saw the same frames: a replay shows each change as it was sent (only deletions rewrite earlier frames).
    expect(seenByB).toEqual(changesOf(live));
    const log = await fullHistory(a.accessToken, chat.id);
    expect(log.map((m) => m.seq)).toEqual(range(1, 41));
    expect(log.filter((m) => m.clientId.startsWith("e")).map((m) => m.clientId)).toEqual(range(1, 40).map((k) => `e${k}`));
    expect((await allChangesSince(b.accessToken, chat.id, chat.pts)).changes).toEqual(changesOf(live));
    for (const s of [sa, sb, live]) s.close();
  });
});

describe("evicting a room during a long replay", () => {
  it("leaves a client that reconnects from its last pts with every change once", { timeout: 60_000 }, async () => {
    const { chat, people } = await group(3, "длинная история");
    const [a, b, c] = people as [SignedIn, SignedIn, SignedIn];
    const senders = await Promise.all([a, b].map((p) => openSocket(`/api/v1/chats/${chat.id}/ws`, { token: p.accessToken })));
    await Promise.all(
      senders.map((s, i) =>
        sendBurst(
          s,
          range(1, 300).map((k) => `r${i}-${k}`),
        ),
      ),
    );
    const last = chat.pts + 600;
    // The reader starts from the beginning; the room is evicted while the replay is on its way.
    const seen: Frame[] = [];
    let reader = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: c.accessToken });
    await reader.next((f) => f.type === "message");
    await evictDurableObject(roomOf(chat.id));
    // Whether the socket stays open or not, a client continues from the last pts it has.
    for (let attempt = 0; attempt < 3; attempt++) {
      const done = await Promise.race([untilPts(reader, last, 5000).then(() => true), reader.closed.then(() => false)]).catch(() => false);
      seen.push(...changesOf(reader, (seen.at(-1)?.pts as number | undefined) ?? chat.pts));
      if (done) break;
      reader.close();
      reader = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${(seen.at(-1)?.pts as number | undefined) ?? chat.pts}`, {
        token: c.accessToken,
      });
    }
    expect(ptsOf(seen)).toEqual(range(chat.pts + 1, last));
    for (const s of [...senders, reader]) s.close();
  });
});

describe("evicting a room right after a send", () => {
  it("still gets offline members' unread counts exact within 2 s of the ack", async () => {
    const { chat, people } = await group(3, "сразу");
    const [a, off1, off2] = people as [SignedIn, SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    // A first push, so the next one waits out the coalescing interval.
    await sendOver(sa, "warm", "разогрев");
    await sendBurst(sa, ["k1", "k2", "k3", "k4"]);
    const acked = Date.now();
    await evictDurableObject(roomOf(chat.id));
    for (const u of [off1, off2]) {
      await expect
        .poll(async () => (await listOf(u)).chats.find((c) => c.id === chat.id), {
          timeout: Math.max(0, 2000 - (Date.now() - acked)),
          interval: 50,
        })
        .toMatchObject({ lastSeq: 5, unreadCount: 5, lastMessage: { seq: 5 } });
    }
    sa.close();
  });
});

describe("a room torn down without warning right after a send", () => {
  it("still gets offline members' chat lists right once it is running again", async () => {
    const { chat, people } = await group(2, "обрыв");
    const [a, off] = people as [SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    await sendOver(sa, "first", "первое");
    // Once the first summary is in, the room coalesces: the next one waits out the rest of a second, so the
    // four sends below are acknowledged while their summary is still owed when the room is torn down.
    await expect
      .poll(async () => (await listOf(off)).chats.find((c) => c.id === chat.id)?.lastSeq, { timeout: 2000, interval: 20 })
      .toBe(1);
    await sendBurst(sa, ["k1", "k2", "k3", "k4"]);
    await abortAllDurableObjects();
    await sa.closed;
    // Everything acknowledged is stored, and reading it runs the room again…
    expect((await fullHistory(off.accessToken, chat.id)).map((m) => m.seq)).toEqual(range(1, 5));
    // …so the summaries it owed the members' inboxes arrive (allowing the 2 s of the contract, and 3 s more).
    await expect
      .poll(async () => (await listOf(off)).chats.find((c) => c.id === chat.id), { timeout: 5000, interval: 100 })
      .toMatchObject({ lastSeq: 5, unreadCount: 5, lastMessage: { seq: 5 } });
  });
});

describe("evicting an inbox mid-stream", () => {
  it("loses no chat-list change: the live inbox socket sees every pts, a reconnecting one catches up", async () => {
    const [u, v] = await signInMany(2);
    const one = await newChat(v.accessToken, { type: "group", title: "первый", memberIds: [u.user.id] });
    const two = await newChat(v.accessToken, { type: "direct", userId: u.user.id });
    const start = await listOf(u);
    const live = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: u.accessToken });
    const phone = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: u.accessToken });
    const sockets = await Promise.all([one, two].map((chat) => openSocket(`/api/v1/chats/${chat.id}/ws`, { token: v.accessToken })));

    // Both chats get a message every 100 ms for 2.5 s (summaries reach the inbox at most once a second per
    // room), while the inbox is evicted every 400 ms whenever it is running; the phone drops on the way.
    let streaming = true;
    const streams = sockets.map(async (s, i) => {
      for (let k = 1; k <= 25; k++) {
        await sendOver(s, `i${i}-${k}`, `поток ${i}/${k}`);
        await sleep(100);
      }
    });
    let evictions = 0;
    const evicting = (async () => {
      while (streaming) {
        await sleep(400);
        try {
          await evictDurableObject(inboxOf(u.user.id));
          evictions += 1;
        } catch (err) {
          // Between two pushes the inbox may not be running at all: nothing to evict then.
          if (!/not currently running/.test(String(err))) throw err;
        }
      }
    })();
    await (sockets[0] as TestSocket).next((f) => f.type === "ack" && f.clientId === "i0-8", 10_000);
    phone.close();
    await phone.closed;
    const phoneSeen = [...phone.frames];
    await Promise.all(streams);
    streaming = false;
    await evicting;
    expect(evictions).toBeGreaterThan(0);
    // Unread counts exact within 2 s despite the evictions.
    await expect
      .poll(async () => (await listOf(u)).chats.map((c) => [c.id, c.lastSeq, c.unreadCount]).sort(), { timeout: 2000, interval: 50 })
      .toEqual(
        [
          [one.id, 25, 25],
          [two.id, 25, 25],
        ].sort(),
      );
    const now = await listOf(u);

    await live.next((f) => f.pts === now.pts, 5000);
    const livePts = live.frames.filter((f) => typeof f.pts === "number").map((f) => f.pts as number);
    expect(livePts).toEqual(range(start.pts + 1, now.pts));

    const lastPhonePts = Math.max(start.pts, ...phoneSeen.map((f) => (f.pts as number | undefined) ?? 0));
    const back = await openSocket(`/api/v1/inbox/ws?pts=${lastPhonePts}`, { token: u.accessToken });
    await back.next((f) => f.pts === now.pts, 5000);
    const state = new Map<string, SyncChat>();
    for (const f of [...phoneSeen, ...back.frames]) if (f.type === "chat") state.set((f.chat as SyncChat).id, f.chat as SyncChat);
    expect(new Map([...state].sort())).toEqual(new Map(now.chats.map((c) => [c.id, c] as const).sort()));
    expect(back.frames.some((f) => f.type === "too_long")).toBe(false);
    for (const s of [live, back, ...sockets]) s.close();
  });
});
