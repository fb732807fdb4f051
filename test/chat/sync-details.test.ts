// Issue 11, the finer points: a message deleted after it was edited and reacted to replays as its tombstone in
// every earlier frame that shows it; title, membership and role changes reach inboxes as `chat` frames with
// the user's next pts; a read marker past the end stops at the last message.
import { describe, expect, it } from "vitest";
import { call, callJson, type MessageView, newChat, openSocket, postText, type SignedIn, signIn, signInMany } from "../helpers";
import {
  changesOf,
  changesSince,
  currentPts,
  type Frame,
  group,
  ok,
  ptsOf,
  range,
  type SyncChat,
  sendOver,
  untilPts,
} from "./sync-support";

const listOf = (u: SignedIn) => ok(callJson<{ chats: SyncChat[]; pts: number }>("/api/v1/chats", { token: u.accessToken }), 200);

describe("tombstones in replays", () => {
  it("show a message deleted since as its tombstone in its message and edited frames alike", async () => {
    const { chat, people } = await group(2);
    const [a, b] = people as [SignedIn, SignedIn];
    const live = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: b.accessToken });
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    await sendOver(sa, "keep", "останется");
    await sendOver(sa, "gone", "секрет");
    await ok(callJson(`/api/v1/chats/${chat.id}/messages/2`, { method: "PATCH", token: a.accessToken, body: { text: "секрет 2" } }), 200);
    const thumbs = `/api/v1/chats/${chat.id}/messages/2/reactions/${encodeURIComponent("👍")}`;
    expect((await call(thumbs, { method: "PUT", token: b.accessToken })).status).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/messages/2`, { method: "DELETE", token: a.accessToken })).status).toBe(204);
    const now = await currentPts(a.accessToken, chat.id);
    expect(now).toBe(chat.pts + 5);
    await untilPts(live, now);
    const seen = changesOf(live);
    expect(seen.map((f) => f.type)).toEqual(["message", "message", "edited", "reaction", "deleted"]);
    expect(JSON.stringify(seen)).toContain("секрет");

    const [tombstone] = (
      await ok(callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chat.id}/messages?after=1`, { token: b.accessToken }), 200)
    ).messages;
    expect(tombstone).toMatchObject({ seq: 2, text: null, deletedAt: expect.any(String) });
    const expected = seen.map((f): Frame => ((f.message as MessageView | undefined)?.seq === 2 ? { ...f, message: tombstone } : f));
    const again = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: b.accessToken });
    await untilPts(again, now);
    expect(changesOf(again)).toEqual(expected);
    const overHttp = await changesSince(b.accessToken, chat.id, chat.pts);
    expect(overHttp.changes).toEqual(expected);
    // No replay, over either path, carries the deleted text.
    expect(JSON.stringify(changesOf(again))).not.toContain("секрет");
    expect(JSON.stringify(overHttp)).not.toContain("секрет");
    // The message that stays replays as it was sent.
    expect(changesOf(again)[0]).toEqual(seen[0]);
    for (const s of [live, sa, again]) s.close();
  });
});

