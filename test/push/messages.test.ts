// Message pushes: a new message from someone else reaches each of the user's away devices (no inbox socket
// open, or the app hidden) as a Web Push within seconds; muted chats push only mentions; the text only with
// previews on. Against the stand-in push service (test/fixtures/webhook-sink.mjs), through the real queue.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Inbox } from "../../src/chat/inbox";
import { endExpiredSessions } from "../../src/chat/sockets";
import { call, callJson, newChat, openSocket, postText, type SignedIn, signIn, signInWithProfile } from "../helpers";
import { type Browser, decrypt, newBrowser, received, subscribe, waitForPushes } from "./webpush";

interface MessagePush {
  type: string;
  chatId: string;
  seq: number;
  chatType: string;
  chatTitle: string | null;
  senderName: string | null;
  text?: string;
  mention: boolean;
  unread: number;
}

async function device(user: SignedIn): Promise<Browser> {
  const browser = await newBrowser();
  expect((await subscribe(user.accessToken, browser)).status).toBe(201);
  return browser;
}

/** The decrypted payloads the browser's push service got, in order. */
async function payloads(browser: Browser): Promise<MessagePush[]> {
  const got = await received(browser.box);
  return Promise.all(got.map(async (r) => JSON.parse((await decrypt(browser, r.body)).plaintext) as MessagePush));
}

const settle = () => new Promise((r) => setTimeout(r, 2500));
const setPreviews = (u: SignedIn, previews: boolean) =>
  call("/api/v1/push/settings", { method: "PUT", token: u.accessToken, body: { previews } });
const mute = (u: SignedIn, chatId: string, body: Record<string, unknown> = {}) =>
  call(`/api/v1/chats/${chatId}/mute`, { method: "PUT", token: u.accessToken, body });

