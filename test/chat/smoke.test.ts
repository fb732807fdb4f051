import { expect, it } from "vitest";
import { callJson, openSocket, signIn } from "../helpers";

it("smoke: direct chat, send, list, socket replay and live", async () => {
  const anna = await signIn();
  const boris = await signIn();
  const created = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "direct", userId: boris.user.id },
  });
  expect(created.status).toBe(201);
  const chatId = created.body.chat.id;
  const sent = await callJson<{ message: { seq: number } }>(`/api/v1/chats/${chatId}/messages`, {
    token: anna.accessToken,
    body: { clientId: "c1", text: "Привет, @boris" },
  });
  expect(sent.status).toBe(201);
  expect(sent.body.message.seq).toBe(1);
  const list = await callJson<{ chats: { id: string; lastSeq: number; unreadCount: number }[] }>("/api/v1/chats", {
    token: boris.accessToken,
  });
  expect(list.body.chats[0]).toMatchObject({ id: chatId, lastSeq: 1, unreadCount: 1 });
  const sock = await openSocket(`/api/v1/chats/${chatId}/ws?after=0`, { token: boris.accessToken });
  await sock.next((f) => f.type === "message");
  sock.send({ type: "send", clientId: "b1", text: "hi" });
  const ack = await sock.next((f) => f.type === "ack");
  expect(ack).toEqual({ type: "ack", clientId: "b1", seq: 2, pts: 2 });
  sock.send("nonsense");
  await sock.next((f) => f.type === "error");
  const search = await callJson<{ messages: unknown[] }>(`/api/v1/chats/${chatId}/search?q=привет`, { token: boris.accessToken });
  expect(search.body.messages).toHaveLength(1);
  sock.close();
});
