// Issue 11, channels (../shared/api-contract.md, "Sync: change numbers"): a subscriber's read marker is
// private (no frame to other subscribers, no chat pts), and posts do not move subscribers' user pts while
// their chat list still shows the channel's current state.
import { describe, expect, it } from "vitest";
import { call, callJson, newChat, openSocket, postText, type SignedIn, signInMany } from "../helpers";
import { changesOf, currentPts, ok, type SyncChat } from "./sync-support";

const listOf = (u: SignedIn) => ok(callJson<{ chats: SyncChat[]; pts: number }>("/api/v1/chats", { token: u.accessToken }), 200);

describe("channels", () => {
  it("keep a subscriber's read marker private: no frame to other subscribers, no chat pts", async () => {
    const [owner, s1, s2] = await signInMany(3);
    const channel = await newChat(owner.accessToken, { type: "channel", title: "Новости", memberIds: [s1.user.id, s2.user.id] });
    await postText(owner.accessToken, channel.id, "Первая новость");
    const before = await currentPts(s1.accessToken, channel.id);
    const other = await openSocket(`/api/v1/chats/${channel.id}/ws?pts=${before}`, { token: s2.accessToken });
    expect((await call(`/api/v1/chats/${channel.id}/read`, { token: s1.accessToken, body: { seq: 1 } })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    expect(other.frames.filter((f) => f.type === "read")).toEqual([]);
    expect(await currentPts(s1.accessToken, channel.id)).toBe(before);
    // The reader's own list shows it read.
    expect((await listOf(s1)).chats.find((c) => c.id === channel.id)).toMatchObject({ readSeq: 1, unreadCount: 0 });
    expect(changesOf(other)).toEqual([]);
    other.close();
  });

  it("keep a subscriber leaving private from the other subscribers, with no chat pts", async () => {
    const [owner, s1, s2] = await signInMany(3);
    const channel = await newChat(owner.accessToken, { type: "channel", title: "Объявления района", memberIds: [s1.user.id, s2.user.id] });
    const before = await currentPts(owner.accessToken, channel.id);
    const other = await openSocket(`/api/v1/chats/${channel.id}/ws?pts=${before}`, { token: s2.accessToken });
    expect((await call(`/api/v1/chats/${channel.id}/members/${s1.user.id}`, { method: "DELETE", token: s1.accessToken })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    expect(other.frames.filter((f) => f.type === "member")).toEqual([]);
    expect(await currentPts(owner.accessToken, channel.id)).toBe(before);
    other.close();
  });

  it("do not move subscribers' user pts with posts, yet their chat list shows the current state", async () => {
    const [owner, sub] = await signInMany(2);
    const channel = await newChat(owner.accessToken, { type: "channel", title: "Объявления", memberIds: [sub.user.id] });
    const start = await listOf(sub);
    for (const text of ["раз", "два"]) await postText(owner.accessToken, channel.id, text);
    await expect
      .poll(async () => (await listOf(sub)).chats.find((c) => c.id === channel.id), { timeout: 2000, interval: 50 })
      .toMatchObject({ lastSeq: 2, unreadCount: 2, lastMessage: { seq: 2, text: "два" } });
    expect((await listOf(sub)).pts).toBe(start.pts);
  });
});
