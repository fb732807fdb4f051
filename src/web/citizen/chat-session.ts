// One open chat: its messages (by seq, so nothing is shown twice), older pages on demand, the room socket
// resumed from the chat's last applied change number (`pts`) after every reconnect, so edits, deletions,
// reactions, pins, read markers, membership and title changes made while away are applied too; an outbox
// of sends keyed by clientId that is retried until the server has them (it deduplicates a retried
// clientId) and kept in IndexedDB (outbox.ts) so it outlives the tab, read markers and typing.
import { ChangeFrame, type ChatMessage, type ChatSummary, type ClientFrame, type Role, RoomFrame } from "../../chat/protocol";
import { ApiError, isTransient, mediaInfo, randomId, request } from "../lib/api";
import { LiveSocket, type SocketStatus } from "../lib/ws";
import { loadOutbox, type Outgoing, saveOutbox } from "./outbox";

export type { ChatMessage, Outgoing };

export interface Member {
  userId: string;
  role: Role;
  readSeq: number;
  user: { id: string; displayName: string | null; username: string | null };
}

/** The chat itself as the room last reported it: its title, member count and my role. */
export type ChatInfo = Pick<ChatSummary, "title" | "memberCount" | "role" | "avatar">;

export interface ChatSnapshot {
  messages: ChatMessage[];
  outbox: Outgoing[];
  members: Map<string, Member>;
  typing: string[];
  status: SocketStatus;
  hasOlder: boolean;
  loading: boolean;
  /** Null until the chat has loaded. */
  chat: ChatInfo | null;
  /** I am no longer a member: removed by someone, or left (from another device). */
  gone: "removed" | "left" | null;
}

const PAGE = 50;
/** How many changes one `GET /changes` asks for (the server's maximum). */
const CHANGES_LIMIT = 1000;
const TYPING_SHOWN_MS = 4_000;
/** A photo's box is sized from its info before the message is shown; after this long it is shown anyway. */
const INFO_WAIT_MS = 1_500;
/** After a failed catch-up over HTTP, the socket is reopened (and so catches up) after this long. */
const RESYNC_RETRY_MS = 2_000;

interface Changes {
  changes: unknown[];
  pts: number;
  tooLong: boolean;
}

export class ChatSession {
  readonly chatId: string;
  readonly me: string;
  private bySeq = new Map<number, ChatMessage>();
  private sorted: ChatMessage[] = [];
  private oldest = Number.POSITIVE_INFINITY;
  /**
   * The chat's change number up to which every change is applied (what the history loaded reflects, or
   * the last change frame applied). The socket resumes after it; a change at or below it is a duplicate.
   */
  private pts = 0;
  private chat: ChatInfo | null = null;
  private gone: "removed" | "left" | null = null;
  private outbox: Outgoing[] = [];
  /** The stored outbox has been read and merged in: until then nothing is written over it. */
  private outboxLoaded = false;
  private inFlight = new Set<string>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private members = new Map<string, Member>();
  private typing = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private emitTimer: ReturnType<typeof setTimeout> | undefined;
  private lastTypingSent = 0;
  private hasOlder = true;
  private loading = true;
  private socket: LiveSocket<RoomFrame>;
  private listeners = new Set<() => void>();
  private snapshot: ChatSnapshot;
  /** Frames are applied one at a time, in order, each after its media info is known. */
  private queue: Promise<void> = Promise.resolve();
  /**
   * A catch-up over HTTP failed and the socket is to be reopened (it then replays from `pts`): until it is,
   * frames after a gap are dropped rather than each trying again.
   */
  private stalled = false;
  private closed = false;

  constructor(chatId: string, me: string) {
    this.chatId = chatId;
    this.me = me;
    void this.restoreOutbox();
    this.socket = new LiveSocket({
      url: () => `/api/v1/chats/${encodeURIComponent(chatId)}/ws?pts=${this.pts}&batch=1`,
      schema: RoomFrame,
      onFrame: (f) => this.enqueue(() => this.onFrame(f)),
      onOpen: () => {
        this.stalled = false;
        this.flushOutbox();
      },
      onStatus: () => this.emit(),
      onGone: () => this.leave("removed"),
    });
    this.snapshot = this.makeSnapshot();
  }

  /** Loads the chat (for its pts) and the newest history, then opens the socket from that pts. */
  async open(): Promise<void> {
    await this.loadLatest();
    if (this.closed || this.gone) return;
    this.loading = false;
    this.emit();
    this.socket.start();
    this.flushOutbox();
  }

