// A device tells its inbox whether the app is on screen: a hidden app counts as away (Web Push then
// notifies it) although its socket is open. Bad frames get the same error codes as a room's socket.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Inbox } from "../../src/chat/inbox";
import { openSocket, signIn } from "../helpers";

const inbox = (userId: string) => env.INBOX.get(env.INBOX.idFromName(userId));
const here = (userId: string) => runInDurableObject(inbox(userId), (instance: Inbox) => [...instance.sessionsHere()]);
const sessionOf = (token: string) => JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))).sid as string;

describe("the inbox socket's visibility frames", () => {
  it("a device is here while its socket is open and its app visible, away when hidden or closed", async () => {
    const phone = await signIn();
    const laptop = await signIn(phone.phone, "laptop");
    const a = await openSocket("/api/v1/inbox/ws", { token: phone.accessToken });
    const b = await openSocket("/api/v1/inbox/ws", { token: laptop.accessToken });
    const [pa, pb] = [sessionOf(phone.accessToken), sessionOf(laptop.accessToken)];
    expect(new Set(await here(phone.user.id))).toEqual(new Set([pa, pb]));

    a.send({ type: "visibility", visible: false });
    await expect.poll(() => here(phone.user.id)).toEqual([pb]);
    a.send({ type: "visibility", visible: true });
    await expect.poll(async () => new Set(await here(phone.user.id))).toEqual(new Set([pa, pb]));

    b.close();
    await expect.poll(() => here(phone.user.id)).toEqual([pa]);
    a.close();
  });

  it("answers bad frames with an error and stays open", async () => {
    const u = await signIn();
    const s = await openSocket("/api/v1/inbox/ws", { token: u.accessToken });
    for (const [frame, code] of [
      ["not json", "invalid_frame"],
      [{ type: "visibility" }, "invalid_frame"],
      [{ type: "visibility", visible: "no" }, "invalid_frame"],
      [{ type: "send", text: "hi" }, "invalid_frame"],
      [{ type: "visibility", visible: false, pad: "x".repeat(40_000) }, "frame_too_large"],
    ] as const) {
      const from = s.frames.length;
      s.send(frame);
      expect(await s.next((f) => f.type === "error", 5000, from)).toMatchObject({ type: "error", code });
    }
    const from = s.frames.length;
    s.ws.send(new Uint8Array([1, 2, 3]));
    expect(await s.next((f) => f.type === "error", 5000, from)).toMatchObject({ code: "unsupported_frame" });
    // Nothing of it changed the device's state: still here.
    expect(await here(u.user.id)).toHaveLength(1);
    s.close();
  });
});
