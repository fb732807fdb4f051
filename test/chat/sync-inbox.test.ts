// Issue 11, a user's change numbers: the chat list and service notifications caught up after being offline,
// over the inbox socket (?pts=N) and GET /updates?pts=N, and unread counts exact for members who are not
// connected at all.
import { describe, expect, it } from "vitest";
import { call, callJson, newAgency, newChat, openSocket, postText, type SignedIn, signInMany, type TestSocket } from "../helpers";
import { type Frame, ok, range, type SyncChat, sendBurst } from "./sync-support";

interface ChatList {
  chats: SyncChat[];
  pts: number;
}
interface Updates {
  chats: SyncChat[];
  removed: string[];
  notifications: Frame[];
  pts: number;
  tooLong: boolean;
}

const listOf = (u: SignedIn) => ok(callJson<ChatList>("/api/v1/chats", { token: u.accessToken }), 200);
const updatesOf = (u: SignedIn, pts: number) => ok(callJson<Updates>(`/api/v1/updates?pts=${pts}`, { token: u.accessToken }), 200);
const inboxPts = (s: TestSocket) => s.frames.filter((f) => typeof f.pts === "number" && f.type !== "too_long").map((f) => f.pts as number);
const byId = (chats: SyncChat[]) => new Map(chats.map((c) => [c.id, c]));

