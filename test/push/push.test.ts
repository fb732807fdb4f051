import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { unzipSync } from "fflate";
import { base64url, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { Inbox } from "../../src/chat/inbox";
import { encodePayload, MAX_PAYLOAD_BYTES } from "../../src/push/send";
import { vapid } from "../../src/push/vapid";
import { BASE, call, callJson, expectProblem, newAgency, openSocket, type SignedIn, signIn, type TestAgency } from "../helpers";
import { type Browser, decrypt, newBrowser, received, subscribe, waitForPushes } from "./webpush";

// Web Push against a stand-in push service inside the tests (test/fixtures/webhook-sink.mjs, reached at
// development endpoints http://127.0.0.1:9/push/<box>): the real queue, the real consumer, the real crypto.

const issueBill = (agency: TestAgency, citizen: SignedIn) =>
  callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, amount: 150000, currency: "RUB", purpose: "Налог на имущество", externalRef: crypto.randomUUID() },
  });

async function subscribed(token: string, query = ""): Promise<{ browser: Browser; id: string }> {
  const browser = await newBrowser(query);
  const res = await subscribe(token, browser);
  expect(res.status).toBe(201);
  return { browser, id: res.body.subscription.id };
}

/** A second device of the same person: another session. */
const secondDevice = (user: SignedIn) => signIn(user.phone, "second device");

/** The subscriptions the user's inbox holds (where they live: no D1 read per push). */
const storedFor = (userId: string) =>
  runInDurableObject(env.INBOX.get(env.INBOX.idFromName(userId)), async (inbox: Inbox) => (await inbox.subscriptionList()).length);

/** Lets the queue run well past its batch timeout, for asserting that nothing arrived. */
const settle = () => new Promise((r) => setTimeout(r, 2500));

async function vapidKey(): Promise<string> {
  const res = await callJson<{ publicKey: string }>("/api/v1/push/vapid");
  expect(res.status).toBe(200);
  return res.body.publicKey;
}

describe("GET /push/vapid", () => {
  it("answers the application server key as an uncompressed P-256 point, base64url, without signing in", async () => {
    const key = await vapidKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
    const point = base64url.decode(key);
    expect(point.byteLength).toBe(65);
    expect(point[0]).toBe(0x04);
    await expect(crypto.subtle.importKey("raw", point, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"])).resolves.toBeDefined();
  });
});

describe("VAPID configuration", () => {
  const app = createApp();
  async function fetchWith(overrides: Partial<Record<keyof Env, string | undefined>>, path: string, init: RequestInit = {}) {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(BASE + path, init), { ...env, ...overrides } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("unset: /health names it, the push endpoints answer 503 and nothing is stored", async () => {
    const user = await signIn();
    const b = await newBrowser();
    const health = await fetchWith({ VAPID_PRIVATE_KEY: undefined }, "/health");
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ missing: { push: ["VAPID_PRIVATE_KEY"] } });
    await expectProblem(await fetchWith({ VAPID_PRIVATE_KEY: "" }, "/api/v1/push/vapid"), 503, "service_unavailable");
    const sub = await fetchWith({ VAPID_PRIVATE_KEY: "" }, "/api/v1/push/subscriptions", {
      method: "POST",
      headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ endpoint: b.endpoint, keys: { p256dh: b.p256dh, auth: b.auth } }),
    });
    await expectProblem(sub, 503, "service_unavailable");
    expect(await storedFor(user.user.id)).toBe(0);
  });

  it("refuses a key whose x and y are not its d's public point, and a subject that is no contact URI", async () => {
    const good = JSON.parse(env.VAPID_PRIVATE_KEY) as Record<string, string>;
    const other = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])) as CryptoKeyPair;
    const otherJwk = (await crypto.subtle.exportKey("jwk", other.publicKey)) as JsonWebKey;
    const mixed = JSON.stringify({ ...good, x: otherJwk.x, y: otherJwk.y });
    await expect(vapid({ ...env, VAPID_PRIVATE_KEY: mixed } as Env)).rejects.toThrow();
    await expect(vapid({ ...env, VAPID_PRIVATE_KEY: "not json" } as Env)).rejects.toThrow(/not JSON/);
    await expect(vapid({ ...env, VAPID_SUBJECT: "push@veche.example" } as unknown as Env)).rejects.toThrow(/VAPID_SUBJECT/);
  });
});

