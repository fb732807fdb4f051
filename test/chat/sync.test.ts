// Issue 11, a chat's change numbers: every kind of stored change is caught up after a disconnect, over the
// room socket (?pts=N) and over HTTP (/changes?pts=N), numbered consecutively and exactly as a live socket
// saw it; a client further behind than the log reaches is told `too_long`.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, type MessageView, openSocket, postText, type SignedIn, signIn } from "../helpers";
import {
  allChangesSince,
  changesOf,
  changesSince,
  chatOf,
  currentPts,
  type Frame,
  group,
  ok,
  ptsOf,
  range,
  sendBurst,
  sendOver,
  untilPts,
} from "./sync-support";

const ws = (chatId: string, query = "") => `/api/v1/chats/${chatId}/ws${query}`;
const THUMBS = encodeURIComponent("👍");

describe("catching up on a chat's changes", () => {
  it("replays every kind of change after a disconnect, over the socket and over HTTP, as the live socket saw it", async () => {
    const { chat, people } = await group(6, "Двор");
    const [owner, back, watcher, reactor, removed, leaver] = people as [SignedIn, SignedIn, SignedIn, SignedIn, SignedIn, SignedIn];
    const joiner = await signIn();
    const t = owner.accessToken;
    const live = await openSocket(ws(chat.id, `?pts=${chat.pts}`), { token: watcher.accessToken });
    const sender = await openSocket(ws(chat.id), { token: t });
    const first = await openSocket(ws(chat.id, `?pts=${chat.pts}`), { token: back.accessToken });
    const ack0 = await sendOver(sender, "m0", "первое");
    const seen = await untilPts(first, ack0.pts as number);
    expect(seen).toMatchObject({ type: "message", message: { seq: 1, text: "первое" }, pts: chat.pts + 1 });
    const left = seen.pts as number;
    first.close();
    await first.closed;

    // While `back` is away, one change of every kind.
    const acks = [await sendOver(sender, "m1", "привет"), await sendOver(sender, "m2", "исправлю"), await sendOver(sender, "m3", "удалю")];
    expect(acks.map((a) => a.seq)).toEqual([2, 3, 4]);
    expect(ptsOf(acks)).toEqual(range(left + 1, left + 3));
    await postText(t, chat.id, "по HTTP", "m4");
    await ok(callJson(`/api/v1/chats/${chat.id}/messages/3`, { method: "PATCH", token: t, body: { text: "исправил" } }), 200);
    expect((await call(`/api/v1/chats/${chat.id}/messages/4`, { method: "DELETE", token: t })).status).toBe(204);
    const reactionPath = `/api/v1/chats/${chat.id}/messages/2/reactions/${THUMBS}`;
    expect((await call(reactionPath, { method: "PUT", token: reactor.accessToken })).status).toBe(204);
    expect((await call(reactionPath, { method: "DELETE", token: reactor.accessToken })).status).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/messages/2/pin`, { method: "PUT", token: t })).status).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/messages/2/pin`, { method: "DELETE", token: t })).status).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: reactor.accessToken, body: { seq: 5 } })).status).toBe(204);
    await ok(callJson(`/api/v1/chats/${chat.id}/members`, { token: t, body: { userId: joiner.user.id } }), 201);
    const promoted = await ok(
      callJson<{ member: { userId: string; role: string } }>(`/api/v1/chats/${chat.id}/members/${joiner.user.id}`, {
        method: "PATCH",
        token: t,
        body: { role: "admin" },
      }),
      200,
    );
    expect(promoted.member).toMatchObject({ userId: joiner.user.id, role: "admin" });
    expect((await call(`/api/v1/chats/${chat.id}/members/${removed.user.id}`, { method: "DELETE", token: t })).status).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/members/${leaver.user.id}`, { method: "DELETE", token: leaver.accessToken })).status).toBe(
      204,
    );
    const renamed = await ok(
      callJson<{ chat: { title: string; pts: number } }>(`/api/v1/chats/${chat.id}`, {
        method: "PATCH",
        token: t,
        body: { title: "Двор, дом 5" },
      }),
      200,
    );
    expect(renamed.chat.title).toBe("Двор, дом 5");

    const now = await currentPts(t, chat.id);
    expect(now).toBe(left + 16);
    expect(renamed.chat.pts).toBe(now);

    // What the socket that never left saw: consecutive numbers, one frame per change.
    await untilPts(live, now);
    const seenLive = changesOf(live, left);
    expect(ptsOf(seenLive)).toEqual(range(left + 1, now));
    expect(ptsOf(changesOf(live))).toEqual(range(chat.pts + 1, now));
    expect(seenLive.map((f) => f.type)).toEqual([
      "message",
      "message",
      "message",
      "message",
      "edited",
      "deleted",
      "reaction",
      "reaction",
      "pinned",
      "pinned",
      "read",
      "member",
      "member",
      "member",
      "member",
      "chat_updated",
    ]);
    expect(seenLive.slice(4)).toMatchObject([
      { message: { seq: 3, text: "исправил", editedAt: expect.any(String) } },
      { seq: 4 },
      { seq: 2, emoji: "👍", userId: reactor.user.id, on: true },
      { seq: 2, emoji: "👍", userId: reactor.user.id, on: false },
      { seq: 2, on: true },
      { seq: 2, on: false },
      { userId: reactor.user.id, seq: 5 },
      { userId: joiner.user.id, action: "joined", role: "member", memberCount: 7 },
      { userId: joiner.user.id, action: "role_changed", role: "admin", memberCount: 7 },
      { userId: removed.user.id, action: "removed", role: null, memberCount: 6 },
      { userId: leaver.user.id, action: "left", role: null, memberCount: 5 },
      { title: "Двор, дом 5" },
    ]);
    const liveDeleted = seenLive.find((f) => f.type === "message" && (f.message as MessageView).seq === 4);
    expect(liveDeleted).toMatchObject({ message: { text: "удалю", deletedAt: null } });

    // The same frames again, except that the message deleted since replays as its tombstone.
    const [tombstone] = (
      await ok(callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chat.id}/messages?after=3&limit=1`, { token: t }), 200)
    ).messages;
    expect(tombstone).toMatchObject({ seq: 4, text: null, deletedAt: expect.any(String) });
    const expected = seenLive.map((f): Frame => (f === liveDeleted ? { ...f, message: tombstone } : f));

    const again = await openSocket(ws(chat.id, `?pts=${left}`), { token: back.accessToken });
    await untilPts(again, now);
    expect(changesOf(again)).toEqual(expected);
    // …then live, with the next number, and nothing twice.
    const next = await sendOver(sender, "m5", "я вернулся?");
    expect(next).toMatchObject({ seq: 6, pts: now + 1 });
    await untilPts(again, now + 1);
    expect(ptsOf(changesOf(again))).toEqual(range(left + 1, now + 1));
    expect(again.frames.filter((f) => f.type === "too_long")).toEqual([]);

    // Over HTTP: the same frames, the chat's current pts, in pages.
    await untilPts(live, now + 1);
    expect(await changesSince(back.accessToken, chat.id, left)).toEqual({
      changes: [...expected, changesOf(live, now)[0]],
      pts: now + 1,
      tooLong: false,
    });
    const page = await changesSince(back.accessToken, chat.id, left, 5);
    expect(page).toEqual({ changes: expected.slice(0, 5), pts: now + 1, tooLong: false });
    expect(await changesSince(back.accessToken, chat.id, now + 1)).toEqual({ changes: [], pts: now + 1, tooLong: false });
    for (const s of [live, sender, again]) s.close();
  });

  it("numbers a message's ack with its change, and adds no read change for the sender's own marker", async () => {
    const { chat, people } = await group(2);
    const [a, b] = people as [SignedIn, SignedIn];
    const sa = await openSocket(ws(chat.id), { token: a.accessToken });
    const sb = await openSocket(ws(chat.id), { token: b.accessToken });
    const ack = await sendOver(sa, "one", "раз");
    const frame = await untilPts(sb, ack.pts as number);
    expect(frame).toMatchObject({ type: "message", message: { seq: ack.seq, clientId: "one" }, pts: chat.pts + 1 });
    // The sender's marker moved with the message, without a change of its own.
    // (Chat summaries follow a socket send within 2 s.)
    await expect.poll(() => chatOf(a.accessToken, chat.id), { timeout: 2000, interval: 50 }).toMatchObject({ readSeq: 1, unreadCount: 0 });
    expect(await currentPts(a.accessToken, chat.id)).toBe(chat.pts + 1);
    // A retried send is acknowledged with the same seq and pts, and stores nothing new.
    expect(await sendOver(sa, "one", "раз")).toEqual(ack);
    // Reading what one has already read is no change either.
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: a.accessToken, body: { seq: 1 } })).status).toBe(204);
    // b's marker moving is one.
    sb.send({ type: "read", seq: 1 });
    const read = await untilPts(sa, chat.pts + 2);
    expect(read).toEqual({ type: "read", userId: b.user.id, seq: 1, pts: chat.pts + 2 });
    expect(await currentPts(a.accessToken, chat.id)).toBe(chat.pts + 2);
    sa.close();
    sb.close();
  });

  it("refuses a malformed pts, and outsiders, before answering anything", async () => {
    const { chat, people } = await group(2);
    const member = people[0]?.accessToken as string;
    for (const pts of ["abc", "-1", "1.5"]) {
      await expectProblem(await call(`/api/v1/chats/${chat.id}/changes?pts=${pts}`, { token: member }), 400, "validation_failed");
      await expect(openSocket(ws(chat.id, `?pts=${pts}`), { token: member })).rejects.toThrow(/expected 101, got 400/);
    }
    await expectProblem(await call(`/api/v1/chats/${chat.id}/changes?pts=0&limit=1001`, { token: member }), 400, "validation_failed");
    const stranger = await signIn();
    await expectProblem(await call(`/api/v1/chats/${chat.id}/changes?pts=0`, { token: stranger.accessToken }), 404, "not_found");
    await expect(openSocket(ws(chat.id, "?pts=0"), { token: stranger.accessToken })).rejects.toThrow(/expected 101, got 404/);
  });
});