describe("catching up on the chat list", () => {
  it("answers GET /chats with the user's pts", async () => {
    const [a, b] = await signInMany(2);
    const empty = await listOf(a);
    expect(empty).toEqual({ chats: [], pts: expect.any(Number) });
    const chat = await newChat(b.accessToken, { type: "direct", userId: a.user.id });
    const after = await listOf(a);
    expect(after.pts).toBeGreaterThan(empty.pts);
    expect(after.chats).toMatchObject([{ id: chat.id, pts: expect.any(Number), readSeq: 0, lastSeq: 0, unreadCount: 0 }]);
  });

  it("sends new, changed and removed chats and the notifications that came while offline, over the socket and HTTP", async () => {
    const [u, v] = await signInMany(2);
    const agency = await newAgency("ФНС (тест)");
    const talk = await newChat(v.accessToken, { type: "group", title: "Разговор", memberIds: [u.user.id] });
    const leaving = await newChat(v.accessToken, { type: "group", title: "Уйдёт", memberIds: [u.user.id] });
    await postText(v.accessToken, talk.id, "до");
    const start = await listOf(u);
    // A second device of u stays connected the whole time: it sees every change with the next pts.
    const device = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: u.accessToken });
    const phone = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: u.accessToken });
    phone.close();
    await phone.closed;
    const offline = await listOf(u);
    expect(offline.pts).toBe(start.pts);

    // While the phone is off: a new chat, messages in another, a removal, a bill.
    const fresh = await newChat(v.accessToken, { type: "group", title: "Новый", memberIds: [u.user.id] });
    for (const text of ["раз", "два", "три"]) await postText(v.accessToken, talk.id, text);
    expect((await call(`/api/v1/chats/${leaving.id}/members/${u.user.id}`, { method: "DELETE", token: v.accessToken })).status).toBe(204);
    const bill = await callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
      token: agency.token,
      body: { citizenPhone: u.phone, amount: 125050, currency: "RUB", purpose: "Налог на имущество", externalRef: crypto.randomUUID() },
    });
    expect(bill.status).toBe(201);

    await expect
      .poll(
        async () => {
          const soFar = await updatesOf(u, offline.pts);
          return soFar.notifications.length > 0 && soFar.chats.some((c) => c.type === "official");
        },
        { timeout: 5000 },
      )
      .toBe(true);
    const now = await listOf(u);
    const updates = await updatesOf(u, offline.pts);
    expect(updates.pts).toBe(now.pts);
    expect(updates.tooLong).toBe(false);
    expect(updates.removed).toEqual([leaving.id]);
    const current = byId(now.chats);
    expect(current.has(leaving.id)).toBe(false);
    const official = now.chats.find((c) => c.type === "official") as SyncChat;
    expect(official).toMatchObject({ lastSeq: 1, unreadCount: 1, lastMessage: { seq: 1 } });
    // Each changed chat once, in its current state.
    expect(new Set(updates.chats.map((c) => c.id))).toEqual(new Set([fresh.id, talk.id, official.id]));
    expect(updates.chats).toHaveLength(3);
    for (const c of updates.chats) expect(c).toEqual(current.get(c.id));
    expect(current.get(talk.id)).toMatchObject({ lastSeq: 4, unreadCount: 4, readSeq: 0, lastMessage: { seq: 4, text: "три" } });
    expect(current.get(fresh.id)).toMatchObject({ title: "Новый", lastSeq: 0, unreadCount: 0, role: "member" });
    for (const n of updates.notifications) {
      expect(n).toMatchObject({ kind: expect.any(String), at: expect.any(String), pts: expect.any(Number) });
      expect(n.kind).not.toBe("");
      expect(n.pts as number).toBeGreaterThan(offline.pts);
      expect(n.pts as number).toBeLessThanOrEqual(now.pts);
    }

    // The device that stayed: every change numbered, consecutively, the last its chats' current state.
    await device.next((f) => f.pts === now.pts);
    expect(inboxPts(device)).toEqual(range(start.pts + 1, now.pts));
    const lastSeen = new Map<string, SyncChat | null>();
    for (const f of device.frames) {
      if (f.type === "chat") lastSeen.set((f.chat as SyncChat).id, f.chat as SyncChat);
      if (f.type === "chat_removed") lastSeen.set(f.chatId as string, null);
    }
    for (const [id, c] of lastSeen) expect(c).toEqual(current.get(id) ?? null);
    const liveNotes = device.frames.filter((f) => f.type === "notification").map(({ type: _t, ...n }) => n);
    expect(liveNotes).toEqual(updates.notifications);

    // The phone comes back: what changed, in pts order, then live.
    const back = await openSocket(`/api/v1/inbox/ws?pts=${offline.pts}`, { token: u.accessToken });
    await back.next((f) => f.pts === now.pts);
    const replay = [...back.frames];
    const pts = replay.map((f) => f.pts as number);
    expect(pts).toEqual([...pts].sort((a, b) => a - b));
    expect(new Set(pts).size).toBe(pts.length);
    expect(pts[0]).toBeGreaterThan(offline.pts);
    expect(replay.filter((f) => f.type === "chat_removed")).toEqual([
      { type: "chat_removed", chatId: leaving.id, pts: expect.any(Number) },
    ]);
    const replayedChats = replay.filter((f) => f.type === "chat").map((f) => f.chat as SyncChat);
    expect(replayedChats).toHaveLength(3);
    for (const c of replayedChats) expect(c).toEqual(current.get(c.id));
    expect(replay.filter((f) => f.type === "notification").map(({ type: _t, ...n }) => n)).toEqual(updates.notifications);
    expect(replay.filter((f) => !["chat", "chat_removed", "notification"].includes(f.type as string))).toEqual([]);

    await postText(v.accessToken, talk.id, "ты вернулся");
    const pushed = await back.next((f) => f.type === "chat" && f.pts === now.pts + 1);
    expect(pushed.chat).toMatchObject({ id: talk.id, lastSeq: 5, unreadCount: 5, lastMessage: { seq: 5, text: "ты вернулся" } });
    await device.next((f) => f.pts === now.pts + 1);
    expect(await updatesOf(u, now.pts + 1)).toEqual({ chats: [], removed: [], notifications: [], pts: now.pts + 1, tooLong: false });

    // A reaction on a chat's last message is no chat-list change (given the time a summary push may take).
    const settled = await listOf(u);
    const mark = device.frames.length;
    const react = `/api/v1/chats/${talk.id}/messages/5/reactions/${encodeURIComponent("🔥")}`;
    expect((await call(react, { method: "PUT", token: v.accessToken })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listOf(u)).pts).toBe(settled.pts);
    expect(device.frames.slice(mark)).toEqual([]);
    device.close();
    back.close();
  });
});

