// Issue 11: clients that connect with ?pts= while changes are streaming in: nothing slips between the replay
// and the live frames, and nothing comes twice, for room sockets (with and without ?batch=1) and inboxes.
import { describe, expect, it } from "vitest";
import { call, callJson, newChat, openSocket, type SignedIn, signInMany, type TestSocket } from "../helpers";
import { changesOf, currentPts, group, ok, ptsOf, range, type SyncChat, sendBurst, sendOver, untilPts } from "./sync-support";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("connecting while a room streams", () => {
  it("gives every reader each change after its pts exactly once, whenever it connects", { timeout: 60_000 }, async () => {
    const { chat, people } = await group(4, "гонка");
    const [a, b, c, d] = people as [SignedIn, SignedIn, SignedIn, SignedIn];
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    const sb = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: b.accessToken });
    const first = await sendOver(sa, "seed", "начало");
    // Two senders over sockets and reactions over HTTP, all at once…
    const streaming = Promise.all([
      sendBurst(
        sa,
        range(1, 150).map((k) => `a${k}`),
      ),
      sendBurst(
        sb,
        range(1, 150).map((k) => `b${k}`),
      ),
      (async () => {
        for (let k = 0; k < 20; k++) {
          const path = `/api/v1/chats/${chat.id}/messages/1/reactions/${encodeURIComponent(k % 2 ? "👍" : "🎉")}`;
          expect((await call(path, { method: k % 4 < 2 ? "PUT" : "DELETE", token: c.accessToken })).status).toBe(204);
        }
      })(),
    ]);
    // …while readers connect from whatever pts they had, one every few milliseconds.
    const readers: { from: number; socket: TestSocket }[] = [];
    for (let i = 0; i < 8; i++) {
      const now = await currentPts(d.accessToken, chat.id);
      const from = i % 3 === 0 ? chat.pts : Math.max(chat.pts, now - (i % 2 ? 0 : 7));
      const query = i % 2 ? `?pts=${from}&batch=1` : `?pts=${from}`;
      readers.push({ from, socket: await openSocket(`/api/v1/chats/${chat.id}/ws${query}`, { token: d.accessToken }) });
      await sleep(5);
    }
    await streaming;
    const last = await currentPts(d.accessToken, chat.id);
    expect(last).toBe((first.pts as number) + 300 + 20);
    // Readers that connected once the stream was over have nothing to get (they are checked all the same).
    expect(readers.filter((r) => r.from > chat.pts + 1 && r.from < last).length).toBeGreaterThan(0);
    for (const { from, socket } of readers) {
      if (from < last) await untilPts(socket, last);
      else await sleep(200);
      expect(ptsOf(changesOf(socket)), `a reader from ${from}`).toEqual(range(from + 1, last));
      expect(socket.frames.filter((f) => f.type === "too_long")).toEqual([]);
      socket.close();
    }
    sa.close();
    sb.close();
  });
});

describe("connecting while an inbox streams", () => {
  it("gives each reconnecting device the chats' current state and every later change, pts always rising", { timeout: 60_000 }, async () => {
    const [u, ...others] = await signInMany(4);
    const chats = await Promise.all(others.map((o) => newChat(o.accessToken, { type: "direct", userId: u.user.id })));
    const start = (await ok(callJson<{ pts: number }>("/api/v1/chats", { token: u.accessToken }), 200)).pts;
    const senders = await Promise.all(
      chats.map((ch, i) => openSocket(`/api/v1/chats/${ch.id}/ws`, { token: (others[i] as SignedIn).accessToken })),
    );
    const streaming = Promise.all(
      senders.map(async (s, i) => {
        for (let k = 1; k <= 20; k++) {
          await sendOver(s, `x${i}-${k}`, `сообщение ${k}`);
          await sleep(60);
        }
      }),
    );
    const devices: { from: number; socket: TestSocket }[] = [];
    for (let i = 0; i < 6; i++) {
      const from = i % 2 ? start : (await ok(callJson<{ pts: number }>("/api/v1/chats", { token: u.accessToken }), 200)).pts;
      devices.push({ from, socket: await openSocket(`/api/v1/inbox/ws?pts=${from}`, { token: u.accessToken }) });
      await sleep(200);
    }
    await streaming;
    let list = await ok(callJson<{ chats: SyncChat[]; pts: number }>("/api/v1/chats", { token: u.accessToken }), 200);
    await expect
      .poll(
        async () => {
          list = await ok(callJson<{ chats: SyncChat[]; pts: number }>("/api/v1/chats", { token: u.accessToken }), 200);
          return list.chats.map((c) => c.unreadCount);
        },
        { timeout: 2000, interval: 50 },
      )
      .toEqual([20, 20, 20]);
    for (const { from, socket } of devices) {
      await socket.next((f) => f.pts === list.pts, 5000);
      const pts = socket.frames.map((f) => f.pts as number);
      expect(
        pts.every((p, i) => p > (i === 0 ? from : (pts[i - 1] as number))),
        `pts from ${from}: ${pts.join(",")}`,
      ).toBe(true);
      const state = new Map<string, SyncChat>();
      for (const f of socket.frames) if (f.type === "chat") state.set((f.chat as SyncChat).id, f.chat as SyncChat);
      for (const c of list.chats) expect(state.get(c.id)).toEqual(c);
      socket.close();
    }
    for (const s of senders) s.close();
  });
});
