// Chats and membership over HTTP: what a client relies on when it starts chats, lists them and manages members.
import { describe, expect, it } from "vitest";
import {
  type ChatView,
  call,
  callJson,
  chatList,
  expectProblem,
  historyOf,
  newChat,
  openSocket,
  postText,
  signIn,
  signInMany,
  signInWithProfile,
  type TestSocket,
} from "../helpers";

interface MemberView {
  userId: string;
  role: "owner" | "admin" | "member";
  readSeq: number;
  user: { id: string; displayName: string | null };
}

async function members(token: string, chatId: string): Promise<MemberView[]> {
  const res = await callJson<{ members: MemberView[] }>(`/api/v1/chats/${chatId}/members`, { token });
  expect(res.status).toBe(200);
  return res.body.members;
}

async function rolesOf(token: string, chatId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await members(token, chatId)).map((m) => [m.userId, m.role]));
}

/** Resolves when the server closed the socket, or fails after `ms` instead of hanging until the test timeout. */
function closedWithin(sock: TestSocket, ms = 5000): Promise<{ code: number; reason: string }> {
  return Promise.race([
    sock.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)),
  ]);
}

const addMember = (token: string, chatId: string, userId: string) => call(`/api/v1/chats/${chatId}/members`, { token, body: { userId } });
const removeMember = (token: string, chatId: string, userId: string) =>
  call(`/api/v1/chats/${chatId}/members/${userId}`, { token, method: "DELETE" });
const setRole = (token: string, chatId: string, userId: string, role: string) =>
  call(`/api/v1/chats/${chatId}/members/${userId}`, { token, method: "PATCH", body: { role } });

describe("direct chats", () => {
  it("answers 201 the first time and 200 with the same chat afterwards, whoever starts it", async () => {
    const [anna, boris] = await signInMany(2);
    const first = await callJson<{ chat: ChatView }>("/api/v1/chats", {
      token: anna.accessToken,
      body: { type: "direct", userId: boris.user.id },
    });
    expect(first.status).toBe(201);
    expect(first.body.chat).toMatchObject({
      type: "direct",
      memberCount: 2,
      role: "member",
      lastSeq: 0,
      unreadCount: 0,
      lastMessage: null,
    });

    const again = await callJson<{ chat: ChatView }>("/api/v1/chats", {
      token: anna.accessToken,
      body: { type: "direct", userId: boris.user.id },
    });
    expect(again.status).toBe(200);
    expect(again.body.chat.id).toBe(first.body.chat.id);

    const fromOtherSide = await callJson<{ chat: ChatView }>("/api/v1/chats", {
      token: boris.accessToken,
      body: { type: "direct", userId: anna.user.id },
    });
    expect(fromOtherSide.status).toBe(200);
    expect(fromOtherSide.body.chat.id).toBe(first.body.chat.id);

    expect((await chatList(anna.accessToken)).map((c) => c.id)).toEqual([first.body.chat.id]);
    expect((await chatList(boris.accessToken)).map((c) => c.id)).toEqual([first.body.chat.id]);
  });

  it("gives one chat when both people start it at the same moment", async () => {
    const [anna, boris] = await signInMany(2);
    await Promise.all([chatList(anna.accessToken), chatList(boris.accessToken)]);
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? callJson<{ chat: ChatView }>("/api/v1/chats", { token: anna.accessToken, body: { type: "direct", userId: boris.user.id } })
          : callJson<{ chat: ChatView }>("/api/v1/chats", { token: boris.accessToken, body: { type: "direct", userId: anna.user.id } }),
      ),
    );
    for (const a of attempts) expect([200, 201]).toContain(a.status);
    expect(attempts.filter((a) => a.status === 201)).toHaveLength(1);
    const ids = new Set(attempts.map((a) => a.body.chat.id));
    expect(ids.size).toBe(1);
    expect(await chatList(anna.accessToken)).toHaveLength(1);
    expect(await chatList(boris.accessToken)).toHaveLength(1);
  });

  it("refuses a chat with yourself (400 invalid_peer) and with an unknown user (404)", async () => {
    const anna = await signIn();
    await expectProblem(
      await call("/api/v1/chats", { token: anna.accessToken, body: { type: "direct", userId: anna.user.id } }),
      400,
      "invalid_peer",
    );
    await expectProblem(
      await call("/api/v1/chats", { token: anna.accessToken, body: { type: "direct", userId: "no-such-user" } }),
      404,
      "not_found",
    );
    expect(await chatList(anna.accessToken)).toEqual([]);
  });

  it("is titled with the other person's display name, and follows a rename", async () => {
    const anna = await signInWithProfile({ displayName: "Анна Петрова" });
    const boris = await signInWithProfile({ displayName: "Борис" });
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    expect(chat.title).toBe("Борис");
    const { body } = await callJson<{ chat: ChatView }>(`/api/v1/chats/${chat.id}`, { token: boris.accessToken });
    expect(body.chat.title).toBe("Анна Петрова");

    const renamed = await call("/api/v1/me", { method: "PATCH", token: boris.accessToken, body: { displayName: "Борис Иванов" } });
    expect(renamed.status).toBe(200);
    expect((await chatList(anna.accessToken))[0]?.title).toBe("Борис Иванов");
  });
});

