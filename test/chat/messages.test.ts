// Messages over HTTP (and the sockets that go with them): what a client relies on when it sends, pages,
// edits, deletes, reacts, pins, forwards and searches.
import { describe, expect, it } from "vitest";
import {
  type ChatView,
  call,
  callJson,
  chatList,
  expectProblem,
  freshUsername,
  historyOf,
  type MessageView,
  newChat,
  openSocket,
  postText,
  type SignedIn,
  signIn,
  signInMany,
  signInWithProfile,
} from "../helpers";

/** A group of `owner` and the others as plain members. */
async function group(owner: SignedIn, others: SignedIn[], title = "Группа"): Promise<ChatView> {
  return newChat(owner.accessToken, { type: "group", title, memberIds: others.map((o) => o.user.id) });
}

const post = (token: string, chatId: string, body: unknown) => call(`/api/v1/chats/${chatId}/messages`, { token, body });
const edit = (token: string, chatId: string, seq: number, text: string) =>
  call(`/api/v1/chats/${chatId}/messages/${seq}`, { token, method: "PATCH", body: { text } });
const del = (token: string, chatId: string, seq: number) => call(`/api/v1/chats/${chatId}/messages/${seq}`, { token, method: "DELETE" });
const reaction = (token: string, chatId: string, seq: number, emoji: string, method: "PUT" | "DELETE") =>
  call(`/api/v1/chats/${chatId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`, { token, method });
const pin = (token: string, chatId: string, seq: number, method: "PUT" | "DELETE" = "PUT") =>
  call(`/api/v1/chats/${chatId}/messages/${seq}/pin`, { token, method });
const search = async (token: string, chatId: string, q: string) => {
  const res = await callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chatId}/search?q=${encodeURIComponent(q)}`, { token });
  expect(res.status, `search ${q}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body.messages;
};
const messageAt = async (token: string, chatId: string, seq: number) => {
  const [m] = await historyOf(token, chatId, `?after=${seq - 1}&limit=1`);
  expect(m?.seq).toBe(seq);
  return m as MessageView;
};

describe("sending", () => {
  it("numbers messages 1, 2, 3 in order, without gaps even when sent at once", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    const sent = [];
    for (const text of ["первое", "второе", "третье"]) sent.push(await postText(a.accessToken, chat.id, text));
    expect(sent.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(sent[0]).toMatchObject({
      chatId: chat.id,
      senderId: a.user.id,
      text: "первое",
      attachments: [],
      replyTo: null,
      forwardOf: null,
      reactions: [],
      pinned: false,
      editedAt: null,
      deletedAt: null,
    });
    expect(Number.isNaN(Date.parse(sent[0]?.createdAt ?? ""))).toBe(false);

    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => postText(i % 2 ? a.accessToken : b.accessToken, chat.id, `burst ${i}`)),
    );
    expect(burst.map((m) => m.seq).sort((x, y) => x - y)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const all = await historyOf(a.accessToken, chat.id);
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    for (const m of burst) expect(all[m.seq - 1]?.id).toBe(m.id);
  });

  it("answers a retried clientId with 200 and the same message, adding nothing", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    const first = await callJson<{ message: MessageView }>(`/api/v1/chats/${chat.id}/messages`, {
      token: a.accessToken,
      body: { clientId: "retry-1", text: "один раз" },
    });
    expect(first.status).toBe(201);
    const retry = await callJson<{ message: MessageView }>(`/api/v1/chats/${chat.id}/messages`, {
      token: a.accessToken,
      body: { clientId: "retry-1", text: "один раз" },
    });
    expect(retry.status).toBe(200);
    expect(retry.body.message).toEqual(first.body.message);
    expect(await historyOf(a.accessToken, chat.id)).toHaveLength(1);
    expect((await chatList(b.accessToken))[0]).toMatchObject({ lastSeq: 1, unreadCount: 1 });

    // The same clientId from someone else is their own message.
    const other = await postText(b.accessToken, chat.id, "у меня тот же clientId", "retry-1");
    expect(other.seq).toBe(2);
    expect(await historyOf(a.accessToken, chat.id)).toHaveLength(2);
  });

  it("validates text, fields, replies and attachments", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    const t = a.accessToken;
    await expectProblem(await post(t, chat.id, { clientId: "long", text: "я".repeat(4097) }), 400, "validation_failed");
    await expectProblem(await post(t, chat.id, { clientId: "empty", text: "" }), 400, "empty_message");
    await expectProblem(await post(t, chat.id, { clientId: "blank", text: "  \n " }), 400, "empty_message");
    await expectProblem(await post(t, chat.id, { clientId: "nothing" }), 400, "empty_message");
    await expectProblem(await post(t, chat.id, { clientId: "extra", text: "hi", sticker: "cat" }), 400, "validation_failed");
    await expectProblem(await post(t, chat.id, { text: "no clientId" }), 400, "validation_failed");
    await expectProblem(await post(t, chat.id, { clientId: "has space", text: "hi" }), 400, "validation_failed");
    await expectProblem(await post(t, chat.id, { clientId: "media", text: "фото", attachments: ["media-1"] }), 400, "unknown_media");
    expect(await historyOf(t, chat.id)).toEqual([]);

    const longest = await postText(t, chat.id, "я".repeat(4096));
    expect(longest.text).toHaveLength(4096);
    await expectProblem(await post(t, chat.id, { clientId: "future", text: "ответ", replyTo: 2 }), 400, "invalid_reply");
    const reply = await callJson<{ message: MessageView }>(`/api/v1/chats/${chat.id}/messages`, {
      token: b.accessToken,
      body: { clientId: "reply", text: "ответ", replyTo: 1 },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.message).toMatchObject({ seq: 2, replyTo: 1 });
    expect((await historyOf(t, chat.id)).map((m) => m.seq)).toEqual([1, 2]);
  });
});

