import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { verifyKeyLog } from "../../src/keys/chain";
import { deviceOfSession, endEndedDevices, holderKeyOf } from "../../src/keys/devices";
import { call, callJson, expectProblem, freshPhone, signIn } from "../helpers";
import { brokenAt } from "./independent";
import { devicesOf, holderJwk, keyLog, mlsKey, putDevice } from "./support";

// Devices and the key log: what a contact's client relies on to know which keys are someone's, now and ever.

const sid = (token: string) => String(decodeJwt(token).sid);

describe("publishing keys", () => {
  it("PUT /me/device publishes both keys; the key log records each as added and recomputes independently", async () => {
    const alice = await signIn(undefined, "Firefox on Linux");
    const bob = await signIn();
    const jwk = await holderJwk();
    const mls = mlsKey();
    const device = await putDevice(alice.accessToken, { mlsKey: mls, holderKey: jwk });
    expect(device).toMatchObject({ name: "Firefox on Linux", mlsKey: mls, holderKey: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } });
    // Only the public members are kept: nothing a browser's export adds (ext, key_ops).
    expect(Object.keys(device.holderKey ?? {}).sort()).toEqual(["crv", "kty", "x", "y"]);

    // Anyone signed in reads it.
    const { entries, head } = await keyLog(bob.accessToken, alice.user.id);
    expect(entries.map((e) => [e.seq, e.action, e.use, e.deviceId, e.userId])).toEqual([
      [1, "added", "mls", device.id, alice.user.id],
      [2, "added", "holder", device.id, alice.user.id],
    ]);
    expect(entries[0]?.key).toBe(mls);
    expect(entries[1]?.key).toEqual({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y });
    expect(entries[0]?.prevHash).toBe("0".repeat(64));
    expect(head).toBe(entries[1]?.hash);
    expect(brokenAt(entries, head)).toBeNull();
    expect(await verifyKeyLog(entries, { head })).toEqual({ valid: true });

    expect(await devicesOf(bob.accessToken, alice.user.id)).toEqual([device]);
  });

  it("a replaced key is revoked before the new one is added; the same key again adds nothing", async () => {
    const alice = await signIn();
    const first = mlsKey();
    const second = mlsKey();
    const device = await putDevice(alice.accessToken, { mlsKey: first });
    await putDevice(alice.accessToken, { mlsKey: first, name: "Laptop" });
    const renamed = await putDevice(alice.accessToken, { mlsKey: second });
    expect(renamed).toMatchObject({ id: device.id, name: "Laptop", mlsKey: second });
    const { entries, head } = await keyLog(alice.accessToken, alice.user.id);
    expect(entries.map((e) => [e.action, e.key])).toEqual([
      ["added", first],
      ["revoked", first],
      ["added", second],
    ]);
    expect(brokenAt(entries, head)).toBeNull();
  });

  it("a tampered entry no longer verifies, and the table refuses edits and deletions", async () => {
    const alice = await signIn();
    await putDevice(alice.accessToken, { mlsKey: mlsKey(), holderKey: await holderJwk() });
    const { entries, head } = await keyLog(alice.accessToken, alice.user.id);
    const forged = entries.map((e, i) => (i === 0 ? { ...e, key: mlsKey() } : e));
    expect(brokenAt(forged, head)).toBe(1);
    expect(await verifyKeyLog(forged, { head })).toEqual({ valid: false, brokenAt: 1 });
    await expect(env.DB.prepare("UPDATE key_log SET key = 'x' WHERE user_id = ?1").bind(alice.user.id).run()).rejects.toThrow(
      /append_only/,
    );
    await expect(env.DB.prepare("DELETE FROM key_log WHERE user_id = ?1").bind(alice.user.id).run()).rejects.toThrow(/append_only/);
  });

  it("every device of a user is on one chain; each device lists its own keys", async () => {
    const phone = freshPhone();
    const laptop = await signIn(phone, "Laptop");
    const phoneApp = await signIn(phone, "Phone");
    const a = await putDevice(laptop.accessToken, { mlsKey: mlsKey() });
    const b = await putDevice(phoneApp.accessToken, { mlsKey: mlsKey() });
    expect(a.id).not.toBe(b.id);
    const devices = await devicesOf(laptop.accessToken, laptop.user.id);
    expect(devices.map((d) => d.id)).toEqual([a.id, b.id]);
    const { entries, head } = await keyLog(laptop.accessToken, laptop.user.id);
    expect(entries.map((e) => e.deviceId)).toEqual([a.id, b.id]);
    expect(brokenAt(entries, head)).toBeNull();
  });

  it("concurrent publishes from several devices keep one unbroken chain", async () => {
    const phone = freshPhone();
    // One code per phone at a time: the sign-ins are sequential, the publishing is not.
    const sessions = [await signIn(phone), await signIn(phone), await signIn(phone), await signIn(phone)] as const;
    await Promise.all(sessions.map((s) => putDevice(s.accessToken, { mlsKey: mlsKey() })));
    const { entries, head } = await keyLog(sessions[0].accessToken, sessions[0].user.id);
    expect(entries).toHaveLength(4);
    expect(new Set(entries.map((e) => e.deviceId)).size).toBe(4);
    expect(brokenAt(entries, head)).toBeNull();
  });

  it("deviceOfSession and holderKeyOf (for holder keys) answer the session's active device and its key", async () => {
    const alice = await signIn();
    expect(await deviceOfSession(env, sid(alice.accessToken))).toBeNull();
    const jwk = await holderJwk();
    const device = await putDevice(alice.accessToken, { holderKey: jwk });
    const found = await deviceOfSession(env, sid(alice.accessToken));
    expect(found).toMatchObject({ id: device.id, userId: alice.user.id, mlsKey: null });
    expect(await holderKeyOf(env, device.id)).toEqual({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y });
    await call("/api/v1/auth/logout", { method: "POST", token: alice.accessToken });
    expect(await deviceOfSession(env, sid(alice.accessToken))).toBeNull();
    expect(await holderKeyOf(env, device.id)).toBeNull();
  });
});

