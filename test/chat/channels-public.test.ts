// Issue 13, public channels (../shared/api-contract.md v1.1, "Public channels"): a channel with a username is
// found by anyone signed in, previewed before joining (read only), joined and left; usernames are one
// namespace with people's; invite links, bans and handing the channel to a new owner.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
  type ChatView,
  call,
  callJson,
  chatList,
  expectProblem,
  freshUsername,
  historyOf,
  newChat,
  openSocket,
  postText,
  type SignedIn,
  signIn,
  signInMany,
  signInWithProfile,
} from "../helpers";

const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));

async function publicChannel(owner: SignedIn, title = "Новости района"): Promise<{ chat: ChatView; username: string }> {
  const username = freshUsername("ch");
  const chat = await newChat(owner.accessToken, { type: "channel", title, username });
  return { chat, username };
}

const find = (u: SignedIn, username: string) =>
  callJson<{ chat: ChatView & { readSeq: number }; username: string; subscribed: boolean }>(`/api/v1/channels/${username}`, {
    token: u.accessToken,
  });
const join = (u: SignedIn, chatId: string) =>
  callJson<{ chat: ChatView }>(`/api/v1/chats/${chatId}/join`, { method: "POST", token: u.accessToken });
const leave = (u: SignedIn, chatId: string) =>
  call(`/api/v1/chats/${chatId}/members/${u.user.id}`, { method: "DELETE", token: u.accessToken });
const storedCount = (chatId: string) =>
  runInDurableObject(
    room(chatId),
    (_: unknown, state) => state.storage.sql.exec<{ n: number }>("SELECT n FROM member_count WHERE id = 0").one().n,
  );
const d1Count = async (chatId: string) =>
  (await env.DB.prepare("SELECT member_count AS n FROM chats WHERE id = ?1").bind(chatId).first<{ n: number }>())?.n;

