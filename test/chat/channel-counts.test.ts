// Issue 13: a channel's reactions and views are counted and sent as counts once per tick (contract v1.1 "Sync":
// `{ type: "reactions", seq, reactions: [{ emoji, count }], pts }`), never one frame per subscriber's tap or
// read; and a subscriber made admin is moved off its relay to the room, where it can post. vitest.config.ts
// lowers the relay thresholds: a channel of more than 20 members has relays.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { relayIndex } from "../../src/chat/relay/plan";
import { call, callJson, newChat, openSocket, postText, type SignedIn, signIn, type TestSocket } from "../helpers";
import { allChangesSince, currentPts, type Frame, sendOver } from "./sync-support";

const roomOf = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const relayOf = (chatId: string, index: number) => env.CHAT_RELAY.get(env.CHAT_RELAY.idFromName(`${chatId}#${index}`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bigChannel(n = 23): Promise<{ chatId: string; owner: SignedIn; subs: SignedIn[]; pts: number }> {
  const [owner, ...subs] = await Promise.all(Array.from({ length: n + 1 }, () => signIn()));
  if (!owner) throw new Error("no owner");
  const chat = await newChat(owner.accessToken, { type: "channel", title: "Новости района", memberIds: subs.map((s) => s.user.id) });
  return { chatId: chat.id, owner, subs, pts: await currentPts(owner.accessToken, chat.id) };
}

const react = (token: string, chatId: string, seq: number, emoji: string, on = true) =>
  call(`/api/v1/chats/${chatId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`, { method: on ? "PUT" : "DELETE", token });

type Counts = Array<{ emoji: string; count: number }>;
const countsFrames = (s: TestSocket, seq: number) => s.frames.filter((f) => f.type === "reactions" && f.seq === seq);
/** A counts frame as emoji → count (the order is the first reaction's time, which concurrent taps leave open). */
const tally = (f: Frame) => Object.fromEntries((f.reactions as Counts).map((r) => [r.emoji, r.count]));
/** Waits for a `reactions` frame for `seq` with exactly these counts. */
const untilCounts = (s: TestSocket, seq: number, counts: Record<string, number>) =>
  s.next((f) => f.type === "reactions" && f.seq === seq && sorted(tally(f)) === sorted(counts), 10_000);
const sorted = (counts: Record<string, number>) => JSON.stringify(Object.entries(counts).sort());

interface Post {
  seq: number;
  views?: number;
  reactions: Array<{ emoji: string; count: number; userIds: string[] }>;
}
async function postsAs(token: string, chatId: string): Promise<Post[]> {
  const res = await callJson<{ messages: Post[] }>(`/api/v1/chats/${chatId}/messages`, { token });
  expect(res.status).toBe(200);
  return res.body.messages;
}

describe("a channel's reactions", () => {
  it("reach every socket as counts per tick, never one frame per subscriber's tap", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const own = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: owner.accessToken });
    const watching = await Promise.all(
      subs.slice(0, 4).map((s) => openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: s.accessToken })),
    );
    const { seq } = await postText(owner.accessToken, chatId, "Дорогу на Лесной откроют в пятницу");

    // Twelve taps at once from twelve subscribers, and three hearts.
    const taps = [
      ...subs.slice(0, 12).map((s) => react(s.accessToken, chatId, seq, "👍")),
      ...subs.slice(12, 15).map((s) => react(s.accessToken, chatId, seq, "❤️")),
    ];
    for (const res of await Promise.all(taps)) expect(res.status).toBe(204);
    for (const s of [own, ...watching]) {
      const got = tally(
        await s.next((f) => f.type === "reactions" && f.seq === seq && tally(f)["👍"] === 12 && tally(f)["❤️"] === 3, 10_000),
      );
      expect(got).toEqual({ "👍": 12, "❤️": 3 });
      // No per-tap frames, and a handful of count frames at most (one per tick while taps arrive).
      expect(s.frames.filter((f) => f.type === "reaction")).toEqual([]);
      expect(countsFrames(s, seq).length).toBeLessThanOrEqual(3);
    }

    // Read over HTTP: the counts, and `userIds` names only the reader, if they reacted.
    const [mine] = (await postsAs(subs[0]?.accessToken ?? "", chatId)).filter((p) => p.seq === seq);
    expect(mine?.reactions.find((r) => r.emoji === "👍")).toEqual({ emoji: "👍", count: 12, userIds: [subs[0]?.user.id] });
    expect(mine?.reactions.find((r) => r.emoji === "❤️")).toEqual({ emoji: "❤️", count: 3, userIds: [] });
    const [theirs] = (await postsAs(subs[20]?.accessToken ?? "", chatId)).filter((p) => p.seq === seq);
    expect(theirs?.reactions.every((r) => r.userIds.length === 0)).toBe(true);

    // A reaction taken back is counted down; the change log replays the counts for a client that was away.
    expect((await react(subs[0]?.accessToken ?? "", chatId, seq, "👍", false)).status).toBe(204);
    const live = await untilCounts(own, seq, { "👍": 11, "❤️": 3 });
    const replay = (await allChangesSince(owner.accessToken, chatId, pts)).changes.filter((f) => f.type === "reactions");
    expect(replay.at(-1)).toEqual(live);
    for (const s of [own, ...watching]) s.close();
  });

  it("still go out when the room is evicted between the tap and its tick", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const { seq } = await postText(owner.accessToken, chatId, "Опрос: нужен ли сквер?");
    expect((await react(subs[3]?.accessToken ?? "", chatId, seq, "🔥")).status).toBe(204);
    // Before the tick: the room forgets everything in memory.
    await evictDurableObject(roomOf(chatId));
    await currentPts(owner.accessToken, chatId); // wakes it
    await sleep(1_500);
    const counts = (await allChangesSince(owner.accessToken, chatId, pts)).changes.filter((f) => f.type === "reactions");
    expect(counts).toEqual([expect.objectContaining({ seq, reactions: [{ emoji: "🔥", count: 1 }] })]);
  });

  it("stay per-person frames in groups, where everyone sees who reacted", async () => {
    const [a, b] = await Promise.all([signIn(), signIn()]);
    if (!a || !b) throw new Error("no people");
    const chat = await newChat(a.accessToken, { type: "group", title: "Соседи", memberIds: [b.user.id] });
    const socket = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    const { seq } = await postText(a.accessToken, chat.id, "Кто за субботник?");
    expect((await react(b.accessToken, chat.id, seq, "👍")).status).toBe(204);
    expect(await socket.next((f) => f.type === "reaction")).toMatchObject({ seq, emoji: "👍", userId: b.user.id, on: true });
    const [post] = (await postsAs(a.accessToken, chat.id)).filter((p) => p.seq === seq);
    expect(post?.reactions).toEqual([{ emoji: "👍", count: 1, userIds: [b.user.id] }]);
    expect(post?.views).toBeUndefined();
    socket.close();
  });
});

