import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { countD1 } from "../lib/d1-count";
import { iso } from "../lib/hono";
import { errorFields, log } from "../lib/log";
import { queuePushes } from "../push/send";
import { roomStub } from "./access";
import { SocketHub, sessionTag } from "./hub";
import { Dialogs, type DialogUpdate, type ListChange, type PushAnswer, type Updates } from "./inbox/dialogs";
import { type ChatSummary, CLOSE, type InboxFrame } from "./protocol";
import { legacySummaries } from "./store";

const SocketAttachment = z.object({ userId: z.string().min(1) });
/** What the Worker forwards with an upgrade it has authenticated (the identity becomes hibernation tags). */
const UpgradeHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  "x-veche-user": z.string().min(1).max(64),
  "x-veche-session": z.string().min(1).max(64),
});
const ResumeParams = z.object({ pts: z.coerce.number().int().min(0).optional() });
/** Rooms asked at once when stale rows are refreshed. */
const REFRESH_CONCURRENCY = 50;

export interface Presence {
  online: boolean;
  lastSeenAt: string | null;
}

/**
 * One user: their chat list (a row per chat, kept current by the chats' rooms), their update log numbered
 * by the user's `pts`, stored service notifications, and presence, for all their devices. Serves
 * `GET /chats` and `GET /updates`; its socket replays what a device missed with `?pts=`. A thin shell over
 * `Dialogs` (storage) and the socket hub.
 */