describe("groups and channels", () => {
  it("makes the creator owner and memberIds members, with the right memberCount", async () => {
    const [owner, b, c] = await signInMany(3);
    const res = await callJson<{ chat: ChatView }>("/api/v1/chats", {
      token: owner.accessToken,
      // Duplicates and the creator themselves are not counted twice.
      body: { type: "group", title: "Соседи", memberIds: [b.user.id, c.user.id, b.user.id, owner.user.id] },
    });
    expect(res.status).toBe(201);
    expect(res.body.chat).toMatchObject({ type: "group", title: "Соседи", role: "owner", memberCount: 3, lastSeq: 0, lastMessage: null });
    const chatId = res.body.chat.id;

    expect(await rolesOf(owner.accessToken, chatId)).toEqual({ [owner.user.id]: "owner", [b.user.id]: "member", [c.user.id]: "member" });
    const seenByB = await callJson<{ chat: ChatView }>(`/api/v1/chats/${chatId}`, { token: b.accessToken });
    expect(seenByB.body.chat).toMatchObject({ id: chatId, role: "member", memberCount: 3, title: "Соседи" });
    expect((await chatList(c.accessToken)).map((x) => x.id)).toContain(chatId);
  });

  it("creates a channel owned by its creator, and a group without memberIds", async () => {
    const [owner, sub] = await signInMany(2);
    const channel = await callJson<{ chat: ChatView }>("/api/v1/chats", {
      token: owner.accessToken,
      body: { type: "channel", title: "Новости района", memberIds: [sub.user.id] },
    });
    expect(channel.status).toBe(201);
    expect(channel.body.chat).toMatchObject({ type: "channel", role: "owner", memberCount: 2 });
    const alone = await callJson<{ chat: ChatView }>("/api/v1/chats", { token: owner.accessToken, body: { type: "group", title: "Я" } });
    expect(alone.status).toBe(201);
    expect(alone.body.chat).toMatchObject({ type: "group", role: "owner", memberCount: 1 });
  });

  it("refuses unknown member ids with 400 unknown_users and creates nothing", async () => {
    const [owner, b] = await signInMany(2);
    await newChat(owner.accessToken, { type: "group", title: "Существующий" });
    const before = await chatList(owner.accessToken);
    const res = await call("/api/v1/chats", {
      token: owner.accessToken,
      body: { type: "group", title: "Новый", memberIds: [b.user.id, "ghost-user"] },
    });
    const problem = await expectProblem(res, 400, "unknown_users");
    expect(JSON.stringify(problem.errors)).toContain("ghost-user");
    expect(await chatList(owner.accessToken)).toEqual(before);
    expect(await chatList(b.accessToken)).toEqual([]);
  });

  it("validates the body: a title is required and unknown fields are refused", async () => {
    const owner = await signIn();
    await expectProblem(await call("/api/v1/chats", { token: owner.accessToken, body: { type: "group" } }), 400, "validation_failed");
    await expectProblem(
      await call("/api/v1/chats", { token: owner.accessToken, body: { type: "group", title: "   " } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await call("/api/v1/chats", { token: owner.accessToken, body: { type: "group", title: "x", extra: 1 } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await call("/api/v1/chats", { token: owner.accessToken, body: { type: "secret", title: "x" } }),
      400,
      "validation_failed",
    );
  });

  it("refuses titles that hide or reorder text, when created and when renamed", async () => {
    const owner = await signIn();
    const bad = ["Соседи\u202E", "\u2066Соседи\u2069", "Сосе\u200Bди", "\uFEFFСоседи", "Соседи\u0000", "Сосе\u200Dди"];
    for (const title of bad) {
      for (const type of ["group", "channel"]) {
        await expectProblem(await call("/api/v1/chats", { token: owner.accessToken, body: { type, title } }), 400, "validation_failed");
      }
    }
    const chat = await newChat(owner.accessToken, { type: "group", title: "Соседи 🏳\uFE0F\u200D🌈" });
    expect(chat.title).toBe("Соседи 🏳\uFE0F\u200D🌈");
    for (const title of bad) {
      await expectProblem(
        await call(`/api/v1/chats/${chat.id}`, { token: owner.accessToken, method: "PATCH", body: { title } }),
        400,
        "validation_failed",
      );
    }
    expect((await chatList(owner.accessToken)).find((c) => c.id === chat.id)?.title).toBe("Соседи 🏳\uFE0F\u200D🌈");
  });
});

describe("the chat list", () => {
  it("puts the chat with the most recent activity first", async () => {
    const [me, b] = await signInMany(2);
    const older = await newChat(me.accessToken, { type: "group", title: "Старый", memberIds: [b.user.id] });
    const newer = await newChat(me.accessToken, { type: "group", title: "Новый", memberIds: [b.user.id] });
    expect((await chatList(me.accessToken)).map((c) => c.id)).toEqual([newer.id, older.id]);

    await postText(b.accessToken, older.id, "оживим старый чат");
    expect((await chatList(me.accessToken)).map((c) => c.id)).toEqual([older.id, newer.id]);
    expect((await chatList(b.accessToken)).map((c) => c.id)).toEqual([older.id, newer.id]);

    await postText(me.accessToken, newer.id, "а теперь новый");
    expect((await chatList(me.accessToken)).map((c) => c.id)).toEqual([newer.id, older.id]);
  });

  it("shows lastSeq, lastMessage and an unreadCount of other people's messages only", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "group", title: "Счётчики", memberIds: [b.user.id] });
    await postText(a.accessToken, chat.id, "раз");
    await postText(a.accessToken, chat.id, "два");

    const [forA] = await chatList(a.accessToken);
    expect(forA).toMatchObject({ id: chat.id, lastSeq: 2, unreadCount: 0 });
    expect(forA?.lastMessage).toMatchObject({ seq: 2, text: "два", senderId: a.user.id, chatId: chat.id });
    const [forB] = await chatList(b.accessToken);
    expect(forB).toMatchObject({ id: chat.id, lastSeq: 2, unreadCount: 2 });
    expect(forB?.lastMessage).toMatchObject({ seq: 2, text: "два" });

    await postText(b.accessToken, chat.id, "три");
    const [forA2] = await chatList(a.accessToken);
    expect(forA2).toMatchObject({ lastSeq: 3, unreadCount: 1 });
    expect(forA2?.lastMessage?.text).toBe("три");
    // Sending reads everything before your own message.
    expect((await chatList(b.accessToken))[0]).toMatchObject({ lastSeq: 3, unreadCount: 0 });
  });

  it("moves the read marker forward only, and never past the last message", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "group", title: "Прочитано", memberIds: [b.user.id] });
    for (const t of ["1", "2", "3"]) await postText(a.accessToken, chat.id, t);
    const read = (seq: number) => call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq } });
    const unread = async () =>
      (await callJson<{ chat: ChatView }>(`/api/v1/chats/${chat.id}`, { token: b.accessToken })).body.chat.unreadCount;
    const readSeqOfB = async () => (await members(a.accessToken, chat.id)).find((m) => m.userId === b.user.id)?.readSeq;

    expect(await unread()).toBe(3);
    expect((await read(2)).status).toBe(204);
    expect(await unread()).toBe(1);
    expect(await readSeqOfB()).toBe(2);
    expect((await read(1)).status).toBe(204);
    expect(await unread()).toBe(1);
    expect(await readSeqOfB()).toBe(2);

    expect((await read(99)).status).toBe(204);
    expect(await unread()).toBe(0);
    expect(await readSeqOfB()).toBe(3);
    // Capped at lastSeq: the next message is unread, not swallowed by a marker from the future.
    await postText(a.accessToken, chat.id, "4");
    expect(await unread()).toBe(1);

    await expectProblem(await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: -1 } }), 400, "validation_failed");
  });
});