describe("a public channel", () => {
  it("is found by its username by anyone signed in, with its subscriber count, as it would be after joining", async () => {
    const [owner, reader] = await signInMany(2);
    const { chat, username } = await publicChannel(owner);
    await postText(owner.accessToken, chat.id, "Первая новость");
    const { status, body } = await find(reader, username.toUpperCase());
    expect(status).toBe(200);
    expect(body).toMatchObject({ username, subscribed: false });
    expect(body.chat).toMatchObject({
      id: chat.id,
      type: "channel",
      title: "Новости района",
      memberCount: 1,
      role: "member",
      lastSeq: 1,
      unreadCount: 0,
      readSeq: 1,
      lastMessage: { text: "Первая новость" },
    });
    // The owner sees it as their own chat.
    expect((await find(owner, username)).body).toMatchObject({ subscribed: true, chat: { role: "owner" } });
    // GET /chats/:id names the username to members.
    expect((await callJson(`/api/v1/chats/${chat.id}`, { token: owner.accessToken })).body).toMatchObject({ username });
  });

  it("is 404 by username when private, a person's, or unknown, and the lookup needs a signed-in caller", async () => {
    const [owner, reader] = await signInMany(2);
    await newChat(owner.accessToken, { type: "channel", title: "Закрытый" });
    const person = await signInWithProfile({ username: freshUsername("p") });
    await expectProblem(await call(`/api/v1/channels/${person.user.username}`, { token: reader.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/channels/${freshUsername("none")}`, { token: reader.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/channels/${freshUsername("x")}`), 401, "unauthorized");
    await expectProblem(await call("/api/v1/channels/1bad", { token: reader.accessToken }), 400, "validation_failed");
  });

  it("shows its latest posts to non-members, read only: they cannot post, react or mark read", async () => {
    const [owner, reader] = await signInMany(2);
    const { chat } = await publicChannel(owner);
    for (const text of ["раз", "два", "три"]) await postText(owner.accessToken, chat.id, text);
    const preview = await callJson<{ messages: { text: string }[] }>(`/api/v1/chats/${chat.id}/messages?limit=2`, {
      token: reader.accessToken,
    });
    expect(preview.status).toBe(200);
    expect(preview.body.messages.map((m) => m.text)).toEqual(["два", "три"]);
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/messages`, { token: reader.accessToken, body: { clientId: "c1", text: "привет" } }),
      404,
      "not_found",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/messages/1/reactions/${encodeURIComponent("👍")}`, { method: "PUT", token: reader.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await call(`/api/v1/chats/${chat.id}/read`, { token: reader.accessToken, body: { seq: 3 } }), 404, "not_found");
    expect((await historyOf(owner.accessToken, chat.id)).every((m) => m.reactions.length === 0)).toBe(true);
    // A private channel's posts stay with its members.
    const closed = await newChat(owner.accessToken, { type: "channel", title: "Закрытый" });
    await postText(owner.accessToken, closed.id, "секрет");
    await expectProblem(await call(`/api/v1/chats/${closed.id}/messages`, { token: reader.accessToken }), 404, "not_found");
  });

  it("is joined (idempotently) as a subscriber, who reads and reacts but does not post, and leaves", async () => {
    const [owner, reader] = await signInMany(2);
    const { chat, username } = await publicChannel(owner);
    await postText(owner.accessToken, chat.id, "раз");
    const first = await join(reader, chat.id);
    expect(first.status).toBe(200);
    // What the preview showed counts as read.
    expect(first.body.chat).toMatchObject({ id: chat.id, role: "member", memberCount: 2, lastSeq: 1, unreadCount: 0 });
    const again = await join(reader, chat.id);
    expect(again.status).toBe(200);
    expect(again.body.chat).toMatchObject({ role: "member", memberCount: 2 });
    expect((await chatList(reader.accessToken)).map((c) => c.id)).toContain(chat.id);
    expect((await find(reader, username)).body.subscribed).toBe(true);
    // Joining again as the owner keeps the owner's role.
    expect((await join(owner, chat.id)).body.chat.role).toBe("owner");

    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/messages`, { token: reader.accessToken, body: { clientId: "c1", text: "можно?" } }),
      403,
      "not_allowed",
    );
    expect(
      (
        await call(`/api/v1/chats/${chat.id}/messages/1/reactions/${encodeURIComponent("👍")}`, {
          method: "PUT",
          token: reader.accessToken,
        })
      ).status,
    ).toBe(204);
    await postText(owner.accessToken, chat.id, "два");
    await expect
      .poll(async () => (await chatList(reader.accessToken)).find((c) => c.id === chat.id), { timeout: 3000, interval: 50 })
      .toMatchObject({ lastSeq: 2, unreadCount: 1 });

    expect((await leave(reader, chat.id)).status).toBe(204);
    expect((await find(reader, username)).body).toMatchObject({ subscribed: false, chat: { memberCount: 1 } });
    await expect
      .poll(async () => (await chatList(reader.accessToken)).map((c) => c.id), { timeout: 3000, interval: 50 })
      .not.toContain(chat.id);
  });

  it("keeps its subscribers private: a subscriber lists only its owners and admins and themselves; admins list everyone", async () => {
    const [owner, admin, ann, ben] = await signInMany(4);
    const { chat } = await publicChannel(owner);
    for (const u of [admin, ann, ben]) expect((await join(u, chat.id)).status).toBe(200);
    const promoted = await call(`/api/v1/chats/${chat.id}/members/${admin.user.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { role: "admin" },
    });
    expect(promoted.status).toBe(200);
    // Ann reads far, Ben does not: neither may learn of the other, nor how far they read.
    const seq = (await postText(owner.accessToken, chat.id, "Новость")).seq;
    expect((await call(`/api/v1/chats/${chat.id}/read`, { token: ann.accessToken, body: { seq } })).status).toBe(204);
    const list = async (u: SignedIn, after = "") =>
      (
        await callJson<{ members: { userId: string; role: string; readSeq: number }[] }>(
          `/api/v1/chats/${chat.id}/members?after=${after}&limit=200`,
          { token: u.accessToken },
        )
      ).body.members;
    const ids = (ms: { userId: string }[]) => ms.map((m) => m.userId).sort();
    expect(ids(await list(ben))).toEqual([owner.user.id, admin.user.id, ben.user.id].sort());
    expect((await list(ann)).find((m) => m.userId === ann.user.id)?.readSeq).toBe(seq);
    expect((await list(ann)).some((m) => m.userId === ben.user.id)).toBe(false);
    // Those who run it see every subscriber, as they manage them.
    expect(ids(await list(admin))).toEqual([owner.user.id, admin.user.id, ann.user.id, ben.user.id].sort());
    expect((await list(owner)).find((m) => m.userId === ann.user.id)?.readSeq).toBe(seq);
    // Paging after the last one seen keeps the same rule.
    const first = ids(await list(ben))[0] ?? "";
    expect(ids(await list(ben, first))).toEqual(ids(await list(ben)).slice(1));
  });

  it("cannot be joined when it is not public (404, nothing revealed) or the chat does not exist", async () => {
    const [owner, reader] = await signInMany(2);
    const closed = await newChat(owner.accessToken, { type: "channel", title: "Закрытый" });
    const group = await newChat(owner.accessToken, { type: "group", title: "Группа" });
    for (const id of [closed.id, group.id, "no-such-chat"])
      await expectProblem(await call(`/api/v1/chats/${id}/join`, { method: "POST", token: reader.accessToken }), 404, "not_found");
    expect(await storedCount(closed.id)).toBe(1);
    await expectProblem(await call(`/api/v1/chats/${closed.id}/join`, { method: "POST" }), 401, "unauthorized");
  });

  it("keeps its member count in the room's storage, exact after many joins and leaves, and reads it without a scan", async () => {
    const owner = await signIn();
    const { chat, username } = await publicChannel(owner);
    const people = await signInMany(8);
    for (const p of people) expect((await join(p, chat.id)).status).toBe(200);
    for (const p of people.slice(0, 3)) expect((await leave(p, chat.id)).status).toBe(204);
    // Leaving twice and joining twice change nothing.
    await join(people[5] as SignedIn, chat.id);
    expect((await leave(people[0] as SignedIn, chat.id)).status).toBe(404);
    expect(await storedCount(chat.id)).toBe(6);
    expect(await d1Count(chat.id)).toBe(6);
    expect((await find(people[7] as SignedIn, username)).body.chat.memberCount).toBe(6);
    // The owner's chat list has it with the next coalesced push.
    await expect.poll(async () => (await find(owner, username)).body.chat.memberCount, { timeout: 3000, interval: 100 }).toBe(6);
    // The count shown is the stored counter, not a COUNT(*) of the members table.
    await runInDurableObject(room(chat.id), (_: unknown, state) => state.storage.sql.exec("UPDATE member_count SET n = 12345"));
    expect((await find(people[7] as SignedIn, username)).body.chat.memberCount).toBe(12345);
    await runInDurableObject(room(chat.id), (_: unknown, state) => state.storage.sql.exec("UPDATE member_count SET n = 6"));
  });
});