export class Inbox extends DurableObject<Env> {
  private readonly dialogs: Dialogs;
  private readonly hub: SocketHub<InboxFrame>;
  private hydrating: Promise<void> | null = null;
  /** Devices between their upgrade and their socket's acceptance count as online (a push then is not missed). */
  private connecting = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countD1(env));
    this.dialogs = new Dialogs(ctx.storage.sql);
    this.hub = new SocketHub(ctx);
  }

  /**
   * A user whose inbox predates its own storage: their chat list is read once from D1's old summary columns.
   * (A new user's inbox reads it once too, and finds nothing.)
   */
  private ready(userId: string): Promise<void> {
    if (this.dialogs.isHydrated()) return Promise.resolve();
    this.hydrating ??= (async () => {
      const chats = await legacySummaries(this.env.DB, userId);
      if (this.dialogs.isHydrated()) return;
      for (const c of chats) this.dialogs.apply(c);
      this.dialogs.markHydrated();
    })().finally(() => {
      this.hydrating = null;
    });
    return this.hydrating;
  }

  override async fetch(request: Request): Promise<Response> {
    const upgrade = UpgradeHeaders.safeParse(Object.fromEntries(request.headers));
    if (!upgrade.success) return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    const resume = ResumeParams.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!resume.success) return new Response("bad pts", { status: 400 });
    const { "x-veche-user": userId, "x-veche-session": sessionId } = upgrade.data;
    this.connecting += 1;
    try {
      await this.ready(userId);
      // Chats whose rooms stopped pushing while no device was here: current before the catch-up below.
      await this.refresh(userId);
    } finally {
      this.connecting -= 1;
    }
    const pair = new WebSocketPair();
    this.hub.accept(pair[1], [userId, sessionTag(sessionId)], { userId });
    this.dialogs.setMeta("last_seen_at", String(Date.now()));
    // The catch-up runs without yielding, so nothing live slips in before or between it.
    if (resume.data.pts !== undefined) {
      const changes = this.dialogs.changesSince(resume.data.pts);
      if (changes === null) this.hub.send(pair[1], { type: "too_long", pts: this.dialogs.current() });
      else for (const c of changes) this.hub.send(pair[1], c);
    }
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /**
   * The account was deleted: the chat list, notifications and presence go, and nothing more is taken (a
   * direct chat stays with the other person, whose room would otherwise keep pushing here).
   */
  async erase(): Promise<void> {
    for (const ws of this.hub.sockets()) this.hub.close(ws, CLOSE.sessionEnded, "account deleted");
    this.dialogs.erase();
  }

  /**
   * A room's summary of one of the user's chats. With no device online the row is kept but marked stale,
   * and the room is told to stop pushing: the user's next read (a socket, `GET /chats`, `GET /updates`)
   * asks the room for the chat's state instead, so a chat an away user is in costs nothing per message.
   */
  async applyChat(userId: string, update: DialogUpdate): Promise<PushAnswer> {
    await this.ready(userId);
    if (this.dialogs.isErased()) return { online: true };
    this.send(this.dialogs.apply(update));
    if (this.online()) return { online: true };
    this.dialogs.markStale(update.chatId);
    return { online: false, epoch: this.dialogs.epoch() };
  }

  private online(): boolean {
    return this.connecting > 0 || this.hub.sockets().some((ws) => ws.readyState === WebSocket.OPEN);
  }

  /** Brings stale rows (or just `only`) up to date from their rooms, which then push to this inbox again. */
  private async refresh(userId: string, only?: string): Promise<void> {
    const stale = this.dialogs.staleChats().filter((chatId) => only === undefined || chatId === only);
    if (stale.length === 0) return;
    // Later than any answer a room may still be acting on, so none of those turns its pushes off again.
    const epoch = this.dialogs.nextEpoch();
    for (let i = 0; i < stale.length; i += REFRESH_CONCURRENCY) {
      await Promise.all(
        stale.slice(i, i + REFRESH_CONCURRENCY).map(async (chatId) => {
          const update = await roomStub(this.env, chatId)
            .resume(chatId, userId, epoch)
            .catch((err: unknown) => {
              log.warn("refreshing a stale chat failed", { chatId, ...errorFields(err) });
              return undefined;
            });
          // Unreachable: the row stays stale and is asked again next time.
          if (update === undefined) return;
          if (update !== null) this.send(this.dialogs.apply(update));
          this.dialogs.clearStale(chatId);
        }),
      );
    }
    // Answers given from now on are later than those requests: a room may act on them again.
    this.dialogs.nextEpoch();
  }

  /** The user left or was removed from a chat. */
  async removeChat(userId: string, chatId: string, chatPts: number): Promise<void> {
    await this.ready(userId);
    this.send(this.dialogs.remove(chatId, chatPts));
  }

  /**
   * A service event (bill, record, form status, consent request): stored, then sent to open devices, and pushed
   * (Web Push) to each device without its inbox socket open.
   */
  async notify(userId: string, notification: { kind: string; [key: string]: unknown }): Promise<void> {
    await this.ready(userId);
    if (this.dialogs.isErased()) return;
    const change = this.dialogs.notify(notification);
    this.send(change);
    if (change.type !== "notification") return;
    // Stored and sent already: a failure to queue costs only the push, so it is logged, not thrown.
    await queuePushes(this.env, userId, null, change, { except: this.hub.openSessions() }).catch((err: unknown) =>
      log.warn("queueing service notification pushes failed", { userId, ...errorFields(err) }),
    );
  }

  async list(userId: string): Promise<{ chats: ChatSummary[]; pts: number }> {
    await this.ready(userId);
    await this.refresh(userId);
    const pts = this.dialogs.current();
    const chats = await this.withHeads(this.dialogs.list());
    chats.sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || b.id.localeCompare(a.id));
    return { chats, pts };
  }

  async chat(userId: string, chatId: string): Promise<ChatSummary | null> {
    await this.ready(userId);
    await this.refresh(userId, chatId);
    const chat = this.dialogs.summary(chatId);
    return chat ? ((await this.withHeads([chat]))[0] ?? null) : null;
  }

  async updates(userId: string, pts: number): Promise<Updates> {
    await this.ready(userId);
    await this.refresh(userId);
    const updates = this.dialogs.since(pts);
    return { ...updates, chats: await this.withHeads(updates.chats) };
  }

  /**
   * Channels the user reads: their last message and unread count come from the channel's head and the user's
   * own read marker, read now, since a big channel does not push every post to every subscriber's inbox.
   */
  private async withHeads(chats: ChatSummary[]): Promise<ChatSummary[]> {
    return Promise.all(
      chats.map(async (chat) => {
        if (chat.type !== "channel" || chat.role !== "member") return chat;
        const head = await roomStub(this.env, chat.id)
          .head(chat.id)
          .catch(() => null);
        // The room unreachable: the last summary it pushed stands.
        if (!head) return chat;
        return {
          ...chat,
          title: head.title,
          memberCount: head.memberCount,
          lastSeq: head.lastSeq,
          lastMessage: head.lastMessage,
          lastActivityAt: iso(head.lastActivityAt),
          pts: head.pts,
          unreadCount: Math.max(0, head.lastSeq - chat.readSeq),
        };
      }),
    );
  }

  /** Online while any device has its inbox socket open; last seen when the last one closed. */
  async presence(): Promise<Presence> {
    const online = this.hub.sockets().some((ws) => ws.readyState === WebSocket.OPEN);
    const last = this.dialogs.meta("last_seen_at");
    return { online, lastSeenAt: last === null ? null : iso(Number(last)) };
  }

  /** A session was signed out: its inbox sockets close at once. */
  async closeSession(sessionId: string): Promise<void> {
    for (const ws of this.hub.sockets(sessionTag(sessionId))) {
      this.hub.close(ws, CLOSE.sessionEnded, "signed out");
      this.socketGone(ws);
    }
  }

  override async webSocketMessage(ws: WebSocket): Promise<void> {
    // The inbox takes no frames from clients.
    this.hub.send(ws, { type: "error", code: "unsupported_frame", detail: "The inbox socket only sends; it accepts no frames." });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.hub.reciprocate(ws, code, reason);
    this.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("inbox socket error", errorFields(error));
    this.hub.close(ws, CLOSE.internal, "socket error");
    this.socketGone(ws);
  }

  private socketGone(ws: WebSocket): void {
    if (!SocketAttachment.safeParse(ws.deserializeAttachment()).success) return;
    this.dialogs.setMeta("last_seen_at", String(Date.now()));
  }

  private send(change: ListChange | null): void {
    if (change) for (const ws of this.hub.sockets()) this.hub.send(ws, change);
  }
}
