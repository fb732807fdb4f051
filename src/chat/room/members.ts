// The room's membership: authoritative for everything on the message path (who may post, read markers,
// mentions). The Worker writes the directory in D1 (rare changes) and then tells the room; the room never
// reads D1 per message. Each member row also remembers whether their inbox needs a new summary.
import * as z from "zod";
import { type Role, Role as RoleSchema } from "../protocol";

/** How a member shows in the chat: for mentions, and as a direct chat's title and photo. */
export interface Profile {
  username: string | null;
  /** What others see of them: the display name, else @username (a direct chat's title). */
  name: string | null;
  /** Their profile photo's media id (a direct chat's photo); null for none. */
  avatar: string | null;
}

export interface Member extends Profile {
  userId: string;
  role: Role;
  readSeq: number;
}

export type NewMember = Omit<Member, "readSeq" | "avatar"> & { readSeq?: number; avatar?: string | null };

interface MemberRow extends Record<string, SqlStorageValue> {
  user_id: string;
  role: string;
  read_seq: number;
  username: string | null;
  name: string | null;
  avatar: string | null;
  dirty: number;
  away: number;
  resumed_epoch: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS members (
  user_id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  read_dirty INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS departed (user_id TEXT PRIMARY KEY, rev INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS member_count (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL);
`;

const Stored = z.object({ role: RoleSchema });

/** Roles a room keeps in memory (its senders'), before it starts over. */
const CACHED_ROLES = 10_000;

export class Members {
  /** Roles asked on every send and changed only through this class: kept, not read per message. */
  private readonly roles = new Map<string, Role | null>();
  /** Whether any member is not away (null: ask again), so a chat nobody is in schedules no push. */
  private present: boolean | null = null;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    // Rooms from before the room held profiles and push state.
    const columns = new Set(
      sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('members')")
        .toArray()
        .map((c) => c.name),
    );
    if (!columns.has("username")) sql.exec("ALTER TABLE members ADD COLUMN username TEXT");
    if (!columns.has("name")) sql.exec("ALTER TABLE members ADD COLUMN name TEXT");
    if (!columns.has("avatar")) sql.exec("ALTER TABLE members ADD COLUMN avatar TEXT");
    if (!columns.has("dirty")) sql.exec("ALTER TABLE members ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0");
    // Whether the member's inbox said no device is online (no pushes until it asks), and the latest such ask.
    if (!columns.has("away")) sql.exec("ALTER TABLE members ADD COLUMN away INTEGER NOT NULL DEFAULT 0");
    if (!columns.has("resumed_epoch")) sql.exec("ALTER TABLE members ADD COLUMN resumed_epoch INTEGER NOT NULL DEFAULT 0");
    // What a push round and a send ask, answered from an index, not a scan of a channel's millions: the
    // members marked for a push, the owners and admins, and whether anyone is not away.
    sql.exec("CREATE INDEX IF NOT EXISTS members_dirty ON members (dirty) WHERE dirty > 0");
    sql.exec("CREATE INDEX IF NOT EXISTS members_staff ON members (role) WHERE role IN ('owner', 'admin')");
    sql.exec("CREATE INDEX IF NOT EXISTS members_present ON members (away) WHERE away = 0");
    // The member count is kept, not counted per summary (a channel's can be millions); a room from before the
    // counter counts once, here.
    // (Not `SELECT 0, COUNT(*) FROM members WHERE …`: an aggregate answers one row even when WHERE is false.)
    sql.exec("INSERT INTO member_count (id, n) SELECT 0, (SELECT COUNT(*) FROM members) WHERE NOT EXISTS (SELECT 1 FROM member_count)");
  }

  role(userId: string): Role | null {
    const known = this.roles.get(userId);
    if (known !== undefined) return known;
    const row = this.sql.exec<{ role: string }>("SELECT role FROM members WHERE user_id = ?", userId).toArray()[0];
    const role = row ? Stored.parse(row).role : null;
    if (this.roles.size >= CACHED_ROLES) this.roles.clear();
    this.roles.set(userId, role);
    return role;
  }

  /** Whether any member's inbox still takes pushes (has not answered "away"). */
  anyPresent(): boolean {
    this.present ??= this.sql.exec<{ any: number }>("SELECT EXISTS (SELECT 1 FROM members WHERE away = 0) AS any").one().any === 1;
    return this.present;
  }

  get(userId: string): Member | null {
    const row = this.sql.exec<MemberRow>("SELECT * FROM members WHERE user_id = ?", userId).toArray()[0];
    return row ? toMember(row) : null;
  }

  /** How many members: one stored row, kept by upsert and remove, so joins, leaves and posts cost no scan. */
  count(): number {
    return this.sql.exec<{ n: number }>("SELECT n FROM member_count WHERE id = 0").one().n;
  }

  private adjustCount(by: number): void {
    this.sql.exec("UPDATE member_count SET n = MAX(0, n + ?) WHERE id = 0", by);
  }

  all(): Member[] {
    return this.sql.exec<MemberRow>("SELECT * FROM members ORDER BY user_id").toArray().map(toMember);
  }

  /** Adds a member or updates their role and profile; answers what was there before (null: a newcomer). */
  upsert(m: NewMember, rev: number): Member | null {
    const before = this.get(m.userId);
    this.sql.exec(
      `INSERT INTO members (user_id, role, read_seq, username, name, avatar, dirty) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, username = excluded.username, name = excluded.name,
         avatar = excluded.avatar, read_seq = MAX(read_seq, excluded.read_seq), dirty = excluded.dirty`,
      m.userId,
      m.role,
      m.readSeq ?? 0,
      m.username,
      m.name,
      m.avatar ?? null,
      rev,
    );
    this.sql.exec("DELETE FROM departed WHERE user_id = ?", m.userId);
    if (!before) this.adjustCount(1);
    this.roles.set(m.userId, m.role);
    this.present = null;
    return before;
  }

  /** Removes a member; their inbox is told (the departed list) with the next summary push. */
  remove(userId: string, rev: number): Member | null {
    const before = this.get(userId);
    if (!before) return null;
    this.sql.exec("DELETE FROM members WHERE user_id = ?", userId);
    this.sql.exec("INSERT INTO departed (user_id, rev) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET rev = excluded.rev", userId, rev);
    this.adjustCount(-1);
    this.roles.set(userId, null);
    this.present = null;
    return before;
  }

  /** Drops a member D1 no longer lists, without telling their inbox (a room taking D1's list once, ChatRoom.hydrate). */
  forget(userId: string): void {
    if (this.sql.exec("DELETE FROM members WHERE user_id = ?", userId).rowsWritten > 0) this.adjustCount(-1);
    this.roles.delete(userId);
    this.present = null;
  }

  setProfile(userId: string, p: Profile): boolean {
    return (
      this.sql.exec("UPDATE members SET username = ?, name = ?, avatar = ? WHERE user_id = ?", p.username, p.name, p.avatar, userId)
        .rowsWritten > 0
    );
  }

  /** Moves a read marker forward only; answers whether it moved. */
  markRead(userId: string, seq: number, rev: number): boolean {
    return (
      this.sql.exec("UPDATE members SET read_seq = ?, dirty = ? WHERE user_id = ? AND read_seq < ?", seq, rev, userId, seq).rowsWritten > 0
    );
  }

  readMarkers(): Record<string, number> {
    const markers: Record<string, number> = {};
    for (const r of this.sql.exec<{ user_id: string; read_seq: number }>("SELECT user_id, read_seq FROM members"))
      markers[r.user_id] = r.read_seq;
    return markers;
  }

  /** Members with @usernames among these. */
  withUsernames(usernames: string[]): string[] {
    if (usernames.length === 0) return [];
    return this.sql
      .exec<{ user_id: string }>(`SELECT user_id FROM members WHERE username IN (${usernames.map(() => "?").join(",")})`, ...usernames)
      .toArray()
      .map((r) => r.user_id);
  }

  markDirty(userId: string, rev: number): void {
    this.sql.exec("UPDATE members SET dirty = ? WHERE user_id = ?", rev, userId);
  }

  /**
   * Members whose inbox needs a summary, with the revision they were marked at: all of them when `everyone`;
   * with `moderators`, owners and admins too.
   */
  needingPush(everyone: boolean, moderators = false): (Member & { dirty: number })[] {
    // Away members are left out: their inboxes ask for the chat's state when the user is next there.
    const rows = everyone
      ? this.sql.exec<MemberRow>("SELECT * FROM members WHERE away = 0").toArray()
      : moderators
        ? this.sql
            .exec<MemberRow>(
              // `+away`: the marks' and the staff's indexes, not the one of everyone present.
              "SELECT * FROM members WHERE dirty > 0 AND +away = 0 UNION SELECT * FROM members WHERE role IN ('owner', 'admin') AND +away = 0",
            )
            .toArray()
        : this.sql.exec<MemberRow>("SELECT * FROM members WHERE dirty > 0 AND +away = 0").toArray();
    return rows.map((r) => ({ ...toMember(r), dirty: r.dirty }));
  }

  /**
   * The member's inbox answered a push with "no device online" as of its `epoch`: no more pushes, unless
   * the inbox has since asked again (a later epoch), which the answer must not undo.
   */
  markAway(userId: string, epoch: number): void {
    this.sql.exec("UPDATE members SET away = 1 WHERE user_id = ? AND resumed_epoch < ?", userId, epoch);
    this.present = null;
  }

  /** The member's inbox asked for the chat's state: pushes to it start again. */
  resume(userId: string, epoch: number): void {
    this.sql.exec("UPDATE members SET away = 0, resumed_epoch = MAX(resumed_epoch, ?) WHERE user_id = ?", epoch, userId);
    this.present = null;
  }

  isAway(userId: string): boolean {
    return this.sql.exec<{ away: number }>("SELECT away FROM members WHERE user_id = ?", userId).toArray()[0]?.away === 1;
  }

  allPushed(upTo: number): void {
    this.sql.exec("UPDATE members SET dirty = 0 WHERE dirty > 0 AND dirty <= ?", upTo);
  }

  pushed(userId: string, upTo: number): void {
    this.sql.exec("UPDATE members SET dirty = 0 WHERE user_id = ? AND dirty <= ?", userId, upTo);
  }

  departed(): { userId: string; rev: number }[] {
    return this.sql
      .exec<{ user_id: string; rev: number }>("SELECT user_id, rev FROM departed")
      .toArray()
      .map((r) => ({ userId: r.user_id, rev: r.rev }));
  }

  departedPushed(userId: string, upTo: number): void {
    this.sql.exec("DELETE FROM departed WHERE user_id = ? AND rev <= ?", userId, upTo);
  }

  /** The highest push revision still pending, so a restarted room keeps counting upwards. */
  maxRev(): number {
    const a = this.sql.exec<{ r: number | null }>("SELECT MAX(dirty) AS r FROM members").one().r ?? 0;
    const b = this.sql.exec<{ r: number | null }>("SELECT MAX(rev) AS r FROM departed").one().r ?? 0;
    return Math.max(a, b);
  }
}

function toMember(r: MemberRow): Member {
  return { userId: r.user_id, role: Stored.parse(r).role, readSeq: r.read_seq, username: r.username, name: r.name, avatar: r.avatar };
}
