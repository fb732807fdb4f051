// Finding people (contract v1.1 "Finding people"): public profiles whose username starts with the query, the
// caller's own contacts whose display name contains it, and, when the query is a phone number, the person with
// that number if their `phone` privacy lets the caller see it. Nobody who blocked the caller is found.
import { and, asc, eq, gte, isNull, lt } from "drizzle-orm";
import { normalizePhone } from "../auth/phone";
import { type Db, database } from "../db";
import { contacts, users } from "../db/schema";
import { hitUser, type Limit } from "../lib/rate-limit";
import { type Relation, relationsTo, visibleTo } from "../safety/privacy";
import type { UserRow } from "./store";

export const SEARCH_MAX = 50;
/** Contacts whose names are matched in the Worker (Unicode-aware, so "анна" finds "Анна"). */
const CONTACTS_SCANNED = 5_000;
/** Looking people up by number is how a number list gets matched to accounts: a few dozen an hour is plenty. */
const PHONE_LOOKUPS: Limit = { name: "search:phone", max: 30, windowMs: 3600_000 };

const USERNAME_PREFIX = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const PHONE_LIKE = /^\+?[\d\s()-]{7,20}$/;

export interface Found {
  user: UserRow;
  rel: Relation | undefined;
}

/** The people `q` finds for `viewerId`, best first: the phone's owner, an exact username, contacts, then prefixes. */
export async function searchPeople(env: Env, viewerId: string, q: string): Promise<Found[]> {
  const term = q.trim().replace(/^@/, "");
  const db = database(env.DB);
  const byNumber = PHONE_LIKE.test(term) ? await byPhone(env, db, viewerId, term) : [];
  const candidates: UserRow[] = [...byNumber];
  if (USERNAME_PREFIX.test(term)) candidates.push(...(await byUsernamePrefix(db, term.toLowerCase())));
  candidates.push(...(await contactsNamed(db, viewerId, term)));

  const unique = new Map<string, UserRow>();
  for (const u of candidates) if (u.id !== viewerId && u.deletedAt === null && !unique.has(u.id)) unique.set(u.id, u);
  const rels = await relationsTo(env.DB, viewerId, [...unique.keys()]);
  const lower = term.toLowerCase();
  const numbered = new Set(byNumber.map((u) => u.id));
  const rank = (u: UserRow) => (numbered.has(u.id) ? 0 : u.username === lower ? 1 : rels.get(u.id)?.contact ? 2 : 3);
  return [...unique.values()]
    .filter((u) => !rels.get(u.id)?.blocked)
    .sort((a, b) => rank(a) - rank(b) || (a.username ?? "").localeCompare(b.username ?? ""))
    .slice(0, SEARCH_MAX)
    .map((user) => ({ user, rel: rels.get(user.id) }));
}

/** Usernames are lower-case [a-z0-9_]: everything starting with `prefix` sorts below `prefix` + "~". */
function byUsernamePrefix(db: Db, prefix: string): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(and(gte(users.username, prefix), lt(users.username, `${prefix}~`), isNull(users.deletedAt)))
    .orderBy(asc(users.username))
    .limit(SEARCH_MAX)
    .all();
}

async function contactsNamed(db: Db, viewerId: string, term: string): Promise<UserRow[]> {
  const needle = term.toLocaleLowerCase("ru");
  if (!needle) return [];
  const rows = await db
    .select({ user: users })
    .from(contacts)
    .innerJoin(users, eq(users.id, contacts.contactId))
    .where(eq(contacts.ownerId, viewerId))
    .limit(CONTACTS_SCANNED)
    .all();
  return rows.map((r) => r.user).filter((u) => (u.displayName ?? "").toLocaleLowerCase("ru").includes(needle));
}

/** The number's owner, only if their phone privacy shows their number to the viewer. */
async function byPhone(env: Env, db: Db, viewerId: string, term: string): Promise<UserRow[]> {
  const phone = await normalizePhone(env, term);
  if (!phone) return [];
  await hitUser(env, PHONE_LOOKUPS, viewerId);
  const owner = await db
    .select()
    .from(users)
    .where(and(eq(users.phone, phone), isNull(users.deletedAt)))
    .get();
  if (!owner) return [];
  const rel = (await relationsTo(env.DB, viewerId, [owner.id])).get(owner.id) ?? { contact: false, blocked: false };
  return visibleTo(owner, viewerId, rel).phone ? [owner] : [];
}
