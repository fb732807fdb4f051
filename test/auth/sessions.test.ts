import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, freshPhone, newChat, openSocket, type SignedIn, signIn } from "../helpers";

// Refresh-token rotation, logout and the list of signed-in devices.

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

interface SessionView {
  id: string;
  deviceName: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

const refresh = (refreshToken: string) => call("/api/v1/auth/refresh", { body: { refreshToken } });
const sessionId = (accessToken: string): string => String(decodeJwt(accessToken).sid);

async function rotate(refreshToken: string): Promise<Tokens> {
  const { status, body } = await callJson<Tokens>("/api/v1/auth/refresh", { body: { refreshToken } });
  expect(status).toBe(200);
  return body;
}

async function listSessions(accessToken: string): Promise<SessionView[]> {
  const { status, body } = await callJson<{ sessions: SessionView[] }>("/api/v1/sessions", { token: accessToken });
  expect(status).toBe(200);
  return body.sessions;
}

/** One person signed in on two devices. */
async function twoDevices(): Promise<[SignedIn, SignedIn]> {
  const phone = freshPhone();
  return [await signIn(phone, "Pixel 8"), await signIn(phone, "iPhone 15")];
}

describe("refresh", () => {
  it("rotates: new access and refresh tokens for the same session, and the new refresh token works in turn", async () => {
    const s = await signIn();
    const next = await rotate(s.refreshToken);
    expect(next.refreshToken).not.toBe(s.refreshToken);
    expect(typeof next.accessToken).toBe("string");
    expect(next.expiresIn).toBeGreaterThan(0);
    expect(next.expiresIn).toBeLessThanOrEqual(900);
    expect(sessionId(next.accessToken)).toBe(sessionId(s.accessToken));
    expect(decodeJwt(next.accessToken).sub).toBe(s.user.id);

    const me = await callJson<{ user: { id: string } }>("/api/v1/me", { token: next.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(s.user.id);

    const third = await rotate(next.refreshToken);
    expect(third.refreshToken).not.toBe(next.refreshToken);
  });

  it("an already-rotated refresh token answers 401 refresh_token_reused and revokes the whole session", async () => {
    const [victim, other] = await twoDevices();
    const rotated = await rotate(victim.refreshToken);
    expect((await listSessions(other.accessToken)).map((s) => s.id)).toContain(sessionId(victim.accessToken));

    // The old token is presented again (say, by a thief who copied it).
    await expectProblem(await refresh(victim.refreshToken), 401, "refresh_token_reused");

    // The newest token of that session no longer works either, and the session is gone from the list.
    const newest = await refresh(rotated.refreshToken);
    expect(newest.status).toBe(401);
    await expectProblem(newest, 401, "invalid_refresh_token");
    const remaining = await listSessions(other.accessToken);
    expect(remaining.map((s) => s.id)).toEqual([sessionId(other.accessToken)]);

    // The person's other device is unaffected.
    await rotate(other.refreshToken);
  });

  it("an unknown refresh token answers 401 invalid_refresh_token", async () => {
    await expectProblem(await refresh("this-is-not-a-refresh-token"), 401, "invalid_refresh_token");
    const s = await signIn();
    // A real token with one character changed is unknown, and does not harm the real one.
    const altered = s.refreshToken.slice(0, -1) + (s.refreshToken.endsWith("A") ? "B" : "A");
    await expectProblem(await refresh(altered), 401, "invalid_refresh_token");
    await rotate(s.refreshToken);
  });

  it("of concurrent presentations of one refresh token at most one succeeds", async () => {
    const s = await signIn();
    const responses = await Promise.all(Array.from({ length: 4 }, () => refresh(s.refreshToken)));
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((x) => x === 200 || x === 401),
      `statuses ${statuses}`,
    ).toBe(true);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(1);
    for (const res of responses.filter((r) => r.status === 401)) await expectProblem(res, 401, "refresh_token_reused");

    // A race is treated as reuse: the session is revoked, so the winner's new refresh token is dead too.
    const winner = responses.find((r) => r.status === 200);
    if (winner) {
      const tokens = (await winner.json()) as Tokens;
      await expectProblem(await refresh(tokens.refreshToken), 401, "invalid_refresh_token");
    }
  });
});

describe("logout", () => {
  it("answers 204 and ends only that session's refresh token", async () => {
    const [a, b] = await twoDevices();
    const res = await call("/api/v1/auth/logout", { method: "POST", token: a.accessToken });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    await expectProblem(await refresh(a.refreshToken), 401, "invalid_refresh_token");
    expect((await listSessions(b.accessToken)).map((s) => s.id)).toEqual([sessionId(b.accessToken)]);
    await rotate(b.refreshToken);
  });

  it("needs a token", async () => {
    await expectProblem(await call("/api/v1/auth/logout", { method: "POST" }), 401, "unauthorized");
  });
});

describe("sessions", () => {
  it("lists the caller's devices with deviceName and current set on the caller's own", async () => {
    const [a, b] = await twoDevices();
    const fromA = await listSessions(a.accessToken);
    expect(fromA).toHaveLength(2);
    const own = fromA.find((s) => s.current);
    const otherOne = fromA.find((s) => !s.current);
    expect(fromA.filter((s) => s.current)).toHaveLength(1);
    expect(own).toMatchObject({ id: sessionId(a.accessToken), deviceName: "Pixel 8" });
    expect(otherOne).toMatchObject({ id: sessionId(b.accessToken), deviceName: "iPhone 15" });
    for (const s of fromA) {
      expect(new Date(s.createdAt).toISOString()).toBe(s.createdAt);
      expect(new Date(s.lastUsedAt).toISOString()).toBe(s.lastUsedAt);
    }

    const fromB = await listSessions(b.accessToken);
    expect(fromB.find((s) => s.current)?.id).toBe(sessionId(b.accessToken));
    expect(fromB.find((s) => !s.current)?.id).toBe(sessionId(a.accessToken));

    // Someone else's sessions never show up.
    const stranger = await signIn();
    expect((await listSessions(stranger.accessToken)).map((s) => s.id)).toEqual([sessionId(stranger.accessToken)]);
  });

  it("DELETE of another own session answers 204 and ends its refresh token", async () => {
    const [a, b] = await twoDevices();
    const res = await call(`/api/v1/sessions/${sessionId(b.accessToken)}`, { method: "DELETE", token: a.accessToken });
    expect(res.status).toBe(204);
    await expectProblem(await refresh(b.refreshToken), 401, "invalid_refresh_token");
    expect((await listSessions(a.accessToken)).map((s) => s.id)).toEqual([sessionId(a.accessToken)]);
    await rotate(a.refreshToken);

    // Deleting it again finds nothing.
    await expectProblem(
      await call(`/api/v1/sessions/${sessionId(b.accessToken)}`, { method: "DELETE", token: a.accessToken }),
      404,
      "not_found",
    );
  });

  it("DELETE of another user's session answers 404 and that session keeps working", async () => {
    const mallory = await signIn();
    const victim = await signIn();
    const id = sessionId(victim.accessToken);
    await expectProblem(await call(`/api/v1/sessions/${id}`, { method: "DELETE", token: mallory.accessToken }), 404, "not_found");
    expect((await listSessions(victim.accessToken)).map((s) => s.id)).toEqual([id]);
    await rotate(victim.refreshToken);
  });

  it("DELETE of an unknown id answers 404", async () => {
    const s = await signIn();
    await expectProblem(
      await call("/api/v1/sessions/01JUNKNOWNSESSION000000000", { method: "DELETE", token: s.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await call("/api/v1/sessions/nope", { method: "DELETE", token: s.accessToken }), 404, "not_found");
  });

  it("needs a token", async () => {
    await expectProblem(await call("/api/v1/sessions"), 401, "unauthorized");
    await expectProblem(await call("/api/v1/sessions/whatever", { method: "DELETE" }), 401, "unauthorized");
  });
});

describe("signing a device out", () => {
  it("closes its open sockets at once and refuses new ones, while the user's other devices stay connected", async () => {
    const [pixel, iphone] = await twoDevices();
    const friend = await signIn();
    const chat = await newChat(pixel.accessToken, { type: "group", title: "Семья", memberIds: [friend.user.id] });
    const pixelRoom = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: pixel.accessToken });
    const pixelInbox = await openSocket("/api/v1/inbox/ws", { token: pixel.accessToken });
    const iphoneRoom = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: iphone.accessToken });

    expect((await call(`/api/v1/sessions/${sessionId(pixel.accessToken)}`, { method: "DELETE", token: iphone.accessToken })).status).toBe(
      204,
    );
    expect(await pixelRoom.closed).toMatchObject({ code: 4001 });
    expect(await pixelInbox.closed).toMatchObject({ code: 4001 });
    // Its access token has not expired, but the session it names has ended: no new socket, no ticket use.
    await expectProblem(
      await call(`/api/v1/chats/${chat.id}/ws`, { headers: { upgrade: "websocket", authorization: `Bearer ${pixel.accessToken}` } }),
      401,
      "session_ended",
    );
    // The other device still gets messages.
    await call(`/api/v1/chats/${chat.id}/messages`, { token: friend.accessToken, body: { clientId: "after-signout", text: "Привет" } });
    await iphoneRoom.next((f) => f.type === "message");
    iphoneRoom.close();
  });

  it("by logging out, or by a reused refresh token, closes that session's sockets too", async () => {
    const [pixel, iphone] = await twoDevices();
    const inbox = await openSocket("/api/v1/inbox/ws", { token: pixel.accessToken });
    expect((await call("/api/v1/auth/logout", { method: "POST", token: pixel.accessToken })).status).toBe(204);
    expect(await inbox.closed).toMatchObject({ code: 4001 });

    const stolen = iphone.refreshToken;
    await rotate(stolen);
    const iphoneInbox = await openSocket("/api/v1/inbox/ws", { token: iphone.accessToken });
    await expectProblem(await refresh(stolen), 401, "refresh_token_reused");
    expect(await iphoneInbox.closed).toMatchObject({ code: 4001 });
  });
});
