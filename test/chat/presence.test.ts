import { describe, expect, it } from "vitest";
import { callJson, openSocket, signIn } from "../helpers";

type Profile = { user: { online: boolean | null; lastSeenAt: string | null } };

describe("presence", () => {
  it("shows online while an inbox socket is open and last seen after, unless the user hides it", async () => {
    const anna = await signIn();
    const viewer = await signIn();
    const profile = async () => (await callJson<Profile>(`/api/v1/users/${anna.user.id}`, { token: viewer.accessToken })).body.user;
    expect(await profile()).toEqual(expect.objectContaining({ online: false, lastSeenAt: null }));

    const phone = await openSocket("/api/v1/inbox/ws", { token: anna.accessToken });
    const laptop = await openSocket("/api/v1/inbox/ws", { token: anna.accessToken });
    expect((await profile()).online).toBe(true);

    phone.close();
    await phone.closed;
    // One device is still connected.
    await expect.poll(async () => (await profile()).online).toBe(true);

    laptop.close();
    await laptop.closed;
    await expect.poll(async () => (await profile()).online).toBe(false);
    expect(Date.parse((await profile()).lastSeenAt ?? "")).toBeGreaterThan(Date.now() - 60_000);

    const hidden = await callJson("/api/v1/me", { method: "PATCH", token: anna.accessToken, body: { presenceVisibility: "nobody" } });
    expect(hidden.status).toBe(200);
    expect(await profile()).toEqual(expect.objectContaining({ online: null, lastSeenAt: null }));
  });
});
