// Secret chats on the server: the room is the MLS Delivery Service. It takes ciphertext only, orders commits
// by epoch, refuses to let anything be sent to a group that still holds a signed-out device, and keeps no
// text anywhere (D1, the room's and inboxes' storage).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endEndedDevices } from "../../src/keys/devices";
import { call, callJson, chatList, expectProblem, freshPhone, historyOf, newChat, openSocket, signIn } from "../helpers";
import { b64url } from "../keys/support";
import {
  application,
  commit,
  encrypt,
  randomCiphertext,
  type SecretMessage,
  secretChat,
  send,
  sent,
  signOut,
  withDevice,
} from "./secret-support";

const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const inbox = (userId: string) => env.INBOX.get(env.INBOX.idFromName(userId));

describe("creating a secret chat", () => {
  it("answers 201 with type secret, then 200 with the same chat; it is not the pair's direct chat", async () => {
    const [alice, bob] = [await signIn(), await signIn()];
    const id = await secretChat(alice, bob);
    const again = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
      token: bob.accessToken,
      body: { type: "secret", userId: alice.user.id },
    });
    expect(again.status).toBe(200);
    expect(again.body.chat.id).toBe(id);
    const direct = await newChat(alice.accessToken, { type: "direct", userId: bob.user.id });
    expect(direct.id).not.toBe(id);
    const listed = (await chatList(bob.accessToken)).find((c) => c.id === id);
    expect(listed).toMatchObject({ type: "secret", memberCount: 2 });
    await expectProblem(
      await call("/api/v1/chats", { token: alice.accessToken, body: { type: "secret", userId: alice.user.id } }),
      400,
      "invalid_peer",
    );
  });

  it("a blocked person cannot open one", async () => {
    const [alice, bob] = [await signIn(), await signIn()];
    expect((await call(`/api/v1/blocks/${bob.user.id}`, { method: "PUT", token: alice.accessToken })).status).toBe(204);
    await expectProblem(
      await call("/api/v1/chats", { token: bob.accessToken, body: { type: "secret", userId: alice.user.id } }),
      403,
      "blocked",
    );
  });
});

