// Disappearing messages in secret chats: either member sets the timer; the room's alarm deletes what is due
// as deletions for everyone (tombstones, `deleted` frames with pts), ciphertext and all.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, historyOf, newChat, openSocket } from "../helpers";
import { randomCiphertext, type SecretMessage, secretChat, sent, withDevice } from "./secret-support";

const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const setTtl = (token: string, chatId: string, messageTtl: number | null) =>
  callJson<{ messageTtl: number | null; chat: { id: string } }>(`/api/v1/chats/${chatId}`, {
    method: "PATCH",
    token,
    body: { messageTtl },
  });

/** Makes every disappearing message of the room due now, as if its time had passed. */
const makeDue = (chatId: string) =>
  runInDurableObject(room(chatId), (_: unknown, state) => {
    state.storage.sql.exec("UPDATE messages SET expires_at = ? WHERE expires_at IS NOT NULL", Date.now() - 1);
  });

describe("disappearing messages", () => {
  it("either member sets the timer; messages sent after it are deleted by the room's alarm with deleted frames", async () => {
    const [alice, bob] = [await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const before = await sent(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0 });
    expect(before.expiresAt).toBeUndefined();

    const ws = await openSocket(`/api/v1/chats/${chat}/ws`, { token: alice.s.accessToken });
    const set = await setTtl(bob.s.accessToken, chat, 60);
    expect(set.status).toBe(200);
    expect(set.body.messageTtl).toBe(60);
    expect(await ws.next((f) => f.type === "chat_updated")).toMatchObject({ messageTtl: 60 });
    expect((await callJson(`/api/v1/chats/${chat}/secret`, { token: alice.s.accessToken })).body).toMatchObject({ messageTtl: 60 });

    const sentAt = Date.now();
    const fleeting = await sent(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0 });
    const due = Date.parse(fleeting.expiresAt ?? "");
    expect(due).toBeGreaterThanOrEqual(sentAt + 59_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 60_000);
    // The alarm is set for it.
    const alarm = await runInDurableObject(room(chat), (_: unknown, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();

    await makeDue(chat);
    expect(await runDurableObjectAlarm(room(chat))).toBe(true);
    const deleted = await ws.next((f) => f.type === "deleted" && f.seq === fleeting.seq);
    expect(typeof deleted.pts).toBe("number");

    const history = (await historyOf(bob.s.accessToken, chat)) as SecretMessage[];
    expect(history.map((m) => [m.seq, m.deletedAt !== null, m.ciphertext !== undefined])).toEqual([
      [before.seq, false, true],
      [fleeting.seq, true, false],
    ]);
    // Catch-up by pts replays the tombstone, not the ciphertext.
    const changes = await callJson<{ changes: { type: string; message?: SecretMessage }[] }>(`/api/v1/chats/${chat}/changes?pts=0`, {
      token: bob.s.accessToken,
    });
    const replayed = changes.body.changes.find((c) => c.type === "message" && c.message?.seq === fleeting.seq);
    expect(replayed?.message?.ciphertext).toBeUndefined();
    expect(changes.body.changes.some((c) => c.type === "deleted")).toBe(true);

    // Off again: new messages stay.
    expect((await setTtl(alice.s.accessToken, chat, null)).body.messageTtl).toBeNull();
    const kept = await sent(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0 });
    expect(kept.expiresAt).toBeUndefined();
    ws.close();
  });

  it("is for secret chats and their members, within 5 seconds and 31 days", async () => {
    const [alice, bob, carol] = [await withDevice(), await withDevice(), await withDevice()];
    const chat = await secretChat(alice.s, bob.s);
    const direct = await newChat(alice.s.accessToken, { type: "direct", userId: bob.s.user.id });
    await expectProblem(
      await call(`/api/v1/chats/${direct.id}`, { method: "PATCH", token: alice.s.accessToken, body: { messageTtl: 60 } }),
      400,
      "not_secret",
    );
    for (const bad of [0, 4, 31 * 24 * 3600 + 1, 1.5, "60"]) {
      await expectProblem(
        await call(`/api/v1/chats/${chat}`, { method: "PATCH", token: alice.s.accessToken, body: { messageTtl: bad } }),
        400,
        "validation_failed",
      );
    }
    await expectProblem(
      await call(`/api/v1/chats/${chat}`, { method: "PATCH", token: carol.s.accessToken, body: { messageTtl: 60 } }),
      404,
      "not_found",
    );
    await expectProblem(
      await call(`/api/v1/chats/${chat}`, { method: "PATCH", token: alice.s.accessToken, body: { title: "Тайна" } }),
      403,
      "not_allowed",
    );
  });
});