  close(): void {
    this.closed = true;
    this.socket.stop();
    clearTimeout(this.retryTimer);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.typingTimer);
    clearTimeout(this.emitTimer);
    this.listeners.clear();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getSnapshot(): ChatSnapshot {
    return this.snapshot;
  }

  /** The newest message's seq (what "read up to" means when the whole chat is in view). */
  get lastSeq(): number {
    return this.sorted.at(-1)?.seq ?? 0;
  }

  async loadOlder(): Promise<number> {
    if (!this.hasOlder || this.loading) return 0;
    this.loading = true;
    this.emit();
    try {
      const before = Number.isFinite(this.oldest) ? `&before=${this.oldest}` : "";
      const page = await request<{ messages: ChatMessage[] }>(`/chats/${this.chatId}/messages?limit=${PAGE}${before}`);
      await prefetchInfo(page.messages);
      this.insert(page.messages);
      this.hasOlder = page.messages.length === PAGE && (page.messages[0]?.seq ?? 1) > 1;
      return page.messages.length;
    } finally {
      this.loading = false;
      this.emit();
    }
  }

  /** Loads older pages until `seq` is loaded (to jump to a search result). */
  async loadUntil(seq: number): Promise<void> {
    for (let i = 0; i < 40 && this.hasOlder && this.oldest > seq; i++) {
      if ((await this.loadOlder()) === 0) break;
    }
  }

  /** Queues a message; it is shown at once and sent until the server has it. */
  send(input: { text?: string; attachments?: string[]; replyTo?: number }): void {
    const item: Outgoing = { clientId: randomId(), createdAt: new Date().toISOString(), ...input };
    this.outbox.push(item);
    this.saveOutbox();
    this.emit();
    this.flushOutbox();
  }

  /** Forgets a refused message (the user dismissed it). */
  discard(clientId: string): void {
    this.outbox = this.outbox.filter((o) => o.clientId !== clientId);
    this.saveOutbox();
    this.emit();
  }

  async forward(toChatId: string, seq: number): Promise<void> {
    await request(`/chats/${toChatId}/messages`, { body: { clientId: randomId(), forwardOf: { chatId: this.chatId, seq } } });
  }

  async edit(seq: number, text: string): Promise<void> {
    const { message } = await request<{ message: ChatMessage }>(`/chats/${this.chatId}/messages/${seq}`, {
      method: "PATCH",
      body: { text },
    });
    this.replace(message);
    this.emit();
  }

  async remove(seq: number): Promise<void> {
    await request(`/chats/${this.chatId}/messages/${seq}`, { method: "DELETE" });
    this.markDeleted(seq);
    this.emit();
  }

  async react(seq: number, emoji: string): Promise<void> {
    const m = this.bySeq.get(seq);
    const mine = m?.reactions.find((r) => r.emoji === emoji)?.userIds.includes(this.me) ?? false;
    await request(`/chats/${this.chatId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`, { method: mine ? "DELETE" : "PUT" });
    this.applyReaction(seq, emoji, this.me, !mine);
    this.emit();
  }

  async search(q: string): Promise<ChatMessage[]> {
    return (await request<{ messages: ChatMessage[] }>(`/chats/${this.chatId}/search?q=${encodeURIComponent(q)}`)).messages;
  }

  /** Tells the room (and so the other members) how far I have read. */
  markRead(seq: number): void {
    const mine = this.members.get(this.me);
    if (mine && mine.readSeq >= seq) return;
    if (mine) this.members.set(this.me, { ...mine, readSeq: seq });
    if (!this.socket.send({ type: "read", seq } satisfies ClientFrame)) {
      void request(`/chats/${this.chatId}/read`, { body: { seq } }).catch(() => undefined);
    }
  }

  /** I am typing: relayed at most every 2 s (the room throttles too). */
  typed(): void {
    const now = Date.now();
    if (now - this.lastTypingSent < 2_000) return;
    this.lastTypingSent = now;
    this.socket.send({ type: "typing" } satisfies ClientFrame);
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue.then(task).catch((err) => console.warn("chat frame failed", err));
  }