describe("history paging", () => {
  it("pages with after, before and limit in ascending seq", async () => {
    const [a, b, c] = await signInMany(3);
    const chat = await group(a, [b, c]);
    // Three senders, so none of them passes the sending limit (140 per 10 s, docs/api.md "Limits") filling it.
    const senders = [a, b, c];
    for (let i = 1; i <= 250; i++) await postText((senders[i % 3] ?? a).accessToken, chat.id, `m${i}`, `c${i}`);
    const seqs = async (query: string) => (await historyOf(b.accessToken, chat.id, query)).map((m) => m.seq);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    expect(await seqs("")).toEqual(range(201, 250));
    expect(await seqs("?limit=200")).toEqual(range(51, 250));
    expect(await seqs("?after=0&limit=200")).toEqual(range(1, 200));
    expect(await seqs("?after=200&limit=200")).toEqual(range(201, 250));
    expect(await seqs("?after=250")).toEqual([]);
    expect(await seqs("?before=51")).toEqual(range(1, 50));
    expect(await seqs("?before=10&limit=5")).toEqual(range(5, 9));
    expect(await seqs("?before=3&limit=50")).toEqual([1, 2]);
    expect(await seqs("?after=10&before=15")).toEqual(range(11, 14));
    expect(await seqs("?after=10&limit=3")).toEqual([11, 12, 13]);
    const page = await historyOf(b.accessToken, chat.id, "?after=99&limit=1");
    expect(page[0]).toMatchObject({ seq: 100, text: "m100", clientId: "c100" });

    await expectProblem(await call(`/api/v1/chats/${chat.id}/messages?limit=201`, { token: a.accessToken }), 400, "validation_failed");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/messages?limit=0`, { token: a.accessToken }), 400, "validation_failed");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/messages?after=-1`, { token: a.accessToken }), 400, "validation_failed");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/messages?before=abc`, { token: a.accessToken }), 400, "validation_failed");
  });
});

describe("editing", () => {
  it("lets the sender edit (200 with editedAt) and nobody else; a deleted message cannot be edited", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    await postText(a.accessToken, chat.id, "черновик");

    const edited = await callJson<{ message: MessageView }>(`/api/v1/chats/${chat.id}/messages/1`, {
      token: a.accessToken,
      method: "PATCH",
      body: { text: "чистовик" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.message).toMatchObject({ seq: 1, text: "чистовик", senderId: a.user.id });
    expect(edited.body.message.editedAt).not.toBeNull();
    expect(await messageAt(b.accessToken, chat.id, 1)).toMatchObject({ text: "чистовик", editedAt: edited.body.message.editedAt });
    expect((await chatList(b.accessToken))[0]?.lastMessage?.text).toBe("чистовик");

    await expectProblem(await edit(b.accessToken, chat.id, 1, "чужая правка"), 403, "not_sender");
    // Even the group owner cannot put words in someone else's mouth.
    await postText(b.accessToken, chat.id, "сообщение Бориса");
    await expectProblem(await edit(a.accessToken, chat.id, 2, "правка владельца"), 403, "not_sender");
    await expectProblem(await edit(a.accessToken, chat.id, 1, "   "), 400, "empty_message");
    await expectProblem(await edit(a.accessToken, chat.id, 1, "я".repeat(4097)), 400, "validation_failed");
    await expectProblem(await edit(a.accessToken, chat.id, 99, "нет такого"), 404, "not_found");

    expect((await del(a.accessToken, chat.id, 1)).status).toBe(204);
    await expectProblem(await edit(a.accessToken, chat.id, 1, "воскрешение"), 409, "message_deleted");
    expect(await messageAt(a.accessToken, chat.id, 1)).toMatchObject({ text: null });
  });
});

describe("deleting", () => {
  it("leaves a tombstone without content when the sender deletes", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    await postText(a.accessToken, chat.id, "первое");
    await postText(a.accessToken, chat.id, "секрет");
    expect((await reaction(b.accessToken, chat.id, 2, "👍", "PUT")).status).toBe(204);
    expect((await pin(a.accessToken, chat.id, 2)).status).toBe(204);

    expect((await del(a.accessToken, chat.id, 2)).status).toBe(204);
    const tomb = await messageAt(b.accessToken, chat.id, 2);
    expect(tomb).toMatchObject({ seq: 2, senderId: a.user.id, text: null, attachments: [], reactions: [], pinned: false });
    expect(tomb.deletedAt).not.toBeNull();
    expect((await historyOf(b.accessToken, chat.id)).map((m) => m.seq)).toEqual([1, 2]);
    // The chat list does not keep the deleted text either.
    const [listed] = await chatList(b.accessToken);
    expect(listed?.lastMessage).toMatchObject({ seq: 2, text: null });
    expect(listed?.lastMessage?.deletedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain("секрет");
    expect(await search(b.accessToken, chat.id, "секрет")).toEqual([]);
    // Deleting again changes nothing.
    expect((await del(a.accessToken, chat.id, 2)).status).toBe(204);
    await expectProblem(await del(a.accessToken, chat.id, 3), 404, "not_found");
  });

  it("lets a group owner or admin delete anyone's message, but not another member", async () => {
    const [owner, admin, b, c] = await signInMany(4);
    const chat = await group(owner, [admin, b, c]);
    expect(
      (
        await call(`/api/v1/chats/${chat.id}/members/${admin.user.id}`, {
          token: owner.accessToken,
          method: "PATCH",
          body: { role: "admin" },
        })
      ).status,
    ).toBe(200);
    await postText(b.accessToken, chat.id, "спам 1");
    await postText(b.accessToken, chat.id, "спам 2");

    await expectProblem(await del(c.accessToken, chat.id, 1), 403, "not_sender");
    expect((await messageAt(c.accessToken, chat.id, 1)).deletedAt).toBeNull();
    expect((await del(owner.accessToken, chat.id, 1)).status).toBe(204);
    expect((await del(admin.accessToken, chat.id, 2)).status).toBe(204);
    const msgs = await historyOf(c.accessToken, chat.id);
    expect(msgs.map((m) => [m.text, m.deletedAt !== null])).toEqual([
      [null, true],
      [null, true],
    ]);
  });

  it("does not let the other person delete in a direct chat", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    await postText(a.accessToken, chat.id, "моё");
    await expectProblem(await del(b.accessToken, chat.id, 1), 403, "not_sender");
    expect((await messageAt(b.accessToken, chat.id, 1)).text).toBe("моё");
    expect((await del(a.accessToken, chat.id, 1)).status).toBe(204);
  });
});

describe("reactions", () => {
  it("adds idempotently, shows {emoji, count, userIds} and takes back", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    await postText(a.accessToken, chat.id, "реагируйте");
    expect((await reaction(b.accessToken, chat.id, 1, "👍", "PUT")).status).toBe(204);
    expect((await reaction(b.accessToken, chat.id, 1, "👍", "PUT")).status).toBe(204);
    expect((await messageAt(a.accessToken, chat.id, 1)).reactions).toEqual([{ emoji: "👍", count: 1, userIds: [b.user.id] }]);

    expect((await reaction(a.accessToken, chat.id, 1, "👍", "PUT")).status).toBe(204);
    expect((await reaction(a.accessToken, chat.id, 1, "❤️", "PUT")).status).toBe(204);
    const both = (await messageAt(a.accessToken, chat.id, 1)).reactions;
    expect(both).toHaveLength(2);
    expect(both.find((r) => r.emoji === "👍")).toEqual({ emoji: "👍", count: 2, userIds: [b.user.id, a.user.id] });
    expect(both.find((r) => r.emoji === "❤️")).toEqual({ emoji: "❤️", count: 1, userIds: [a.user.id] });

    expect((await reaction(b.accessToken, chat.id, 1, "👍", "DELETE")).status).toBe(204);
    expect((await reaction(b.accessToken, chat.id, 1, "👍", "DELETE")).status).toBe(204);
    expect((await reaction(a.accessToken, chat.id, 1, "❤️", "DELETE")).status).toBe(204);
    expect((await messageAt(b.accessToken, chat.id, 1)).reactions).toEqual([{ emoji: "👍", count: 1, userIds: [a.user.id] }]);
  });

  it("accepts single emoji of every kind and refuses anything else", async () => {
    const [a] = await signInMany(1);
    const chat = await group(a, []);
    await postText(a.accessToken, chat.id, "эмодзи");
    for (const emoji of ["👍🏽", "👨‍👩‍👧", "🇷🇺", "1️⃣", "#️⃣", "☺️"]) {
      expect((await reaction(a.accessToken, chat.id, 1, emoji, "PUT")).status, emoji).toBe(204);
    }
    for (const bad of ["abc", "1", "a👍b"]) {
      await expectProblem(await reaction(a.accessToken, chat.id, 1, bad, "PUT"), 400, "validation_failed");
    }
    expect((await messageAt(a.accessToken, chat.id, 1)).reactions.map((r) => r.emoji)).toEqual(["👍🏽", "👨‍👩‍👧", "🇷🇺", "1️⃣", "#️⃣", "☺️"]);
  });

  it("refuses reactions on a deleted message (409) and a missing one (404)", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    await postText(a.accessToken, chat.id, "скоро исчезнет");
    expect((await del(a.accessToken, chat.id, 1)).status).toBe(204);
    await expectProblem(await reaction(b.accessToken, chat.id, 1, "👍", "PUT"), 409, "message_deleted");
    await expectProblem(await reaction(b.accessToken, chat.id, 1, "👍", "DELETE"), 409, "message_deleted");
    await expectProblem(await reaction(b.accessToken, chat.id, 2, "👍", "PUT"), 404, "not_found");
  });
});

describe("pins", () => {
  it("owners pin in a group, plain members cannot; anyone pins in a direct chat", async () => {
    const [owner, b] = await signInMany(2);
    const chat = await group(owner, [b]);
    await postText(b.accessToken, chat.id, "важное");
    await postText(b.accessToken, chat.id, "неважное");

    await expectProblem(await pin(b.accessToken, chat.id, 1), 403, "not_allowed");
    expect((await pin(owner.accessToken, chat.id, 1)).status).toBe(204);
    expect((await pin(owner.accessToken, chat.id, 1)).status).toBe(204);
    expect((await messageAt(b.accessToken, chat.id, 1)).pinned).toBe(true);
    expect((await messageAt(b.accessToken, chat.id, 2)).pinned).toBe(false);
    const pins = await callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chat.id}/pins`, { token: b.accessToken });
    expect(pins.status).toBe(200);
    expect(pins.body.messages.map((m) => [m.seq, m.text, m.pinned])).toEqual([[1, "важное", true]]);
    await expectProblem(await pin(b.accessToken, chat.id, 1, "DELETE"), 403, "not_allowed");
    expect((await pin(owner.accessToken, chat.id, 1, "DELETE")).status).toBe(204);
    expect((await callJson<{ messages: MessageView[] }>(`/api/v1/chats/${chat.id}/pins`, { token: b.accessToken })).body.messages).toEqual(
      [],
    );
    await expectProblem(await pin(owner.accessToken, chat.id, 3), 404, "not_found");

    const [x, y] = await signInMany(2);
    const direct = await newChat(x.accessToken, { type: "direct", userId: y.user.id });
    await postText(x.accessToken, direct.id, "адрес: Тверская, 1");
    expect((await pin(y.accessToken, direct.id, 1)).status).toBe(204);
    expect((await messageAt(x.accessToken, direct.id, 1)).pinned).toBe(true);
    expect((await del(x.accessToken, direct.id, 1)).status).toBe(204);
    await expectProblem(await pin(y.accessToken, direct.id, 1), 409, "message_deleted");
  });
});

