// How much the platform trusts a user's sending, from how many different people blocked or reported them
// lately (docs/operations.md, "Trust"). For the sending limits: it reads D1, so a limiter asks it when it
// sets a user's budget (say, once per window or per minute), never per message.

/** How far back blocks and reports count. */
export const TRUST_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** Distinct people whose blocks or reports (not dismissed) tighten the limits. */
export const REDUCED_AT = 5;
export const RESTRICTED_AT = 20;

export type TrustLevel = "normal" | "reduced" | "restricted";

export interface Trust {
  level: TrustLevel;
  /** Distinct people who blocked or reported the user within the window. */
  signals: number;
  /** What to multiply each of the user's sending limits by. */
  limitFactor: number;
}

const FACTOR: Record<TrustLevel, number> = { normal: 1, reduced: 0.5, restricted: 0.2 };

/**
 * A user's trust: "reduced" once 5 different people blocked or reported them within 30 days, "restricted" at
 * 20. One person counts once however often they report; a report an operator dismissed does not count.
 */
export async function trustLevel(db: D1Database, userId: string, now = Date.now()): Promise<Trust> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS n FROM (
         SELECT blocker_id AS who FROM blocks WHERE blocked_id = ?1 AND created_at > ?2
         UNION
         SELECT reporter_id AS who FROM reports WHERE user_id = ?1 AND created_at > ?2 AND status != 'dismissed'
       )`,
    )
    .bind(userId, now - TRUST_WINDOW_MS)
    .first<{ n: number }>();
  const signals = row?.n ?? 0;
  const level: TrustLevel = signals >= RESTRICTED_AT ? "restricted" : signals >= REDUCED_AT ? "reduced" : "normal";
  return { level, signals, limitFactor: FACTOR[level] };
}

/**
 * The trust of a citizen's access token or socket: read once per token (15 minutes) or per connect, never per
 * message, and carried to the rooms, whose sending limits tighten with it (src/chat/limits.ts).
 */
export async function tokenTrust(env: Env, userId: string): Promise<{ trust?: "reduced" | "restricted" }> {
  const { level } = await trustLevel(env.DB, userId);
  return level === "normal" ? {} : { trust: level };
}
