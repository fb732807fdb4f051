import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, callJson, expectProblem, signIn } from "../helpers";

// The hourly cron prunes what only grows: rate-limit counters past their window, and the refresh tokens of
// sessions that have ended. What reuse detection needs (a live session's used tokens) stays.

const refresh = (refreshToken: string) => call("/api/v1/auth/refresh", { body: { refreshToken } });
const sessionOf = (accessToken: string): string => String(decodeJwt(accessToken).sid);
const tokensOf = async (sessionId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM refresh_tokens WHERE session_id = ?1").bind(sessionId).first<{ n: number }>())?.n;

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("hourly pruning", () => {
  it("deletes rate-limit counters whose window is over and keeps the ones still counting", async () => {
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 3)").bind("prune:old", now - 25 * 3600_000),
      env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 3)").bind("prune:fresh", now - 60_000),
    ]);
    // A live counter made through the API: a sign-in code request.
    await signIn();
    const live = (await env.DB.prepare("SELECT COUNT(*) AS n FROM rate_limits WHERE key LIKE 'otp:%'").first<{ n: number }>())?.n;
    await runCron();
    const keys = (await env.DB.prepare("SELECT key FROM rate_limits WHERE key LIKE 'prune:%'").all<{ key: string }>()).results;
    expect(keys.map((k) => k.key)).toEqual(["prune:fresh"]);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM rate_limits WHERE key LIKE 'otp:%'").first<{ n: number }>())?.n).toBe(live);
  });

  it("deletes the refresh tokens of ended sessions and keeps a live session's used tokens, so reuse is still detected", async () => {
    const live = await signIn();
    const rotated = await callJson<{ refreshToken: string }>("/api/v1/auth/refresh", { body: { refreshToken: live.refreshToken } });
    expect(rotated.status).toBe(200);
    const liveSession = sessionOf(live.accessToken);

    const signedOut = await signIn();
    expect((await call("/api/v1/auth/logout", { method: "POST", token: signedOut.accessToken })).status).toBe(204);
    const signedOutSession = sessionOf(signedOut.accessToken);

    const expired = await signIn();
    const expiredSession = sessionOf(expired.accessToken);
    await env.DB.prepare("UPDATE sessions SET expires_at = ?1 WHERE id = ?2")
      .bind(Date.now() - 1000, expiredSession)
      .run();

    expect(await tokensOf(liveSession)).toBe(2);
    expect(await tokensOf(signedOutSession)).toBe(1);
    expect(await tokensOf(expiredSession)).toBe(1);
    await runCron();
    expect(await tokensOf(liveSession)).toBe(2);
    expect(await tokensOf(signedOutSession)).toBe(0);
    expect(await tokensOf(expiredSession)).toBe(0);

    // The live session's used token still counts as reuse and ends the session, so its current one stops working.
    await expectProblem(await refresh(expired.refreshToken), 401, "invalid_refresh_token");
    await expectProblem(await refresh(live.refreshToken), 401, "refresh_token_reused");
    await expectProblem(await refresh(rotated.body.refreshToken), 401, "invalid_refresh_token");
  });
});
