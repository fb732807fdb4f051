// One open chat: its messages (by seq, so nothing is shown twice), older pages on demand, the room socket
// resumed from the last contiguous seq after every reconnect, an outbox of sends keyed by clientId that is
// retried until the server has them (it deduplicates a retried clientId), read markers and typing.
import type { ChatMessage } from "../../chat/protocol";
import { ApiError, isTransient, mediaInfo, randomId, request } from "../lib/api";
import { type Frame, LiveSocket, type SocketStatus } from "../lib/ws";

export type { ChatMessage };

export interface Member {
  userId: string;
  role: "owner" | "admin" | "member";
  readSeq: number;
  user: { id: string; displayName: string | null; username: string | null };
}

export interface Outgoing {
  clientId: string;
  text?: string;
  attachments?: string[];
  replyTo?: number;
  createdAt: string;
  /** Set when the server refused it for good (it stays visible so nothing is silently lost). */
  error?: string;
}

export interface ChatSnapshot {
  messages: ChatMessage[];
  outbox: Outgoing[];
  members: Map<string, Member>;
  typing: string[];
  status: SocketStatus;
  hasOlder: boolean;
  loading: boolean;
}

const PAGE = 50;
const TYPING_SHOWN_MS = 4_000;
/** A photo's box is sized from its info before the message is shown; after this long it is shown anyway. */
const INFO_WAIT_MS = 1_500;

const outboxKey = (chatId: string) => `veche.outbox.${chatId}`;

const isMessage = (v: unknown): v is ChatMessage => {
  const m = v as ChatMessage | null;
  return typeof m === "object" && m !== null && typeof m.seq === "number" && typeof m.id === "string" && Array.isArray(m.attachments);
};

export class ChatSession {
  readonly chatId: string;
  readonly me: string;
  private bySeq = new Map<number, ChatMessage>();
  private sorted: ChatMessage[] = [];
  /** Every seq up to this one that exists is here; the socket resumes after it. */
  private contiguous = 0;
  private oldest = Number.POSITIVE_INFINITY;
  private outbox: Outgoing[];
  private inFlight = new Set<string>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private members = new Map<string, Member>();
  private typing = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private lastTypingSent = 0;
  private hasOlder = true;
  private loading = true;
  private socket: LiveSocket;
  private listeners = new Set<() => void>();
  private snapshot: ChatSnapshot;
  /** Frames are applied one at a time, in order, each after its media info is known. */
  private queue: Promise<void> = Promise.resolve();
  private opened = false;
  private closed = false;
  /** The user was removed from the chat (the room closed the socket with 4003). */
  onRemoved?: () => void;

  constructor(chatId: string, me: string) {
    this.chatId = chatId;
    this.me = me;
    this.outbox = loadOutbox(chatId);
    this.socket = new LiveSocket({
      url: () => `/api/v1/chats/${encodeURIComponent(chatId)}/ws?batch=1&after=${this.contiguous}`,
      onFrame: (f) => this.enqueue(() => this.onFrame(f)),
      onOpen: () => this.onSocketOpen(),
      onStatus: () => this.emit(),
      onGone: () => this.onRemoved?.(),
    });
    this.snapshot = this.makeSnapshot();
  }

  async open(): Promise<void> {
    const [page, members] = await Promise.all([
      request<{ messages: ChatMessage[] }>(`/chats/${this.chatId}/messages?limit=${PAGE}`),
      request<{ members: Member[] }>(`/chats/${this.chatId}/members`).catch(() => ({ members: [] as Member[] })),
    ]);
    if (this.closed) return;
    for (const m of members.members) this.members.set(m.userId, m);
    await prefetchInfo(page.messages);
    this.insert(page.messages);
    this.hasOlder = page.messages.length === PAGE;
    // The socket replays everything after the newest loaded message, then goes live.
    const last = page.messages.at(-1);
    this.contiguous = last ? last.seq : 0;
    this.loading = false;
    this.emit();
    this.socket.start();
    this.flushOutbox();
  }

  close(): void {
    this.closed = true;
    this.socket.stop();
    clearTimeout(this.retryTimer);
    clearTimeout(this.typingTimer);
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
  }

  async remove(seq: number): Promise<void> {
    await request(`/chats/${this.chatId}/messages/${seq}`, { method: "DELETE" });
    this.markDeleted(seq);
  }

  async react(seq: number, emoji: string): Promise<void> {
    const m = this.bySeq.get(seq);
    const mine = m?.reactions.find((r) => r.emoji === emoji)?.userIds.includes(this.me) ?? false;
    await request(`/chats/${this.chatId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`, { method: mine ? "DELETE" : "PUT" });
    this.applyReaction(seq, emoji, this.me, !mine);
  }

  async search(q: string): Promise<ChatMessage[]> {
    return (await request<{ messages: ChatMessage[] }>(`/chats/${this.chatId}/search?q=${encodeURIComponent(q)}`)).messages;
  }