describe("members", () => {
  it("owners and admins add members (201, then 200); plain members cannot", async () => {
    const [owner, admin, member, x, y] = await signInMany(5);
    const chat = await newChat(owner.accessToken, { type: "group", title: "Клуб", memberIds: [admin.user.id, member.user.id] });
    expect((await setRole(owner.accessToken, chat.id, admin.user.id, "admin")).status).toBe(200);

    const added = await callJson<{ member: MemberView }>(`/api/v1/chats/${chat.id}/members`, {
      token: owner.accessToken,
      body: { userId: x.user.id },
    });
    expect(added.status).toBe(201);
    expect(added.body.member).toMatchObject({ userId: x.user.id, role: "member" });
    const again = await callJson<{ member: MemberView }>(`/api/v1/chats/${chat.id}/members`, {
      token: owner.accessToken,
      body: { userId: x.user.id },
    });
    expect(again.status).toBe(200);
    expect(again.body.member).toMatchObject({ userId: x.user.id, role: "member" });

    expect((await addMember(admin.accessToken, chat.id, y.user.id)).status).toBe(201);
    // Adding an existing admin again does not demote them.
    expect((await addMember(owner.accessToken, chat.id, admin.user.id)).status).toBe(200);
    await expectProblem(await addMember(member.accessToken, chat.id, owner.user.id), 403, "not_allowed");
    await expectProblem(await addMember(owner.accessToken, chat.id, "ghost-user"), 404, "not_found");

    expect(await rolesOf(owner.accessToken, chat.id)).toEqual({
      [owner.user.id]: "owner",
      [admin.user.id]: "admin",
      [member.user.id]: "member",
      [x.user.id]: "member",
      [y.user.id]: "member",
    });
    expect((await chatList(owner.accessToken))[0]?.memberCount).toBe(5);
    expect((await chatList(x.accessToken)).map((c) => c.id)).toEqual([chat.id]);
  });

  it("only the owner changes roles", async () => {
    const [owner, b, c] = await signInMany(3);
    const chat = await newChat(owner.accessToken, { type: "group", title: "Роли", memberIds: [b.user.id, c.user.id] });
    expect((await setRole(owner.accessToken, chat.id, b.user.id, "admin")).status).toBe(200);
    expect((await rolesOf(c.accessToken, chat.id))[b.user.id]).toBe("admin");

    await expectProblem(await setRole(b.accessToken, chat.id, c.user.id, "admin"), 403, "not_allowed");
    await expectProblem(await setRole(c.accessToken, chat.id, c.user.id, "admin"), 403, "not_allowed");
    await expectProblem(await setRole(owner.accessToken, chat.id, owner.user.id, "member"), 403, "not_allowed");
    await expectProblem(await setRole(owner.accessToken, chat.id, b.user.id, "owner"), 400, "validation_failed");
    const outsider = await signIn();
    await expectProblem(await setRole(owner.accessToken, chat.id, outsider.user.id, "admin"), 404, "not_found");

    expect((await setRole(owner.accessToken, chat.id, b.user.id, "member")).status).toBe(200);
    expect(await rolesOf(owner.accessToken, chat.id)).toEqual({ [owner.user.id]: "owner", [b.user.id]: "member", [c.user.id]: "member" });
  });

  it("admins remove members but not the owner or other admins; members remove nobody", async () => {
    const [owner, admin1, admin2, m1, m2] = await signInMany(5);
    const chat = await newChat(owner.accessToken, {
      type: "group",
      title: "Удаление",
      memberIds: [admin1.user.id, admin2.user.id, m1.user.id, m2.user.id],
    });
    for (const a of [admin1, admin2]) expect((await setRole(owner.accessToken, chat.id, a.user.id, "admin")).status).toBe(200);

    await expectProblem(await removeMember(admin1.accessToken, chat.id, owner.user.id), 403, "not_allowed");
    await expectProblem(await removeMember(admin1.accessToken, chat.id, admin2.user.id), 403, "not_allowed");
    await expectProblem(await removeMember(m1.accessToken, chat.id, m2.user.id), 403, "not_allowed");
    expect((await removeMember(admin1.accessToken, chat.id, m1.user.id)).status).toBe(204);
    expect((await removeMember(owner.accessToken, chat.id, admin2.user.id)).status).toBe(204);
    await expectProblem(await removeMember(owner.accessToken, chat.id, m1.user.id), 404, "not_found");

    expect(await rolesOf(owner.accessToken, chat.id)).toEqual({
      [owner.user.id]: "owner",
      [admin1.user.id]: "admin",
      [m2.user.id]: "member",
    });
    expect((await chatList(owner.accessToken))[0]?.memberCount).toBe(3);
    expect(await chatList(m1.accessToken)).toEqual([]);
    expect(await chatList(admin2.accessToken)).toEqual([]);
  });

  it("lets anyone leave; the chat is then gone for them", async () => {
    const [owner, b] = await signInMany(2);
    const chat = await newChat(owner.accessToken, { type: "group", title: "Уходим", memberIds: [b.user.id] });
    await postText(owner.accessToken, chat.id, "до свидания");

    expect((await removeMember(b.accessToken, chat.id, b.user.id)).status).toBe(204);
    expect(await chatList(b.accessToken)).toEqual([]);
    await expectProblem(await call(`/api/v1/chats/${chat.id}`, { token: b.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/members`, { token: b.accessToken }), 404, "not_found");
    await expectProblem(await removeMember(b.accessToken, chat.id, b.user.id), 404, "not_found");
    expect(await rolesOf(owner.accessToken, chat.id)).toEqual({ [owner.user.id]: "owner" });
    // Others' member counts follow with the room's next coalesced push, within 2 s.
    await expect.poll(async () => (await chatList(owner.accessToken))[0]?.memberCount, { timeout: 2000, interval: 50 }).toBe(1);
  });

  it("passes ownership on when the owner leaves, to an admin first", async () => {
    const [owner, admin, member] = await signInMany(3);
    const chat = await newChat(owner.accessToken, { type: "group", title: "Наследство", memberIds: [member.user.id, admin.user.id] });
    expect((await setRole(owner.accessToken, chat.id, admin.user.id, "admin")).status).toBe(200);

    expect((await removeMember(owner.accessToken, chat.id, owner.user.id)).status).toBe(204);
    expect(await rolesOf(member.accessToken, chat.id)).toEqual({ [admin.user.id]: "owner", [member.user.id]: "member" });
    expect((await callJson<{ chat: ChatView }>(`/api/v1/chats/${chat.id}`, { token: admin.accessToken })).body.chat.role).toBe("owner");
    // The new owner has the owner's powers.
    expect((await setRole(admin.accessToken, chat.id, member.user.id, "admin")).status).toBe(200);

    const [solo, heir] = await signInMany(2);
    const plain = await newChat(solo.accessToken, { type: "channel", title: "Без админов", memberIds: [heir.user.id] });
    expect((await removeMember(solo.accessToken, plain.id, solo.user.id)).status).toBe(204);
    expect(await rolesOf(heir.accessToken, plain.id)).toEqual({ [heir.user.id]: "owner" });
    // …and may post in the channel now.
    await postText(heir.accessToken, plain.id, "теперь я веду канал");
  });

  it("refuses to add to or leave a direct chat", async () => {
    const [a, b, c] = await signInMany(3);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    await expectProblem(await addMember(a.accessToken, chat.id, c.user.id), 403, "not_allowed");
    await expectProblem(await removeMember(a.accessToken, chat.id, a.user.id), 403, "not_allowed");
    await expectProblem(await removeMember(a.accessToken, chat.id, b.user.id), 403, "not_allowed");
    expect((await chatList(a.accessToken))[0]).toMatchObject({ id: chat.id, memberCount: 2 });
  });
});

describe("a removed member", () => {
  it("loses access at once: 404 on history, sending and sockets, and their open socket is closed", async () => {
    const [owner, b] = await signInMany(2);
    const chat = await newChat(owner.accessToken, { type: "group", title: "Исключение", memberIds: [b.user.id] });
    await postText(owner.accessToken, chat.id, "до исключения");

    const sock = await openSocket(`/api/v1/chats/${chat.id}/ws?after=0`, { token: b.accessToken });
    await sock.next((f) => f.type === "message");
    expect((await removeMember(owner.accessToken, chat.id, b.user.id)).status).toBe(204);

    const closed = await closedWithin(sock);
    expect(closed.code).toBe(4003);
    const framesAtClose = sock.frames.length;

    await postText(owner.accessToken, chat.id, "после исключения");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/messages`, { token: b.accessToken }), 404, "not_found");
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/messages`, { token: b.accessToken, body: { clientId: "late", text: "я ещё тут?" } }),
      404,
      "not_found",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/ws`, { token: b.accessToken, headers: { upgrade: "websocket" } }),
      404,
      "not_found",
    );
    await expectProblem(await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 2 } }), 404, "not_found");
    expect(sock.frames.length).toBe(framesAtClose);
    expect(sock.frames.some((f) => (f.message as { text?: string } | undefined)?.text === "после исключения")).toBe(false);
    expect((await historyOf(owner.accessToken, chat.id)).map((m) => m.text)).toEqual(["до исключения", "после исключения"]);
  });

  it("who leaves has their socket closed too, and can be added back", async () => {
    const [owner, b] = await signInMany(2);
    const chat = await newChat(owner.accessToken, { type: "group", title: "Вернулся", memberIds: [b.user.id] });
    const sock = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: b.accessToken });
    expect((await removeMember(b.accessToken, chat.id, b.user.id)).status).toBe(204);
    expect((await closedWithin(sock)).code).toBe(4003);

    expect((await addMember(owner.accessToken, chat.id, b.user.id)).status).toBe(201);
    await postText(b.accessToken, chat.id, "я вернулся");
    const again = await openSocket(`/api/v1/chats/${chat.id}/ws?after=0`, { token: b.accessToken });
    await again.next((f) => f.type === "message" && (f.message as { text: string }).text === "я вернулся");
    again.close();
  });
});
