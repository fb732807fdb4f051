// Sending to hibernating WebSockets, shared by the room and the inbox: encode once, send to many, batch
// frames for sockets that take JSON arrays (`?batch=1`), close quietly and reciprocate closes.
import { errorFields, log } from "../lib/log";

/** Tag of sockets that accept a JSON array of frames in one WebSocket message. */
export const BATCH_TAG = "batch";
/** Sockets are tagged with their session, so signing a device out can find and close them. */
export const sessionTag = (sessionId: string) => `session:${sessionId}`;
const SESSION_PREFIX = sessionTag("");

export class SocketHub<F> {
  /** Encoded frames for every socket, waiting for the next fan-out. */
  private outbox: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /**
   * The open sockets and those taking batches, as of the last connect or close: a fan-out reads them on
   * every tick, and listing them from the runtime (and asking each its state) cost more than the sends.
   * In memory only: rebuilt after a wake from hibernation, and dropped on every accept and close.
   */
  private live: { all: WebSocket[]; batched: Set<WebSocket> } | null = null;

  constructor(private readonly ctx: DurableObjectState) {}

  accept(ws: WebSocket, tags: string[], attachment: unknown): void {
    this.ctx.acceptWebSocket(ws, tags);
    ws.serializeAttachment(attachment);
    this.live = null;
  }

  /**
   * The open sockets (with a tag: those so tagged). A socket we closed stays in `getWebSockets()` until its
   * client answers the close or the connection drops (the runtime has no way to drop it at once), so it is
   * left out here: nothing more is sent to it, and `isOpen` tells handlers to ignore what it still sends.
   */
  sockets(tag?: string): WebSocket[] {
    return tag === undefined ? this.open().all : this.ctx.getWebSockets(tag).filter(isOpen);
  }

  /** The sessions (devices) with a socket open here, from their sockets' session tags. */
  openSessions(): string[] {
    const ids = new Set<string>();
    for (const ws of this.sockets()) {
      for (const tag of this.ctx.getTags(ws)) if (tag.startsWith(SESSION_PREFIX)) ids.add(tag.slice(SESSION_PREFIX.length));
    }
    return [...ids];
  }

  private open(): { all: WebSocket[]; batched: Set<WebSocket> } {
    this.live ??= { all: this.ctx.getWebSockets().filter(isOpen), batched: new Set(this.ctx.getWebSockets(BATCH_TAG)) };
    return this.live;
  }

  /** Whether frames from this socket may still be acted on: not after either side began closing it. */
  isOpen(ws: WebSocket): boolean {
    return isOpen(ws);
  }

  /** One frame to one socket, now. */
  send(ws: WebSocket, frame: F): void {
    sendRaw(ws, JSON.stringify(frame));
  }

  /** Frames to one socket, now: one message of a JSON array when it takes batches, else one per frame. */
  sendMany(ws: WebSocket, frames: F[], batched: boolean): void {
    if (frames.length === 0) return;
    if (batched) sendRaw(ws, JSON.stringify(frames));
    else for (const f of frames) sendRaw(ws, JSON.stringify(f));
  }

  /**
   * Queues a frame for every socket; the queue goes out on the next turn of the event loop. workerd spends
   * far more per WebSocket send than per byte, so under load each socket that takes batches gets many frames
   * in one send; when quiet a batch is one frame, one timer tick late.
   */
  broadcast(frame: F): void {
    this.broadcastEncoded(JSON.stringify(frame));
  }

  /** The same, for a frame already encoded (a change, as its log stored it). */
  broadcastEncoded(encoded: string): void {
    this.outbox.push(encoded);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), 0);
  }

  /** Sends what is queued: each frame encoded once; one send per socket for sockets that take batches. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.outbox.length === 0) return;
    const frames = this.outbox;
    this.outbox = [];
    const batched = frames.length === 1 ? (frames[0] as string) : `[${frames.join(",")}]`;
    const live = this.open();
    for (const ws of live.all) {
      if (frames.length === 1 || live.batched.has(ws)) sendRaw(ws, batched);
      else for (const f of frames) sendRaw(ws, f);
    }
  }

  /** An ephemeral frame (typing) at once to every socket but one. */
  relay(frame: F, except: WebSocket): void {
    const data = JSON.stringify(frame);
    for (const ws of this.sockets()) if (ws !== except) sendRaw(ws, data);
  }

  close(ws: WebSocket, code: number, reason: string): void {
    this.live = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }

  closeTagged(tag: string, code: number, reason: string): void {
    for (const ws of this.sockets(tag)) this.close(ws, code, reason);
  }

  /** Answers a client's close with the same code, so it sees a clean close (1005/1006 are not sendable). */
  reciprocate(ws: WebSocket, code: number, reason: string): void {
    this.close(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  /** A socket error: logged with context, the socket closed. */
  failed(ws: WebSocket, error: unknown, context: Record<string, unknown>): void {
    log.warn("socket error", { ...context, ...errorFields(error) });
    this.close(ws, 1011, "socket error");
  }
}

const isOpen = (ws: WebSocket): boolean => ws.readyState === WebSocket.OPEN;

function sendRaw(ws: WebSocket, data: string): void {
  try {
    ws.send(data);
  } catch {
    // The socket is closing; its client reconnects with ?pts= and misses nothing.
  }
}
