import { tooManyRequests } from "./errors";

export interface Limit {
  /** What is being limited, e.g. "otp:phone". */
  name: string;
  max: number;
  windowMs: number;
}

/**
 * Fixed-window counter in D1: one atomic upsert per hit, so concurrent requests cannot both slip under
 * the limit. Throws a 429 ApiError with Retry-After when the subject has used up its window.
 */
export async function hit(db: D1Database, limit: Limit, subject: string, now = Date.now()): Promise<void> {
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