describe("channels", () => {
  it("let only owners and admins post; a subscriber is refused over HTTP and over the room socket", async () => {
    const [owner, admin, sub] = await signInMany(3);
    const channel = await newChat(owner.accessToken, { type: "channel", title: "Канал", memberIds: [admin.user.id, sub.user.id] });
    const promoted = await call(`/api/v1/chats/${channel.id}/members/${admin.user.id}`, {
      token: owner.accessToken,
      method: "PATCH",
      body: { role: "admin" },
    });
    expect(promoted.status).toBe(200);

    await expectProblem(await post(sub.accessToken, channel.id, { clientId: "sub-1", text: "можно мне?" }), 403, "not_allowed");
    const sock = await openSocket(`/api/v1/chats/${channel.id}/ws`, { token: sub.accessToken });
    sock.send({ type: "send", clientId: "sub-2", text: "а через сокет?" });
    const error = await sock.next((f) => f.type === "error");
    expect(error).toMatchObject({ type: "error", code: "not_allowed", clientId: "sub-2" });
    expect(sock.frames.some((f) => f.type === "ack" || f.type === "message")).toBe(false);
    expect(await historyOf(owner.accessToken, channel.id)).toEqual([]);
    expect((await chatList(owner.accessToken))[0]).toMatchObject({ id: channel.id, lastSeq: 0 });

    await postText(owner.accessToken, channel.id, "пост владельца");
    await postText(admin.accessToken, channel.id, "пост админа");
    await sock.next((f) => f.type === "message" && (f.message as MessageView).seq === 2);
    expect((await historyOf(sub.accessToken, channel.id)).map((m) => m.text)).toEqual(["пост владельца", "пост админа"]);
    // Subscribers can still read, and react.
    expect((await reaction(sub.accessToken, channel.id, 1, "🔥", "PUT")).status).toBe(204);
    sock.close();
  });
});