describe("channel usernames", () => {
  it("share one namespace with people's: neither takes the other's, nor another channel's (409 username_taken)", async () => {
    const owner = await signIn();
    const person = await signInWithProfile({ username: freshUsername("p") });
    const personName = person.user.username as string;
    await expectProblem(
      await call("/api/v1/chats", {
        token: owner.accessToken,
        body: { type: "channel", title: "Чужое имя", username: personName.toUpperCase() },
      }),
      409,
      "username_taken",
    );
    const { username } = await publicChannel(owner);
    await expectProblem(
      await call("/api/v1/chats", { token: owner.accessToken, body: { type: "channel", title: "Второй", username } }),
      409,
      "username_taken",
    );
    await expectProblem(
      await call("/api/v1/me", { method: "PATCH", token: person.accessToken, body: { username } }),
      409,
      "username_taken",
    );
    // Nothing was made or changed by the refusals.
    expect((await chatList(owner.accessToken)).length).toBe(1);
    expect((await callJson<{ user: { username: string } }>("/api/v1/me", { token: person.accessToken })).body.user.username).toBe(
      personName,
    );
  });

  it("follow the users' rules, only on channels, and bad input changes nothing", async () => {
    const owner = await signIn();
    for (const bad of ["ab", "1abc", "has space", "x".repeat(33), "кирилл"]) {
      const res = await call("/api/v1/chats", { token: owner.accessToken, body: { type: "channel", title: "Канал", username: bad } });
      const problem = await expectProblem(res, 400, "validation_failed");
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: "username" })]));
    }
    await expectProblem(
      await call("/api/v1/chats", { token: owner.accessToken, body: { type: "group", title: "Группа", username: freshUsername("g") } }),
      400,
      "validation_failed",
    );
    expect(await chatList(owner.accessToken)).toEqual([]);
  });

  it("are set, changed and cleared by the owner only (PATCH /chats/:id), taking the preview with them", async () => {
    const [owner, admin, reader] = await signInMany(3);
    const chat = await newChat(owner.accessToken, { type: "channel", title: "Канал", memberIds: [admin.user.id] });
    await callJson(`/api/v1/chats/${chat.id}/members/${admin.user.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { role: "admin" },
    });
    await postText(owner.accessToken, chat.id, "пост");
    const name = freshUsername("ch");
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: admin.accessToken, body: { username: name } }),
      403,
      "not_allowed",
    );
    const set = await callJson<{ chat: ChatView; username: string }>(`/api/v1/chats/${chat.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { username: name },
    });
    expect(set.status).toBe(200);
    expect(set.body.username).toBe(name);
    expect((await find(reader, name)).status).toBe(200);
    expect((await callJson(`/api/v1/chats/${chat.id}/messages`, { token: reader.accessToken })).status).toBe(200);
    const renamed = freshUsername("ch");
    await callJson(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: owner.accessToken, body: { username: renamed } });
    expect((await find(reader, name)).status).toBe(404);
    expect((await find(reader, renamed)).status).toBe(200);
    const cleared = await callJson<{ username: string | null }>(`/api/v1/chats/${chat.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { username: null },
    });
    expect(cleared.body.username).toBeNull();
    expect((await find(reader, renamed)).status).toBe(404);
    await expectProblem(await call(`/api/v1/chats/${chat.id}/messages`, { token: reader.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/join`, { method: "POST", token: reader.accessToken }), 404, "not_found");
    // The freed name can be a person's now.
    expect((await call("/api/v1/me", { method: "PATCH", token: reader.accessToken, body: { username: renamed } })).status).toBe(200);
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: owner.accessToken, body: {} }),
      400,
      "validation_failed",
    );
  });
});