  private async onFrame(f: RoomFrame): Promise<void> {
    switch (f.type) {
      case "message":
      case "edited":
      case "deleted":
      case "reaction":
      case "reactions":
      case "pinned":
      case "read":
      case "member":
      case "chat_updated":
        await this.change(f);
        break;
      case "views":
        // A channel's latest posts' views: live only, the newest frame says it all.
        for (const v of f.views) this.patch(v.seq, { views: v.count });
        this.emit();
        break;
      case "typing":
        if (f.userId === this.me) return;
        this.typing.set(f.userId, Date.now() + TYPING_SHOWN_MS);
        clearTimeout(this.typingTimer);
        this.typingTimer = setTimeout(() => this.emit(), TYPING_SHOWN_MS + 50);
        break;
      case "too_long":
        // More was missed than the room keeps: reload what is shown over HTTP and continue from there.
        await this.resync();
        break;
      case "ack":
      case "error":
        // Sends go over HTTP, which answers each one: nothing to do with these here.
        return;
      case "call_invite":
      case "call_answer":
      case "call_ice":
      case "call_media":
      case "call_state":
        // Calls are signalled on a socket of their own (calls/manager.ts); the call's message comes as a message.
        return;
      default:
        // Every frame type is handled above: a new one in protocol.ts fails to compile here.
        f satisfies never;
    }
    this.emitSoon();
  }

  /** A change frame from the socket: applied once, in pts order; a gap is filled over HTTP first. */
  private async change(f: ChangeFrame): Promise<void> {
    if (f.pts <= this.pts) return;
    if (f.pts > this.pts + 1 && (this.stalled || !(await this.fillGap()))) return;
    if (f.pts <= this.pts) return;
    await this.apply(f);
  }

  /**
   * Fetches the changes after `pts` (GET /changes) and applies them. Answers false when that failed: then
   * the socket is reopened soon, to replay from `pts`.
   */
  private async fillGap(): Promise<boolean> {
    try {
      for (let round = 0; round < 50; round++) {
        const r = await request<Changes>(`/chats/${this.chatId}/changes?pts=${this.pts}&limit=${CHANGES_LIMIT}`);
        if (r.tooLong) {
          await this.resync();
          return true;
        }
        const before = this.pts;
        for (const raw of r.changes) {
          const parsed = ChangeFrame.safeParse(raw);
          if (parsed.success) {
            if (parsed.data.pts > this.pts) await this.apply(parsed.data);
            continue;
          }
          // A change this client does not understand: skipped, so the chat does not wedge behind it.
          const pts = (raw as { pts?: unknown } | null)?.pts;
          console.warn("skipped a change that matches no known frame", raw);
          if (typeof pts === "number" && pts > this.pts) this.pts = pts;
        }
        if (this.pts >= r.pts || this.pts === before) return true;
      }
      return true;
    } catch (err) {
      console.warn("catching up over HTTP failed", err);
      this.reopenLater();
      return false;
    }
  }

  /** Applies one change (its pts is above the applied one) and moves `pts` to it. */
  private async apply(f: ChangeFrame): Promise<void> {
    switch (f.type) {
      case "message":
        await prefetchInfo([f.message]);
        this.insert([f.message]);
        this.typing.delete(f.message.senderId);
        break;
      case "edited":
        this.replace(f.message);
        break;
      case "deleted":
        this.markDeleted(f.seq);
        break;
      case "reaction":
        this.applyReaction(f.seq, f.emoji, f.userId, f.on);
        break;
      case "reactions":
        this.applyCounts(f.seq, f.reactions);
        break;
      case "pinned":
        this.patch(f.seq, { pinned: f.on });
        break;
      case "read": {
        const m = this.members.get(f.userId);
        if (m && f.seq > m.readSeq) this.members.set(f.userId, { ...m, readSeq: f.seq });
        break;
      }
      case "member":
        this.applyMember(f);
        break;
      case "chat_updated":
        if (this.chat) this.chat = { ...this.chat, title: f.title, avatar: f.avatar === undefined ? this.chat.avatar : f.avatar };
        break;
      default:
        // Every frame type is handled above: a new one in protocol.ts fails to compile here.
        f satisfies never;
    }
    this.pts = f.pts;
  }