describe("a new message", () => {
  it("pushes to the recipient's away device: who wrote, where, no text with previews off, the unread count", async () => {
    const vera = await signInWithProfile({ displayName: "Вера" });
    const ivan = await signIn();
    const phone = await device(ivan);
    const chat = await newChat(vera.accessToken, { type: "direct", userId: ivan.user.id });
    await postText(vera.accessToken, chat.id, "Встречаемся в шесть");
    await waitForPushes(phone.box, 1);
    const [push] = await payloads(phone);
    expect(push).toEqual({
      type: "message",
      chatId: chat.id,
      seq: 1,
      chatType: "direct",
      chatTitle: "Вера",
      senderName: "Вера",
      mention: false,
      unread: 1,
    });
    // The sender's own message pushes nothing to the sender's devices.
    const veraPhone = await device(vera);
    await postText(vera.accessToken, chat.id, "Не опаздывай");
    await waitForPushes(phone.box, 2);
    await settle();
    expect(await received(veraPhone.box)).toHaveLength(0);
  });

  it("carries the text when the user allows previews", async () => {
    const [a, b] = [await signInWithProfile({ displayName: "Анна" }), await signIn()];
    const phone = await device(b);
    expect((await setPreviews(b, true)).status).toBe(200);
    expect((await callJson<{ settings: { previews: boolean } }>("/api/v1/push/settings", { token: b.accessToken })).body.settings).toEqual({
      previews: true,
    });
    const group = await newChat(a.accessToken, { type: "group", title: "Дача", memberIds: [b.user.id] });
    await postText(a.accessToken, group.id, "Кто везёт рассаду?");
    await waitForPushes(phone.box, 1);
    expect((await payloads(phone))[0]).toMatchObject({
      chatType: "group",
      chatTitle: "Дача",
      senderName: "Анна",
      text: "Кто везёт рассаду?",
    });
    await expect(setPreviews(b, "yes" as unknown as boolean)).resolves.toHaveProperty("status", 400);
  });

  it("does not push to a device whose app is open and visible, and does once it is hidden", async () => {
    const [a, b] = [await signIn(), await signIn()];
    const browser = await device(b);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    const app = await openSocket("/api/v1/inbox/ws", { token: b.accessToken });
    try {
      await postText(a.accessToken, chat.id, "один");
      await app.next((f) => f.type === "chat" && (f.chat as { lastSeq: number }).lastSeq === 1);
      await settle();
      expect(await received(browser.box)).toHaveLength(0);
      app.send({ type: "visibility", visible: false });
      await expect
        .poll(() => runInDurableObject(env.INBOX.get(env.INBOX.idFromName(b.user.id)), (i: Inbox) => i.sessionsHere().size))
        .toBe(0);
      await postText(a.accessToken, chat.id, "два");
      const [push] = await waitForPushes(browser.box, 1);
      expect(JSON.parse((await decrypt(browser, push?.body ?? "")).plaintext)).toMatchObject({ seq: 2 });
    } finally {
      app.close();
    }
  });

  it("from a muted chat pushes nothing, except a mention of the user; unmuted, it pushes again", async () => {
    const author = await signInWithProfile({ displayName: "Олег", username: `oleg${crypto.randomUUID().slice(0, 8)}` });
    const reader = await signInWithProfile({ username: `rita${crypto.randomUUID().slice(0, 8)}` });
    const phone = await device(reader);
    const group = await newChat(author.accessToken, { type: "group", title: "Работа", memberIds: [reader.user.id] });
    expect((await mute(reader, group.id)).status).toBe(204);
    await postText(author.accessToken, group.id, "совещание перенесли");
    await settle();
    expect(await received(phone.box)).toHaveLength(0);

    await postText(author.accessToken, group.id, `@${reader.user.username} посмотри, пожалуйста`);
    await waitForPushes(phone.box, 1);
    expect((await payloads(phone))[0]).toMatchObject({ chatId: group.id, seq: 2, mention: true, senderName: "Олег" });

    expect((await call(`/api/v1/chats/${group.id}/mute`, { method: "DELETE", token: reader.accessToken })).status).toBe(204);
    await postText(author.accessToken, group.id, "спасибо");
    await waitForPushes(phone.box, 2);
    expect((await payloads(phone))[1]).toMatchObject({ seq: 3, mention: false });
  });

  it("pushes again once a mute with an end has passed (the inbox wakes for it)", async () => {
    const [a, b] = [await signIn(), await signIn()];
    const phone = await device(b);
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    expect((await mute(b, chat.id, { until: new Date(Date.now() + 1_500).toISOString() })).status).toBe(204);
    await postText(a.accessToken, chat.id, "пока тихо");
    await settle();
    expect(await received(phone.box)).toHaveLength(0);
    await postText(a.accessToken, chat.id, "уже можно");
    await waitForPushes(phone.box, 1);
    expect((await payloads(phone))[0]).toMatchObject({ seq: 2 });
  });

  it("reaches a device subscribed after its user went away (the chat's room pushes to that inbox again)", async () => {
    const [a, b] = [await signIn(), await signIn()];
    const chat = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    // Nobody of b's online and no subscription: the room stops pushing to b's inbox.
    await postText(a.accessToken, chat.id, "ты здесь?");
    await settle();
    const phone = await device(b);
    await postText(a.accessToken, chat.id, "ответь, как сможешь");
    await waitForPushes(phone.box, 1);
    // The message from before the subscription is not pushed later as news.
    expect((await payloads(phone)).map((p) => p.seq)).toEqual([2]);
  });
});

describe("a session that expired without signing out", () => {
  it("loses its subscriptions with the hourly chore", async () => {
    const user = await signIn();
    await device(user);
    const stored = () =>
      runInDurableObject(env.INBOX.get(env.INBOX.idFromName(user.user.id)), async (i: Inbox) => (await i.subscriptionList()).length);
    expect(await stored()).toBe(1);
    await env.DB.prepare("UPDATE sessions SET expires_at = ?1 WHERE user_id = ?2")
      .bind(Date.now() - 60_000, user.user.id)
      .run();
    expect(await endExpiredSessions(env)).toBeGreaterThanOrEqual(1);
    expect(await stored()).toBe(0);
  });
});