interface NewInvite {
  id: string;
  token: string;
  url: string;
  uses: number;
}

describe("invite links", () => {
  it("let anyone signed in into a private channel until revoked; only owners and admins make and list them", async () => {
    const [owner, member, guest, late] = await signInMany(4);
    const chat = await newChat(owner.accessToken, { type: "channel", title: "Закрытый", memberIds: [member.user.id] });
    await expectProblem(await call(`/api/v1/chats/${chat.id}/invites`, { method: "POST", token: member.accessToken }), 403, "not_allowed");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/invites`, { method: "POST", token: guest.accessToken }), 404, "not_found");
    const made = await callJson<{ invite: NewInvite }>(`/api/v1/chats/${chat.id}/invites`, { method: "POST", token: owner.accessToken });
    expect(made.status).toBe(201);
    const { token, id, url } = made.body.invite;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(url).toContain(token);
    // Only a hash is stored.
    const stored = await env.DB.prepare("SELECT token_hash FROM chat_invites WHERE id = ?1").bind(id).first<{ token_hash: string }>();
    expect(stored?.token_hash).not.toContain(token);

    const joined = await callJson<{ chat: ChatView }>(`/api/v1/invites/${token}/join`, { method: "POST", token: guest.accessToken });
    expect(joined.status).toBe(200);
    expect(joined.body.chat).toMatchObject({ id: chat.id, role: "member", memberCount: 3 });
    expect((await callJson(`/api/v1/invites/${token}/join`, { method: "POST", token: guest.accessToken })).status).toBe(200);
    const listed = await callJson<{ invites: (Omit<NewInvite, "token"> & { token?: string })[] }>(`/api/v1/chats/${chat.id}/invites`, {
      token: owner.accessToken,
    });
    expect(listed.body.invites).toEqual([expect.objectContaining({ id, uses: 1 })]);
    expect(listed.body.invites[0]?.token).toBeUndefined();
    await expectProblem(await call(`/api/v1/chats/${chat.id}/invites`, { token: member.accessToken }), 403, "not_allowed");

    expect((await call(`/api/v1/chats/${chat.id}/invites/${token}`, { method: "DELETE", token: owner.accessToken })).status).toBe(204);
    await expectProblem(await call(`/api/v1/invites/${token}/join`, { method: "POST", token: late.accessToken }), 404, "not_found");
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/invites/${id}`, { method: "DELETE", token: owner.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await call("/api/v1/invites/not-a-token/join", { method: "POST", token: late.accessToken }), 404, "not_found");
    expect((await chatList(late.accessToken)).map((c) => c.id)).not.toContain(chat.id);
    // The one who joined stays.
    expect((await chatList(guest.accessToken)).map((c) => c.id)).toContain(chat.id);
  });

  it("never reach the logs: the request log names the path with the token replaced", async () => {
    const [owner, guest] = await signInMany(2);
    const chat = await newChat(owner.accessToken, { type: "channel", title: "Закрытый" });
    const lines: string[] = [];
    const spies = (["log", "warn", "error"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      }),
    );
    try {
      const { invite } = (
        await callJson<{ invite: NewInvite }>(`/api/v1/chats/${chat.id}/invites`, { method: "POST", token: owner.accessToken })
      ).body;
      expect((await call(`/api/v1/invites/${invite.token}/join`, { method: "POST", token: guest.accessToken })).status).toBe(200);
      expect((await call(`/api/v1/chats/${chat.id}/invites/${invite.token}`, { method: "DELETE", token: owner.accessToken })).status).toBe(
        204,
      );
      expect(lines.some((l) => l.includes("/api/v1/invites/:token/join"))).toBe(true);
      expect(lines.filter((l) => l.includes(invite.token))).toEqual([]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("are revoked by id too, and work for groups", async () => {
    const [owner, guest] = await signInMany(2);
    const group = await newChat(owner.accessToken, { type: "group", title: "Соседи" });
    const { invite } = (
      await callJson<{ invite: NewInvite }>(`/api/v1/chats/${group.id}/invites`, { method: "POST", token: owner.accessToken })
    ).body;
    const other = (await callJson<{ invite: NewInvite }>(`/api/v1/chats/${group.id}/invites`, { method: "POST", token: owner.accessToken }))
      .body.invite;
    expect((await call(`/api/v1/chats/${group.id}/invites/${invite.id}`, { method: "DELETE", token: owner.accessToken })).status).toBe(204);
    await expectProblem(await call(`/api/v1/invites/${invite.token}/join`, { method: "POST", token: guest.accessToken }), 404, "not_found");
    const joined = await callJson<{ chat: ChatView }>(`/api/v1/invites/${other.token}/join`, { method: "POST", token: guest.accessToken });
    expect(joined.body.chat).toMatchObject({ type: "group", role: "member", memberCount: 2 });
    // A member of a group posts.
    expect((await postText(guest.accessToken, group.id, "привет")).seq).toBe(1);
  });
});

describe("bans", () => {
  it("remove a subscriber and keep them out of joining by username and by invite, until lifted", async () => {
    const [owner, reader] = await signInMany(2);
    const { chat } = await publicChannel(owner);
    await join(reader, chat.id);
    const sock = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: reader.accessToken });
    const banned = await callJson<{ ban: { userId: string; bannedBy: string } }>(`/api/v1/chats/${chat.id}/bans`, {
      token: owner.accessToken,
      body: { userId: reader.user.id },
    });
    expect(banned.status).toBe(201);
    expect(banned.body.ban).toMatchObject({ userId: reader.user.id, bannedBy: owner.user.id });
    expect((await sock.closed).code).toBe(4003);
    expect((await callJson(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken, body: { userId: reader.user.id } })).status).toBe(
      200,
    );
    expect(await storedCount(chat.id)).toBe(1);

    await expectProblem(await call(`/api/v1/chats/${chat.id}/join`, { method: "POST", token: reader.accessToken }), 403, "banned");
    const { invite } = (
      await callJson<{ invite: NewInvite }>(`/api/v1/chats/${chat.id}/invites`, { method: "POST", token: owner.accessToken })
    ).body;
    await expectProblem(await call(`/api/v1/invites/${invite.token}/join`, { method: "POST", token: reader.accessToken }), 403, "banned");
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/members`, { token: owner.accessToken, body: { userId: reader.user.id } }),
      403,
      "banned",
    );
    expect(await storedCount(chat.id)).toBe(1);
    const list = await callJson<{ bans: { userId: string }[] }>(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken });
    expect(list.body.bans.map((b) => b.userId)).toEqual([reader.user.id]);

    expect((await call(`/api/v1/chats/${chat.id}/bans/${reader.user.id}`, { method: "DELETE", token: owner.accessToken })).status).toBe(
      204,
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/bans/${reader.user.id}`, { method: "DELETE", token: owner.accessToken }),
      404,
      "not_found",
    );
    expect((await join(reader, chat.id)).status).toBe(200);
  });

  it("are for owners and admins; admins ban only subscribers; nobody bans themselves", async () => {
    const [owner, admin, sub, outsider] = await signInMany(4);
    const { chat } = await publicChannel(owner);
    for (const p of [admin, sub]) await join(p, chat.id);
    await callJson(`/api/v1/chats/${chat.id}/members/${admin.user.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { role: "admin" },
    });
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/bans`, { token: sub.accessToken, body: { userId: admin.user.id } }),
      403,
      "not_allowed",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/bans`, { token: outsider.accessToken, body: { userId: sub.user.id } }),
      404,
      "not_found",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/bans`, { token: admin.accessToken, body: { userId: owner.user.id } }),
      403,
      "not_allowed",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken, body: { userId: owner.user.id } }),
      400,
      "invalid_target",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken, body: { userId: "nobody" } }),
      404,
      "not_found",
    );
    await expectProblem(await call(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken, body: {} }), 400, "validation_failed");
    expect(await storedCount(chat.id)).toBe(3);
    // An admin bans a subscriber, and someone not in the channel at all.
    expect((await call(`/api/v1/chats/${chat.id}/bans`, { token: admin.accessToken, body: { userId: sub.user.id } })).status).toBe(201);
    expect((await call(`/api/v1/chats/${chat.id}/bans`, { token: admin.accessToken, body: { userId: outsider.user.id } })).status).toBe(
      201,
    );
    await expectProblem(await call(`/api/v1/chats/${chat.id}/join`, { method: "POST", token: outsider.accessToken }), 403, "banned");
    expect(await storedCount(chat.id)).toBe(2);
  });
});