describe("mentions", () => {
  it("resolve @username of a member to their id, and not of a non-member", async () => {
    const bUsername = freshUsername("bor");
    const cUsername = freshUsername("out");
    const a = await signIn();
    const b = await signInWithProfile({ username: bUsername });
    const c = await signInWithProfile({ username: cUsername });
    const chat = await group(a, [b]);

    const m = await postText(a.accessToken, chat.id, `Привет, @${bUsername} и @${cUsername}!`);
    expect(m.mentions).toEqual([b.user.id]);
    const upper = await postText(a.accessToken, chat.id, `@${bUsername.toUpperCase()}, ответь`);
    expect(upper.mentions).toEqual([b.user.id]);
    const none = await postText(a.accessToken, chat.id, `письмо на x@${bUsername}.ru`);
    expect(none.mentions).toEqual([]);
    expect((await messageAt(b.accessToken, chat.id, 1)).mentions).toEqual([b.user.id]);
    expect(c.user.username).toBe(cUsername);
  });
});

describe("the mention mark in the chat list", () => {
  const readUpTo = (who: SignedIn, chatId: string, seq: number) =>
    call(`/api/v1/chats/${chatId}/read`, { token: who.accessToken, body: { seq } });
  const listed = async (who: SignedIn, chatId: string) => (await chatList(who.accessToken)).find((c) => c.id === chatId);

  it("marks the chat for the mentioned member until they read past the mention, live and for a member away", async () => {
    const username = freshUsername("men");
    const a = await signIn();
    const b = await signInWithProfile({ username });
    const chat = await group(a, [b]);
    await postText(a.accessToken, chat.id, "без упоминаний");
    expect(await listed(b, chat.id)).toMatchObject({ unreadCount: 1, unreadMention: false });

    // Away (no socket): the mention marks the chat all the same.
    await postText(a.accessToken, chat.id, `@${username}, посмотри`);
    await postText(a.accessToken, chat.id, "и ещё одно");
    await expect.poll(async () => (await listed(b, chat.id))?.unreadMention, { timeout: 5000 }).toBe(true);
    // The writer's own list has no mark: no one mentioned them.
    expect(await listed(a, chat.id)).toMatchObject({ unreadMention: false });

    // Reading up to just before the mention keeps the mark; reading past it clears it.
    expect((await readUpTo(b, chat.id, 1)).status).toBe(204);
    expect(await listed(b, chat.id)).toMatchObject({ unreadCount: 2, unreadMention: true });
    expect((await readUpTo(b, chat.id, 3)).status).toBe(204);
    await expect.poll(async () => (await listed(b, chat.id))?.unreadMention, { timeout: 5000 }).toBe(false);

    // Online: the chat list's socket gets the chat with its mark.
    const inbox = await openSocket("/api/v1/inbox/ws", { token: b.accessToken });
    await postText(a.accessToken, chat.id, `снова @${username}`);
    await inbox.next((f) => f.type === "chat" && (f.chat as { id: string; unreadMention: boolean }).unreadMention === true);
    inbox.close();
  });
});

