// Reporting a secret-chat message with message franking: the report's plaintext must be what the sender
// committed to (HMAC under the franking key inside the plaintext), and the commitment must be the one the
// room tagged for that sender, chat, seq and time (HMAC under the server's FRANKING_KEY). Forgeries are refused.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, newChat } from "../helpers";
import { b64url } from "../keys/support";
import { randomCiphertext, secretChat, sent, withDevice } from "./secret-support";

const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const utf8 = (s: string) => new TextEncoder().encode(s);

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** What a sender's device does: a fresh franking key inside the plaintext, its HMAC over the plaintext in the envelope. */
async function franked(text: string) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const plaintext = utf8(JSON.stringify({ text, frankingKey: b64url(key) }));
  return { key: b64url(key), plaintext: b64url(plaintext), franking: b64url(await hmac(key, plaintext)) };
}

const report = (token: string, body: Record<string, unknown>) =>
  callJson<{ report: Record<string, unknown> }>("/api/v1/reports", { token, body });

async function scene() {
  const [alice, bob] = [await withDevice(), await withDevice()];
  const chat = await secretChat(alice.s, bob.s);
  const f = await franked("угрожающее сообщение");
  const m = await sent(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0, franking: f.franking });
  return { alice, bob, chat, f, m };
}

describe("franked reports", () => {
  it("a recipient reports the plaintext; both HMACs verify and the operator's queue gets it", async () => {
    const { alice, bob, chat, f, m } = await scene();
    expect(m.franking).toBe(f.franking);
    // The room's tag is HMAC-SHA-256(FRANKING_KEY, chatId|seq|senderId|franking|sentAt), recomputed here.
    const tag = await runInDurableObject(
      room(chat),
      (_: unknown, state) =>
        state.storage.sql.exec<{ server_tag: string }>("SELECT server_tag FROM messages WHERE seq = ?", m.seq).one().server_tag,
    );
    const expected = await hmac(utf8(env.FRANKING_KEY), utf8(`${chat}|${m.seq}|${alice.s.user.id}|${f.franking}|${m.createdAt}`));
    expect(tag).toBe(Array.from(expected, (b) => b.toString(16).padStart(2, "0")).join(""));
    // The tag is the server's: never served.
    expect(JSON.stringify(m)).not.toContain(tag);

    const res = await report(bob.s.accessToken, { reason: "abuse", chatId: chat, seq: m.seq, plaintext: f.plaintext, frankingKey: f.key });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.report).toMatchObject({ reason: "abuse", chatId: chat, seq: m.seq, userId: alice.s.user.id, franked: true });
    const row = await env.DB.prepare("SELECT message FROM reports WHERE id = ?1").bind(res.body.report.id).first<{ message: string }>();
    const stored = JSON.parse(row?.message ?? "{}");
    expect(stored).toMatchObject({ franked: true, plaintext: f.plaintext, senderId: alice.s.user.id });
    expect(stored.plaintextText).toContain("угрожающее сообщение");
    expect(stored.ciphertext).toBeUndefined();
  });

  it("a forged plaintext or a wrong key is refused with franking_mismatch and stores nothing", async () => {
    const { bob, chat, f, m } = await scene();
    const forged = await franked("то, чего никто не писал");
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM reports WHERE chat_id = ?1").bind(chat).first<{ n: number }>();
    for (const body of [
      { plaintext: forged.plaintext, frankingKey: f.key },
      { plaintext: f.plaintext, frankingKey: forged.key },
      { plaintext: forged.plaintext, frankingKey: forged.key },
    ]) {
      await expectProblem(
        await call("/api/v1/reports", { token: bob.s.accessToken, body: { reason: "abuse", chatId: chat, seq: m.seq, ...body } }),
        400,
        "franking_mismatch",
      );
    }
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM reports WHERE chat_id = ?1").bind(chat).first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("a commitment moved to another message in storage no longer verifies (the server tag binds it)", async () => {
    const { bob, chat, f, m } = await scene();
    const other = await sent(bob.s.accessToken, chat, {
      ciphertext: randomCiphertext(),
      mls: "application",
      epoch: 0,
      franking: (await franked("x")).franking,
    });
    await runInDurableObject(room(chat), (_: unknown, state) => {
      const row = state.storage.sql.exec<{ envelope: string }>("SELECT envelope FROM messages WHERE seq = ?", other.seq).one();
      const envelope = { ...JSON.parse(row.envelope), franking: f.franking };
      state.storage.sql.exec("UPDATE messages SET envelope = ? WHERE seq = ?", JSON.stringify(envelope), other.seq);
    });
    await expectProblem(
      await call("/api/v1/reports", {
        token: bob.s.accessToken,
        body: { reason: "abuse", chatId: chat, seq: other.seq, plaintext: f.plaintext, frankingKey: f.key },
      }),
      400,
      "franking_mismatch",
    );
    expect(m.seq).not.toBe(other.seq);
  });

  it("without a commitment: 409 not_franked; outside secret chats: 400 not_secret; half a proof: validation_failed", async () => {
    const { alice, bob, chat, f } = await scene();
    const plain = await sent(alice.s.accessToken, chat, { ciphertext: randomCiphertext(), mls: "application", epoch: 0 });
    await expectProblem(
      await call("/api/v1/reports", {
        token: bob.s.accessToken,
        body: { reason: "spam", chatId: chat, seq: plain.seq, plaintext: f.plaintext, frankingKey: f.key },
      }),
      409,
      "not_franked",
    );
    // Without plaintext a secret message is reported as metadata only.
    const meta = await report(bob.s.accessToken, { reason: "spam", chatId: chat, seq: plain.seq });
    expect(meta.status).toBe(201);
    expect(meta.body.report.franked).toBeUndefined();
    const direct = await newChat(alice.s.accessToken, { type: "direct", userId: bob.s.user.id });
    const m = await callJson<{ message: { seq: number } }>(`/api/v1/chats/${direct.id}/messages`, {
      token: alice.s.accessToken,
      body: { clientId: "d1", text: "hi" },
    });
    await expectProblem(
      await call("/api/v1/reports", {
        token: bob.s.accessToken,
        body: { reason: "spam", chatId: direct.id, seq: m.body.message.seq, plaintext: f.plaintext, frankingKey: f.key },
      }),
      400,
      "not_secret",
    );
    await expectProblem(
      await call("/api/v1/reports", { token: bob.s.accessToken, body: { reason: "spam", chatId: chat, seq: 1, plaintext: f.plaintext } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await call("/api/v1/reports", {
        token: bob.s.accessToken,
        body: { reason: "spam", chatId: chat, plaintext: f.plaintext, frankingKey: f.key },
      }),
      400,
      "validation_failed",
    );
  });
});