describe("revocation", () => {
  it("sign-out revokes the device's keys in the log, drops it from the directory, and refuses further publishing", async () => {
    const phone = freshPhone();
    const alice = await signIn(phone);
    const other = await signIn(phone);
    const jwk = await holderJwk();
    const mls = mlsKey();
    const device = await putDevice(alice.accessToken, { mlsKey: mls, holderKey: jwk });
    expect((await call("/api/v1/auth/logout", { method: "POST", token: alice.accessToken })).status).toBe(204);

    const { entries, head } = await keyLog(other.accessToken, alice.user.id);
    expect(entries.map((e) => [e.action, e.use, e.deviceId])).toEqual([
      ["added", "mls", device.id],
      ["added", "holder", device.id],
      ["revoked", "mls", device.id],
      ["revoked", "holder", device.id],
    ]);
    expect(entries[2]?.key).toBe(mls);
    expect(brokenAt(entries, head)).toBeNull();
    expect(await devicesOf(other.accessToken, alice.user.id)).toEqual([]);

    // The access token lives on for minutes; it publishes nothing more.
    const late = await call("/api/v1/me/device", { method: "PUT", token: alice.accessToken, body: { mlsKey: mlsKey() } });
    await expectProblem(late, 401, "session_ended");
    expect((await keyLog(other.accessToken, alice.user.id)).entries).toHaveLength(4);
  });

  it("revoking a session from another device revokes that device's keys", async () => {
    const phone = freshPhone();
    const lost = await signIn(phone, "Lost phone");
    const laptop = await signIn(phone, "Laptop");
    const device = await putDevice(lost.accessToken, { mlsKey: mlsKey() });
    await putDevice(laptop.accessToken, { mlsKey: mlsKey() });
    expect((await call(`/api/v1/sessions/${sid(lost.accessToken)}`, { method: "DELETE", token: laptop.accessToken })).status).toBe(204);
    const { entries } = await keyLog(laptop.accessToken, laptop.user.id);
    expect(entries.at(-1)).toMatchObject({ action: "revoked", use: "mls", deviceId: device.id });
    expect((await devicesOf(laptop.accessToken, laptop.user.id)).map((d) => d.id)).not.toContain(device.id);
  });

  it("someone else's session id cannot be revoked, and their keys stay", async () => {
    const alice = await signIn();
    const mallory = await signIn();
    await putDevice(alice.accessToken, { mlsKey: mlsKey() });
    await expectProblem(
      await call(`/api/v1/sessions/${sid(alice.accessToken)}`, { method: "DELETE", token: mallory.accessToken }),
      404,
      "not_found",
    );
    expect((await keyLog(mallory.accessToken, alice.user.id)).entries.map((e) => e.action)).toEqual(["added"]);
    expect(await devicesOf(mallory.accessToken, alice.user.id)).toHaveLength(1);
  });

  it("a replayed refresh token ends the session and revokes its keys", async () => {
    const alice = await signIn();
    await putDevice(alice.accessToken, { mlsKey: mlsKey() });
    const first = await callJson("/api/v1/auth/refresh", { body: { refreshToken: alice.refreshToken } });
    expect(first.status).toBe(200);
    await expectProblem(await call("/api/v1/auth/refresh", { body: { refreshToken: alice.refreshToken } }), 401, "refresh_token_reused");
    const other = await signIn();
    expect((await keyLog(other.accessToken, alice.user.id)).entries.map((e) => e.action)).toEqual(["added", "revoked"]);
  });

  it("an expired session's device leaves the directory at once and is revoked in the log by the hourly sweep", async () => {
    const alice = await signIn();
    const viewer = await signIn();
    await putDevice(alice.accessToken, { mlsKey: mlsKey() });
    await env.DB.prepare("UPDATE sessions SET expires_at = ?2 WHERE id = ?1")
      .bind(sid(alice.accessToken), Date.now() - 1000)
      .run();
    expect(await devicesOf(viewer.accessToken, alice.user.id)).toEqual([]);
    const ended = await endEndedDevices(env);
    expect(ended.map((d) => d.userId)).toContain(alice.user.id);
    const { entries, head } = await keyLog(viewer.accessToken, alice.user.id);
    expect(entries.map((e) => e.action)).toEqual(["added", "revoked"]);
    expect(brokenAt(entries, head)).toBeNull();
    // A second sweep finds nothing more to do for it.
    expect((await endEndedDevices(env)).map((d) => d.userId)).not.toContain(alice.user.id);
  });
});