describe("forwarding", () => {
  it("copies the original into another chat and credits its author", async () => {
    const [a, b, c, stranger] = await signInMany(4);
    const source = await group(b, [a], "Источник");
    const target = await group(a, [c], "Цель");
    await postText(b.accessToken, source.id, "оригинальный текст");

    const fwd = await callJson<{ message: MessageView }>(`/api/v1/chats/${target.id}/messages`, {
      token: a.accessToken,
      body: { clientId: "fwd-1", forwardOf: { chatId: source.id, seq: 1 } },
    });
    expect(fwd.status).toBe(201);
    expect(fwd.body.message).toMatchObject({
      chatId: target.id,
      seq: 1,
      senderId: a.user.id,
      text: "оригинальный текст",
      forwardOf: { chatId: source.id, seq: 1, senderId: b.user.id },
    });
    expect(await messageAt(c.accessToken, target.id, 1)).toMatchObject({ forwardOf: { chatId: source.id, seq: 1, senderId: b.user.id } });

    // A chat you are not in cannot be a source, whether or not the message exists.
    const secret = await group(stranger, [], "Чужой");
    await postText(stranger.accessToken, secret.id, "чужая тайна");
    await expectProblem(
      await post(a.accessToken, target.id, { clientId: "fwd-2", forwardOf: { chatId: secret.id, seq: 1 } }),
      404,
      "not_found",
    );
    await expectProblem(
      await post(a.accessToken, target.id, { clientId: "fwd-3", forwardOf: { chatId: source.id, seq: 9 } }),
      404,
      "not_found",
    );
    await expectProblem(
      await post(a.accessToken, target.id, { clientId: "fwd-4", text: "мой комментарий", forwardOf: { chatId: source.id, seq: 1 } }),
      400,
      "validation_failed",
    );
    expect((await historyOf(c.accessToken, target.id)).map((m) => m.text)).toEqual(["оригинальный текст"]);

    // A deleted original cannot be forwarded.
    expect((await del(b.accessToken, source.id, 1)).status).toBe(204);
    await expectProblem(
      await post(a.accessToken, target.id, { clientId: "fwd-5", forwardOf: { chatId: source.id, seq: 1 } }),
      404,
      "not_found",
    );
  });
});

