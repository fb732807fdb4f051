import { and, desc, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../db";
import { refreshTokens, sessions } from "../db/schema";
import { announceEnded, endDevice } from "../keys/devices";
import { hmacHex, timingSafeEqual } from "../lib/crypto";
import { newId, randomToken } from "../lib/ids";

export const OTP_TTL_MS = 5 * 60_000;
/** Tries per code; the fifth wrong one burns it. */
export const OTP_MAX_ATTEMPTS = 5;
export const SESSION_TTL_MS = 30 * 24 * 3600_000;

/** A uniformly random 6-digit code (rejection sampling avoids modulo bias). */
export function newOtpCode(): string {
  const buf = new Uint32Array(1);
  const limit = 4_294_000_000; // largest multiple of 1e6 below 2^32
  for (;;) {
    crypto.getRandomValues(buf);
    const n = buf[0] ?? limit;
    if (n < limit) return String(n % 1_000_000).padStart(6, "0");
  }
}

export const otpHash = (env: Env, phone: string, code: string) => hmacHex(env.CREDENTIAL_HASH_KEY, `otp\n${phone}\n${code}`);
export const refreshHash = (env: Env, token: string) => hmacHex(env.CREDENTIAL_HASH_KEY, `refresh\n${token}`);

export async function storeOtp(env: Env, phone: string, code: string, now = Date.now()): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO otp_codes (phone, code_hash, expires_at, attempts, created_at) VALUES (?1, ?2, ?3, 0, ?4)
     ON CONFLICT (phone) DO UPDATE SET code_hash = ?2, expires_at = ?3, attempts = 0, created_at = ?4`,
  )
    .bind(phone, await otpHash(env, phone, code), now + OTP_TTL_MS, now)
    .run();
}

export type OtpCheck = { ok: true } | { ok: false; reason: "no_code" | "expired" | "wrong" | "burnt"; retryAfterMs?: number };

/**
 * Checks a code and consumes it. Every try first claims one of the code's five attempts in a single
 * conditional UPDATE, so even concurrent guesses get five tries in all; the matching try then deletes
 * the code, so it works once.
 */
export async function consumeOtp(env: Env, phone: string, code: string, now = Date.now()): Promise<OtpCheck> {
  const claimed = await env.DB.prepare(
    "UPDATE otp_codes SET attempts = attempts + 1 WHERE phone = ?1 AND expires_at > ?2 AND attempts < ?3 RETURNING code_hash",
  )
    .bind(phone, now, OTP_MAX_ATTEMPTS)
    .first<{ code_hash: string }>();
  if (!claimed) {
    const row = await env.DB.prepare("SELECT expires_at, attempts FROM otp_codes WHERE phone = ?1")
      .bind(phone)
      .first<{ expires_at: number; attempts: number }>();
    if (!row) return { ok: false, reason: "no_code" };
    if (row.expires_at <= now) return { ok: false, reason: "expired" };
    return { ok: false, reason: "burnt", retryAfterMs: row.expires_at - now };
  }
  if (!timingSafeEqual(claimed.code_hash, await otpHash(env, phone, code))) return { ok: false, reason: "wrong" };
  const consumed = await env.DB.prepare("DELETE FROM otp_codes WHERE phone = ?1 AND code_hash = ?2 RETURNING phone")
    .bind(phone, claimed.code_hash)
    .first();
  return consumed ? { ok: true } : { ok: false, reason: "no_code" };
}

export interface IssuedSession {
  sessionId: string;
  refreshToken: string;
}

export async function createSession(env: Env, db: Db, userId: string, deviceName: string | null, now = Date.now()): Promise<IssuedSession> {
  const sessionId = newId(now);
  const refreshToken = randomToken();
  await db.batch([
    db.insert(sessions).values({ id: sessionId, userId, deviceName, createdAt: now, lastUsedAt: now, expiresAt: now + SESSION_TTL_MS }),
    db.insert(refreshTokens).values({ tokenHash: await refreshHash(env, refreshToken), sessionId, createdAt: now }),
  ]);
  return { sessionId, refreshToken };
}

export type RotateResult =
  | { ok: true; userId: string; sessionId: string; refreshToken: string }
  | { ok: false; reason: "unknown" | "session_ended" }
  | { ok: false; reason: "reused"; sessionId: string };

/**
 * Rotates a refresh token (RFC 9700 §4.14.2). Marking the presented token used is one conditional
 * UPDATE, so of two concurrent presentations exactly one wins; the other counts as reuse and ends the
 * whole session, as a stolen-and-replayed token would.
 */
export async function rotateRefreshToken(env: Env, db: Db, presented: string, now = Date.now()): Promise<RotateResult> {
  const hash = await refreshHash(env, presented);
  const claimed = await env.DB.prepare(
    "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL RETURNING session_id",
  )
    .bind(hash, now)
    .first<{ session_id: string }>();
  if (!claimed) {
    const known = await env.DB.prepare("SELECT session_id FROM refresh_tokens WHERE token_hash = ?1")
      .bind(hash)
      .first<{ session_id: string }>();
    if (!known) return { ok: false, reason: "unknown" };
    await revokeSession(env, known.session_id, "refresh_token_reused", now);
    return { ok: false, reason: "reused", sessionId: known.session_id };
  }
  const session = await db.select().from(sessions).where(eq(sessions.id, claimed.session_id)).get();
  if (!session || session.revokedAt !== null || session.expiresAt <= now) return { ok: false, reason: "session_ended" };

  const refreshToken = randomToken();
  await db.batch([
    db.insert(refreshTokens).values({ tokenHash: await refreshHash(env, refreshToken), sessionId: session.id, createdAt: now }),
    db
      .update(sessions)
      .set({ lastUsedAt: now, expiresAt: now + SESSION_TTL_MS })
      .where(eq(sessions.id, session.id)),
  ]);
  return { ok: true, userId: session.userId, sessionId: session.id, refreshToken };
}

/**
 * Ends a session, and in the same D1 batch its device's keys (src/keys/devices.ts endDevice: `revoked`
 * entries in the user's key log), so a signed-out device's keys never outlive it.
 */
export async function revokeSession(
  env: Env,
  sessionId: string,
  reason: "logout" | "revoked" | "refresh_token_reused",
  now = Date.now(),
): Promise<void> {
  const { device } = await endDevice(env.DB, sessionId, [
    env.DB.prepare("UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL").bind(
      sessionId,
      now,
      reason,
    ),
  ]);
  // Its secret chats' rooms refuse messages until the group drops it (src/chat/room/secret.ts).
  if (device) await announceEnded(env, device);
}

export function activeSessions(db: Db, userId: string, now = Date.now()) {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastUsedAt));
}

/** Revokes one of the user's own active sessions (and its device's keys); false when there is none such (another user's id included). */
export async function revokeOwnSession(env: Env, userId: string, sessionId: string, now = Date.now()): Promise<boolean> {
  const d1 = env.DB;
  const owned = await d1
    .prepare("SELECT 1 FROM sessions WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3")
    .bind(sessionId, userId, now)
    .first();
  // Another user's session: not even its device is looked at.
  if (!owned) return false;
  const { results, device } = await endDevice(d1, sessionId, [
    d1
      .prepare(
        "UPDATE sessions SET revoked_at = ?3, revoked_reason = 'revoked' WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
      )
      .bind(sessionId, userId, now),
  ]);
  if (device) await announceEnded(env, device);
  return (results[0]?.meta.changes ?? 0) > 0;
}

/**
 * Deletes the refresh tokens of sessions that have ended (signed out, revoked, or expired). A used token is
 * kept only for reuse detection, which matters only while its session lives: once the session has ended, any
 * of its tokens answers `invalid_refresh_token` whether it is kept or not. Tokens of live sessions stay, used
 * ones included. The sessions themselves stay (the device list and the access log name them).
 */
export async function pruneRefreshTokens(db: D1Database, now = Date.now()): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM refresh_tokens WHERE session_id IN
         (SELECT id FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= ?1)`,
    )
    .bind(now)
    .run();
  return result.meta.changes;
}