describe("strangers and bad input", () => {
  it("are refused with problems and change nothing", async () => {
    const [owner, stranger, sub] = await signInMany(3);
    const { chat } = await publicChannel(owner);
    await join(sub, chat.id);
    const unauthenticated: [string, string, unknown?][] = [
      ["POST", `/api/v1/chats/${chat.id}/join`],
      ["POST", `/api/v1/chats/${chat.id}/invites`],
      ["GET", `/api/v1/chats/${chat.id}/invites`],
      ["POST", "/api/v1/invites/whatever/join"],
      ["POST", `/api/v1/chats/${chat.id}/bans`, { userId: sub.user.id }],
      ["GET", `/api/v1/chats/${chat.id}/bans`],
      ["POST", `/api/v1/chats/${chat.id}/transfer`, { userId: sub.user.id }],
    ];
    for (const [method, path, body] of unauthenticated) await expectProblem(await call(path, { method, body }), 401, "unauthorized");
    // Strangers see nothing of the chat's management: 404, as for a chat that does not exist.
    for (const [method, path, body] of unauthenticated.slice(1)) {
      if (path.startsWith("/api/v1/invites/")) continue;
      await expectProblem(await call(path, { method, body, token: stranger.accessToken }), 404, "not_found");
    }
    // A subscriber is in, but not a moderator.
    await expectProblem(await call(`/api/v1/chats/${chat.id}/invites`, { method: "POST", token: sub.accessToken }), 403, "not_allowed");
    await expectProblem(await call(`/api/v1/chats/${chat.id}/bans`, { token: sub.accessToken }), 403, "not_allowed");
    // Bad bodies.
    for (const body of [{}, { userId: "" }, { userId: sub.user.id, extra: 1 }, { userId: 5 }]) {
      await expectProblem(await call(`/api/v1/chats/${chat.id}/transfer`, { token: owner.accessToken, body }), 400, "validation_failed");
      await expectProblem(await call(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken, body }), 400, "validation_failed");
    }
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: owner.accessToken, body: { username: "no spaces allowed" } }),
      400,
      "validation_failed",
    );
    // Nothing changed: the same members and roles, no bans, no invites, the same username.
    const members = await callJson<{ members: { userId: string; role: string }[] }>(`/api/v1/chats/${chat.id}/members`, {
      token: owner.accessToken,
    });
    expect(Object.fromEntries(members.body.members.map((m) => [m.userId, m.role]))).toEqual({
      [owner.user.id]: "owner",
      [sub.user.id]: "member",
    });
    expect((await callJson<{ bans: unknown[] }>(`/api/v1/chats/${chat.id}/bans`, { token: owner.accessToken })).body.bans).toEqual([]);
    expect((await callJson<{ invites: unknown[] }>(`/api/v1/chats/${chat.id}/invites`, { token: owner.accessToken })).body.invites).toEqual(
      [],
    );
    expect(await storedCount(chat.id)).toBe(2);
    // A non-member cannot open the room socket of a public channel: reading is HTTP history only.
    await expect(openSocket(`/api/v1/chats/${chat.id}/ws`, { token: stranger.accessToken })).rejects.toThrow(/404/);
  });
});

