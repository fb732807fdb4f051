// Blocking (contract v1.1 "Safety"): a blocked person cannot reach the blocker, over HTTP or a socket, and
// the check on the message path reads nothing from D1.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, historyOf, newChat, openSocket, postText, type SignedIn, signIn } from "../helpers";

const block = async (by: SignedIn, who: SignedIn) =>
  expect((await call(`/api/v1/blocks/${who.user.id}`, { method: "PUT", token: by.accessToken })).status).toBe(204);
const unblock = async (by: SignedIn, who: SignedIn) =>
  expect((await call(`/api/v1/blocks/${who.user.id}`, { method: "DELETE", token: by.accessToken })).status).toBe(204);
const send = (s: SignedIn, chatId: string, clientId: string, text = "текст") =>
  call(`/api/v1/chats/${chatId}/messages`, { token: s.accessToken, body: { clientId, text } });
const statements = async () => (await callJson<{ statements: number }>("/api/v1/dev/d1-statements")).body.statements;

describe("blocks", () => {
  it("are listed with when they were set, idempotently set and lifted", async () => {
    const [anna, boris, vera] = [await signIn(), await signIn(), await signIn()];
    const before = Date.now();
    await block(anna, boris);
    await block(anna, boris);
    await block(anna, vera);
    const listed = await callJson<{ blocks: { userId: string; at: string }[] }>("/api/v1/blocks", { token: anna.accessToken });
    expect(listed.status).toBe(200);
    expect(listed.body.blocks.map((b) => b.userId).sort()).toEqual([boris.user.id, vera.user.id].sort());
    for (const b of listed.body.blocks) expect(Date.parse(b.at)).toBeGreaterThanOrEqual(before - 1000);
    await unblock(anna, boris);
    await unblock(anna, boris);
    const after = await callJson<{ blocks: { userId: string }[] }>("/api/v1/blocks", { token: anna.accessToken });
    expect(after.body.blocks.map((b) => b.userId)).toEqual([vera.user.id]);
    // Blocks are one-way.
    expect((await callJson<{ blocks: unknown[] }>("/api/v1/blocks", { token: vera.accessToken })).body.blocks).toEqual([]);
  });

  it("cannot name oneself or someone who does not exist", async () => {
    const anna = await signIn();
    await expectProblem(await call(`/api/v1/blocks/${anna.user.id}`, { method: "PUT", token: anna.accessToken }), 400, "invalid_peer");
    await expectProblem(await call("/api/v1/blocks/nobody-such", { method: "PUT", token: anna.accessToken }), 404, "not_found");
    expect((await callJson<{ blocks: unknown[] }>("/api/v1/blocks", { token: anna.accessToken })).body.blocks).toEqual([]);
  });

  it("a blocked person cannot open a direct chat with the blocker; the blocker can, and is still refused their sends", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    await block(anna, boris);
    await expectProblem(
      await call("/api/v1/chats", { token: boris.accessToken, body: { type: "direct", userId: anna.user.id } }),
      403,
      "blocked",
    );
    expect((await callJson<{ chats: unknown[] }>("/api/v1/chats", { token: boris.accessToken })).body.chats).toEqual([]);
    // Anna opens the chat herself after blocking: the new room knows the block from the start.
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    await postText(anna.accessToken, chat.id, "Я вас заблокировала");
    await expectProblem(await send(boris, chat.id, "b1"), 403, "blocked");
    expect((await historyOf(anna.accessToken, chat.id)).map((m) => m.text)).toEqual(["Я вас заблокировала"]);
  });

  it("over HTTP the blocked person's send answers 403 blocked and stores nothing; after unblocking it goes through", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(boris.accessToken, { type: "direct", userId: anna.user.id });
    await postText(boris.accessToken, chat.id, "до");
    await block(anna, boris);
    await expectProblem(await send(boris, chat.id, "after-block"), 403, "blocked");
    expect((await historyOf(anna.accessToken, chat.id)).map((m) => m.text)).toEqual(["до"]);
    await unblock(anna, boris);
    expect((await send(boris, chat.id, "after-block", "после")).status).toBe(201);
    expect((await historyOf(anna.accessToken, chat.id)).map((m) => m.text)).toEqual(["до", "после"]);
  });

  it("the blocked person cannot edit, react or pin in the direct chat either; deleting their own message stays possible", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(boris.accessToken, { type: "direct", userId: anna.user.id });
    const mine = await postText(boris.accessToken, chat.id, "до блокировки");
    const hers = await postText(anna.accessToken, chat.id, "ответ");
    await block(anna, boris);
    const msg = (seq: number) => `/api/v1/chats/${chat.id}/messages/${seq}`;
    await expectProblem(
      await call(msg(mine.seq), { method: "PATCH", token: boris.accessToken, body: { text: "переписал" } }),
      403,
      "blocked",
    );
    await expectProblem(
      await call(`${msg(hers.seq)}/reactions/${encodeURIComponent("👍")}`, { method: "PUT", token: boris.accessToken }),
      403,
      "blocked",
    );
    await expectProblem(await call(`${msg(hers.seq)}/pin`, { method: "PUT", token: boris.accessToken }), 403, "blocked");
    const seen = await historyOf(anna.accessToken, chat.id);
    expect(seen.map((m) => ({ text: m.text, reactions: m.reactions, pinned: m.pinned }))).toEqual([
      { text: "до блокировки", reactions: [], pinned: false },
      { text: "ответ", reactions: [], pinned: false },
    ]);
    // Withdrawing what he wrote is still his to do.
    expect((await call(msg(mine.seq), { method: "DELETE", token: boris.accessToken })).status).toBe(204);
    // The blocker herself still can.
    expect((await call(`${msg(hers.seq)}/reactions/${encodeURIComponent("👍")}`, { method: "PUT", token: anna.accessToken })).status).toBe(
      204,
    );
  });

  it("an open socket of the blocked person gets an error frame `blocked` naming the send, and nothing is stored", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(boris.accessToken, { type: "direct", userId: anna.user.id });
    const borisWs = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: boris.accessToken });
    const annaWs = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: anna.accessToken });
    try {
      borisWs.send({ type: "send", clientId: "s1", text: "первое" });
      await borisWs.next((f) => f.type === "ack" && f.clientId === "s1");
      await block(anna, boris);
      borisWs.send({ type: "send", clientId: "s2", text: "второе" });
      const err = await borisWs.next((f) => f.type === "error");
      expect(err).toMatchObject({ type: "error", code: "blocked", clientId: "s2" });
      expect(typeof err.detail).toBe("string");
      // The socket stays open and the blocker receives nothing of it.
      await postText(anna.accessToken, chat.id, "ответ блокирующей");
      await borisWs.next((f) => f.type === "message" && (f.message as { text: string }).text === "ответ блокирующей");
      expect(annaWs.frames.some((f) => f.type === "message" && (f.message as { clientId: string }).clientId === "s2")).toBe(false);
      expect((await historyOf(anna.accessToken, chat.id)).map((m) => m.text)).toEqual(["первое", "ответ блокирующей"]);
    } finally {
      borisWs.close();
      annaWs.close();
    }
  });

  it("a new socket of the blocked person to that direct chat is refused with 403 before the upgrade", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(boris.accessToken, { type: "direct", userId: anna.user.id });
    await block(anna, boris);
    const res = await call(`/api/v1/chats/${chat.id}/ws`, { token: boris.accessToken, headers: { upgrade: "websocket" } });
    expect(res.webSocket).toBeNull();
    await expectProblem(res, 403, "blocked");
    // The blocker's own socket opens as before; after unblocking so does the other's.
    (await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: anna.accessToken })).close();
    await unblock(anna, boris);
    (await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: boris.accessToken })).close();
  });

  it("a blocked person cannot add the blocker to a group, and group creation leaves the blocker out", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    await block(anna, boris);
    const created = await callJson<{ chat: { id: string }; notAdded: string[] }>("/api/v1/chats", {
      token: boris.accessToken,
      body: { type: "group", title: "Группа", memberIds: [anna.user.id] },
    });
    expect(created.status).toBe(201);
    expect(created.body.notAdded).toEqual([anna.user.id]);
    const add = await call(`/api/v1/chats/${created.body.chat.id}/members`, { token: boris.accessToken, body: { userId: anna.user.id } });
    await expectProblem(add, 403, "privacy_restricted");
    expect((await call(`/api/v1/chats/${created.body.chat.id}`, { token: anna.accessToken })).status).toBe(404);
  });

  it("hides the blocker's online and lastSeenAt (and phone) from the blocked person only", async () => {
    const [anna, boris, vera] = [await signIn(), await signIn(), await signIn()];
    await call("/api/v1/me/privacy", { method: "PATCH", token: anna.accessToken, body: { phone: "everyone" } });
    const socket = await openSocket("/api/v1/inbox/ws", { token: anna.accessToken });
    try {
      const seenBy = async (viewer: SignedIn) =>
        (
          await callJson<{ user: { online: boolean | null; phone: string | null } }>(`/api/v1/users/${anna.user.id}`, {
            token: viewer.accessToken,
          })
        ).body.user;
      expect(await seenBy(boris)).toMatchObject({ online: true, phone: anna.phone });
      await block(anna, boris);
      expect(await seenBy(boris)).toMatchObject({ online: null, phone: null });
      expect(await seenBy(vera)).toMatchObject({ online: true, phone: anna.phone });
    } finally {
      socket.close();
    }
  });

  it("a direct chat without blocks costs no D1 statement per message over 20 socket sends", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    const annaWs = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: anna.accessToken });
    const borisWs = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: boris.accessToken });
    try {
      // Warm up: the first message wakes both inboxes.
      annaWs.send({ type: "send", clientId: "warm", text: "разогрев" });
      await annaWs.next((f) => f.type === "ack" && f.clientId === "warm");
      await borisWs.next((f) => f.type === "message");
      await new Promise((r) => setTimeout(r, 1500));
      const before = await statements();
      for (let i = 0; i < 20; i++) annaWs.send({ type: "send", clientId: `m${i}`, text: `сообщение ${i}` });
      await annaWs.next((f) => f.type === "ack" && f.clientId === "m19", 10_000);
      await borisWs.next((f) => f.type === "message" && (f.message as { clientId: string }).clientId === "m19");
      // Let the coalesced inbox pushes run too: they must not read D1 either.
      await new Promise((r) => setTimeout(r, 1500));
      // Reading the counter is itself no statement.
      expect((await statements()) - before).toBe(0);
      // The counter does see this server's statements: a profile read is one.
      expect((await call("/api/v1/me", { token: anna.accessToken })).status).toBe(200);
      expect(await statements()).toBeGreaterThan(before);
    } finally {
      annaWs.close();
      borisWs.close();
    }
  });
});
