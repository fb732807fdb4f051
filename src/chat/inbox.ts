import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { countD1 } from "../lib/d1-count";
import { iso } from "../lib/hono";
import { errorFields, log } from "../lib/log";
import { type PushOptions, type PushPayload, queuePushes } from "../push/send";
import { roomStub } from "./access";
import { SocketHub, sessionTag } from "./hub";
import { type MessageAlert, messagePayload } from "./inbox/alerts";
import { type CallClaim, callPayload, HeldCall, RING_REPLAY_MS, ringingFrame } from "./inbox/calls";
import { Dialogs, type DialogUpdate, type ListChange, type PushAnswer, type Updates } from "./inbox/dialogs";
import { type PushSubscriptionRecord, Subscriptions } from "./inbox/subscriptions";
import { type CallStateFrame, type ChatSummary, CLOSE, InboxClientFrame, type InboxFrame, MAX_FRAME_BYTES, parseFrames } from "./protocol";
import { legacySummaries } from "./store";

/**
 * A device's socket: who, which session, and whether the app is on screen (a client that never says so
 * counts as visible, so it is never pushed while connected).
 */
const SocketAttachment = z.object({ userId: z.string().min(1), sessionId: z.string().optional(), visible: z.boolean().optional() });
type SocketAttachment = z.infer<typeof SocketAttachment>;
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
  private readonly subscriptions: Subscriptions;
  private readonly hub: SocketHub<InboxFrame>;
  private hydrating: Promise<void> | null = null;
  /** Devices between their upgrade and their socket's acceptance count as online (a push then is not missed). */
  private connecting = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countD1(env));
    this.dialogs = new Dialogs(ctx.storage.sql);
    this.subscriptions = new Subscriptions(ctx.storage.sql);
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
    this.hub.accept(pair[1], [userId, sessionTag(sessionId)], { userId, sessionId, visible: true } satisfies SocketAttachment);
    this.dialogs.setMeta("last_seen_at", String(Date.now()));
    // The catch-up runs without yielding, so nothing live slips in before or between it.
    if (resume.data.pts !== undefined) {
      const changes = this.dialogs.changesSince(resume.data.pts);
      if (changes === null) this.hub.send(pair[1], { type: "too_long", pts: this.dialogs.current() });
      else for (const c of changes) this.hub.send(pair[1], c);
    }
    // A call ringing for the user rings on this device too.
    const ringing = ringingFrame(this.heldCall(), Date.now());
    if (ringing) this.hub.send(pair[1], ringing);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /**
   * The account was deleted: the chat list, notifications and presence go, and nothing more is taken (a
   * direct chat stays with the other person, whose room would otherwise keep pushing here).
   */
  async erase(): Promise<void> {
    for (const ws of this.hub.sockets()) this.hub.close(ws, CLOSE.sessionEnded, "account deleted");
    this.dialogs.erase();
    this.subscriptions.clear();
  }

  /**
   * A room's summary of one of the user's chats. With no device online the row is kept but marked stale,
   * and the room is told to stop pushing: the user's next read (a socket, `GET /chats`, `GET /updates`)
   * asks the room for the chat's state instead, so a chat an away user is in costs nothing per message.
   */
  async applyChat(userId: string, update: DialogUpdate): Promise<PushAnswer> {
    await this.ready(userId);
    if (this.dialogs.isErased()) return { online: true };
    const notify = this.subscriptions.any() && this.dialogs.notifies(update, userId);
    this.send(this.dialogs.apply(update));
    if (notify && update.lastMessage) {
      this.dialogs.markNotified(update.chatId, update.lastSeq);
      await this.alert(userId, {
        chatId: update.chatId,
        seq: update.lastSeq,
        chatType: update.type,
        chatTitle: update.title,
        senderName: update.lastSenderName ?? null,
        text: update.lastMessage.text,
        mention: update.lastMessage.mentions.includes(userId),
      });
    }
    if (this.online()) return { online: true };
    // No device here, but some to notify: pushes keep coming, unless the chat is muted (its mentions are
    // told to the inbox apart, `mentioned`).
    if (this.subscriptions.any() && !this.dialogs.isMuted(update.chatId)) return { online: true };
    this.dialogs.markStale(update.chatId);
    return { online: false, epoch: this.dialogs.epoch() };
  }

  /**
   * The user was mentioned in a chat: the chat list marks it until they read past it, and their away devices
   * are notified, even when the chat is muted.
   */
  async mentioned(userId: string, m: { chatId: string; seq: number; senderName: string | null; text: string | null }): Promise<void> {
    await this.ready(userId);
    if (this.dialogs.isErased()) return;
    // The chat list's mark first: it stands whether or not a device is told.
    this.send(this.dialogs.mention(m.chatId, m.seq));
    if (!this.subscriptions.any() || !this.dialogs.mentionNotifies(m.chatId, m.seq)) return;
    const chat = this.dialogs.summary(m.chatId);
    if (!chat) return;
    this.dialogs.markNotified(m.chatId, m.seq);
    await this.alert(userId, { ...m, chatType: chat.type, chatTitle: chat.title, mention: true });
  }

  private alert(userId: string, alert: MessageAlert): Promise<void> {
    return this.pushAway(userId, messagePayload(alert, this.dialogs.meta("push_previews") === "1", this.dialogs.unreadTotal()));
  }

  /**
   * Queues the payload for every subscription of a device that is away (no socket open, or the app hidden).
   * A queue failure is logged: what the push tells of is stored and listed anyway.
   */
  private async pushAway(userId: string, payload: PushPayload, options?: PushOptions): Promise<void> {
    const targets = this.subscriptions.away(this.sessionsHere());
    if (targets.length === 0) return;
    await queuePushes(
      this.env,
      userId,
      targets.map((s) => s.id),
      payload,
      options,
    ).catch((err: unknown) => log.error("queueing push notifications failed", { count: targets.length, ...errorFields(err) }));
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
          if (update !== null) {
            this.send(this.dialogs.apply(update));
            // What came while the row was stale is shown now, not pushed later as news.
            this.dialogs.markNotified(chatId, update.lastSeq);
          }
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
    if (change.type === "notification" && this.subscriptions.any()) await this.pushAway(userId, change);
  }

  // ---- calls (src/chat/calls/call.ts, src/chat/inbox/calls.ts) ----

  /**
   * A direct chat's room starts a call this user is in: busy when they are in another call (one the room of
   * that chat still has), otherwise held as theirs; with `ring`, every device rings (the inbox socket, and
   * Web Push to the devices that are away).
   */
  async claimCall(userId: string, claim: CallClaim): Promise<{ busy: boolean }> {
    const held = this.heldCall();
    if (held && held.callId !== claim.callId && held.chatId !== claim.chatId) {
      // A claim whose end never reached us (a failed call to this inbox) is asked of its room, not trusted.
      const current = await roomStub(this.env, held.chatId)
        .currentCall(held.chatId)
        .catch(() => held.callId);
      if (current === held.callId) return { busy: true };
    }
    const ring = claim.ring ? { ...claim.ring, until: Date.now() + RING_REPLAY_MS } : undefined;
    this.dialogs.setMeta(
      "call",
      JSON.stringify({ chatId: claim.chatId, callId: claim.callId, ...(ring ? { ring } : {}) } satisfies HeldCall),
    );
    if (claim.ring) {
      const frame: InboxFrame = { type: "call_incoming", chatId: claim.chatId, callId: claim.callId, ...claim.ring };
      for (const ws of this.hub.sockets()) this.hub.send(ws, frame);
      if (this.subscriptions.any()) await this.pushAway(userId, callPayload(frame), { ttlSec: 45, urgency: "high" });
    }
    return { busy: false };
  }

  /** A call moved (answered, ended): every device hears it, so those still ringing stop; an ended call frees the user. */
  async callState(frame: CallStateFrame): Promise<void> {
    for (const ws of this.hub.sockets()) this.hub.send(ws, frame);
    const held = this.heldCall();
    if (held?.callId !== frame.callId) return;
    // Answered: it rings no more, but the user stays in it (busy) until it ends.
    if (frame.state === "ended") this.dialogs.setMeta("call", "null");
    else if (frame.state === "active")
      this.dialogs.setMeta("call", JSON.stringify({ chatId: held.chatId, callId: held.callId } satisfies HeldCall));
  }

  private heldCall(): HeldCall | null {
    const raw = this.dialogs.meta("call");
    const held = raw ? HeldCall.safeParse(JSON.parse(raw)) : null;
    return held?.success ? held.data : null;
  }

  // ---- Web Push subscriptions and settings (src/push/routes.ts) ----

  /**
   * Stores a device's subscription (or renews it). Chats that stopped pushing while no device was online
   * start again, so messages reach the new subscription. Null: the user has as many as allowed.
   */
  async subscribe(
    userId: string,
    sub: Omit<PushSubscriptionRecord, "id">,
    newId: string,
  ): Promise<{ id: string; created: boolean } | "too_many" | "session_ended"> {
    await this.ready(userId);
    const stored = this.subscriptions.put(sub, newId);
    if (typeof stored === "object") await this.refresh(userId);
    return stored;
  }

  /** Deletes one of the user's subscriptions; false when there is no such one. */
  async unsubscribe(id: string): Promise<boolean> {
    return this.subscriptions.remove(id);
  }

  /** One subscription, for the push queue's consumer (null: deleted since the push was queued). */
  async subscription(id: string): Promise<PushSubscriptionRecord | null> {
    return this.subscriptions.get(id);
  }

  async subscriptionList(): Promise<{ id: string; sessionId: string; service: string | null; createdAt: number }[]> {
    return this.subscriptions.list();
  }

  async pushSettings(): Promise<{ previews: boolean }> {
    return { previews: this.dialogs.meta("push_previews") === "1" };
  }

  async setPushSettings(settings: { previews: boolean }): Promise<{ previews: boolean }> {
    this.dialogs.setMeta("push_previews", settings.previews ? "1" : "0");
    return this.pushSettings();
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
    this.subscriptions.removeSession(sessionId);
    for (const ws of this.hub.sockets(sessionTag(sessionId))) {
      this.hub.close(ws, CLOSE.sessionEnded, "signed out");
      this.socketGone(ws);
    }
  }

  /** Mutes the chat until `until` (ms), or unmutes it with null; false when the chat is not in the list. */
  async mute(userId: string, chatId: string, until: number | null): Promise<boolean> {
    await this.ready(userId);
    const result = this.dialogs.setMute(chatId, until);
    if (!result) return false;
    this.send(result.change);
    // The chat's room stopped pushing while it was muted: unmuted, it pushes (and notifies) again.
    if (until === null) await this.refresh(userId, chatId);
    else await this.wakeWhenMutesEnd(userId);
    return true;
  }

  /** An alarm for the next mute to end, when the chat's room must start pushing again. */
  private async wakeWhenMutesEnd(userId: string): Promise<void> {
    const next = this.dialogs.nextMuteEnd();
    if (next === null) return;
    this.dialogs.setMeta("user_id", userId);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next || current <= Date.now()) await this.ctx.storage.setAlarm(next);
  }

  /** Mutes ended: their chats are brought up to date, and their rooms push again. */
  override async alarm(): Promise<void> {
    const userId = this.dialogs.meta("user_id");
    if (userId === null) return;
    await this.refresh(userId);
    await this.wakeWhenMutesEnd(userId);
  }

  /**
   * Sessions with a device here: a socket open and the app on screen. The others are away, and are the
   * ones Web Push notifies.
   */
  sessionsHere(): Set<string> {
    const here = new Set<string>();
    for (const ws of this.hub.sockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const a = SocketAttachment.safeParse(ws.deserializeAttachment());
      if (a.success && a.data.sessionId !== undefined && a.data.visible !== false) here.add(a.data.sessionId);
    }
    return here;
  }

  /** The only frame a device sends its inbox: whether the app is on screen. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The same codes as a room's socket (docs/protocol.md).
    if (typeof message !== "string") {
      this.hub.send(ws, { type: "error", code: "unsupported_frame", detail: "Frames are JSON text." });
      return;
    }
    if (message.length > MAX_FRAME_BYTES) {
      this.hub.send(ws, { type: "error", code: "frame_too_large", detail: `Frames are at most ${MAX_FRAME_BYTES} bytes.` });
      return;
    }
    const parsed = parseFrames(InboxClientFrame, message);
    if (parsed.rejected > 0 || parsed.frames.length === 0) {
      this.hub.send(ws, {
        type: "error",
        code: "invalid_frame",
        detail: 'The inbox takes only {"type":"visibility","visible":true|false}.',
      });
      return;
    }
    const attachment = SocketAttachment.safeParse(ws.deserializeAttachment());
    if (!attachment.success) return;
    for (const frame of parsed.frames) attachment.data.visible = frame.visible;
    ws.serializeAttachment(attachment.data);
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