describe("chat-list changes in the inbox", () => {
  it("a title change, a member added and a role change each reach the members' inboxes as a chat frame with the next pts", async () => {
    const { chat, people } = await group(3, "Старое");
    const [owner, m1, m2] = people as [SignedIn, SignedIn, SignedIn];
    const start = await listOf(m1);
    const inbox = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: m1.accessToken });
    const chatFrame = (pts: number) => inbox.next((f) => f.type === "chat" && f.pts === pts);

    await ok(callJson(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: owner.accessToken, body: { title: "Новое" } }), 200);
    expect((await chatFrame(start.pts + 1)).chat).toMatchObject({ id: chat.id, title: "Новое", memberCount: 3 });

    const newcomer = await signIn();
    await ok(callJson(`/api/v1/chats/${chat.id}/members`, { token: owner.accessToken, body: { userId: newcomer.user.id } }), 201);
    expect((await chatFrame(start.pts + 2)).chat).toMatchObject({ id: chat.id, memberCount: 4 });

    await ok(
      callJson(`/api/v1/chats/${chat.id}/members/${m1.user.id}`, { method: "PATCH", token: owner.accessToken, body: { role: "admin" } }),
      200,
    );
    expect((await chatFrame(start.pts + 3)).chat).toMatchObject({ id: chat.id, role: "admin" });
    expect(ptsOf(inbox.frames)).toEqual(range(start.pts + 1, start.pts + 3));
    // The newcomer's list has the chat, and m2's list the new title and count.
    expect((await listOf(newcomer)).chats).toMatchObject([{ id: chat.id, title: "Новое", memberCount: 4, role: "member" }]);
    expect((await listOf(m2)).chats).toMatchObject([{ id: chat.id, title: "Новое", memberCount: 4, role: "member" }]);
    // And the same over /updates.
    const updates = await ok(
      callJson<{ chats: SyncChat[]; pts: number }>(`/api/v1/updates?pts=${start.pts}`, { token: m1.accessToken }),
      200,
    );
    expect(updates.pts).toBe(start.pts + 3);
    expect(updates.chats).toMatchObject([{ id: chat.id, title: "Новое", memberCount: 4, role: "admin" }]);
    inbox.close();
  });

  it("shows whoever changed a member's role over HTTP the chat's new pts in their own list when they get the answer", async () => {
    const { chat, people } = await group(2);
    const [owner, m1] = people as [SignedIn, SignedIn];
    for (const role of ["admin", "member"]) {
      await ok(
        callJson(`/api/v1/chats/${chat.id}/members/${m1.user.id}`, { method: "PATCH", token: owner.accessToken, body: { role } }),
        200,
      );
      const now = await currentPts(owner.accessToken, chat.id);
      const mine = (await listOf(owner)).chats.find((c) => c.id === chat.id);
      expect(mine?.pts, `after the change to ${role}`).toBe(now);
    }
  });

  it("refuses a malformed pts on /updates and the inbox socket", async () => {
    const u = await signIn();
    for (const pts of ["x", "-1", "2.5"]) {
      expect((await call(`/api/v1/updates?pts=${pts}`, { token: u.accessToken })).status).toBe(400);
      await expect(openSocket(`/api/v1/inbox/ws?pts=${pts}`, { token: u.accessToken })).rejects.toThrow(/expected 101, got 400/);
    }
    expect((await call("/api/v1/updates?pts=0")).status).toBe(401);
  });
});

describe("read markers", () => {
  it("stop at the last message: reading past the end is one change to lastSeq, reading it again none", async () => {
    const { chat, people } = await group(2);
    const [a, b] = people as [SignedIn, SignedIn];
    for (const text of ["1", "2", "3"]) await postText(a.accessToken, chat.id, text);
    const before = await currentPts(a.accessToken, chat.id);
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${before}`, { token: a.accessToken });
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 999 } })).status).toBe(204);
    expect(await untilPts(sa, before + 1)).toEqual({ type: "read", userId: b.user.id, seq: 3, pts: before + 1 });
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 999 } })).status).toBe(204);
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 1 } })).status).toBe(204);
    expect(await currentPts(a.accessToken, chat.id)).toBe(before + 1);
    expect((await listOf(b)).chats).toMatchObject([{ id: chat.id, readSeq: 3, unreadCount: 0 }]);
    sa.close();
  });
});

describe("what is no change", () => {
  it("numbers nothing for a repeated reaction, pin or unpin, or a retried HTTP send", async () => {
    const { chat, people } = await group(2);
    const [a, b] = people as [SignedIn, SignedIn];
    const first = await postText(a.accessToken, chat.id, "одно", "once");
    const base = await currentPts(a.accessToken, chat.id);
    const thumbs = `/api/v1/chats/${chat.id}/messages/1/reactions/${encodeURIComponent("👍")}`;
    const pin = `/api/v1/chats/${chat.id}/messages/1/pin`;
    const steps: [string, string, string, number][] = [
      [thumbs, "PUT", b.accessToken, 1],
      [thumbs, "PUT", b.accessToken, 0],
      [thumbs, "DELETE", b.accessToken, 1],
      [thumbs, "DELETE", b.accessToken, 0],
      [pin, "PUT", a.accessToken, 1],
      [pin, "PUT", a.accessToken, 0],
      [pin, "DELETE", a.accessToken, 1],
      [pin, "DELETE", a.accessToken, 0],
    ];
    let expected = base;
    for (const [path, method, token, adds] of steps) {
      expect((await call(path, { method, token })).status, `${method} ${path}`).toBe(204);
      expected += adds;
      expect(await currentPts(a.accessToken, chat.id), `after ${method} ${path.split("/").slice(-2).join("/")}`).toBe(expected);
    }
    const retried = await callJson<{ message: MessageView }>(`/api/v1/chats/${chat.id}/messages`, {
      token: a.accessToken,
      body: { clientId: "once", text: "одно" },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.message).toEqual(first);
    expect(await currentPts(a.accessToken, chat.id)).toBe(expected);
    expect((await changesSince(a.accessToken, chat.id, base)).changes.map((f) => [f.type, f.on])).toEqual([
      ["reaction", true],
      ["reaction", false],
      ["pinned", true],
      ["pinned", false],
    ]);
  });
});

describe("removed members", () => {
  it("lose the socket and cannot catch up any more; the others see them removed", async () => {
    const { chat, people } = await group(3);
    const [owner, gone, stays] = people as [SignedIn, SignedIn, SignedIn];
    const theirs = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: gone.accessToken });
    const watcher = await openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts}`, { token: stays.accessToken });
    await postText(owner.accessToken, chat.id, "до");
    await untilPts(theirs, chat.pts + 1);
    expect((await call(`/api/v1/chats/${chat.id}/members/${gone.user.id}`, { method: "DELETE", token: owner.accessToken })).status).toBe(
      204,
    );
    expect((await theirs.closed).code).toBe(4003);
    expect(await untilPts(watcher, chat.pts + 2)).toEqual({
      type: "member",
      userId: gone.user.id,
      action: "removed",
      role: null,
      memberCount: 2,
      pts: chat.pts + 2,
    });
    await postText(owner.accessToken, chat.id, "после");
    expect((await call(`/api/v1/chats/${chat.id}/changes?pts=0`, { token: gone.accessToken })).status).toBe(404);
    await expect(openSocket(`/api/v1/chats/${chat.id}/ws?pts=${chat.pts + 1}`, { token: gone.accessToken })).rejects.toThrow(
      /expected 101, got 404/,
    );
    // Nothing said after the removal reached them.
    expect(changesOf(theirs).some((f) => (f.message as MessageView | undefined)?.text === "после")).toBe(false);
    watcher.close();
  });
});

