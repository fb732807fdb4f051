// The room's side of relays: which relays a channel has had, the per-tick batch of change frames for them, and
// one call per first-level relay per batch (never one per subscriber or socket). Relays forward down the tree.
import { errorFields, log } from "../../lib/log";
import { relayStub } from "../access";
import { CLOSE } from "../protocol";
import { firstLevel, type RelayBatch, type RelayConfig, relayIndex, relaysFor } from "./plan";

const SCHEMA = "CREATE TABLE IF NOT EXISTS relay_counts (count INTEGER PRIMARY KEY)";
/** A relay whose call failed is told where the chat is after this long, and catches up from the room. */
const RETRY_MS = 1_000;

export class RelayFanout {
  /** Every relay count the channel has had, ascending: it never shrinks, so a socket's relay keeps its feed. */
  private counts: number[];
  private outbox: string[] = [];
  /** Live-only frames (views) for the same batch: sent to sockets, never replayed. */
  private live: string[] = [];
  private upTo = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly retries = new Map<number, ReturnType<typeof setTimeout>>();
  /** Calls this instance made to relays (batches × first-level relays, retries included): what a post costs the room. */
  calls = 0;
  batches = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly config: RelayConfig,
    private readonly chatId: () => string,
  ) {
    sql.exec(SCHEMA);
    this.counts = sql
      .exec<{ count: number }>("SELECT count FROM relay_counts ORDER BY count")
      .toArray()
      .map((r) => r.count);
  }

  /** The channel's relay count now (0: no relays, every socket is the room's). */
  count(): number {
    return this.counts.at(-1) ?? 0;
  }

  /** Membership changed: a channel that outgrew its relays gets more. Never fewer (see `counts`). */
  resize(type: string, members: number): void {
    const wanted = relaysFor(this.config, type, members);
    if (wanted <= this.count()) return;
    this.sql.exec("INSERT OR IGNORE INTO relay_counts (count) VALUES (?)", wanted);
    this.counts.push(wanted);
  }

  /** The relay a subscriber's socket goes to, or null when the room serves it (no relays, or one who may post). */
  route(userId: string, role: string): number | null {
    const count = this.count();
    return count > 0 && role === "member" ? relayIndex(this.chatId(), userId, count) : null;
  }

  /** Queues a stored change for the relays; the batch goes out on the next turn of the event loop. */
  enqueue(pts: number, encoded: string): void {
    if (this.count() === 0) return;
    // Batches are consecutive runs of pts; anything else starts a new one (the relays catch up on gaps anyway).
    if (this.outbox.length > 0 && pts !== this.upTo + 1) this.flush();
    this.outbox.push(encoded);
    this.upTo = pts;
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  /** Queues a live-only frame (no pts: not in the change log) for the next batch. */
  enqueueLive(encoded: string): void {
    if (this.count() === 0) return;
    this.live.push(encoded);
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.outbox.length === 0 && this.live.length === 0) return;
    const count = this.count();
    const batch: RelayBatch = { chatId: this.chatId(), upTo: this.upTo, frames: this.outbox, count, fanout: this.config.fanout };
    if (this.live.length > 0) batch.live = this.live;
    this.outbox = [];
    this.live = [];
    this.batches += 1;
    for (const index of firstLevel(count, this.config.fanout)) this.call(index, batch);
  }

  private call(index: number, batch: RelayBatch): void {
    this.calls += 1;
    relayStub(this.env, batch.chatId, index)
      .deliver(batch, index)
      .catch((err: unknown) => {
        log.warn("relay call failed; it will catch up", { chatId: batch.chatId, relay: index, ...errorFields(err) });
        // Nothing is resent from here: the relay is told the pts it should be at and catches up from the room's
        // change log, as after any gap. One retry pending per relay; a later failure moves it on.
        const pending = this.retries.get(index);
        if (pending) clearTimeout(pending);
        this.retries.set(
          index,
          setTimeout(() => {
            this.retries.delete(index);
            // Live frames are not worth resending: the next ones replace them.
            this.call(index, { chatId: batch.chatId, upTo: batch.upTo, frames: [], count: this.count(), fanout: batch.fanout });
          }, RETRY_MS),
        );
      });
  }

  /** Every relay this user's sockets may be on: one per relay count the channel has had. */
  private relaysOf(userId: string): number[] {
    return [...new Set(this.counts.map((c) => relayIndex(this.chatId(), userId, c)))];
  }

  /** A member left or was removed (or is now served by the room, `moved`): their sockets on relays close. */
  closeUser(userId: string, code: number = CLOSE.removed): Promise<void> {
    return this.each(userId, (i) => relayStub(this.env, this.chatId(), i).closeUser(userId, code));
  }

  /** A device was signed out: its sockets on relays close. */
  closeSession(userId: string, sessionId: string): Promise<void> {
    return this.each(userId, (i) => relayStub(this.env, this.chatId(), i).closeSession(sessionId));
  }

  private async each(userId: string, fn: (index: number) => Promise<void>): Promise<void> {
    const failed = (await Promise.allSettled(this.relaysOf(userId).map(fn))).filter((r) => r.status === "rejected");
    if (failed.length > 0) log.warn("closing sockets on relays failed", { chatId: this.chatId(), failed: failed.length });
  }
}