  private applyMember(f: Extract<ChangeFrame, { type: "member" }>): void {
    if (this.chat) {
      const role = f.userId === this.me && f.role ? f.role : this.chat.role;
      this.chat = { ...this.chat, memberCount: f.memberCount, role };
    }
    if (f.action === "left" || f.action === "removed") {
      this.members.delete(f.userId);
      if (f.userId === this.me) this.leave(f.action);
      return;
    }
    if (!f.role) return;
    const known = this.members.get(f.userId);
    if (known) {
      this.members.set(f.userId, { ...known, role: f.role });
      return;
    }
    this.members.set(f.userId, { userId: f.userId, role: f.role, readSeq: 0, user: { id: f.userId, displayName: null, username: null } });
    // A new member: their name follows from their profile.
    void request<{ user: Member["user"] }>(`/users/${encodeURIComponent(f.userId)}`).then(
      ({ user }) => {
        const m = this.members.get(f.userId);
        if (!m) return;
        this.members.set(f.userId, { ...m, user: { id: user.id, displayName: user.displayName, username: user.username } });
        this.emit();
      },
      () => undefined,
    );
  }

  /** I am no longer a member: say so and stop listening. */
  private leave(how: "removed" | "left"): void {
    if (this.gone) return;
    this.gone = how;
    this.socket.stop();
    clearTimeout(this.resyncTimer);
    this.emit();
  }

  /**
   * The chat's pts first, then the newest page and the members: what they show is at least as new as that
   * pts, and replaying a change onto a state that already has it changes nothing.
   */
  private async loadLatest(): Promise<void> {
    const { chat } = await request<{ chat: ChatSummary }>(`/chats/${this.chatId}`);
    const [page, members] = await Promise.all([
      request<{ messages: ChatMessage[] }>(`/chats/${this.chatId}/messages?limit=${PAGE}`),
      request<{ members: Member[] }>(`/chats/${this.chatId}/members`).catch(() => ({ members: [] as Member[] })),
    ]);
    if (this.closed) return;
    await prefetchInfo(page.messages);
    this.members = new Map(members.members.map((m) => [m.userId, m]));
    this.bySeq.clear();
    this.sorted = [];
    this.oldest = Number.POSITIVE_INFINITY;
    this.insert(page.messages);
    this.hasOlder = page.messages.length === PAGE;
    this.chat = { title: chat.title, memberCount: chat.memberCount, role: chat.role, avatar: chat.avatar };
    this.pts = chat.pts;
  }

  /** Too far behind for the change log: the newest history again over HTTP, then on from its pts. */
  private async resync(): Promise<void> {
    try {
      await this.loadLatest();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return this.leave("removed");
      console.warn("reloading the chat failed", err);
      this.reopenLater();
    }
  }

