// A chat's change log: every stored change gets the chat's next `pts` (1, 2, 3, … no gaps) and is kept as
// the frame that was sent live, so a client that saw pts N gets exactly what came after N. The log keeps at
// least the last KEEP changes; a client further behind is told `too_long` and reloads over HTTP.
import type { ChangeFrame, ChatMessage, NewChange } from "../protocol";

/** At least this many of the latest changes stay replayable. */
export const KEEP = 1_000;
/** Pruning runs once the log is this much past KEEP, so it costs one DELETE per hundred changes. */
const SLACK = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS changes (
  pts INTEGER PRIMARY KEY,
  seq INTEGER,
  kind TEXT NOT NULL,
  frame TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_seq ON changes (seq) WHERE seq IS NOT NULL;
`;

export interface Since {
  /** Encoded frames, in pts order. */
  frames: string[];
  pts: number;
  tooLong: boolean;
}

export class ChangeLog {
  private pts: number;
  /** Changes with pts ≤ floor are no longer kept. */
  private floor: number;
  private count: number;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    this.floor = Number(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'pts_floor'").toArray()[0]?.value ?? 0);
    const stats = sql.exec<{ n: number; top: number | null }>("SELECT COUNT(*) AS n, MAX(pts) AS top FROM changes").one();
    this.pts = Math.max(stats.top ?? 0, this.floor);
    this.count = stats.n;
  }

  current(): number {
    return this.pts;
  }

  /**
   * A room that had messages before it had a change log: its history has no numbers, so it starts at pts 1
   * with nothing replayable, and a client at pts 0 is told `too_long` (it loads the history over HTTP).
   */
  startAfterUnnumberedHistory(): void {
    if (this.pts > 0) return;
    this.setFloor(1);
    this.pts = 1;
  }

  /**
   * Stores a change under the next pts and answers the frame, and its JSON as stored, which is also what
   * goes to the sockets: a message is encoded once, not once for the log and again for the fan-out.
   */
  append(change: NewChange): { frame: ChangeFrame; encoded: string } {
    const frame = { ...change, pts: this.pts + 1 } as ChangeFrame;
    const seq = "seq" in frame ? frame.seq : "message" in frame ? frame.message.seq : null;
    const encoded = JSON.stringify(frame);
    this.sql.exec("INSERT INTO changes (pts, seq, kind, frame) VALUES (?, ?, ?, ?)", frame.pts, seq, frame.type, encoded);
    this.pts = frame.pts;
    this.count += 1;
    if (this.count > KEEP + SLACK) this.prune();
    return { frame, encoded };
  }

  /** What came after `pts`, at most `limit` changes; `tooLong` when the log no longer reaches back that far. */
  since(pts: number, limit: number): Since {
    if (pts < this.floor || pts > this.pts) return { frames: [], pts: this.pts, tooLong: true };
    const frames = this.sql
      .exec<{ frame: string }>("SELECT frame FROM changes WHERE pts > ? ORDER BY pts LIMIT ?", pts, limit)
      .toArray()
      .map((r) => r.frame);
    return { frames, pts: this.pts, tooLong: false };
  }

  /** The pts of the changes that stored these messages (those still kept). */
  messagePts(from: number, to: number): Map<number, number> {
    const rows = this.sql.exec<{ seq: number; pts: number }>(
      "SELECT seq, pts FROM changes WHERE kind = 'message' AND seq BETWEEN ? AND ?",
      from,
      to,
    );
    return new Map([...rows].map((r) => [r.seq, r.pts]));
  }

  /**
   * A message deleted for everyone: its earlier `message` and `edited` frames are rewritten to the tombstone,
   * so nothing replays the content that was deleted.
   */
  scrub(tombstone: ChatMessage): void {
    const rows = this.sql
      .exec<{ pts: number; kind: string }>("SELECT pts, kind FROM changes WHERE seq = ? AND kind IN ('message', 'edited')", tombstone.seq)
      .toArray();
    for (const r of rows) {
      this.sql.exec("UPDATE changes SET frame = ? WHERE pts = ?", JSON.stringify({ type: r.kind, message: tombstone, pts: r.pts }), r.pts);
    }
  }

  private prune(): void {
    const floor = this.pts - KEEP;
    this.sql.exec("DELETE FROM changes WHERE pts <= ?", floor);
    this.setFloor(floor);
    this.count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM changes").one().n;
  }

  private setFloor(floor: number): void {
    this.floor = floor;
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('pts_floor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      String(floor),
    );
  }
}
