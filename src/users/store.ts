import { eq } from "drizzle-orm";
import { type Db, database } from "../db";
import { users } from "../db/schema";
import { newId } from "../lib/ids";

export type UserRow = typeof users.$inferSelect;

/** The signed-in user's own view of themselves. */
export function ownUser(u: UserRow) {
  return {
    id: u.id,
    phone: u.phone,
    displayName: u.displayName,
    username: u.username,
    phoneVisibility: u.phoneVisibility,
    presenceVisibility: u.presenceVisibility,
    avatar: u.avatarId,
  };
}

/** Whether a user has Veche open, as their inbox knows it (no D1 write per connect). */
export interface Presence {
  online: boolean;
  lastSeenAt: string | null;
}

/**
 * What someone else may see: the phone and whether they are online only as the user's privacy settings
 * (src/safety/privacy.ts) allow this viewer.
 */
export function publicUser(u: UserRow, presence: Presence | null, shows: { phone: boolean; presence: boolean }) {
  const shown = shows.presence && presence !== null;
  return {
    id: u.id,
    displayName: u.displayName,
    username: u.username,
    phone: shows.phone ? u.phone : null,
    online: shown ? presence.online : null,
    lastSeenAt: shown ? presence.lastSeenAt : null,
    avatar: u.avatarId,
  };
}

export async function findOrCreateUserByPhone(db: Db, phone: string, now = Date.now()): Promise<UserRow> {
  await db
    .insert(users)
    .values({ id: newId(now), phone, createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: users.phone });
  const row = await db.select().from(users).where(eq(users.phone, phone)).get();
  if (!row) throw new Error("user vanished after insert");
  return row;
}

/**
 * A number unused this long belongs, when someone next signs in on it, to a new person. Operators hand
 * dormant numbers to new subscribers after months without use (in Russia typically 3 to 6 months without
 * paid activity); 180 days without any Veche activity is past that, and far past a session's 30-day life,
 * so a holder who uses Veche at all is never caught by it.
 */
export const DORMANT_AFTER_MS = 180 * 24 * 3600_000;

/**
 * The user a successful sign-in on `phone` (the code proved the caller holds the number now) belongs to.
 * If the number's account has had no activity (creation, a sign-in or a token refresh: sessions.last_used_at)
 * for DORMANT_AFTER_MS, the number may have changed hands: the old account lets go of it and keeps all its
 * data (chats, bills, records, consents, submissions, access log) out of the new holder's reach, and the
 * caller gets a new account. Only an agency that confirms the identity may reattach the old data
 * (docs/operations.md, "Reassigned numbers").
 */
export async function userForSignIn(db: D1Database, phone: string, now = Date.now()): Promise<{ user: UserRow; released: string | null }> {
  const current = await db
    .prepare(
      `SELECT u.id, MAX(u.created_at, COALESCE((SELECT MAX(s.last_used_at) FROM sessions s WHERE s.user_id = u.id), 0)) AS active_at
       FROM users u WHERE u.phone = ?1`,
    )
    .bind(phone)
    .first<{ id: string; active_at: number }>();
  let released: string | null = null;
  if (current && now - current.active_at > DORMANT_AFTER_MS) {
    // Conditional on the number still being this account's: of two concurrent sign-ins one releases it, and
    // both then find (or make) the same new account below.
    const res = await db
      .prepare(
        "UPDATE users SET phone = 'released:' || id, former_phone = ?2, released_at = ?3, updated_at = ?3 WHERE id = ?1 AND phone = ?2",
      )
      .bind(current.id, phone, now)
      .run();
    if (res.meta.changes > 0) released = current.id;
  }
  return { user: await findOrCreateUserByPhone(database(db), phone, now), released };
}

export function getUser(db: Db, id: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export function getUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.username, username.toLowerCase())).get();
}
