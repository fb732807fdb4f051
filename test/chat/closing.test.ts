// A socket the server closed stays in the runtime's list until its client answers the close (or forever, if
// it never does). The room must treat it as gone at once: nothing more is sent to it, and it is not counted.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChatRoom } from "../../src/chat/room";
import { callJson, openSocket, signInMany } from "../helpers";

describe("a socket the server closed", () => {
  it("is out of the room's sockets at once, although the runtime still lists it until the client answers", async () => {
    const [anna, boris] = await signInMany(2);
    const { body } = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
      token: anna.accessToken,
      body: { type: "group", title: "закрытие", memberIds: [boris.user.id] },
    });
    const chatId = body.chat.id;
    const a = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: anna.accessToken });
    const b = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: boris.accessToken });
    const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
    await runInDurableObject(stub, async (room: ChatRoom, state) => {
      // biome-ignore lint/complexity/useLiteralKeys: the hub is private; the test reaches inside the object, as runInDurableObject is for
      const hub = room["hub"];
      const all = state.getWebSockets();
      expect(all).toHaveLength(2);
      const [first] = state.getWebSockets(anna.user.id);
      if (!first) throw new Error("anna's socket is not in the room");
      hub.close(first, 4003, "test");
      // Nothing has answered the close yet: the runtime still lists it, the room no longer does.
      expect(state.getWebSockets()).toHaveLength(2);
      expect(hub.sockets()).toHaveLength(1);
      expect(hub.isOpen(first)).toBe(false);
      // A broadcast now reaches only the open one.
      hub.broadcast({ type: "typing", userId: "someone" });
      hub.flush();
    });
    await b.next((f) => f.type === "typing");
    expect(await a.closed).toMatchObject({ code: 4003 });
    expect(a.frames.some((f) => f.type === "typing")).toBe(false);
    b.close();
  });
});
