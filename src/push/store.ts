// Push subscriptions in D1 (the push_subscriptions table, src/db/schema.ts).

/** Subscriptions one user may hold across all their devices; past it, subscribing answers too_many_subscriptions. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;

export interface SubscriptionRow {
  id: string;
  user_id: string;
  session_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export type Upserted = { ok: true; id: string } | { ok: false; reason: "too_many" | "session_ended" };

/**
 * Stores a subscription, or replaces the one with the same endpoint (a browser re-subscribing, or handing the
 * endpoint to another account signed in on it): one row per endpoint. It keeps its id while it stays with the
 * same user, and gets a new one when it moves to another. The cap and the session's liveness are checked in
 * the same statement as the write, so concurrent requests cannot pass the cap together.
 */
export async function upsertSubscription(
  db: D1Database,
  s: { id: string; userId: string; sessionId: string; endpoint: string; p256dh: string; auth: string },
  now = Date.now(),
): Promise<Upserted> {
  const row = await db
    .prepare(
      `INSERT INTO push_subscriptions (id, user_id, session_id, endpoint, p256dh, auth, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7
       WHERE (SELECT COUNT(*) FROM push_subscriptions WHERE user_id = ?2 AND endpoint != ?4) < ?8
         AND EXISTS (SELECT 1 FROM sessions WHERE id = ?3 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?7)
       ON CONFLICT (endpoint) DO UPDATE SET
         id = CASE WHEN user_id = excluded.user_id THEN id ELSE excluded.id END,
         created_at = CASE WHEN user_id = excluded.user_id THEN created_at ELSE excluded.created_at END,
         user_id = excluded.user_id, session_id = excluded.session_id, p256dh = excluded.p256dh, auth = excluded.auth,
         updated_at = excluded.updated_at
       RETURNING id`,
    )
    .bind(s.id, s.userId, s.sessionId, s.endpoint, s.p256dh, s.auth, now, MAX_SUBSCRIPTIONS_PER_USER)
    .first<{ id: string }>();
  if (row) return { ok: true, id: row.id };
  const live = await db
    .prepare("SELECT 1 FROM sessions WHERE id = ?1 AND revoked_at IS NULL AND expires_at > ?2")
    .bind(s.sessionId, now)
    .first();
  return { ok: false, reason: live ? "too_many" : "session_ended" };
}

/** Deletes one of the user's own subscriptions; false when there is none such (another user's included). */
export async function deleteOwnSubscription(db: D1Database, userId: string, id: string): Promise<boolean> {
  const row = await db.prepare("DELETE FROM push_subscriptions WHERE id = ?1 AND user_id = ?2 RETURNING id").bind(id, userId).first();
  return row !== null;
}

/** The statement that ends a signed-out session's subscriptions, for the batch that signs it out. */
export const deleteSessionSubscriptions = (db: D1Database, sessionId: string): D1PreparedStatement =>
  db.prepare("DELETE FROM push_subscriptions WHERE session_id = ?1").bind(sessionId);

/** The same for every session of a user (account deletion). */
export const deleteUserSubscriptions = (db: D1Database, userId: string): D1PreparedStatement =>
  db.prepare("DELETE FROM push_subscriptions WHERE user_id = ?1").bind(userId);

export async function deleteSubscription(db: D1Database, id: string): Promise<void> {
  await db.prepare("DELETE FROM push_subscriptions WHERE id = ?1").bind(id).run();
}

/**
 * The ids of a user's subscriptions on live sessions: of `sessionIds` (null: every session), less `except`.
 * An expired session's subscriptions are never returned, though they stay until the hourly prune.
 */
export async function subscriptionIds(
  db: D1Database,
  userId: string,
  sessionIds: string[] | null,
  except: string[],
  now = Date.now(),
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT p.id FROM push_subscriptions p JOIN sessions s ON s.id = p.session_id
       WHERE p.user_id = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
         AND (?3 IS NULL OR p.session_id IN (SELECT value FROM json_each(?3)))
         AND p.session_id NOT IN (SELECT value FROM json_each(?4))`,
    )
    .bind(userId, now, sessionIds === null ? null : JSON.stringify(sessionIds), JSON.stringify(except))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** A subscription to send to, if it still exists and its session is live. */
export function liveSubscription(db: D1Database, id: string, now = Date.now()): Promise<SubscriptionRow | null> {
  return db
    .prepare(
      `SELECT p.id, p.user_id, p.session_id, p.endpoint, p.p256dh, p.auth FROM push_subscriptions p
       JOIN sessions s ON s.id = p.session_id WHERE p.id = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2`,
    )
    .bind(id, now)
    .first<SubscriptionRow>();
}

/** Hourly: subscriptions of sessions that ended without a sign-out (expiry) go too. */
export async function prunePushSubscriptions(db: D1Database, now = Date.now()): Promise<number> {
  const result = await db
    .prepare(
      "DELETE FROM push_subscriptions WHERE session_id IN (SELECT id FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= ?1)",
    )
    .bind(now)
    .run();
  return result.meta.changes;
}