describe("push subscriptions", () => {
  it("need a signed-in citizen to create or delete", async () => {
    const b = await newBrowser();
    await expectProblem(
      await call("/api/v1/push/subscriptions", { body: { endpoint: b.endpoint, keys: { p256dh: b.p256dh, auth: b.auth } } }),
      401,
      "unauthorized",
    );
    await expectProblem(await call("/api/v1/push/subscriptions/anything", { method: "DELETE" }), 401, "unauthorized");
  });

  it("refuse bad keys and endpoints that are not push services at validation, storing nothing", async () => {
    const user = await signIn();
    const b = await newBrowser();
    const good = { p256dh: b.p256dh, auth: b.auth };
    const offCurve = base64url.encode(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 0xff)));
    const compressed = base64url.encode(base64url.decode(b.p256dh).slice(0, 33));
    const badKeys: [Record<string, string>, string][] = [
      [{ ...good, p256dh: compressed }, "keys.p256dh"],
      [{ ...good, p256dh: offCurve }, "keys.p256dh"],
      [{ ...good, p256dh: "not base64url!" }, "keys.p256dh"],
      [{ ...good, auth: base64url.encode(new Uint8Array(15)) }, "keys.auth"],
      [{ ...good, auth: base64url.encode(new Uint8Array(32)) }, "keys.auth"],
    ];
    for (const [keys, path] of badKeys) {
      const res = await call("/api/v1/push/subscriptions", { token: user.accessToken, body: { endpoint: b.endpoint, keys } });
      const problem = await expectProblem(res, 400, "invalid_push_keys");
      expect(problem.errors).toEqual([expect.objectContaining({ path })]);
    }
    const badEndpoints = [
      "https://10.0.0.1/push/x", // private
      "https://169.254.169.254/latest", // link-local (cloud metadata)
      "http://localhost:9/push/x", // a local name
      "http://127.0.0.2:9/push/x", // loopback, but not the development spelling
      "http://[::1]:9/push/x",
      "http://fcm.googleapis.com/fcm/send/x", // a push service, but plain http
      "https://example.com/push/x", // public, but no browser push service
      "https://fcm.googleapis.com.evil.example/x", // a look-alike
      "https://user:pw@fcm.googleapis.com/fcm/send/x", // credentials
      "not a url",
    ];
    for (const endpoint of badEndpoints) {
      const res = await call("/api/v1/push/subscriptions", { token: user.accessToken, body: { endpoint, keys: good } });
      const problem = await expectProblem(res, 400, "invalid_push_endpoint");
      expect(problem.errors).toEqual([expect.objectContaining({ path: "endpoint" })]);
    }
    await expectProblem(
      await call("/api/v1/push/subscriptions", { token: user.accessToken, body: { endpoint: b.endpoint, keys: { p256dh: b.p256dh } } }),
      400,
      "validation_failed",
    );
    expect(await storedFor(user.user.id)).toBe(0);
  });

  it("take the known browser push services' https endpoints", async () => {
    const user = await signIn();
    const b = await newBrowser();
    for (const endpoint of [
      "https://fcm.googleapis.com/fcm/send/abc:def",
      "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
      "https://web.push.apple.com/QGr2",
      "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    ]) {
      const res = await call("/api/v1/push/subscriptions", {
        token: user.accessToken,
        body: { endpoint, keys: { p256dh: b.p256dh, auth: b.auth } },
      });
      expect(res.status).toBe(201);
    }
    expect(await storedFor(user.user.id)).toBe(4);
  });

  it("replace the subscription when the same endpoint subscribes again: same id, one row, the new keys", async () => {
    const user = await signIn();
    const agency = await newAgency();
    const first = await subscribed(user.accessToken);
    const again = await newBrowser();
    const renewed = { ...again, endpoint: first.browser.endpoint, box: first.browser.box };
    const res = await subscribe(user.accessToken, renewed);
    expect(res.status).toBe(201);
    expect(res.body.subscription.id).toBe(first.id);
    expect(await storedFor(user.user.id)).toBe(1);
    expect((await issueBill(agency, user)).status).toBe(201);
    const [push] = await waitForPushes(first.browser.box, 1);
    await settle();
    expect(await received(first.browser.box)).toHaveLength(1);
    // Encrypted to the keys of the latest subscription.
    await expect(decrypt(renewed, push?.body ?? "")).resolves.toMatchObject({ plaintext: expect.stringContaining('"kind":"bill"') });
  });

  it("are capped per user with a clear error; re-subscribing at the cap still works", async () => {
    const user = await signIn();
    const first = await subscribed(user.accessToken);
    for (let i = 1; i < 20; i += 1) await subscribed(user.accessToken);
    const extra = await newBrowser();
    const over = await call("/api/v1/push/subscriptions", {
      token: user.accessToken,
      body: { endpoint: extra.endpoint, keys: { p256dh: extra.p256dh, auth: extra.auth } },
    });
    await expectProblem(over, 409, "too_many_subscriptions");
    expect(await storedFor(user.user.id)).toBe(20);
    const same = await subscribe(user.accessToken, first.browser);
    expect(same.status).toBe(201);
    expect(same.body.subscription.id).toBe(first.id);
  });

  it("can be deleted by their owner only; another user's attempt answers 404 and changes nothing", async () => {
    const [owner, other] = [await signIn(), await signIn()];
    const agency = await newAgency();
    const { browser, id } = await subscribed(owner.accessToken);
    await expectProblem(await call(`/api/v1/push/subscriptions/${id}`, { method: "DELETE", token: other.accessToken }), 404, "not_found");
    expect((await issueBill(agency, owner)).status).toBe(201);
    await waitForPushes(browser.box, 1);
    expect((await call(`/api/v1/push/subscriptions/${id}`, { method: "DELETE", token: owner.accessToken })).status).toBe(204);
    await expectProblem(await call(`/api/v1/push/subscriptions/${id}`, { method: "DELETE", token: owner.accessToken }), 404, "not_found");
    expect((await issueBill(agency, owner)).status).toBe(201);
    await settle();
    expect(await received(browser.box)).toHaveLength(1);
  });
});

