// Muting a chat: `PUT /chats/:id/mute` until a time or until unmuted, `DELETE` to unmute. The chat shows
// `mutedUntil` everywhere it is listed, on every device of the user and only theirs.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, newChat, openSocket, signIn, signInMany } from "../helpers";
import { ok, type SyncChat } from "./sync-support";

const FOREVER = "9999-12-31T23:59:59Z";
type MutedChat = SyncChat & { mutedUntil: string | null };

const chat = (token: string, chatId: string) =>
  ok(callJson<{ chat: MutedChat }>(`/api/v1/chats/${chatId}`, { token }), 200).then((b) => b.chat);
const listed = (token: string, chatId: string) =>
  ok(callJson<{ chats: MutedChat[] }>("/api/v1/chats", { token }), 200).then((b) => b.chats.find((c) => c.id === chatId));
const mute = (token: string, chatId: string, body: Record<string, unknown> = {}) =>
  call(`/api/v1/chats/${chatId}/mute`, { method: "PUT", token, body });

describe("muting a chat", () => {
  it("until unmuted: every listing shows it, only for the user who muted", async () => {
    const [a, b] = await signInMany(2);
    const group = await newChat(a.accessToken, { type: "group", title: "Соседи", memberIds: [b.user.id] });
    expect((await chat(a.accessToken, group.id)).mutedUntil).toBeNull();

    expect((await mute(a.accessToken, group.id)).status).toBe(204);
    expect((await chat(a.accessToken, group.id)).mutedUntil).toBe(FOREVER);
    expect((await listed(a.accessToken, group.id))?.mutedUntil).toBe(FOREVER);
    // The other member's chat is not muted.
    expect((await chat(b.accessToken, group.id)).mutedUntil).toBeNull();

    expect((await call(`/api/v1/chats/${group.id}/mute`, { method: "DELETE", token: a.accessToken })).status).toBe(204);
    expect((await chat(a.accessToken, group.id)).mutedUntil).toBeNull();
  });

  it("until a time: shown as that time, and not muted once it has passed", async () => {
    const [a, b] = await signInMany(2);
    const direct = await newChat(a.accessToken, { type: "direct", userId: b.user.id });
    const inAnHour = new Date(Date.now() + 3600_000);
    expect((await mute(a.accessToken, direct.id, { until: inAnHour.toISOString() })).status).toBe(204);
    expect((await chat(a.accessToken, direct.id)).mutedUntil).toBe(inAnHour.toISOString());

    const soon = new Date(Date.now() + 1_000);
    expect((await mute(a.accessToken, direct.id, { until: soon.toISOString() })).status).toBe(204);
    expect((await chat(a.accessToken, direct.id)).mutedUntil).toBe(soon.toISOString());
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await chat(a.accessToken, direct.id)).mutedUntil).toBeNull();
  });

  it("reaches the user's other devices live and in GET /updates", async () => {
    const [a, b] = await signInMany(2);
    const group = await newChat(a.accessToken, { type: "group", title: "Дом", memberIds: [b.user.id] });
    const before = await ok(callJson<{ pts: number }>("/api/v1/chats", { token: a.accessToken }), 200);
    const other = await signIn(a.phone, "second device");
    const socket = await openSocket("/api/v1/inbox/ws", { token: other.accessToken });
    try {
      expect((await mute(a.accessToken, group.id)).status).toBe(204);
      const frame = await socket.next((f) => f.type === "chat" && (f.chat as MutedChat).id === group.id);
      expect((frame.chat as MutedChat).mutedUntil).toBe(FOREVER);
      const updates = await ok(callJson<{ chats: MutedChat[] }>(`/api/v1/updates?pts=${before.pts}`, { token: other.accessToken }), 200);
      expect(updates.chats.find((c) => c.id === group.id)?.mutedUntil).toBe(FOREVER);
    } finally {
      socket.close();
    }
  });

  it("refuses a time in the past, a malformed time and a chat the user is not in, changing nothing", async () => {
    const [a, b, outsider] = await signInMany(3);
    const group = await newChat(a.accessToken, { type: "group", title: "Клуб", memberIds: [b.user.id] });
    await expectProblem(
      await mute(a.accessToken, group.id, { until: new Date(Date.now() - 60_000).toISOString() }),
      400,
      "validation_failed",
    );
    await expectProblem(await mute(a.accessToken, group.id, { until: "tomorrow" }), 400, "validation_failed");
    await expectProblem(await mute(a.accessToken, group.id, { until: FOREVER, extra: 1 }), 400, "validation_failed");
    expect((await chat(a.accessToken, group.id)).mutedUntil).toBeNull();
    await expectProblem(await mute(outsider.accessToken, group.id), 404, "not_found");
    await expectProblem(await call(`/api/v1/chats/${group.id}/mute`, { method: "DELETE", token: outsider.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/chats/${group.id}/mute`, { method: "PUT", body: {} }), 401, "unauthorized");
  });
});