describe("search", () => {
  it("finds Russian and English words case-insensitively, by prefix, with ё as е, and not deleted ones", async () => {
    const [a, b] = await signInMany(2);
    const chat = await group(a, [b]);
    const texts = ["Документы готовы", "привет всем", "Ёлка наряжена", "Hello World", "секретный план", "документов нет"];
    for (const t of texts) await postText(a.accessToken, chat.id, t);
    expect((await del(a.accessToken, chat.id, 5)).status).toBe(204);
    const found = async (q: string) => (await search(b.accessToken, chat.id, q)).map((m) => m.text).sort();

    expect(await found("докум")).toEqual(["Документы готовы", "документов нет"]);
    expect(await found("Документы")).toEqual(["Документы готовы"]);
    expect(await found("ПРИВЕТ")).toEqual(["привет всем"]);
    expect(await found("ёлка")).toEqual(["Ёлка наряжена"]);
    expect(await found("елка")).toEqual(["Ёлка наряжена"]);
    expect(await found("ЁЛК")).toEqual(["Ёлка наряжена"]);
    expect(await found("hello")).toEqual(["Hello World"]);
    expect(await found("WOR")).toEqual(["Hello World"]);
    expect(await found("докум готов")).toEqual(["Документы готовы"]);
    expect(await found("документы привет")).toEqual([]);
    expect(await found("секрет")).toEqual([]);
    expect(await found("план")).toEqual([]);

    // An edit is searchable by its new words only.
    expect((await edit(a.accessToken, chat.id, 4, "Goodbye moon")).status).toBe(200);
    expect(await found("hello")).toEqual([]);
    expect(await found("moon")).toEqual(["Goodbye moon"]);
  });

  it("treats search syntax as plain text (200, never an error)", async () => {
    const [a] = await signInMany(1);
    const chat = await group(a, []);
    await postText(a.accessToken, chat.id, "кошки OR собаки");
    for (const q of [
      '"',
      "*",
      "OR",
      "NEAR(",
      "кошки OR",
      "NOT собаки",
      'text:"x',
      "(",
      ")",
      "^кошки",
      "-",
      "AND AND",
      "кош*",
      "{text}: x",
    ]) {
      await search(a.accessToken, chat.id, q);
    }
    expect((await search(a.accessToken, chat.id, '"кошки"')).map((m) => m.seq)).toEqual([1]);
    await expectProblem(await call(`/api/v1/chats/${chat.id}/search?q=`, { token: a.accessToken }), 400, "validation_failed");
  });
});

