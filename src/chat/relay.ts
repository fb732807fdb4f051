import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { errorFields, log } from "../lib/log";
import { relayStub, roomStub } from "./access";
import { BATCH_TAG, SocketHub, sessionTag } from "./hub";
import { CLOSE, type RoomFrame, readClientFrame } from "./protocol";
import { childrenOf, type RelayBatch } from "./relay/plan";

/** What the Worker forwards with a subscriber's socket upgrade, after the room said which relay serves it. */
const UpgradeHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  "x-veche-user": z.string().min(1).max(64),
  "x-veche-chat": z.string().min(1).max(64),
  "x-veche-batch": z.literal("1").optional(),
  "x-veche-session": z.string().min(1).max(64),
});
const ResumeParams = z.object({ after: z.coerce.number().int().min(0).optional(), pts: z.coerce.number().int().min(0).optional() });
const SocketAttachment = z.object({ userId: z.string().min(1), chatId: z.string().min(1), connectedAt: z.number() });

const SCHEMA = "CREATE TABLE IF NOT EXISTS relay_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)";

/**
 * One of a big channel's relays: it holds some subscribers' room sockets and sends them the channel's changes,
 * which reach it as one call per batch from the room or its parent relay (src/chat/relay/plan.ts). It keeps one
 * number, `pts`: the last change every socket here has been sent. Frames at or below it are duplicates and are
 * dropped; a batch that starts above pts + 1 is a gap, filled from the room's change log before anything newer
 * goes out. So the sockets get every change once, in pts order, whatever was lost, reordered or evicted on the
 * way. The room stays the authority: it checks membership on every connect, and its change log is the source.
 */