  /** Tells the room (and so the other members) how far I have read. */
  markRead(seq: number): void {
    const mine = this.members.get(this.me);
    if (mine && mine.readSeq >= seq) return;
    if (mine) this.members.set(this.me, { ...mine, readSeq: seq });
    if (!this.socket.send({ type: "read", seq })) {
      void request(`/chats/${this.chatId}/read`, { body: { seq } }).catch(() => undefined);
    }
  }

  /** I am typing: relayed at most every 2 s (the room throttles too). */
  typed(): void {
    const now = Date.now();
    if (now - this.lastTypingSent < 2_000) return;
    this.lastTypingSent = now;
    this.socket.send({ type: "typing" });
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue.then(task).catch((err) => console.warn("chat frame failed", err));
  }

  private onSocketOpen(): void {
    if (this.opened) {
      // Edits, deletions and reactions are live-only: re-read the newest page to catch those missed while away.
      this.enqueue(async () => {
        const page = await request<{ messages: ChatMessage[] }>(`/chats/${this.chatId}/messages?limit=${PAGE}`).catch(() => null);
        if (!page) return;
        await prefetchInfo(page.messages);
        // Only refresh what is already shown: new messages come from the socket's replay, in order.
        for (const m of page.messages) if (this.bySeq.has(m.seq)) this.bySeq.set(m.seq, m);
        this.sorted = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
        this.emit();
      });
    }
    this.opened = true;
    this.flushOutbox();
  }

  private async onFrame(f: Frame): Promise<void> {
    switch (f.type) {
      case "message":
        if (!isMessage(f.message)) return;
        await prefetchInfo([f.message]);
        this.insert([f.message]);
        this.typing.delete(f.message.senderId);
        break;
      case "edited":
        if (isMessage(f.message)) this.replace(f.message);
        break;
      case "deleted":
        if (typeof f.seq === "number") this.markDeleted(f.seq);
        break;
      case "reaction":
        if (typeof f.seq === "number" && typeof f.emoji === "string" && typeof f.userId === "string") {
          this.applyReaction(f.seq, f.emoji, f.userId, f.on === true);
        }
        break;
      case "pinned":
        if (typeof f.seq === "number") this.patch(f.seq, { pinned: f.on === true });
        break;
      case "read":
        if (typeof f.userId === "string" && typeof f.seq === "number") {
          const m = this.members.get(f.userId);
          if (m && f.seq > m.readSeq) this.members.set(f.userId, { ...m, readSeq: f.seq });
        }
        break;
      case "typing":
        if (typeof f.userId === "string" && f.userId !== this.me) {
          this.typing.set(f.userId, Date.now() + TYPING_SHOWN_MS);
          clearTimeout(this.typingTimer);
          this.typingTimer = setTimeout(() => this.emit(), TYPING_SHOWN_MS + 50);
        }
        break;
      default:
        // ack, error and frames a newer server may add: nothing to show.
        return;
    }
    this.emit();
  }

  private insert(messages: ChatMessage[]): void {
    for (const m of messages) {
      this.bySeq.set(m.seq, m);
      if (m.seq < this.oldest) this.oldest = m.seq;
      if (m.senderId === this.me) this.acknowledge(m.clientId);
    }
    while (this.bySeq.has(this.contiguous + 1)) this.contiguous += 1;
    this.sorted = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  private replace(m: ChatMessage): void {
    if (!this.bySeq.has(m.seq)) return;
    this.bySeq.set(m.seq, m);
    this.sorted = this.sorted.map((x) => (x.seq === m.seq ? m : x));
    this.emit();
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
    if (on) users.add(userId);
    else users.delete(userId);
    const updated = { emoji, count: users.size, userIds: [...users] };
    let reactions = m.reactions;
    if (!current) reactions = users.size > 0 ? [...m.reactions, updated] : m.reactions;
    else if (users.size === 0) reactions = m.reactions.filter((r) => r.emoji !== emoji);
    else reactions = m.reactions.map((r) => (r.emoji === emoji ? updated : r));
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

  private saveOutbox(): void {
    try {
      if (this.outbox.length === 0) localStorage.removeItem(outboxKey(this.chatId));
      else localStorage.setItem(outboxKey(this.chatId), JSON.stringify(this.outbox));
    } catch {
      // storage full or disabled: the outbox still lives in memory
    }
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
    };
  }

  private emit(): void {
    if (this.closed) return;
    this.snapshot = this.makeSnapshot();
    for (const l of this.listeners) l();
  }
}

function loadOutbox(chatId: string): Outgoing[] {
  try {
    const raw = JSON.parse(localStorage.getItem(outboxKey(chatId)) ?? "[]") as unknown;
    return Array.isArray(raw) ? raw.filter((o): o is Outgoing => typeof o?.clientId === "string") : [];
  } catch {
    return [];
  }
}

/** Waits (briefly) for the media info of the messages' attachments, so their boxes have their final size. */
async function prefetchInfo(messages: ChatMessage[]): Promise<void> {
  const ids = messages.flatMap((m) => m.attachments);
  if (ids.length === 0) return;
  const all = Promise.allSettled(ids.map((id) => mediaInfo(id)));
  await Promise.race([all, new Promise((r) => setTimeout(r, INFO_WAIT_MS))]);
}
