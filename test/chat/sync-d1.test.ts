// Issue 11: messages, read markers, reactions and socket frames cost no D1 statement (the chat's room keeps
// them; membership comes from the room). Counted with the dev-only GET /api/v1/dev/d1-statements, which counts
// every statement the Worker and its Durable Objects ran. Setup (sign-in, chats, sockets) happens before the
// first reading.
import { describe, expect, it } from "vitest";
import { call, callJson, newChat, openSocket, postText, type SignedIn, signInMany } from "../helpers";
import { ok, range, sendBurst } from "./sync-support";

const statements = async () => (await ok(callJson<{ statements: number }>("/api/v1/dev/d1-statements"), 200)).statements;
const settle = () => new Promise((r) => setTimeout(r, 1500));

async function traffic(chatId: string, a: SignedIn, b: SignedIn, sa: Awaited<ReturnType<typeof openSocket>>, sb: typeof sa) {
  await sendBurst(
    sa,
    range(1, 50).map((k) => `d${k}`),
  );
  sb.send({ type: "typing" });
  sb.send({ type: "read", seq: 50 });
  await sa.next((f) => f.type === "read" && f.userId === b.user.id && f.seq === 50);
  for (let k = 1; k <= 20; k++) await postText(b.accessToken, chatId, `по HTTP ${k}`);
  expect((await call(`/api/v1/chats/${chatId}/read`, { token: a.accessToken, body: { seq: 70 } })).status).toBe(204);
  for (const [who, seq] of [
    [a, 60],
    [b, 10],
  ] as const) {
    const path = `/api/v1/chats/${chatId}/messages/${seq}/reactions/${encodeURIComponent("👍")}`;
    expect((await call(path, { method: "PUT", token: who.accessToken })).status).toBe(204);
    // Again: already on, still 204.
    expect((await call(path, { method: "PUT", token: who.accessToken })).status).toBe(204);
    expect((await call(path, { method: "DELETE", token: who.accessToken })).status).toBe(204);
    expect((await call(path, { method: "PUT", token: who.accessToken })).status).toBe(204);
  }
  await sb.next((f) => f.type === "reaction" && f.seq === 10 && f.on === true && f.userId === b.user.id);
}

describe("D1 statements", () => {
  it("the dev counter counts: creating a chat (stored in D1) moves it", async () => {
    const [a, b] = await signInMany(2);
    const n = await statements();
    expect(Number.isInteger(n)).toBe(true);
    await newChat(a.accessToken, { type: "group", title: "в D1", memberIds: [b.user.id] });
    expect(await statements()).toBeGreaterThan(n);
  });

  it("sending 50 messages over a socket and 20 over HTTP, moving read markers and reacting run none", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "group", title: "без D1", memberIds: [b.user.id] });
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    const sb = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: b.accessToken });
    await settle();
    const before = await statements();
    await traffic(chat.id, a, b, sa, sb);
    await settle();
    expect((await statements()) - before).toBe(0);
    // …and all of it happened.
    const hist = await ok(
      callJson<{ messages: { seq: number }[] }>(`/api/v1/chats/${chat.id}/messages?after=68`, { token: b.accessToken }),
      200,
    );
    expect(hist.messages.map((m) => m.seq)).toEqual([69, 70]);
    sa.close();
    sb.close();
  });

  it("runs none either while the members' inboxes are connected and get every summary", async () => {
    const [a, b] = await signInMany(2);
    const chat = await newChat(a.accessToken, { type: "group", title: "без D1, онлайн", memberIds: [b.user.id] });
    const inboxes = await Promise.all([a, b].map((u) => openSocket("/api/v1/inbox/ws", { token: u.accessToken })));
    const sa = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: a.accessToken });
    const sb = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: b.accessToken });
    await settle();
    const before = await statements();
    await traffic(chat.id, a, b, sa, sb);
    await (inboxes[1] as (typeof inboxes)[0]).next((f) => f.type === "chat" && (f.chat as { lastSeq: number }).lastSeq === 70, 5000);
    await settle();
    expect((await statements()) - before).toBe(0);
    for (const s of [sa, sb, ...inboxes]) s.close();
  });
});