describe("unread counts of members who are not connected", () => {
  it("are exact within 2 s of the sender's last ack", async () => {
    const [sender, m1, m2] = await signInMany(3);
    const chat = await newChat(sender.accessToken, { type: "group", title: "Тихие", memberIds: [m1.user.id, m2.user.id] });
    const s = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: sender.accessToken });
    const k = 12;
    await sendBurst(
      s,
      range(1, k).map((i) => `u${i}`),
      (id) => `сообщение ${id}`,
    );
    const summary = async (who: SignedIn) => (await listOf(who)).chats.find((c) => c.id === chat.id);
    for (const m of [m1, m2]) {
      await expect
        .poll(async () => summary(m), { timeout: 2000, interval: 50 })
        .toMatchObject({ lastSeq: k, unreadCount: k, readSeq: 0, lastMessage: { seq: k, text: `сообщение u${k}` } });
    }
    await expect
      .poll(async () => summary(sender), { timeout: 2000, interval: 50 })
      .toMatchObject({ lastSeq: k, unreadCount: 0, readSeq: k });

    // One of them reads part of it over HTTP; more arrive; both counts stay exact.
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: m1.accessToken, body: { seq: 5 } })).status).toBe(204);
    expect(await summary(m1)).toMatchObject({ unreadCount: k - 5, readSeq: 5 });
    await sendBurst(s, ["v1", "v2", "v3"]);
    await expect
      .poll(async () => summary(m1), { timeout: 2000, interval: 50 })
      .toMatchObject({ lastSeq: k + 3, unreadCount: k + 3 - 5, lastMessage: { seq: k + 3 } });
    await expect
      .poll(async () => summary(m2), { timeout: 2000, interval: 50 })
      .toMatchObject({ lastSeq: k + 3, unreadCount: k + 3, lastMessage: { seq: k + 3 } });
    s.close();
  });

  it("are exact for all 40 members of a group within 2 s of the last ack", { timeout: 60_000 }, async () => {
    const people = await signInMany(41);
    const [sender, ...members] = people as [SignedIn, ...SignedIn[]];
    const chat = await newChat(sender.accessToken, { type: "group", title: "Дом 7", memberIds: members.map((m) => m.user.id) });
    const s = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: sender.accessToken });
    await sendBurst(
      s,
      range(1, 10).map((k) => `g${k}`),
    );
    const acked = Date.now();
    const wrong = new Set(members.map((m) => m.user.id));
    while (wrong.size > 0 && Date.now() - acked < 2000) {
      await Promise.all(
        members
          .filter((m) => wrong.has(m.user.id))
          .map(async (m) => {
            const c = (await listOf(m)).chats.find((x) => x.id === chat.id);
            if (c?.lastSeq === 10 && c.unreadCount === 10 && c.lastMessage?.seq === 10) wrong.delete(m.user.id);
          }),
      );
    }
    expect([...wrong], `members whose list was not exact ${Date.now() - acked} ms after the ack`).toEqual([]);
    s.close();
  });

  it("are exact the moment an HTTP send or read answers (HTTP mutations wait for the push)", async () => {
    const [a, b, c] = await signInMany(3);
    const chat = await newChat(a.accessToken, { type: "group", title: "Сразу", memberIds: [b.user.id, c.user.id] });
    for (let k = 1; k <= 3; k++) {
      await postText(a.accessToken, chat.id, `по HTTP ${k}`);
      for (const u of [b, c])
        expect((await listOf(u)).chats.find((x) => x.id === chat.id)).toMatchObject({
          lastSeq: k,
          unreadCount: k,
          lastMessage: { seq: k },
        });
    }
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 2 } })).status).toBe(204);
    expect((await listOf(b)).chats.find((x) => x.id === chat.id)).toMatchObject({ readSeq: 2, unreadCount: 1 });
  });

  it("are exact in a direct chat after a single message", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    const s = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    await sendBurst(s, ["only"], () => "одно");
    await expect
      .poll(async () => (await listOf(b)).chats.find((c) => c.id === chat.id), { timeout: 2000, interval: 50 })
      .toMatchObject({ lastSeq: 1, unreadCount: 1, lastMessage: { seq: 1, text: "одно" } });
    s.close();
  });
});

