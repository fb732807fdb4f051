// Blocks between a direct chat's two members, copied here from D1 (which stays authoritative) when a block
// is set or lifted, so the send path refuses a blocked sender without reading D1. Held in memory too: the
// check before each message is a Set lookup.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blocks (
  blocker_id TEXT NOT NULL,
  blocked_id TEXT NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id)
);
`;

export class Blocks {
  /** Everyone blocked by someone in this room. */
  private readonly blocked = new Map<string, Set<string>>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    for (const r of sql.exec<{ blocker_id: string; blocked_id: string }>("SELECT blocker_id, blocked_id FROM blocks"))
      this.remember(r.blocker_id, r.blocked_id);
  }

  set(blockerId: string, blockedId: string, on: boolean): void {
    if (on) {
      this.sql.exec("INSERT INTO blocks (blocker_id, blocked_id) VALUES (?, ?) ON CONFLICT DO NOTHING", blockerId, blockedId);
      this.remember(blockerId, blockedId);
    } else {
      this.sql.exec("DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?", blockerId, blockedId);
      const by = this.blocked.get(blockedId);
      by?.delete(blockerId);
      if (by?.size === 0) this.blocked.delete(blockedId);
    }
  }

  /** Whether anyone in this room blocked this user. */
  isBlocked(userId: string): boolean {
    return this.blocked.has(userId);
  }

  private remember(blockerId: string, blockedId: string): void {
    const by = this.blocked.get(blockedId) ?? new Set<string>();
    by.add(blockerId);
    this.blocked.set(blockedId, by);
  }
}