describe("validation and authorization", () => {
  const put = (token: string, body: unknown) => call("/api/v1/me/device", { method: "PUT", token, body });

  it("refuses keys that are not what they claim to be, and changes nothing", async () => {
    const alice = await signIn();
    const jwk = await holderJwk();
    const cases: [unknown, number, string, string][] = [
      [{ mlsKey: "not base64url!" }, 400, "validation_failed", "mlsKey"],
      [{ mlsKey: `${mlsKey()}==` }, 400, "validation_failed", "mlsKey"],
      [{ mlsKey: btoa("x".repeat(20)) }, 400, "validation_failed", "mlsKey"],
      [{ mlsKey: mlsKey().slice(0, 20) }, 400, "validation_failed", "mlsKey"],
      [{ holderKey: { ...jwk, crv: "P-384" } }, 400, "validation_failed", "holderKey.crv"],
      [{ holderKey: { kty: "EC", crv: "P-256", x: jwk.x } }, 400, "validation_failed", "holderKey.y"],
      [{ holderKey: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.x } }, 400, "invalid_key", "holderKey"],
      [{ holderKey: { ...jwk, d: jwk.x } }, 400, "private_key_not_allowed", "holderKey.d"],
      [{ name: "", mlsKey: mlsKey() }, 400, "validation_failed", "name"],
      [{ mlsKey: mlsKey(), extra: 1 }, 400, "validation_failed", ""],
    ];
    for (const [body, status, code, path] of cases) {
      const problem = await expectProblem(await put(alice.accessToken, body), status, code);
      const errors = problem.errors as { path: string }[];
      expect(
        errors.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await keyLog(alice.accessToken, alice.user.id)).entries).toEqual([]);
    await expectProblem(await call("/api/v1/me/device", { token: alice.accessToken }), 404, "not_found");
  });

  it("needs a citizen token; unknown users answer 404", async () => {
    const alice = await signIn();
    await expectProblem(await call("/api/v1/me/device", { method: "PUT", body: { mlsKey: mlsKey() } }), 401, "unauthorized");
    await expectProblem(await call(`/api/v1/users/${alice.user.id}/key-log`), 401, "unauthorized");
    await expectProblem(await call(`/api/v1/users/${alice.user.id}/devices`), 401, "unauthorized");
    await expectProblem(await call("/api/v1/users/01HZZZZZZZZZZZZZZZZZZZZZZZ/key-log", { token: alice.accessToken }), 404, "not_found");
    await expectProblem(await call("/api/v1/users/01HZZZZZZZZZZZZZZZZZZZZZZZ/devices", { token: alice.accessToken }), 404, "not_found");
    await expectProblem(
      await call(`/api/v1/users/${alice.user.id}/key-log?limit=0`, { token: alice.accessToken }),
      400,
      "validation_failed",
    );
  });

  it("pages with ?after and ?limit; head is always the whole chain's", async () => {
    const alice = await signIn();
    for (let i = 0; i < 3; i++) await putDevice(alice.accessToken, { mlsKey: mlsKey() });
    const all = await keyLog(alice.accessToken, alice.user.id);
    expect(all.entries).toHaveLength(5);
    const page = await callJson<{ entries: { seq: number }[]; head: string }>(`/api/v1/users/${alice.user.id}/key-log?after=1&limit=2`, {
      token: alice.accessToken,
    });
    expect(page.body.entries.map((e) => e.seq)).toEqual([2, 3]);
    expect(page.body.head).toBe(all.head);
  });
});
