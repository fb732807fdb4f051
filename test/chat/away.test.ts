// Members with no device online: a room stops pushing their chat-list summary after their inbox says so, and
// their inbox asks the room for the chat's state when the user is next there (a socket, GET /chats, GET
// /updates). What they see stays exact; what an away member costs a busy chat is nothing per message.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Members } from "../../src/chat/room/members";
import { callJson, newChat, openSocket, type SignedIn, signInMany } from "../helpers";
import { ok, type SyncChat, sendOver } from "./sync-support";

interface ChatList {
  chats: SyncChat[];
  pts: number;
}
interface Updates {
  chats: SyncChat[];
  pts: number;
  tooLong: boolean;
}

const listOf = (u: SignedIn) => ok(callJson<ChatList>("/api/v1/chats", { token: u.accessToken }), 200);
const updatesOf = (u: SignedIn, pts: number) => ok(callJson<Updates>(`/api/v1/updates?pts=${pts}`, { token: u.accessToken }), 200);
const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const inbox = (userId: string) => env.INBOX.get(env.INBOX.idFromName(userId));

/** Whether the room has stopped pushing to this member's inbox. */
const isAway = (chatId: string, userId: string) =>
  runInDurableObject(room(chatId), (_: unknown, state) => new Members(state.storage.sql).isAway(userId));

/** The member's stored row for the chat, as their inbox has it without asking the room. */
const storedRow = (userId: string, chatId: string) =>
  runInDurableObject(
    inbox(userId),
    (_: unknown, state) =>
      state.storage.sql
        .exec<{ last_seq: number; stale: number }>("SELECT last_seq, stale FROM dialogs WHERE chat_id = ?", chatId)
        .toArray()[0],
  );

describe("a member with no device online", () => {
  it("gets no push per message, and an exact chat list when they look", async () => {
    const [anna, boris, vera] = await signInMany(3);
    const chat = await newChat(anna.accessToken, { type: "group", title: "Дача", memberIds: [boris.user.id, vera.user.id] });
    // Boris has the app open (his inbox socket); Vera has nothing open.
    const borisApp = await openSocket("/api/v1/inbox/ws", { token: boris.accessToken });
    const talk = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: anna.accessToken });

    await sendOver(talk, "m1", "первое");
    await borisApp.next((f) => f.type === "chat" && (f.chat as SyncChat).lastSeq === 1, 3000);
    // Vera's inbox took one push, said nobody is there, and the room stopped pushing to it.
    await expect.poll(() => isAway(chat.id, vera.user.id), { timeout: 3000, interval: 50 }).toBe(true);
    expect(await isAway(chat.id, boris.user.id)).toBe(false);

    for (const k of [2, 3, 4, 5, 6]) await sendOver(talk, `m${k}`, `сообщение ${k}`);
    // Boris, online, is pushed each change (coalesced); Vera's stored row is left behind and marked so.
    await borisApp.next((f) => f.type === "chat" && (f.chat as SyncChat).lastSeq === 6, 3000);
    const behind = await storedRow(vera.user.id, chat.id);
    expect(behind?.stale).toBe(1);
    expect(behind?.last_seq).toBeLessThan(6);

    // When she looks, the list is exact at once: the inbox asked the room, which pushes to her again.
    const list = await listOf(vera);
    expect(list.chats.find((c) => c.id === chat.id)).toMatchObject({
      lastSeq: 6,
      unreadCount: 6,
      readSeq: 0,
      lastMessage: { seq: 6, text: "сообщение 6" },
    });
    expect(await storedRow(vera.user.id, chat.id)).toEqual({ last_seq: 6, stale: 0 });
    expect(await isAway(chat.id, vera.user.id)).toBe(false);
    borisApp.close();
    talk.close();
  });

  it("is caught up over the socket and GET /updates, then pushed live again, and away again when gone", async () => {
    const [anna, vera] = await signInMany(2);
    const chat = await newChat(anna.accessToken, { type: "group", title: "Соседи", memberIds: [vera.user.id] });
    const talk = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: anna.accessToken });
    await sendOver(talk, "a1", "привет");
    await expect.poll(() => isAway(chat.id, vera.user.id), { timeout: 3000, interval: 50 }).toBe(true);
    // Looking (GET /updates) brings the room back to pushing to her, until a push finds nobody again.
    const seen = (await updatesOf(vera, 0)).pts;
    await sendOver(talk, "a2", "ты где");
    await expect.poll(() => isAway(chat.id, vera.user.id), { timeout: 3000, interval: 50 }).toBe(true);
    // Away: this one is not pushed to her.
    await sendOver(talk, "a3", "ответь");
    const updates = await updatesOf(vera, seen);
    // GET /updates asked the room: the chat is there under a new pts of hers, exact.
    expect(updates.tooLong).toBe(false);
    expect(updates.pts).toBeGreaterThan(seen);
    expect(updates.chats.find((c) => c.id === chat.id)).toMatchObject({ lastSeq: 3, unreadCount: 3 });

    // Away again (the next message finds no device), then she opens the app with the pts she had.
    await sendOver(talk, "a4", "ладно");
    await expect.poll(() => isAway(chat.id, vera.user.id), { timeout: 3000, interval: 50 }).toBe(true);
    const app = await openSocket(`/api/v1/inbox/ws?pts=${updates.pts}`, { token: vera.accessToken });
    const caughtUp = await app.next((f) => f.type === "chat" && (f.chat as SyncChat).id === chat.id, 3000);
    expect(caughtUp.chat).toMatchObject({ lastSeq: 4, unreadCount: 4, lastMessage: { text: "ладно" } });
    expect(caughtUp.pts).toBeGreaterThan(updates.pts);

    // With her app open, the room pushes to her again: a new message reaches her list live.
    await sendOver(talk, "a5", "наконец-то");
    await app.next((f) => f.type === "chat" && (f.chat as SyncChat).lastSeq === 5, 3000);
    expect(await isAway(chat.id, vera.user.id)).toBe(false);

    // She closes the app: the next push finds nobody, and the room stops again.
    app.close();
    await app.closed;
    await sendOver(talk, "a6", "ушла");
    await expect.poll(() => isAway(chat.id, vera.user.id), { timeout: 3000, interval: 50 }).toBe(true);
    expect((await listOf(vera)).chats.find((c) => c.id === chat.id)).toMatchObject({ lastSeq: 6, unreadCount: 6 });
    talk.close();
  });

  it("is not turned away by an answer older than the inbox's last request", async () => {
    // The room acts on "nobody is there" only if the inbox has not asked since: an answer still in flight
    // when the user came back must not stop the pushes they now need.
    await runInDurableObject(room(`epoch-${crypto.randomUUID()}`), (_: unknown, state) => {
      const members = new Members(state.storage.sql);
      members.upsert({ userId: "u1", role: "member", username: null, name: null }, 1);
      members.resume("u1", 5);
      members.markAway("u1", 4);
      expect(members.isAway("u1")).toBe(false);
      members.markAway("u1", 6);
      expect(members.isAway("u1")).toBe(true);
      expect(members.needingPush(true).map((m) => m.userId)).toEqual([]);
      members.resume("u1", 7);
      expect(members.isAway("u1")).toBe(false);
      expect(members.needingPush(true).map((m) => m.userId)).toEqual(["u1"]);
    });
  });
});
