import { ApiError, tooManyRequests } from "./errors";
import { log } from "./log";

export interface Limit {
  /** What is being limited, e.g. "otp:phone". */
  name: string;
  max: number;
  windowMs: number;
}

/**
 * The longest window a D1 limit may have. The hourly cron deletes rows whose window started longer ago than
 * this (`pruneRateLimits`), so a row is never removed while its window still counts.
 */
export const MAX_WINDOW_MS = 24 * 3600_000;

/**
 * Fixed-window counter in D1: one atomic upsert per hit, so concurrent requests cannot both slip under
 * the limit. Throws a 429 ApiError with Retry-After when the subject has used up its window.
 */
export async function hit(db: D1Database, limit: Limit, subject: string, now = Date.now()): Promise<void> {
  if (limit.windowMs > MAX_WINDOW_MS) throw new Error(`limit ${limit.name}: windows are at most ${MAX_WINDOW_MS} ms`);
  const windowStart = now - (now % limit.windowMs);
  const row = await db
    .prepare(
      `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN window_start = ?2 THEN count + 1 ELSE 1 END,
         window_start = ?2
       RETURNING count`,
    )
    .bind(`${limit.name}:${subject}`, windowStart)
    .first<{ count: number }>();
  if (row && row.count > limit.max) {
    throw tooManyRequests((windowStart + limit.windowMs - now) / 1000);
  }
}

/**
 * Whether per-user limits refuse. Only development may set `LIMITS = "observe"` (the benchmark drives one
 * sender far past a person's speed): every limit is still consulted, and so still costs what it costs, but
 * nothing is refused. Any other value, and every value outside development, enforces.
 */
export const limitsEnforced = (env: Env): boolean => !(env.ENVIRONMENT === "development" && String(env.LIMITS) === "observe");

/** A person's own limit kept in D1 (for actions that write D1 anyway): `hit`, unless limits only observe. */
export async function hitUser(env: Env, limit: Limit, userId: string, now = Date.now()): Promise<void> {
  try {
    await hit(env.DB, limit, userId, now);
  } catch (err) {
    if (err instanceof ApiError && !limitsEnforced(env)) {
      log.info("limit observed, not enforced", { limit: limit.name });
      return;
    }
    throw err;
  }
}

/** Deletes counters whose window is over (every window is at most MAX_WINDOW_MS). */
export async function pruneRateLimits(db: D1Database, now = Date.now()): Promise<number> {
  const result = await db
    .prepare("DELETE FROM rate_limits WHERE window_start < ?1")
    .bind(now - MAX_WINDOW_MS)
    .run();
  return result.meta.changes;
}
