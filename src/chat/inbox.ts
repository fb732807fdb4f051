import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { errorFields, log } from "../lib/log";
import { CLOSE, type InboxFrame } from "./protocol";
import { sessionTag } from "./room";
import { chatForUser } from "./store";

const SocketAttachment = z.object({ userId: z.string().min(1) });
/** What the Worker forwards with an upgrade it has authenticated (the identity becomes hibernation tags). */
const UpgradeHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  "x-veche-user": z.string().min(1).max(64),
  "x-veche-session": z.string().min(1).max(64),
});

/**
 * One user's live feed: chat-list updates and service notifications for all their devices. It stores
 * nothing of its own: chat summaries are read from D1 when there is someone to send them to, so an
 * offline user's inbox costs nothing but the call that finds no sockets.
 */
export class Inbox extends DurableObject<Env> {
  override async fetch(request: Request): Promise<Response> {
    const upgrade = UpgradeHeaders.safeParse(Object.fromEntries(request.headers));
    if (!upgrade.success) return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    const { "x-veche-user": userId, "x-veche-session": sessionId } = upgrade.data;
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [userId, sessionTag(sessionId)]);
    pair[1].serializeAttachment({ userId });
    await this.setPresence(userId, true);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** A chat the user is in changed (new message, read marker, title, membership). */
  async chatChanged(userId: string, chatId: string): Promise<void> {
    if (this.ctx.getWebSockets().length === 0) return;
    const chat = await chatForUser(this.env.DB, userId, chatId);
    this.broadcast(chat ? { type: "chat", chat } : { type: "chat_removed", chatId });
  }

  /** A service event (bill, record, form status, consent request) for this user. */
  async notify(notification: { kind: string; [key: string]: unknown }): Promise<void> {
    this.broadcast({ ...notification, type: "notification" });
  }

  /** A session was signed out: its inbox sockets close at once. */
  async closeSession(sessionId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets(sessionTag(sessionId))) {
      try {
        ws.close(CLOSE.sessionEnded, "signed out");
      } catch {
        // already closed
      }
      await this.socketGone(ws);
    }
  }

  override async webSocketMessage(ws: WebSocket): Promise<void> {
    // The inbox takes no frames from clients.
    this.send(ws, { type: "error", code: "unsupported_frame", detail: "The inbox socket only sends; it accepts no frames." });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
    await this.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("inbox socket error", errorFields(error));
    await this.socketGone(ws);
  }

  private async socketGone(ws: WebSocket): Promise<void> {
    const parsed = SocketAttachment.safeParse(ws.deserializeAttachment());
    if (!parsed.success) return;
    const open = this.ctx.getWebSockets().filter((s) => s !== ws && s.readyState === WebSocket.OPEN);
    if (open.length === 0) await this.setPresence(parsed.data.userId, false);
  }

  private async setPresence(userId: string, online: boolean): Promise<void> {
    try {
      await this.env.DB.prepare("UPDATE users SET online = ?2, last_seen_at = ?3 WHERE id = ?1")
        .bind(userId, online ? 1 : 0, Date.now())
        .run();
    } catch (err) {
      log.warn("presence update failed", errorFields(err));
    }
  }

  private broadcast(frame: InboxFrame): void {
    const data = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(data);
      } catch {
        // closing; the client re-reads the chat list when it reconnects
      }
    }
  }

  private send(ws: WebSocket, frame: InboxFrame): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // closing
    }
  }
}
