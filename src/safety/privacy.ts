// Privacy settings, contacts and blocks: who may add a user to chats, open a direct chat with them, and see
// their phone and presence. Everything here reads D1, so it runs where chats are made and profiles shown,
// never per message: the one rule on the message path (a blocked sender) is kept by the direct chat's room.
import { inLists } from "../lib/d1";
import { Audience as AudienceSchema } from "../users/schemas";
import type { UserRow } from "../users/store";

export type Audience = "everyone" | "contacts" | "nobody";

/** The contract's names for the four settings (v1's `phoneVisibility` and `presenceVisibility` are `phone` and `lastSeen`). */
export interface Privacy {
  groupInvites: Audience;
  directMessages: "everyone" | "contacts";
  lastSeen: Audience;
  phone: Audience;
}

export const privacyOf = (u: UserRow): Privacy => ({
  groupInvites: u.groupInvites,
  directMessages: u.directMessages,
  lastSeen: u.presenceVisibility,
  phone: u.phoneVisibility,
});

/** How one user (the owner of the settings) stands towards a viewer. */
export interface Relation {
  /** The owner put the viewer in their contacts. */
  contact: boolean;
  /** The owner blocked the viewer. */
  blocked: boolean;
}

const NONE: Relation = { contact: false, blocked: false };

/**
 * How each of `ownerIds` stands towards `viewerId`, in one query per 99 owners: whether they have the viewer
 * in their contacts and whether they blocked the viewer.
 */
export async function relationsTo(db: D1Database, viewerId: string, ownerIds: readonly string[]): Promise<Map<string, Relation>> {
  const out = new Map<string, Relation>();
  const ids = [...new Set(ownerIds)].filter((id) => id !== viewerId);
  for (const chunk of inLists(ids, 1)) {
    const { results } = await db
      .prepare(
        `SELECT owner_id AS id, 'contact' AS kind FROM contacts WHERE contact_id = ?1 AND owner_id IN ${chunk.inList}
         UNION ALL
         SELECT blocker_id AS id, 'blocked' AS kind FROM blocks WHERE blocked_id = ?1 AND blocker_id IN ${chunk.inList}`,
      )
      .bind(viewerId, ...chunk.ids)
      .all<{ id: string; kind: "contact" | "blocked" }>();
    for (const r of results) {
      const rel = out.get(r.id) ?? { ...NONE };
      if (r.kind === "contact") rel.contact = true;
      else rel.blocked = true;
      out.set(r.id, rel);
    }
  }
  return out;
}

export async function relationTo(db: D1Database, viewerId: string, ownerId: string): Promise<Relation> {
  return (await relationsTo(db, viewerId, [ownerId])).get(ownerId) ?? NONE;
}

/** Whether a setting lets this viewer in. A block shuts the viewer out whatever the setting says. */
export function allows(audience: Audience, rel: Relation): boolean {
  if (rel.blocked) return false;
  return audience === "everyone" || (audience === "contacts" && rel.contact);
}

/** What a viewer may see of someone's profile. One's own profile shows everything. */
export function visibleTo(u: UserRow, viewerId: string, rel: Relation): { phone: boolean; presence: boolean } {
  if (u.id === viewerId) return { phone: true, presence: true };
  const p = privacyOf(u);
  // A block hides both: the contract names presence, and a blocker's number is no business of the blocked.
  return { phone: allows(p.phone, rel), presence: allows(p.lastSeen, rel) };
}

/** Whether `inviter` may add `u` to a group or channel. */
export const mayInvite = (u: UserRow, rel: Relation): boolean => allows(u.groupInvites, rel);

/** Whether the viewer may open a new direct chat with `u` (a block is refused separately, as `blocked`). */
export const mayMessage = (u: UserRow, rel: Relation): boolean => u.directMessages === "everyone" || rel.contact;

/** Who opened a direct chat, from the directory (the contract keeps a chat open to both when the other opened it). */
export async function directChatOpener(db: D1Database, chatId: string): Promise<string | null> {
  const row = await db.prepare("SELECT created_by FROM chats WHERE id = ?1").bind(chatId).first<{ created_by: string | null }>();
  return row?.created_by ?? null;
}

/** Both directions of blocks between two people: [blocker, blocked] pairs. */
export async function blocksBetween(db: D1Database, a: string, b: string): Promise<[string, string][]> {
  const { results } = await db
    .prepare(
      "SELECT blocker_id, blocked_id FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND blocked_id = ?1)",
    )
    .bind(a, b)
    .all<{ blocker_id: string; blocked_id: string }>();
  return results.map((r) => [r.blocker_id, r.blocked_id]);
}

/**
 * Which of `ids` the inviter may add to a group or channel, by each one's `groupInvites` setting (and a block
 * of the inviter, which counts as "nobody" so that it is not revealed). Unknown ids are refused.
 */
export async function invitable(
  db: D1Database,
  inviterId: string,
  ids: readonly string[],
): Promise<{ allowed: string[]; refused: string[] }> {
  const settings = new Map<string, Audience>();
  for (const chunk of inLists(ids)) {
    const { results } = await db
      .prepare(`SELECT id, group_invites FROM users WHERE id IN ${chunk.inList}`)
      .bind(...chunk.ids)
      .all<{ id: string; group_invites: string }>();
    for (const r of results) {
      const parsed = AudienceSchema.safeParse(r.group_invites);
      settings.set(r.id, parsed.success ? parsed.data : "nobody");
    }
  }
  const rels = await relationsTo(db, inviterId, ids);
  const allowed: string[] = [];
  const refused: string[] = [];
  for (const id of ids) {
    const setting = settings.get(id);
    if (setting && allows(setting, rels.get(id) ?? NONE)) allowed.push(id);
    else refused.push(id);
  }
  return { allowed, refused };
}