export class ChannelRelay extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly hub: SocketHub<RoomFrame>;
  /** The last pts sent to the sockets here; null before the first connect. Stored while sockets are open. */
  private pts: number | null;
  /** Connects, batches and closes run one at a time, so a catch-up cannot interleave with a batch. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Batches this instance applied (tests and the benchmark read them). */
  batches = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.hub = new SocketHub(ctx);
    this.pts = this.sql.exec<{ value: number }>("SELECT value FROM relay_state WHERE key = 'pts'").toArray()[0]?.value ?? null;
  }

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Moves pts; stored only while sockets are open (a relay with none starts over from the next connect). */
  private advance(pts: number): void {
    this.pts = pts;
    if (this.hub.sockets().length > 0)
      this.sql.exec("INSERT INTO relay_state (key, value) VALUES ('pts', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", pts);
  }

  /** Frames to every socket here, now: one message per socket that takes batches. */
  private sendAll(frames: string[]): void {
    for (const f of frames) this.hub.broadcastEncoded(f);
    this.hub.flush();
  }

  // ---- the room's batches ----

  /** A batch from the room or the parent relay: passed down the tree at once, then applied here in pts order. */
  async deliver(batch: RelayBatch, self: number): Promise<void> {
    for (const child of childrenOf(self, batch.count, batch.fanout)) {
      // A child that misses this call catches up from the room with the next batch (it sees the gap).
      relayStub(this.env, batch.chatId, child)
        .deliver(batch, child)
        .catch((err: unknown) => log.warn("relay forward failed", { chatId: batch.chatId, relay: child, ...errorFields(err) }));
    }
    await this.serial(() => this.apply(batch));
  }

  private async apply(batch: RelayBatch): Promise<void> {
    this.batches += 1;
    if (batch.frames.length > 0 || !batch.live) await this.applyChanges(batch);
    if (batch.live && this.hub.sockets().length > 0) this.sendAll(batch.live);
  }

  private async applyChanges(batch: RelayBatch): Promise<void> {
    if (this.pts !== null && batch.upTo <= this.pts) return;
    // Nobody to serve: remember where the chat is, and the next connect catches its socket up from the room.
    if (this.hub.sockets().length === 0) {
      this.pts = batch.upTo;
      return;
    }
    const first = batch.upTo - batch.frames.length + 1;
    const at = this.pts ?? first - 1;
    if (first > at + 1 || batch.frames.length === 0) return this.catchUp(batch.chatId, at);
    this.sendAll(batch.frames.slice(at + 1 - first));
    this.advance(batch.upTo);
  }

  /** Fills a gap from the room's change log: every change after `from`, then this relay is at the room's pts. */
  private async catchUp(chatId: string, from: number): Promise<void> {
    const since = await roomStub(this.env, chatId).relaySince(chatId, from);
    if (since.tooLong) {
      // Further behind than the room keeps (the relay was unreachable for over 1,000 changes): as for a client.
      this.sendAll([JSON.stringify({ type: "too_long", pts: since.pts } satisfies RoomFrame)]);
      this.advance(since.pts);
      return;
    }
    this.sendAll(since.frames);
    this.advance(from + since.frames.length);
  }

  // ---- sockets ----

  /** The Worker sends a subscriber here after the room routed them; the room checks membership again and replays. */
  override async fetch(request: Request): Promise<Response> {
    const upgrade = UpgradeHeaders.safeParse(Object.fromEntries(request.headers));
    if (!upgrade.success) return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    const { "x-veche-user": userId, "x-veche-chat": chatId, "x-veche-batch": batch, "x-veche-session": sessionId } = upgrade.data;
    const resume = ResumeParams.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!resume.success) return new Response("bad after or pts", { status: 400 });
    return this.serial(async () => {
      // The room decides membership here, in the queue: a removal answered after this is applied after the
      // accept below (closeUser waits in the same queue), so a removed member's socket cannot stay open.
      const join = await roomStub(this.env, chatId).relayJoin(chatId, userId, resume.data);
      if (!join) return new Response("not a member", { status: 404 });
      // The other sockets first go to where the room is now, so the new one joins them at the same pts.
      if (this.pts !== null && this.pts < join.pts && this.hub.sockets().length > 0) await this.catchUp(chatId, this.pts);
      const at = this.hub.sockets().length > 0 && this.pts !== null ? this.pts : join.pts;
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      this.hub.accept(server, batch ? [userId, sessionTag(sessionId), BATCH_TAG] : [userId, sessionTag(sessionId)], {
        userId,
        chatId,
        connectedAt: Date.now(),
      } satisfies z.infer<typeof SocketAttachment>);
      const frames = join.tooLong ? [JSON.stringify({ type: "too_long", pts: join.pts } satisfies RoomFrame)] : join.frames;
      // The others may be ahead of the join's pts (a catch-up just now): the new socket gets the difference.
      if (at > join.pts) {
        const more = await roomStub(this.env, chatId).relaySince(chatId, join.pts);
        frames.push(...(more.tooLong ? [] : more.frames.slice(0, at - join.pts)));
      }
      this.sendTo(server, frames, batch === "1");
      this.advance(at);
      return new Response(null, { status: 101, webSocket: client });
    });
  }

  private sendTo(ws: WebSocket, frames: string[], batched: boolean): void {
    const CHUNK = 200;
    try {
      for (let i = 0; i < frames.length; i += CHUNK) {
        const part = frames.slice(i, i + CHUNK);
        if (batched) ws.send(part.length === 1 ? (part[0] as string) : `[${part.join(",")}]`);
        else for (const f of part) ws.send(f);
      }
    } catch {
      // The socket is closing; its client reconnects with ?pts= and misses nothing.
    }
  }

  /** A subscriber's frames: read markers go to the room; subscribers do not post or type here. */
  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    if (!this.hub.isOpen(ws)) return;
    try {
      const identity = SocketAttachment.safeParse(ws.deserializeAttachment());
      if (!identity.success) return this.hub.close(ws, CLOSE.internal, "lost socket identity; reconnect");
      const { userId, chatId } = identity.data;
      const frame = readClientFrame(data);
      if (!frame.ok) return this.hub.send(ws, frame.error);
      switch (frame.frame.type) {
        case "send":
          // Owners' and admins' sockets are the room's (it acknowledges sends); one made admin is moved there.
          return this.hub.send(ws, {
            type: "error",
            code: "not_allowed",
            detail: "Only owners and admins post in a channel.",
            clientId: frame.frame.clientId,
          });
        case "read": {
          const result = await roomStub(this.env, chatId).read(chatId, userId, frame.frame.seq);
          if (!result.ok) this.hub.send(ws, { type: "error", code: result.code, detail: result.detail });
          return;
        }
        case "typing":
          // Subscribers may not post, so the room would drop their typing too.
          return;
        case "call_invite":
        case "call_answer":
        case "call_ice":
        case "call_decline":
        case "call_busy":
        case "call_hangup":
        case "call_media":
          // Calls are one-to-one, in direct chats; a relay serves only big channels.
          return this.hub.send(ws, { type: "error", code: "call_not_allowed", detail: "Calls are one-to-one, in direct chats." });
        default: {
          const unhandled: never = frame.frame;
          return unhandled;
        }
      }
    } catch (err) {
      log.error("relay socket message failed", errorFields(err));
      this.hub.send(ws, { type: "error", code: "internal_error", detail: "The frame could not be processed; try again." });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.hub.reciprocate(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.hub.failed(ws, error, { object: "relay" });
  }

  /**
   * The room removed this member (or made them an admin, whom the room serves: `moved`): their sockets here
   * close at once, after any connect of theirs in flight.
   */
  async closeUser(userId: string, code: number = CLOSE.removed): Promise<void> {
    await this.serial(() => this.hub.closeTagged(userId, code, code === CLOSE.moved ? "role changed; reconnect" : "removed from chat"));
  }

  async closeSession(sessionId: string): Promise<void> {
    await this.serial(() => this.hub.closeTagged(sessionTag(sessionId), CLOSE.sessionEnded, "signed out"));
  }

  /** How many sockets this relay holds (the benchmark and tests). */
  async socketCount(): Promise<number> {
    return this.hub.sockets().length;
  }
}
