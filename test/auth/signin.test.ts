import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, freshAddress, freshPhone, requestCode, type SignedIn, signIn } from "../helpers";

// Sign-in codes and their limits, through the real Worker and the real D1.

const RATE_WINDOW_MS = 15 * 60_000;

/** "+79161234567" as a person would type it: "+7 (916) 123-45-67". */
function typed(e164: string): string {
  const d = e164.slice(2);
  return `+7 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`;
}

/** Another 6-digit code, certainly not the right one. */
const wrongCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

function verify(phone: string, code: string, deviceName?: string) {
  return call("/api/v1/auth/verify", { body: { phone, code, ...(deviceName ? { deviceName } : {}) } });
}

function otp(phone: string, address = freshAddress()) {
  return call("/api/v1/auth/otp", { body: { phone }, headers: { "cf-connecting-ip": address } });
}

/**
 * Rate limits count in fixed 15-minute windows. A test that fills a window waits when it would start
 * within a few seconds of the window's end, so that the window cannot roll over halfway through it.
 */
async function awayFromWindowEdge(): Promise<void> {
  const left = RATE_WINDOW_MS - (Date.now() % RATE_WINDOW_MS);
  if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

function expectRetryAfter(res: Response, maxSec: number): number {
  const value = res.headers.get("retry-after");
  expect(value, "Retry-After header").toMatch(/^\d+$/);
  const seconds = Number(value);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(maxSec);
  return seconds;
}

async function countRows(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("sign-in flow", () => {
  it("sends a code, exchanges it for tokens and the user, and the access token opens /me", async () => {
    const phone = freshPhone();
    const sent = await callJson("/api/v1/auth/otp", { body: { phone: typed(phone) }, headers: { "cf-connecting-ip": freshAddress() } });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ expiresInSec: 300 });

    // The code is kept under the E.164 form, whichever form it was asked for in.
    const dev = await callJson<{ code: string }>(`/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
    expect(dev.status).toBe(200);
    expect(dev.body.code).toMatch(/^\d{6}$/);

    const { status, body } = await callJson<Omit<SignedIn, "phone"> & { expiresIn: number }>("/api/v1/auth/verify", {
      body: { phone: `8${phone.slice(2)}`, code: dev.body.code, deviceName: "Pixel 8" },
    });
    expect(status).toBe(200);
    expect(typeof body.accessToken).toBe("string");
    expect(body.accessToken.split(".")).toHaveLength(3);
    expect(typeof body.refreshToken).toBe("string");
    expect(body.refreshToken.length).toBeGreaterThanOrEqual(32);
    expect(body.expiresIn).toBeGreaterThan(0);
    expect(body.expiresIn).toBeLessThanOrEqual(900);
    expect(body.user).toMatchObject({ phone, displayName: null, username: null });
    expect(typeof body.user.id).toBe("string");

    const me = await callJson<{ user: SignedIn["user"] }>("/api/v1/me", { token: body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual(body.user);
  });

  it("signing in twice with one phone gives the same user and two sessions", async () => {
    const phone = freshPhone();
    const first = await signIn(phone, "laptop");
    const second = await signIn(phone, "phone");
    expect(second.user.id).toBe(first.user.id);
    expect(second.refreshToken).not.toBe(first.refreshToken);

    const { status, body } = await callJson<{ sessions: { id: string; deviceName: string }[] }>("/api/v1/sessions", {
      token: second.accessToken,
    });
    expect(status).toBe(200);
    expect(body.sessions).toHaveLength(2);
    expect(new Set(body.sessions.map((s) => s.id)).size).toBe(2);
    expect(body.sessions.map((s) => s.deviceName).sort()).toEqual(["laptop", "phone"]);

    // Both access tokens stay valid and name the same person.
    for (const token of [first.accessToken, second.accessToken]) {
      const me = await callJson<{ user: { id: string } }>("/api/v1/me", { token });
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(first.user.id);
    }
  });

  it("a session without a deviceName lists it as null", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    const { status, body } = await callJson<{ accessToken: string }>("/api/v1/auth/verify", { body: { phone, code } });
    expect(status).toBe(200);
    const list = await callJson<{ sessions: { deviceName: string | null }[] }>("/api/v1/sessions", { token: body.accessToken });
    expect(list.body.sessions).toEqual([expect.objectContaining({ deviceName: null })]);
  });
});

describe("sign-in codes: what fails", () => {
  it("refuses a phone number it cannot send a code to with 400 invalid_phone, and stores no code", async () => {
    const before = await countRows("otp_codes");
    for (const phone of [
      "",
      "12345",
      "not a phone",
      "+7916123456",
      "+791612345678",
      "+0 916 123 45 67",
      "8 916 123 45 67 ext 2",
      "+".repeat(12),
      // Well-formed but impossible, or not a mobile: no SMS could reach them.
      "+70000000000",
      "8 000 000 00 00",
      "+7 (495) 123-45-67",
      "+10000000000",
      "+442079460958",
    ]) {
      const res = await otp(phone);
      const problem = await expectProblem(res, 400, "invalid_phone");
      expect(problem.errors).toEqual([expect.objectContaining({ path: "phone" })]);
    }
    expect(await countRows("otp_codes")).toBe(before);
  });

  it("refuses a wrong code with 401 invalid_code, and the right one still works afterwards", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    await expectProblem(await verify(phone, wrongCode(code)), 401, "invalid_code");
    await expectProblem(await verify(phone, "not-digits"), 401, "invalid_code");
    const ok = await verify(phone, code);
    expect(ok.status).toBe(200);
  });

  it("refuses a code for a phone that never asked for one with 401 invalid_code", async () => {
    await expectProblem(await verify(freshPhone(), "123456"), 401, "invalid_code");
  });

  it("refuses an expired code with 401 invalid_code", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    const result = await env.DB.prepare("UPDATE otp_codes SET expires_at = ?1 WHERE phone = ?2")
      .bind(Date.now() - 1_000, phone)
      .run();
    expect(result.meta.changes).toBe(1);
    await expectProblem(await verify(phone, code), 401, "invalid_code");
  });

  it("accepts a code once: the second verify with the same code answers 401 invalid_code", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    expect((await verify(phone, code)).status).toBe(200);
    await expectProblem(await verify(phone, code), 401, "invalid_code");
  });

  it("after five wrong codes even the right one answers 429 too_many_attempts with Retry-After", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    for (let i = 0; i < 5; i++) await expectProblem(await verify(phone, wrongCode(code)), 401, "invalid_code");
    const res = await verify(phone, code);
    expectRetryAfter(res, 300);
    await expectProblem(res, 429, "too_many_attempts");
    // It stays burnt.
    await expectProblem(await verify(phone, code), 429, "too_many_attempts");
  });

  it("requesting a new code resets the attempts", async () => {
    const phone = freshPhone();
    const burnt = await requestCode(phone);
    for (let i = 0; i < 5; i++) await verify(phone, wrongCode(burnt));
    await expectProblem(await verify(phone, burnt), 429, "too_many_attempts");

    const code = await requestCode(phone);
    // Four more wrong tries are allowed again, and the fifth try with the right code signs in.
    for (let i = 0; i < 4; i++) await expectProblem(await verify(phone, wrongCode(code)), 401, "invalid_code");
    expect((await verify(phone, code)).status).toBe(200);
  });

  it("concurrent wrong guesses get five tries in all", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    const guesses = Array.from({ length: 10 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"));
    const responses = await Promise.all(guesses.map((guess) => verify(phone, guess)));
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((s) => s === 401 || s === 429),
      `statuses ${statuses}`,
    ).toBe(true);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    for (const res of responses) {
      const body = (await res.json()) as { code: string };
      expect(body.code).toBe(res.status === 401 ? "invalid_code" : "too_many_attempts");
    }
    await expectProblem(await verify(phone, code), 429, "too_many_attempts");
  });

  it("concurrent presentations of the right code sign in once", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    const responses = await Promise.all(Array.from({ length: 5 }, () => verify(phone, code)));
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.filter((s) => s === 200),
      `statuses ${statuses}`,
    ).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 401)).toBe(true);
  });
});

describe("sign-in codes: rate limits", () => {
  it("allows five codes per phone in a window; the sixth answers 429 rate_limited with Retry-After and sends nothing", async () => {
    await awayFromWindowEdge();
    const phone = freshPhone();
    for (let i = 0; i < 5; i++) expect((await otp(phone)).status).toBe(202);
    const last = await callJson<{ code: string }>(`/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);

    // Another address does not help: the limit is the phone's.
    const res = await otp(phone);
    expectRetryAfter(res, 900);
    await expectProblem(res, 429, "rate_limited");

    // The refused request neither sent nor replaced a code: the last one sent still signs in.
    const after = await callJson<{ code: string }>(`/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
    expect(after.body.code).toBe(last.body.code);
    expect((await verify(phone, last.body.code)).status).toBe(200);
  });

  it("allows thirty codes per address in a window; the next answers 429 rate_limited with Retry-After", async () => {
    await awayFromWindowEdge();
    const address = freshAddress();
    for (let i = 0; i < 30; i++) expect((await otp(freshPhone(), address)).status).toBe(202);
    const phone = freshPhone();
    const res = await otp(phone, address);
    expectRetryAfter(res, 900);
    await expectProblem(res, 429, "rate_limited");
    expect(await countRows("otp_codes", "phone = ?1", phone)).toBe(0);

    // The same phone from another address is fine: the limit is the address's.
    expect((await otp(phone, freshAddress())).status).toBe(202);
  });
});