describe("authorization", () => {
  async function everyChatEndpoint(chatId: string, userId: string) {
    return [
      ["GET chat", `/api/v1/chats/${chatId}`, "GET", undefined],
      ["GET members", `/api/v1/chats/${chatId}/members`, "GET", undefined],
      ["POST members", `/api/v1/chats/${chatId}/members`, "POST", { userId }],
      ["PATCH member", `/api/v1/chats/${chatId}/members/${userId}`, "PATCH", { role: "admin" }],
      ["DELETE member", `/api/v1/chats/${chatId}/members/${userId}`, "DELETE", undefined],
      ["GET messages", `/api/v1/chats/${chatId}/messages`, "GET", undefined],
      ["POST messages", `/api/v1/chats/${chatId}/messages`, "POST", { clientId: "intruder", text: "hi" }],
      ["PATCH message", `/api/v1/chats/${chatId}/messages/1`, "PATCH", { text: "hacked" }],
      ["DELETE message", `/api/v1/chats/${chatId}/messages/1`, "DELETE", undefined],
      ["PUT reaction", `/api/v1/chats/${chatId}/messages/1/reactions/${encodeURIComponent("👍")}`, "PUT", undefined],
      ["DELETE reaction", `/api/v1/chats/${chatId}/messages/1/reactions/${encodeURIComponent("👍")}`, "DELETE", undefined],
      ["PUT pin", `/api/v1/chats/${chatId}/messages/1/pin`, "PUT", undefined],
      ["DELETE pin", `/api/v1/chats/${chatId}/messages/1/pin`, "DELETE", undefined],
      ["GET pins", `/api/v1/chats/${chatId}/pins`, "GET", undefined],
      ["POST read", `/api/v1/chats/${chatId}/read`, "POST", { seq: 1 }],
      ["GET search", `/api/v1/chats/${chatId}/search?q=secret`, "GET", undefined],
    ] as const;
  }

  it("answers 404 (not 403) to a non-member on every chat endpoint, as for a chat that does not exist", async () => {
    const [owner, member, outsider] = await signInMany(3);
    const chat = await group(owner, [member]);
    await postText(member.accessToken, chat.id, "secret message");
    for (const chatId of [chat.id, "no-such-chat"]) {
      for (const [name, path, method, body] of await everyChatEndpoint(chatId, member.user.id)) {
        const res = await call(path, { token: outsider.accessToken, method, body });
        expect(res.status, `${name} ${chatId}`).toBe(404);
        await expectProblem(res, 404, "not_found");
      }
      const ws = await call(`/api/v1/chats/${chatId}/ws`, { token: outsider.accessToken, headers: { upgrade: "websocket" } });
      await expectProblem(ws, 404, "not_found");
    }
    // Nothing changed.
    const [m] = await historyOf(owner.accessToken, chat.id);
    expect(m).toMatchObject({ text: "secret message", reactions: [], pinned: false, deletedAt: null });
    expect(await historyOf(owner.accessToken, chat.id)).toHaveLength(1);
    expect((await chatList(owner.accessToken))[0]?.memberCount).toBe(2);
  });

  it("answers 401 without a token everywhere", async () => {
    const [owner, member] = await signInMany(2);
    const chat = await group(owner, [member]);
    await postText(owner.accessToken, chat.id, "hi");
    const endpoints = [
      ...(await everyChatEndpoint(chat.id, member.user.id)),
      ["GET chats", "/api/v1/chats", "GET", undefined],
      ["POST chats", "/api/v1/chats", "POST", { type: "group", title: "x" }],
      ["POST ws-tickets", "/api/v1/ws-tickets", "POST", {}],
    ] as const;
    for (const [name, path, method, body] of endpoints) {
      const res = await call(path, { method, body });
      expect(res.status, name).toBe(401);
      await expectProblem(res, 401, "unauthorized");
      const bad = await call(path, { method, body, token: "not-a-token" });
      expect(bad.status, `${name} with a bad token`).toBe(401);
    }
    for (const path of [`/api/v1/chats/${chat.id}/ws`, "/api/v1/inbox/ws"]) {
      await expectProblem(await call(path, { headers: { upgrade: "websocket" } }), 401, "unauthorized");
      expect((await call(path, { token: "not-a-token", headers: { upgrade: "websocket" } })).status).toBe(401);
    }
  });
});