  /** Reconnects soon, from the applied pts; frames after a gap are dropped until then. */
  private reopenLater(): void {
    this.stalled = true;
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      if (!this.closed && !this.gone) this.socket.reconnect();
    }, RESYNC_RETRY_MS);
  }

  private insert(messages: ChatMessage[]): void {
    for (const m of messages) {
      this.bySeq.set(m.seq, m);
      if (m.seq < this.oldest) this.oldest = m.seq;
      if (m.senderId === this.me) this.acknowledge(m.clientId);
    }
    this.sorted = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  private replace(m: ChatMessage): void {
    if (!this.bySeq.has(m.seq)) return;
    this.bySeq.set(m.seq, m);
    this.sorted = this.sorted.map((x) => (x.seq === m.seq ? m : x));
  }

  private patch(seq: number, change: Partial<ChatMessage>): void {
    const m = this.bySeq.get(seq);
    if (m) this.replace({ ...m, ...change });
  }

  private markDeleted(seq: number): void {
    this.patch(seq, { deletedAt: new Date().toISOString(), text: null, attachments: [], reactions: [], actions: [] });
  }

  private applyReaction(seq: number, emoji: string, userId: string, on: boolean): void {
    const m = this.bySeq.get(seq);
    if (!m) return;
    const current = m.reactions.find((r) => r.emoji === emoji);
    const users = new Set(current?.userIds ?? []);
    // My own tap is applied when the server answers and again when its frame comes: once is enough.
    if (users.has(userId) === on) return;
    if (on) users.add(userId);
    else users.delete(userId);
    // By one, not by the list: a channel's lists name only me, its counts are everyone's.
    const count = Math.max(0, (current?.count ?? 0) + (on ? 1 : -1));
    const updated = { emoji, count, userIds: [...users] };
    let reactions = m.reactions;
    if (!current) reactions = count > 0 ? [...m.reactions, updated] : m.reactions;
    else if (count === 0) reactions = m.reactions.filter((r) => r.emoji !== emoji);
    else reactions = m.reactions.map((r) => (r.emoji === emoji ? updated : r));
    this.replace({ ...m, reactions });
  }

  /** A channel's reaction counts for a message; which ones are mine stays as I last knew it. */
  private applyCounts(seq: number, counts: Array<{ emoji: string; count: number }>): void {
    const m = this.bySeq.get(seq);
    if (!m) return;
    const mine = new Set(m.reactions.filter((r) => r.userIds.includes(this.me)).map((r) => r.emoji));
    const reactions = counts.map((r) => ({ ...r, userIds: mine.has(r.emoji) ? [this.me] : [] }));
    this.replace({ ...m, reactions });
  }

  private acknowledge(clientId: string): void {
    if (!this.outbox.some((o) => o.clientId === clientId)) return;
    this.outbox = this.outbox.filter((o) => o.clientId !== clientId);
    this.saveOutbox();
  }

  /**
   * Sends every queued message over HTTP (the same operation as a socket `send`, with a per-request answer).
   * A network failure or a 5xx keeps it queued and retries with the same clientId; the server answers a
   * retry with the message it already stored, so nothing is posted twice.
   */
  private flushOutbox(): void {
    if (this.closed) return;
    for (const item of this.outbox) {
      if (item.error || this.inFlight.has(item.clientId)) continue;
      this.inFlight.add(item.clientId);
      const body = { clientId: item.clientId, text: item.text, attachments: item.attachments, replyTo: item.replyTo };
      request<{ message: ChatMessage }>(`/chats/${this.chatId}/messages`, { body })
        .then(async ({ message }) => {
          await prefetchInfo([message]);
          this.enqueue(() => {
            this.insert([message]);
            this.emit();
          });
        })
        .catch((err: unknown) => {
          if (isTransient(err) || (err instanceof ApiError && err.status === 401)) {
            clearTimeout(this.retryTimer);
            this.retryTimer = setTimeout(() => this.flushOutbox(), 2_000);
            return;
          }
          item.error = err instanceof ApiError ? err.code : "error";
          this.saveOutbox();
          this.emit();
        })
        .finally(() => this.inFlight.delete(item.clientId));
    }
  }

  /**
   * Reads what an earlier tab left unsent (IndexedDB is asynchronous, so this may finish after sends made
   * meanwhile, which are kept after the stored ones), shows it and sends it.
   */
  private async restoreOutbox(): Promise<void> {
    const stored = await loadOutbox(this.chatId);
    if (this.closed) return;
    const inMemory = new Set(this.outbox.map((o) => o.clientId));
    // One the server already has (it arrived with the history) leaves the outbox.
    const delivered = new Set(this.sorted.filter((m) => m.senderId === this.me).map((m) => m.clientId));
    const restored = stored.filter((o) => !inMemory.has(o.clientId) && !delivered.has(o.clientId));
    this.outbox = [...restored, ...this.outbox];
    this.outboxLoaded = true;
    if (restored.length !== stored.length || inMemory.size > 0) this.saveOutbox();
    this.emit();
    if (!this.loading) this.flushOutbox();
  }

  private saveOutbox(): void {
    if (!this.outboxLoaded) return;
    void saveOutbox(this.chatId, this.outbox);
  }

  private makeSnapshot(): ChatSnapshot {
    const now = Date.now();
    return {
      messages: this.sorted,
      outbox: [...this.outbox],
      members: new Map(this.members),
      typing: [...this.typing].filter(([, until]) => until > now).map(([id]) => id),
      status: this.socket.status,
      hasOlder: this.hasOlder,
      loading: this.loading,
      chat: this.chat,
      gone: this.gone,
    };
  }

  /** One update for a run of frames (a catch-up may bring hundreds at once), not one per frame. */
  private emitSoon(): void {
    if (this.emitTimer !== undefined) return;
    this.emitTimer = setTimeout(() => this.emit(), 0);
  }

  private emit(): void {
    clearTimeout(this.emitTimer);
    this.emitTimer = undefined;
    if (this.closed) return;
    this.snapshot = this.makeSnapshot();
    for (const l of this.listeners) l();
  }
}

/** Waits (briefly) for the media info of the messages' attachments, so their boxes have their final size. */
async function prefetchInfo(messages: ChatMessage[]): Promise<void> {
  const ids = messages.flatMap((m) => m.attachments);
  if (ids.length === 0) return;
  const all = Promise.allSettled(ids.map((id) => mediaInfo(id)));
  await Promise.race([all, new Promise((r) => setTimeout(r, INFO_WAIT_MS))]);
}
