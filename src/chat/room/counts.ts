// A channel's aggregated counts: reactions and views are counted per message and sent as counts at most once
// per tick, never one frame per subscriber's tap or read (contract v1.1 "Sync", channels).
//
// Views: a post's views are the subscribers whose read marker reached it. Kept as a histogram of read
// markers (`read_hist`: how many members' markers stand at each seq), so moving a marker costs two row writes
// whatever the distance, and a post's views are the sum of the histogram from its seq up. A subscriber who
// leaves keeps their count (views do not go down); one who leaves and comes back may be counted twice.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS read_hist (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reactions_dirty (seq INTEGER PRIMARY KEY);
`;

/** Views are sent live for this many of the latest posts (what subscribers have on screen). */
export const LIVE_VIEWS = 20;

export interface Aggregate {
  /** Messages whose reaction counts changed since the last tick. */
  reactions: Array<{ seq: number; reactions: Array<{ emoji: string; count: number }> }>;
  /** The latest posts' view counts, when any reader moved since the last tick. */
  views: Array<{ seq: number; count: number }> | null;
}

export class ChannelCounts {
  private viewsMoved = false;

  constructor(private readonly sql: SqlStorage) {
    const fresh = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'read_hist'").one().n === 0;
    sql.exec(SCHEMA);
    // A channel from before views were counted starts from its members' markers as they stand.
    if (fresh && sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'members'").one().n > 0)
      sql.exec("INSERT INTO read_hist (seq, n) SELECT read_seq, COUNT(*) FROM members WHERE read_seq > 0 GROUP BY read_seq");
  }

  /** Someone reacted to (or took back a reaction on) this message: its counts go out with the next tick. */
  reacted(seq: number): void {
    // Stored, so counts changed just before an eviction still go out when the room wakes.
    this.sql.exec("INSERT OR IGNORE INTO reactions_dirty (seq) VALUES (?)", seq);
  }

  /** A member's read marker moved from `from` (0: none) to `to`. */
  read(from: number, to: number): void {
    if (to <= from) return;
    if (from > 0) this.sql.exec("UPDATE read_hist SET n = n - 1 WHERE seq = ?", from);
    this.sql.exec("INSERT INTO read_hist (seq, n) VALUES (?, 1) ON CONFLICT (seq) DO UPDATE SET n = n + 1", to);
    this.viewsMoved = true;
  }

  pending(): boolean {
    return this.viewsMoved || this.sql.exec("SELECT 1 FROM reactions_dirty LIMIT 1").toArray().length > 0;
  }

  /** Views of these messages (ascending seqs): the readers whose marker is at or past each. */
  views(seqs: number[]): Map<number, number> {
    const out = new Map<number, number>();
    const first = seqs[0];
    if (first === undefined) return out;
    // One pass from the top: the running sum at a seq is its views.
    const rows = this.sql
      .exec<{ seq: number; n: number }>("SELECT seq, n FROM read_hist WHERE seq >= ? ORDER BY seq DESC", first)
      .toArray();
    let sum = 0;
    let i = 0;
    for (const seq of [...seqs].reverse()) {
      while (i < rows.length && (rows[i]?.seq ?? 0) >= seq) sum += rows[i++]?.n ?? 0;
      out.set(seq, sum);
    }
    return out;
  }

  /** What changed since the last tick, and forgets it. `latest`: the seqs of the latest posts, ascending. */
  take(latest: number[]): Aggregate {
    const dirty = this.sql
      .exec<{ seq: number }>("SELECT seq FROM reactions_dirty ORDER BY seq")
      .toArray()
      .map((r) => r.seq);
    this.sql.exec("DELETE FROM reactions_dirty");
    const reactions = dirty.map((seq) => ({
      seq,
      reactions: this.sql
        .exec<{ emoji: string; count: number }>(
          "SELECT emoji, COUNT(*) AS count FROM reactions WHERE seq = ? GROUP BY emoji ORDER BY MIN(created_at)",
          seq,
        )
        .toArray()
        .map((r) => ({ emoji: r.emoji, count: r.count })),
    }));
    let views: Aggregate["views"] = null;
    if (this.viewsMoved && latest.length > 0)
      views = [...this.views(latest)].map(([seq, count]) => ({ seq, count })).sort((a, b) => a.seq - b.seq);
    this.viewsMoved = false;
    return { reactions, views };
  }
}