describe("a service notification", () => {
  it("pushes to a device with no socket open: RFC 8030 POST, a VAPID JWT that verifies, an aes128gcm body that decrypts", async () => {
    const user = await signIn();
    const agency = await newAgency();
    const { browser } = await subscribed(user.accessToken);
    const publicKey = await vapidKey();
    const bill = await issueBill(agency, user);
    expect(bill.status).toBe(201);
    const [push] = await waitForPushes(browser.box, 1);
    if (!push) throw new Error("no push");
    expect(push.method).toBe("POST");
    expect(push.url).toBe(browser.endpoint);
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);
    expect(push.headers["content-encoding"]).toBe("aes128gcm");

    // RFC 8292: Authorization: vapid t=<JWT>, k=<the key GET /push/vapid answers>.
    const auth = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(push.headers.authorization ?? "");
    expect(auth?.[2]).toBe(publicKey);
    const jwt = auth?.[1] ?? "";
    expect(decodeProtectedHeader(jwt).alg).toBe("ES256");
    const key = await crypto.subtle.importKey("raw", base64url.decode(publicKey), { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
    const { payload } = await jwtVerify(jwt, key, { audience: "http://127.0.0.1:9", algorithms: ["ES256"] });
    const now = Math.floor(Date.now() / 1000);
    expect(payload.exp).toBeGreaterThan(now);
    expect(payload.exp ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(now + 24 * 3600);
    expect(payload.sub).toMatch(/^(mailto:|https:)/);
    // Signed by another key, it would not verify.
    const stranger = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    await expect(jwtVerify(jwt, stranger.publicKey, { audience: "http://127.0.0.1:9" })).rejects.toThrow();

    const { plaintext, recordSize, bodyBytes } = await decrypt(browser, push.body);
    expect(recordSize).toBe(4096);
    // Padded to a constant size, so the length tells nothing about the content.
    expect(bodyBytes).toBe(4096);
    expect(JSON.parse(plaintext)).toMatchObject({ type: "notification", kind: "bill", billId: bill.body.bill.id, pts: expect.any(Number) });
    // Another browser's keys cannot read it.
    await expect(decrypt(await newBrowser(), push.body)).rejects.toThrow();
  });

  it("does not push to the device whose inbox socket is open, and does push to the same person's other device", async () => {
    const here = await signIn();
    const away = await secondDevice(here);
    const agency = await newAgency();
    const open = await subscribed(here.accessToken);
    const closed = await subscribed(away.accessToken);
    const app = await openSocket("/api/v1/inbox/ws", { token: here.accessToken });
    try {
      expect((await issueBill(agency, here)).status).toBe(201);
      await app.next((f) => f.type === "notification" && f.kind === "bill");
      await waitForPushes(closed.browser.box, 1);
      await settle();
      expect(await received(open.browser.box)).toHaveLength(0);
    } finally {
      app.close();
      await app.closed;
    }
    // Once its socket is closed, that device is away too.
    expect((await issueBill(agency, here)).status).toBe(201);
    await waitForPushes(open.browser.box, 1);
  });

  it("is not pushed to a signed-out device: signing out deletes its subscriptions", async () => {
    const user = await signIn();
    const other = await secondDevice(user);
    const third = await secondDevice(user);
    const agency = await newAgency();
    const loggedOut = await subscribed(user.accessToken);
    const revoked = await subscribed(third.accessToken);
    const control = await subscribed(other.accessToken);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: user.accessToken })).status).toBe(204);
    const sessions = await callJson<{ sessions: { id: string; current: boolean; deviceName: string | null }[] }>("/api/v1/sessions", {
      token: other.accessToken,
    });
    const thirdSession = sessions.body.sessions.find((s) => !s.current && s.deviceName === "second device");
    // Both remaining ones are called "second device"; revoke the one that is not the caller.
    expect(thirdSession).toBeDefined();
    expect((await call(`/api/v1/sessions/${thirdSession?.id}`, { method: "DELETE", token: other.accessToken })).status).toBe(204);
    expect(await storedFor(user.user.id)).toBe(1);
    expect((await issueBill(agency, user)).status).toBe(201);
    await waitForPushes(control.browser.box, 1);
    await settle();
    expect(await received(loggedOut.browser.box)).toHaveLength(0);
    expect(await received(revoked.browser.box)).toHaveLength(0);
    // The signed-out device's access token, still unexpired, cannot subscribe again.
    const late = await newBrowser();
    const again = await call("/api/v1/push/subscriptions", {
      token: user.accessToken,
      body: { endpoint: late.endpoint, keys: { p256dh: late.p256dh, auth: late.auth } },
    });
    await expectProblem(again, 401, "session_ended");
    expect(await storedFor(user.user.id)).toBe(1);
  });

  it("ends the subscription when the push service answers 410: nothing more is sent to it", async () => {
    const user = await signIn();
    const agency = await newAgency();
    const gone = await subscribed(user.accessToken, "?status=410");
    const control = await subscribed((await secondDevice(user)).accessToken);
    expect((await issueBill(agency, user)).status).toBe(201);
    await waitForPushes(gone.browser.box, 1);
    await waitForPushes(control.browser.box, 1);
    await settle();
    // Not retried, and deleted.
    expect(await received(gone.browser.box)).toHaveLength(1);
    expect(await storedFor(user.user.id)).toBe(1);
    expect((await issueBill(agency, user)).status).toBe(201);
    await waitForPushes(control.browser.box, 2);
    await settle();
    expect(await received(gone.browser.box)).toHaveLength(1);
  });

  it("ends the subscription on 404 too", async () => {
    const user = await signIn();
    const agency = await newAgency();
    const gone = await subscribed(user.accessToken, "?status=404");
    expect((await issueBill(agency, user)).status).toBe(201);
    await waitForPushes(gone.browser.box, 1);
    await settle();
    expect(await received(gone.browser.box)).toHaveLength(1);
    expect(await storedFor(user.user.id)).toBe(0);
  });

  it("is retried with backoff after 5xx answers, then delivered, and the subscription stays", async () => {
    const user = await signIn();
    const agency = await newAgency();
    const flaky = await subscribed(user.accessToken, "?fail=2");
    expect((await issueBill(agency, user)).status).toBe(201);
    const attempts = await waitForPushes(flaky.browser.box, 3, 20_000);
    // Each attempt is a fresh, valid push of the same notification.
    for (const a of attempts) expect(JSON.parse((await decrypt(flaky.browser, a.body)).plaintext)).toMatchObject({ kind: "bill" });
    const [a1, a2, a3] = attempts.map((a) => a.at);
    // Backoff: base 1 s in the tests, then 2 s.
    expect((a2 ?? 0) - (a1 ?? 0)).toBeGreaterThanOrEqual(900);
    expect((a3 ?? 0) - (a2 ?? 0)).toBeGreaterThanOrEqual(1800);
    await settle();
    expect(await received(flaky.browser.box)).toHaveLength(3);
    expect(await storedFor(user.user.id)).toBe(1);
  }, 30_000);

  it("other 4xx answers drop the push without retrying, and keep the subscription", async () => {
    const user = await signIn();
    const agency = await newAgency();
    const refused = await subscribed(user.accessToken, "?status=400");
    expect((await issueBill(agency, user)).status).toBe(201);
    await waitForPushes(refused.browser.box, 1);
    await settle();
    expect(await received(refused.browser.box)).toHaveLength(1);
    expect(await storedFor(user.user.id)).toBe(1);
  });

  it("are in the data export (their push service, not the endpoint's token), and deleting the account deletes them", async () => {
    const user = await signIn();
    const { id } = await subscribed(user.accessToken);
    expect(await storedFor(user.user.id)).toBe(1);
    const archive = await call("/api/v1/me/export", { method: "POST", token: user.accessToken });
    expect(archive.status).toBe(200);
    const files = unzipSync(new Uint8Array(await archive.arrayBuffer()));
    const listed = JSON.parse(new TextDecoder().decode(files["push-subscriptions.json"])) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ id, service: "http://127.0.0.1:9" })]);
    expect(JSON.stringify(listed)).not.toContain("/push/");
    const res = await call("/api/v1/me", { method: "DELETE", token: user.accessToken, body: { confirm: "DELETE" } });
    expect(res.status).toBe(200);
    expect(await storedFor(user.user.id)).toBe(0);
  });
});

describe("push payloads", () => {
  it("shorten a long preview to fit one push, and keep short ones whole", () => {
    const base = { type: "message", chatType: "direct", chatTitle: "Вера", mention: false, unread: 1 } as const;
    const short = encodePayload({ ...base, chatId: "c1", seq: 7, senderName: "Вера", text: "Привет" });
    expect(JSON.parse(short ?? "")).toEqual({ ...base, chatId: "c1", seq: 7, senderName: "Вера", text: "Привет" });
    const long = encodePayload({ ...base, chatId: "c1", seq: 8, senderName: null, text: "я".repeat(4000) });
    expect(new TextEncoder().encode(long ?? "").byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(JSON.parse(long ?? "")).toMatchObject({ type: "message", chatId: "c1", seq: 8, text: expect.stringMatching(/^я+…$/) });
  });
});
