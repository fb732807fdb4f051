import { eq } from "drizzle-orm";
import type { Db } from "../db";
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
  };
}

export async function findOrCreateUserByPhone(db: Db, phone: string, now = Date.now()): Promise<UserRow> {
  await db
    .insert(users)
    .values({ id: newId(now), phone, createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: users.phone });
  const row = await db.query.users.findFirst({ where: eq(users.phone, phone) });
  if (!row) throw new Error("user vanished after insert");
  return row;
}

export function getUser(db: Db, id: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export function getUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.username, username.toLowerCase()) });
}
