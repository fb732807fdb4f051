// A WebSocket that stays connected: a fresh single-use ticket per connection (browsers cannot set headers on
// a WebSocket), batches (`?batch=1`, frames may arrive as a JSON array), reconnection with jittered backoff
// after any close, at once when the browser comes back online. Every frame received is parsed with the
// socket's zod schema from src/chat/protocol.ts (what the server sends is typed by the same schemas), so
// callers switch over typed frames. What to resume from is the caller's business: `url()` is asked again
// before every connection, so a socket can say `?pts=<the last change it applied>`.
import type { z } from "zod";
import { parseFrames } from "../../chat/protocol";
import { ApiError, request } from "./api";

export type SocketStatus = "connecting" | "open" | "offline" | "closed";

export interface LiveSocketOptions<F> {
  /** Path and query under the origin, without the ticket, e.g. `/api/v1/inbox/ws` (asked before every connection). */
  url(): string;
  /** Every frame this socket may receive (`RoomFrame`, `InboxFrame`); frames that do not match are dropped. */
  schema: z.ZodType<F>;
  /** Each frame, in the order received (a batch is unpacked in order). */
  onFrame(frame: F): void;
  onOpen?(): void;
  onStatus?(status: SocketStatus): void;
  /** The server closed with a code that means "do not come back" (4003: removed from the chat). */
  onGone?(): void;
}

const MAX_BACKOFF_MS = 15_000;

export class LiveSocket<F> {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly opts: LiveSocketOptions<F>;
  status: SocketStatus = "closed";

  constructor(opts: LiveSocketOptions<F>) {
    this.opts = opts;
  }

  start(): void {
    this.stopped = false;
    addEventListener("online", this.onOnline);
    addEventListener("offline", this.onOffline);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    removeEventListener("online", this.onOnline);
    removeEventListener("offline", this.onOffline);
    this.ws?.close(1000, "bye");
    this.ws = null;
    this.setStatus("closed");
  }

  /** Sends a frame when connected; answers false otherwise (the caller keeps it for later). */
  send(frame: object): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the current connection (if any) and connects again now: after a send went unanswered, say. */
  reconnect(): void {
    if (this.stopped) return;
    const ws = this.ws;
    this.ws = null;
    ws?.close(4000, "reconnecting");
    clearTimeout(this.timer);
    this.attempts = 0;
    void this.connect();
  }

  private readonly onOnline = () => this.reconnect();
  private readonly onOffline = () => {
    // The socket may linger half-open for minutes without the network; close it so the app says so.
    const ws = this.ws;
    this.ws = null;
    ws?.close(4000, "offline");
    clearTimeout(this.timer);
    this.setStatus("offline");
  };

  private setStatus(status: SocketStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.opts.onStatus?.(status);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.ws) return;
    if (!navigator.onLine) {
      this.setStatus("offline");
      return;
    }
    this.setStatus("connecting");
    let ticket: string;
    try {
      ticket = (await request<{ ticket: string }>("/ws-tickets", { method: "POST", body: {} })).ticket;
    } catch (err) {
      // Signed out: nothing to reconnect to.
      if (err instanceof ApiError && err.status === 401) return this.stop();
      return this.retry();
    }
    if (this.stopped || this.ws) return;
    const path = this.opts.url();
    const url = new URL(path, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempts = 0;
      this.setStatus("open");
      this.opts.onOpen?.();
    };
    ws.onmessage = (e) => {
      if (this.ws !== ws || typeof e.data !== "string") return;
      const { frames, rejected } = parseFrames(this.opts.schema, e.data);
      if (rejected > 0) console.warn(`dropped ${rejected} frame(s) that match no known frame`, e.data.slice(0, 300));
      for (const f of frames) this.opts.onFrame(f);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (e.code === 4003) {
        this.stop();
        this.opts.onGone?.();
        return;
      }
      // 4005: my role moved my socket (a channel's new admin goes from a relay to the room): come back at once.
      if (e.code === 4005) this.attempts = 0;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.setStatus(navigator.onLine ? "connecting" : "offline");
    if (!navigator.onLine) return;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts);
    this.attempts += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), base / 2 + Math.random() * (base / 2));
  }
}