describe("more chat-list changes", () => {
  it("a direct chat's title follows the other person's new name, in the inbox and the list", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    const start = await listOf(a);
    const inbox = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: a.accessToken });
    await ok(callJson("/api/v1/me", { method: "PATCH", token: b.accessToken, body: { displayName: "Борис Петрович" } }), 200);
    const frame = await inbox.next((f) => f.type === "chat" && (f.chat as SyncChat).title === "Борис Петрович", 3000);
    expect(frame).toMatchObject({ pts: start.pts + 1, chat: { id: chat.id } });
    expect((await listOf(a)).chats).toMatchObject([{ id: chat.id, title: "Борис Петрович" }]);
    inbox.close();
  });

  it("someone leaving changes the others' member count; a member may not rename, an admin may", async () => {
    const { chat, people } = await group(3, "Клуб");
    const [owner, stays, leaves] = people as [SignedIn, SignedIn, SignedIn];
    const start = await listOf(stays);
    const inbox = await openSocket(`/api/v1/inbox/ws?pts=${start.pts}`, { token: stays.accessToken });
    expect((await call(`/api/v1/chats/${chat.id}/members/${leaves.user.id}`, { method: "DELETE", token: leaves.accessToken })).status).toBe(
      204,
    );
    expect((await inbox.next((f) => f.type === "chat" && f.pts === start.pts + 1)).chat).toMatchObject({ id: chat.id, memberCount: 2 });
    const before = await currentPts(owner.accessToken, chat.id);
    const refused = await call(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: stays.accessToken, body: { title: "Мой клуб" } });
    expect(refused.status).toBe(403);
    expect(await currentPts(owner.accessToken, chat.id)).toBe(before);
    await ok(
      callJson(`/api/v1/chats/${chat.id}/members/${stays.user.id}`, { method: "PATCH", token: owner.accessToken, body: { role: "admin" } }),
      200,
    );
    const renamed = await ok(
      callJson<{ chat: SyncChat }>(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: stays.accessToken, body: { title: "Наш клуб" } }),
      200,
    );
    expect(renamed.chat).toMatchObject({ id: chat.id, title: "Наш клуб", role: "admin" });
    expect(await currentPts(owner.accessToken, chat.id)).toBe(before + 2);
    inbox.close();
  });

  it("a direct chat cannot be renamed", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    expect((await call(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: a.accessToken, body: { title: "Мы" } })).status).toBe(403);
  });
});