describe("handing a channel to a new owner", () => {
  it("makes the member the owner and the old owner an admin; only the owner does it", async () => {
    const [owner, next, sub] = await signInMany(3);
    const { chat } = await publicChannel(owner);
    for (const p of [next, sub]) await join(p, chat.id);
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/transfer`, { token: sub.accessToken, body: { userId: next.user.id } }),
      403,
      "not_allowed",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/transfer`, { token: owner.accessToken, body: { userId: owner.user.id } }),
      400,
      "invalid_target",
    );
    const stranger = await signIn();
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/transfer`, { token: owner.accessToken, body: { userId: stranger.user.id } }),
      404,
      "not_found",
    );
    const done = await callJson<{ chat: ChatView }>(`/api/v1/chats/${chat.id}/transfer`, {
      token: owner.accessToken,
      body: { userId: next.user.id },
    });
    expect(done.status).toBe(200);
    expect(done.body.chat.role).toBe("admin");
    const members = await callJson<{ members: { userId: string; role: string }[] }>(`/api/v1/chats/${chat.id}/members`, {
      token: owner.accessToken,
    });
    expect(Object.fromEntries(members.body.members.map((m) => [m.userId, m.role]))).toEqual({
      [owner.user.id]: "admin",
      [next.user.id]: "owner",
      [sub.user.id]: "member",
    });
    // The new owner's rights are the room's too: they post and set the username; the old owner cannot any more.
    expect((await postText(next.accessToken, chat.id, "я новый владелец")).seq).toBe(1);
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/transfer`, { token: owner.accessToken, body: { userId: sub.user.id } }),
      403,
      "not_allowed",
    );
    expect(
      (await call(`/api/v1/chats/${chat.id}`, { method: "PATCH", token: next.accessToken, body: { username: freshUsername("ch") } }))
        .status,
    ).toBe(200);
    await expect
      .poll(async () => (await chatList(next.accessToken)).find((c) => c.id === chat.id)?.role, { timeout: 3000, interval: 50 })
      .toBe("owner");
  });
});
