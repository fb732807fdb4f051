// One user's Web Push subscriptions, in their inbox's SQLite: the inbox is where "which devices are away"
// is known, so the subscriptions to notify are found there without a D1 read per message. Each is tied to
// the session (device) that made it: signing that session out deletes it.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS push_subscriptions (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ended_sessions (session_id TEXT PRIMARY KEY, ended_at INTEGER NOT NULL);
`;

/** Signed-out sessions remembered, so a subscribe racing the sign-out is refused: longer than an access token lives. */
const ENDED_KEPT_MS = 24 * 3600_000;

/** Subscriptions one user may hold (a browser profile each): a bound on what one message costs to notify. */
export const MAX_SUBSCRIPTIONS = 20;

export interface PushSubscriptionRecord {
  id: string;
  sessionId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

interface Row extends Record<string, SqlStorageValue> {
  id: string;
  session_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export class Subscriptions {
  /** How many there are, known after the first question (asked on every push to the inbox). */
  private count: number | null = null;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  any(): boolean {
    this.count ??= this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM push_subscriptions").one().n;
    return this.count > 0;
  }

  /**
   * Stores a subscription, or renews the one with the same endpoint (the browser subscribed again, perhaps
   * from a new session): its id stays. Refused when the user already has the most allowed, or when the
   * session was signed out (its access token may still be valid for minutes).
   */
  put(
    sub: Omit<PushSubscriptionRecord, "id">,
    newId: string,
    now = Date.now(),
  ): { id: string; created: boolean } | "too_many" | "session_ended" {
    if (this.sql.exec("SELECT 1 FROM ended_sessions WHERE session_id = ?", sub.sessionId).toArray().length > 0) return "session_ended";
    const existing = this.sql.exec<{ id: string }>("SELECT id FROM push_subscriptions WHERE endpoint = ?", sub.endpoint).toArray()[0];
    if (existing) {
      this.sql.exec(
        "UPDATE push_subscriptions SET session_id = ?, p256dh = ?, auth = ? WHERE id = ?",
        sub.sessionId,
        sub.p256dh,
        sub.auth,
        existing.id,
      );
      return { id: existing.id, created: false };
    }
    this.count = null;
    if (this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM push_subscriptions").one().n >= MAX_SUBSCRIPTIONS) return "too_many";
    this.sql.exec(
      "INSERT INTO push_subscriptions (id, session_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      newId,
      sub.sessionId,
      sub.endpoint,
      sub.p256dh,
      sub.auth,
      now,
    );
    return { id: newId, created: true };
  }

  /** Those of sessions not in `here` (devices away), which are the ones a notification goes to. */
  away(here: Set<string>): PushSubscriptionRecord[] {
    return this.sql
      .exec<Row>("SELECT id, session_id, endpoint, p256dh, auth FROM push_subscriptions ORDER BY created_at")
      .toArray()
      .filter((r) => !here.has(r.session_id))
      .map((r) => ({ id: r.id, sessionId: r.session_id, endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth }));
  }

  get(id: string): PushSubscriptionRecord | null {
    const r = this.sql.exec<Row>("SELECT id, session_id, endpoint, p256dh, auth FROM push_subscriptions WHERE id = ?", id).toArray()[0];
    return r ? { id: r.id, sessionId: r.session_id, endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth } : null;
  }

  /** What the user's data export shows: each device's push service, never the endpoint's capability token. */
  list(): { id: string; sessionId: string; service: string | null; createdAt: number }[] {
    return this.sql
      .exec<{ id: string; session_id: string; endpoint: string; created_at: number }>(
        "SELECT id, session_id, endpoint, created_at FROM push_subscriptions ORDER BY created_at",
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        sessionId: r.session_id,
        service: URL.canParse(r.endpoint) ? new URL(r.endpoint).origin : null,
        createdAt: r.created_at,
      }));
  }

  /** Deletes one; answers whether it was there. */
  remove(id: string): boolean {
    this.count = null;
    return this.sql.exec("DELETE FROM push_subscriptions WHERE id = ?", id).rowsWritten > 0;
  }

  /** The session was signed out: its device is told nothing more. */
  removeSession(sessionId: string, now = Date.now()): void {
    this.count = null;
    this.sql.exec("DELETE FROM push_subscriptions WHERE session_id = ?", sessionId);
    this.sql.exec("DELETE FROM ended_sessions WHERE ended_at < ?", now - ENDED_KEPT_MS);
    this.sql.exec("INSERT OR IGNORE INTO ended_sessions (session_id, ended_at) VALUES (?, ?)", sessionId, now);
  }

  clear(): void {
    this.count = null;
    this.sql.exec("DELETE FROM push_subscriptions");
  }
}