describe("ciphertext only", () => {
  it("text answers 400 plaintext_not_allowed over HTTP, and stores nothing", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const res = await send(alice.s.accessToken, chat, { text: "привет" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("plaintext_not_allowed");
    const withBoth = await send(alice.s.accessToken, chat, {
      text: "привет",
      ciphertext: randomCiphertext(),
      mls: "application",
      epoch: 0,
    });
    expect(withBoth.body.code).toBe("plaintext_not_allowed");
    expect(await historyOf(bob.s.accessToken, chat)).toEqual([]);
  });

  it("a send frame with text gets an error frame plaintext_not_allowed naming its clientId; ciphertext is acknowledged", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const ws = await openSocket(`/api/v1/chats/${chat}/ws`, { token: alice.s.accessToken });
    ws.send({ type: "send", clientId: "c1", text: "привет" });
    expect(await ws.next((f) => f.type === "error")).toMatchObject({ code: "plaintext_not_allowed", clientId: "c1" });
    const ciphertext = randomCiphertext();
    ws.send({ type: "send", clientId: "c2", ciphertext, mls: "application", epoch: 0 });
    expect(await ws.next((f) => f.type === "ack")).toMatchObject({ clientId: "c2", seq: 1 });
    const message = (await ws.next((f) => f.type === "message")).message as SecretMessage;
    expect(message).toMatchObject({ seq: 1, text: null, ciphertext, mls: "application", epoch: 0 });
    ws.send({ type: "send", clientId: "c3", mls: "application", epoch: 0 });
    expect(await ws.next((f) => f.type === "error" && f.clientId === "c3")).toMatchObject({ code: "ciphertext_required" });
    ws.close();
  });

  it("refuses messages without ciphertext, malformed envelopes, and ciphertext in other chats", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const t = alice.s.accessToken;
    expect((await send(t, chat, { attachments: [] })).body.code).toBe("ciphertext_required");
    expect((await send(t, chat, { ciphertext: "not base64!", mls: "application", epoch: 0 })).body.code).toBe("validation_failed");
    expect((await send(t, chat, { ciphertext: b64url(new Uint8Array(17 * 1024)), mls: "application", epoch: 0 })).body.code).toBe(
      "validation_failed",
    );
    expect((await send(t, chat, { ciphertext: randomCiphertext(), mls: "handshake", epoch: 0 })).body.code).toBe("validation_failed");
    expect((await send(t, chat, { ciphertext: randomCiphertext(), mls: "commit", epoch: 0 })).body.code).toBe("invalid_envelope");
    expect((await send(t, chat, { ciphertext: randomCiphertext(), mls: "welcome", epoch: 0 })).body.code).toBe("invalid_envelope");
    expect((await send(t, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0, to: [bob.deviceId] })).body.code).toBe(
      "invalid_envelope",
    );
    const direct = await newChat(t, { type: "direct", userId: bob.s.user.id });
    expect((await send(t, direct.id, { text: "hi", ciphertext: randomCiphertext(), mls: "application", epoch: 0 })).body.code).toBe(
      "ciphertext_not_allowed",
    );
    expect(await historyOf(t, chat)).toEqual([]);
  });

  it("edits with text, reactions, server search and forwards are refused with their own codes", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const t = alice.s.accessToken;
    const m = await sent(t, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0 });
    await expectProblem(
      await call(`/api/v1/chats/${chat}/messages/${m.seq}`, { method: "PATCH", token: t, body: { text: "x" } }),
      400,
      "plaintext_not_allowed",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat}/messages/${m.seq}/reactions/${encodeURIComponent("👍")}`, {
        method: "PUT",
        token: bob.s.accessToken,
      }),
      400,
      "reactions_not_supported",
    );
    await expectProblem(await call(`/api/v1/chats/${chat}/search?q=hello`, { token: t }), 400, "not_searchable");
    const direct = await newChat(t, { type: "direct", userId: bob.s.user.id });
    const original = await callJson<{ message: { seq: number } }>(`/api/v1/chats/${direct.id}/messages`, {
      token: t,
      body: { clientId: "o1", text: "в открытую" },
    });
    await expectProblem(
      await call(`/api/v1/chats/${chat}/messages`, {
        token: t,
        body: { clientId: "f1", forwardOf: { chatId: direct.id, seq: original.body.message.seq } },
      }),
      400,
      "forward_not_allowed",
    );
    // Deleting stays possible (a tombstone, the ciphertext gone).
    expect((await call(`/api/v1/chats/${chat}/messages/${m.seq}`, { method: "DELETE", token: t })).status).toBe(204);
    const [gone] = (await historyOf(t, chat)) as SecretMessage[];
    expect(gone?.deletedAt).not.toBeNull();
    expect(gone?.ciphertext).toBeUndefined();
  });

  it("attachments must be opaque (application/octet-stream) uploads", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const upload = async (type: string, bytes: Uint8Array) => {
      const res = await callJson<{ media: { id: string } }>("/api/v1/media", {
        token: alice.s.accessToken,
        rawBody: bytes,
        headers: { "content-type": type, "content-length": String(bytes.length) },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.media.id;
    };
    const encrypted = await upload("application/octet-stream", crypto.getRandomValues(new Uint8Array(500)));
    const png = await upload("text/plain", new TextEncoder().encode("plain words"));
    const ok = await sent(alice.s.accessToken, chat, {
      ciphertext: randomCiphertext(),
      mls: "application",
      epoch: 0,
      attachments: [encrypted],
    });
    expect(ok.attachments).toEqual([encrypted]);
    const refused = await send(alice.s.accessToken, chat, {
      ciphertext: randomCiphertext(),
      mls: "application",
      epoch: 0,
      attachments: [png],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("media_not_encrypted");
    // The peer reads the encrypted blob as the opaque bytes it is.
    const blob = await call(`/api/v1/media/${encrypted}`, { token: bob.s.accessToken });
    expect(blob.status).toBe(200);
    expect(blob.headers.get("content-type")).toBe("application/octet-stream");
  });
});

describe("epochs and devices", () => {
  it("commits advance the epoch; a stale commit or application message answers 409 stale_epoch", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const t = alice.s.accessToken;
    const c1 = await commit(t, chat, 0, [alice.deviceId, bob.deviceId]);
    expect(c1).toMatchObject({ mls: "commit", epoch: 0, devices: [alice.deviceId, bob.deviceId], text: null });
    const welcome = await sent(t, chat, { ciphertext: randomCiphertext(), mls: "welcome", epoch: 1, to: [bob.deviceId] });
    expect(welcome.to).toEqual([bob.deviceId]);
    const stale = await application(bob.s.accessToken, chat, 0);
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe("stale_epoch");
    expect((await application(bob.s.accessToken, chat, 1)).status).toBe(201);
    // Two commits racing from the same epoch: the first wins, the second is stale.
    await commit(bob.s.accessToken, chat, 1, [alice.deviceId, bob.deviceId]);
    expect((await send(t, chat, { ciphertext: randomCiphertext(), mls: "commit", epoch: 1, devices: [alice.deviceId] })).body.code).toBe(
      "stale_epoch",
    );
    const state = await callJson(`/api/v1/chats/${chat}/secret`, { token: t });
    expect(state.body).toEqual({ epoch: 2, devices: [alice.deviceId, bob.deviceId], revoked: [], messageTtl: null });
    // A welcome only for devices of the declared group.
    const stranger = await withDevice();
    expect((await send(t, chat, { ciphertext: randomCiphertext(), mls: "welcome", epoch: 2, to: [stranger.deviceId] })).body.code).toBe(
      "invalid_envelope",
    );
    await expectProblem(await call(`/api/v1/chats/${chat}/secret`, { token: stranger.s.accessToken }), 404, "not_found");
  });

  it("a commit may declare only active devices of the chat's members", async () => {
    const [alice, bob, carol] = [await withDevice(), await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const res = await send(alice.s.accessToken, chat, {
      ciphertext: randomCiphertext(),
      mls: "commit",
      epoch: 0,
      devices: [alice.deviceId, carol.deviceId],
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("group_outdated");
    expect((await callJson<{ epoch: number }>(`/api/v1/chats/${chat}/secret`, { token: alice.s.accessToken })).body.epoch).toBe(0);
  });

  it("after a device signs out, nothing more is sent to the group until a commit removes it (HTTP and socket)", async () => {
    const phone = freshPhone();
    const alice = await withDevice();
    const bobPhone = await withDevice(phone);
    const bobLaptop = await withDevice(phone);
    const chat = await secretChat(alice.s, bobPhone.s);
    const all = [alice.deviceId, bobPhone.deviceId, bobLaptop.deviceId];
    await commit(alice.s.accessToken, chat, 0, all);
    expect((await application(alice.s.accessToken, chat, 1)).status).toBe(201);

    expect((await signOut(bobLaptop.s.accessToken)).status).toBe(204);
    const refused = await application(alice.s.accessToken, chat, 1);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("group_outdated");
    const ws = await openSocket(`/api/v1/chats/${chat}/ws`, { token: bobPhone.s.accessToken });
    ws.send({ type: "send", clientId: "after-signout", ciphertext: randomCiphertext(), mls: "application", epoch: 1 });
    expect(await ws.next((f) => f.type === "error")).toMatchObject({ code: "group_outdated", clientId: "after-signout" });
    const state = await callJson(`/api/v1/chats/${chat}/secret`, { token: alice.s.accessToken });
    expect(state.body).toMatchObject({ epoch: 1, revoked: [bobLaptop.deviceId] });

    // A commit that keeps the signed-out device is refused; the one that removes it is taken.
    expect(
      (await send(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "commit", epoch: 1, devices: all })).body.code,
    ).toBe("group_outdated");
    await commit(alice.s.accessToken, chat, 1, [alice.deviceId, bobPhone.deviceId]);
    expect((await application(alice.s.accessToken, chat, 2)).status).toBe(201);
    ws.close();
  });

  it("a device revoked from another session, or expired, stops the group too", async () => {
    const phone = freshPhone();
    const alice = await withDevice();
    const bob = await withDevice(phone);
    const bobOld = await withDevice(phone);
    const chat = await secretChat(alice.s, bob.s);
    await commit(alice.s.accessToken, chat, 0, [alice.deviceId, bob.deviceId, bobOld.deviceId]);
    const sid = JSON.parse(atob((bobOld.s.accessToken.split(".")[1] ?? "").replaceAll("-", "+").replaceAll("_", "/"))).sid as string;
    expect((await call(`/api/v1/sessions/${sid}`, { method: "DELETE", token: bob.s.accessToken })).status).toBe(204);
    expect((await application(alice.s.accessToken, chat, 1)).body.code).toBe("group_outdated");
    await commit(alice.s.accessToken, chat, 1, [alice.deviceId, bob.deviceId]);
    expect((await application(alice.s.accessToken, chat, 2)).status).toBe(201);

    // Bob's session expires: the hourly sweep revokes the device and tells the room.
    const bobSid = JSON.parse(atob((bob.s.accessToken.split(".")[1] ?? "").replaceAll("-", "+").replaceAll("_", "/"))).sid as string;
    await env.DB.prepare("UPDATE sessions SET expires_at = ?2 WHERE id = ?1")
      .bind(bobSid, Date.now() - 1000)
      .run();
    await endEndedDevices(env);
    expect((await application(alice.s.accessToken, chat, 2)).body.code).toBe("group_outdated");
  });
});

describe("no plaintext on the server", () => {
  it("previews carry neither text nor ciphertext", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    await sent(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0 });
    const listed = (await chatList(bob.s.accessToken)).find((c) => c.id === chat);
    expect(listed?.lastMessage).toMatchObject({ seq: 1, text: null, mls: "application" });
    expect(listed?.lastMessage).not.toHaveProperty("ciphertext");
    expect(listed?.unreadCount).toBe(1);
  });

  it("D1 and every Durable Object of the chat hold ciphertext, never the plaintext or any text", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const secret = `совершенно секретно ${crypto.randomUUID()}`;
    await commit(alice.s.accessToken, chat, 0, [alice.deviceId, bob.deviceId]);
    const ciphertext = await encrypt(secret);
    await sent(alice.s.accessToken, chat, { ciphertext, mls: "application", epoch: 1 });
    await sent(bob.s.accessToken, chat, { ciphertext: await encrypt(`${secret} (ответ)`), mls: "application", epoch: 1 });
    const word = secret.split(" ")[1] ?? "";

    const dump = (sql: SqlStorage): string[] => {
      const tables = sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE '%fts%'",
        )
        .toArray();
      return tables.map((t) => JSON.stringify(sql.exec(`SELECT * FROM "${t.name}"`).toArray()));
    };
    const roomDump = await runInDurableObject(room(chat), (_: unknown, state) => {
      const texts = state.storage.sql.exec<{ text: string | null }>("SELECT text FROM messages").toArray();
      return { texts, all: dump(state.storage.sql) };
    });
    expect(roomDump.texts).toEqual([{ text: null }, { text: null }, { text: null }]);
    expect(roomDump.all.join("\n")).toContain(ciphertext);
    for (const userId of [alice.s.user.id, bob.s.user.id]) {
      const inboxDump = await runInDurableObject(inbox(userId), (_: unknown, state) => dump(state.storage.sql));
      expect(inboxDump.join("\n")).not.toContain(word);
      expect(inboxDump.join("\n")).not.toContain(ciphertext);
    }
    const { results: tables } = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
    ).all<{ name: string }>();
    for (const t of tables) {
      const { results } = await env.DB.prepare(`SELECT * FROM "${t.name}"`).all();
      expect(JSON.stringify(results), t.name).not.toContain(word);
    }
    expect(roomDump.all.join("\n")).not.toContain(word);
  });
});