describe("an inbox that no longer reaches the pts", () => {
  it("answers too_long over the socket and HTTP after more than 1,100 notifications; a pts 300 bills back replays them all", {
    timeout: 240_000,
  }, async () => {
    const [u, v] = await signInMany(2);
    const agency = await newAgency("Много счетов (тест)");
    const chat = await newChat(v.accessToken, { type: "direct", userId: u.user.id });
    const start = await listOf(u);
    // Removal markers of chats the user is back in are not kept, so the inbox is filled with notifications: bills.
    let issued = 0;
    const issue = (upTo: number) =>
      Promise.all(
        range(1, 8).map(async () => {
          while (issued < upTo) {
            issued += 1;
            const ref = `many-${issued}`;
            const res = await callJson("/api/v1/agency/bills", {
              token: agency.token,
              body: { citizenPhone: u.phone, amount: 100 + issued, currency: "RUB", purpose: "Пеня", externalRef: ref },
            });
            expect(res.status, JSON.stringify(res.body)).toBe(201);
          }
        }),
      );
    const settled = async (bills: number) => {
      await expect.poll(async () => (await listOf(u)).chats.find((c) => c.type === "official")?.lastSeq, { timeout: 10_000 }).toBe(bills);
      return listOf(u);
    };
    await issue(820);
    const mid = await settled(820);
    await issue(1120);
    const now = await settled(1120);
    expect(now.pts).toBeGreaterThanOrEqual(start.pts + 1120);

    const behind = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: u.accessToken });
    expect(await behind.next((f) => f.type === "too_long")).toEqual({ type: "too_long", pts: now.pts });
    expect(await updatesOf(u, start.pts)).toMatchObject({ pts: now.pts, tooLong: true });
    // The client reloads GET /chats (done above) and goes on live from that pts.
    await postText(v.accessToken, chat.id, "вы здесь?");
    const live = await behind.next((f) => f.type === "chat" && f.pts === now.pts + 1);
    expect(live.chat).toMatchObject({ id: chat.id, lastSeq: 1, unreadCount: 1 });
    expect(behind.frames.filter((f) => f.type !== "too_long").map((f) => f.pts)).toEqual([now.pts + 1]);

    // A pts from 300 bills ago replays every one of their notifications, in order.
    const recent = await updatesOf(u, mid.pts);
    expect(recent.tooLong).toBe(false);
    expect(recent.pts).toBe(now.pts + 1);
    const notes = recent.notifications.map((n) => n.pts as number);
    expect(notes).toHaveLength(300);
    expect(notes.every((p, i) => p > mid.pts && p <= now.pts && (i === 0 || p > (notes[i - 1] as number)))).toBe(true);
    expect(recent.notifications.every((n) => typeof n.kind === "string" && n.kind !== "")).toBe(true);
    const near = await openSocket(`/api/v1/inbox/ws?pts=${mid.pts}`, { token: u.accessToken });
    await near.next((f) => f.pts === now.pts + 1);
    expect(near.frames.some((f) => f.type === "too_long")).toBe(false);
    expect(near.frames.filter((f) => f.type === "notification").map(({ type: _t, ...n }) => n)).toEqual(recent.notifications);
    for (const s of [behind, near]) s.close();
  });
});