describe("a channel's views", () => {
  it("count the subscribers whose read marker reached a post, live per tick and over HTTP", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const own = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: owner.accessToken });
    const first = await postText(owner.accessToken, chatId, "Первый пост");
    const second = await postText(owner.accessToken, chatId, "Второй пост");
    const read = (s: SignedIn, seq: number) =>
      call(`/api/v1/chats/${chatId}/read`, { method: "POST", token: s.accessToken, body: { seq } });
    // Five read both posts, three only the first; moving a marker again does not count twice.
    for (const s of subs.slice(0, 5)) expect((await read(s, second.seq)).status).toBe(204);
    for (const s of subs.slice(5, 8)) expect((await read(s, first.seq)).status).toBe(204);
    for (const s of subs.slice(0, 2)) expect((await read(s, second.seq)).status).toBe(204);
    // The owner's own marker is at the second post (posting reads it): 6 and 9.
    const views = await own.next((f) => {
      if (f.type !== "views") return false;
      const v = new Map((f.views as Array<{ seq: number; count: number }>).map((x) => [x.seq, x.count]));
      return v.get(first.seq) === 9 && v.get(second.seq) === 6;
    }, 10_000);
    expect(views).not.toHaveProperty("pts");
    const posts = await postsAs(subs[10]?.accessToken ?? "", chatId);
    expect(posts.find((p) => p.seq === first.seq)?.views).toBe(9);
    expect(posts.find((p) => p.seq === second.seq)?.views).toBe(6);
    // Views are not changes: nothing in the change log, no pts spent on them.
    expect((await allChangesSince(owner.accessToken, chatId, pts)).changes.map((f) => f.type)).toEqual(["message", "message"]);
    own.close();
  });

  it("reach subscribers' sockets on relays too", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const sub = subs[0];
    if (!sub) throw new Error("no subscriber");
    const socket = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: sub.accessToken });
    expect(await relayOf(chatId, relayIndex(chatId, sub.user.id, 4)).socketCount()).toBe(1);
    const { seq } = await postText(owner.accessToken, chatId, "Новость");
    await call(`/api/v1/chats/${chatId}/read`, { method: "POST", token: subs[1]?.accessToken, body: { seq } });
    const frame = await socket.next((f) => f.type === "views", 10_000);
    expect(frame.views).toContainEqual({ seq, count: 2 });
    socket.close();
  });
});

describe("a subscriber made admin", () => {
  it("is moved off its relay to the room and posts over its reconnected socket", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const sub = subs[0];
    if (!sub) throw new Error("no subscriber");
    const relay = relayOf(chatId, relayIndex(chatId, sub.user.id, 4));
    const before = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: sub.accessToken });
    expect(await relay.socketCount()).toBe(1);
    const promoted = await call(`/api/v1/chats/${chatId}/members/${sub.user.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { role: "admin" },
    });
    expect(promoted.status).toBe(200);
    expect((await before.closed).code).toBe(4005);
    const after = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: sub.accessToken });
    expect(await relay.socketCount()).toBe(0);
    await sendOver(after, "from-new-admin", "Теперь и я пишу в канал");
    // Demoted again: back to a relay.
    await call(`/api/v1/chats/${chatId}/members/${sub.user.id}`, { method: "PATCH", token: owner.accessToken, body: { role: "member" } });
    expect((await after.closed).code).toBe(4005);
    const again = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: sub.accessToken });
    expect(await relay.socketCount()).toBe(1);
    again.close();
  });
});