describe("too_long", () => {
  it("tells a client further behind than the log reaches to reload, and still replays a recent pts exactly", {
    timeout: 180_000,
  }, async () => {
    // Six senders share the burst, so no one of them sends faster than the sending limit allows for long.
    const { chat, people } = await group(7, "поток");
    const reader = people[6] as SignedIn;
    const senders = await Promise.all(people.slice(0, 6).map((p) => openSocket(ws(chat.id), { token: p.accessToken })));
    const perSender = 200;
    await Promise.all(
      senders.map((s, i) =>
        sendBurst(
          s,
          range(1, perSender).map((k) => `s${i}-${k}`),
        ),
      ),
    );
    const total = 6 * perSender;
    const now = await currentPts(reader.accessToken, chat.id);
    expect(now).toBe(chat.pts + total);

    // From the very start: more than 1,100 changes behind.
    const behind = await openSocket(ws(chat.id, `?pts=${chat.pts}`), { token: reader.accessToken });
    expect(await behind.next((f) => f.type === "too_long")).toEqual({ type: "too_long", pts: now });
    const overHttp = await changesSince(reader.accessToken, chat.id, chat.pts);
    expect(overHttp).toMatchObject({ pts: now, tooLong: true });
    // The client reloads over HTTP and continues live from that pts.
    const history = await callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chat.id}/messages?before=${total + 1}&limit=50`, {
      token: reader.accessToken,
    });
    expect(history.body.messages.at(-1)?.seq).toBe(total);
    const ack = await sendOver(senders[0] as (typeof senders)[0], "after", "после");
    expect(ack.pts).toBe(now + 1);
    expect(await untilPts(behind, now + 1)).toMatchObject({ type: "message", message: { clientId: "after" } });
    expect(changesOf(behind)).toHaveLength(1);

    // The last 1,000 changes are all still there, over the socket and over HTTP.
    const recent = now + 1 - 1000;
    const near = await openSocket(ws(chat.id, `?pts=${recent}`), { token: reader.accessToken });
    await untilPts(near, now + 1);
    expect(ptsOf(changesOf(near))).toEqual(range(recent + 1, now + 1));
    expect(near.frames.some((f) => f.type === "too_long")).toBe(false);
    const page = await changesSince(reader.accessToken, chat.id, recent, 1000);
    expect(page.tooLong).toBe(false);
    expect(page.pts).toBe(now + 1);
    expect(page.changes).toEqual(changesOf(near));
    const all = await allChangesSince(reader.accessToken, chat.id, now - 300);
    expect(ptsOf(all.changes)).toEqual(range(now - 299, now + 1));
    // The default page is 200.
    expect((await changesSince(reader.accessToken, chat.id, recent)).changes).toHaveLength(200);
    for (const s of [...senders, behind, near]) s.close();
  });
});