describe("socket tickets", () => {
  it("open a socket once without a header; a reused ticket is refused", async () => {
    const [a, b, outsider] = await signInMany(3);
    const chat = await group(a, [b]);
    const issued = await callJson<{ ticket: string }>("/api/v1/ws-tickets", { token: b.accessToken, body: {} });
    expect(issued.status).toBe(201);
    expect(typeof issued.body.ticket).toBe("string");
    const path = `/api/v1/chats/${chat.id}/ws?ticket=${encodeURIComponent(issued.body.ticket)}`;

    const sock = await openSocket(path);
    sock.send({ type: "send", clientId: "via-ticket", text: "по билету" });
    expect(await sock.next((f) => f.type === "ack")).toEqual({ type: "ack", clientId: "via-ticket", seq: 1, pts: 1 });
    expect((await messageAt(a.accessToken, chat.id, 1)).senderId).toBe(b.user.id);

    await expectProblem(await call(path, { headers: { upgrade: "websocket" } }), 401, "invalid_ticket");
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/ws?ticket=made-up`, { headers: { upgrade: "websocket" } }),
      401,
      "invalid_ticket",
    );

    // A ticket does not let a non-member in.
    const theirs = await callJson<{ ticket: string }>("/api/v1/ws-tickets", { token: outsider.accessToken, body: {} });
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/ws?ticket=${encodeURIComponent(theirs.body.ticket)}`, { headers: { upgrade: "websocket" } }),
      404,
      "not_found",
    );
    // Tickets open the inbox too.
    const forInbox = await callJson<{ ticket: string }>("/api/v1/ws-tickets", { token: b.accessToken, body: {} });
    const inbox = await openSocket(`/api/v1/inbox/ws?ticket=${encodeURIComponent(forInbox.body.ticket)}`);
    inbox.close();
    sock.close();
  });

  it("answers 426 upgrade_required to a plain GET on a socket path", async () => {
    const [a] = await signInMany(1);
    const chat = await group(a, []);
    const res = await call(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    await expectProblem(res, 426, "upgrade_required");
    await expectProblem(await call("/api/v1/inbox/ws", { token: a.accessToken }), 426, "upgrade_required");
  });
});

describe("the inbox socket", () => {
  it("pushes the chat with its new lastSeq and unreadCount when someone writes, and survives a stray frame", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    const inbox = await openSocket("/api/v1/inbox/ws", { token: b.accessToken });
    const chatFrame = (lastSeq: number, unreadCount: number, from = 0) =>
      inbox.next(
        (f) => {
          const c = f.chat as ChatView | undefined;
          return f.type === "chat" && c?.id === chat.id && c.lastSeq === lastSeq && c.unreadCount === unreadCount;
        },
        5000,
        from,
      );

    await postText(a.accessToken, chat.id, "ты тут?");
    const first = await chatFrame(1, 1);
    expect((first.chat as ChatView).lastMessage).toMatchObject({ seq: 1, text: "ты тут?", senderId: a.user.id });
    await postText(a.accessToken, chat.id, "ау");
    await chatFrame(2, 2);

    const before = inbox.frames.length;
    inbox.send({ type: "send", clientId: "x", text: "inbox takes nothing" });
    const error = await inbox.next((f) => f.type === "error", 5000, before);
    expect(typeof error.code).toBe("string");
    inbox.send("not json");
    await inbox.next((f) => f.type === "error", 5000, before + 1);

    // Still open: the next change arrives, and reading is pushed too.
    const mark = inbox.frames.length;
    await postText(a.accessToken, chat.id, "третье");
    await chatFrame(3, 3, mark);
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: b.accessToken, body: { seq: 3 } })).status).toBe(204);
    await chatFrame(3, 0, mark);
    inbox.close();
  });

  it("tells a subscriber of a (not huge) channel about new posts, with the unread count", async () => {
    const [owner, sub] = await signInMany(2);
    const channel = await newChat(owner.accessToken, { type: "channel", title: "Новости района", memberIds: [sub.user.id] });
    const inbox = await openSocket("/api/v1/inbox/ws", { token: sub.accessToken });
    await postText(owner.accessToken, channel.id, "Автобус № 12 ходит по новому расписанию");
    const frame = await inbox.next(
      (f) => f.type === "chat" && (f.chat as ChatView).id === channel.id && (f.chat as ChatView).lastSeq === 1,
    );
    expect(frame.chat).toMatchObject({ type: "channel", unreadCount: 1, role: "member" });
    inbox.close();
  });
});
