// App-wide state of a signed-in citizen: their profile, the chat list kept live by the inbox socket (and
// caught up from the user's change number `pts` after any time away), and the agency directory (names and
// verified flags for official chats).
import {
  type CallIncomingFrame,
  type CallStateFrame,
  type ChatSummary,
  type InboxClientFrame,
  InboxFrame,
  type Notification,
} from "../../chat/protocol";
import { request } from "../lib/api";
import { LiveSocket, type SocketStatus } from "../lib/ws";

export type { ChatSummary };

interface Updates {
  chats: ChatSummary[];
  removed: string[];
  notifications: Notification[];
  pts: number;
  tooLong: boolean;
}

export interface Me {
  id: string;
  phone: string;
  displayName: string | null;
  username: string | null;
  phoneVisibility: "nobody" | "contacts" | "everyone";
  /** The profile photo's media id; null for none. */
  avatar: string | null;
}

export interface AgencyInfo {
  id: string;
  name: string;
  verified: boolean;
}

type Listener = () => void;

/** A tiny observable value. */
export class Store<T> {
  private value: T;
  private listeners = new Set<Listener>();
  constructor(value: T) {
    this.value = value;
  }
  getSnapshot = (): T => this.value;
  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  set(value: T): void {
    this.value = value;
    for (const l of this.listeners) l();
  }
}

export const me = new Store<Me | null>(null);

export interface ChatListState {
  chats: ChatSummary[];
  loaded: boolean;
  status: SocketStatus;
}

const byActivity = (a: ChatSummary, b: ChatSummary) =>
  a.lastActivityAt < b.lastActivityAt ? 1 : a.lastActivityAt > b.lastActivityAt ? -1 : a.id < b.id ? 1 : -1;

/**
 * The chat list: loaded over HTTP (`GET /chats`, which also answers the user's `pts`), then kept current by
 * the inbox socket, which resumes from that pts after every reconnect. Coming back into view or online
 * catches up over HTTP too (`GET /updates`), in case the socket was not reconnected.
 */
export class ChatList extends Store<ChatListState> {
  /** The user's change number up to which the list is current; null until `GET /chats` answered once. */
  private pts: number | null = null;
  private catchingUp: Promise<void> | null = null;
  private opened = false;
  private running = false;
  private socket = new LiveSocket({
    url: () => (this.pts === null ? "/api/v1/inbox/ws" : `/api/v1/inbox/ws?pts=${this.pts}`),
    schema: InboxFrame,
    onFrame: (f) => this.onFrame(f),
    onOpen: () => {
      // A hidden app counts as away, so the server pushes to this device (visible is what it assumes).
      if (document.visibilityState === "hidden") this.sendVisibility();
      // Without a pts (the first load failed) the socket sends only live frames: load the list now. Posts
      // in channels one only reads are not in the catch-up either: re-read the list after a reconnect.
      if (this.pts === null || (this.opened && this.readsChannels())) void this.reload();
      this.opened = true;
    },
    onStatus: (status) => this.set({ ...this.getSnapshot(), status }),
  });
  private readonly callListeners = new Set<(f: CallIncomingFrame | CallStateFrame) => void>();

  /** Calls ringing and their state, as the inbox socket tells them (src/web/citizen/calls/manager.ts). */
  onCall(listener: (f: CallIncomingFrame | CallStateFrame) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  /** Service notifications (bills, records, forms, consents) for screens that want to refresh. */
  readonly notifications = new Store<number>(0);

  constructor() {
    super({ chats: [], loaded: false, status: "closed" });
  }

  start(): void {
    this.running = true;
    // The socket starts from the list's pts, so it sends only what changed after the list was read.
    void this.reload().finally(() => {
      if (this.running) this.socket.start();
    });
    document.addEventListener("visibilitychange", this.onVisible);
    addEventListener("online", this.onOnline);
  }

  stop(): void {
    this.running = false;
    this.socket.stop();
    document.removeEventListener("visibilitychange", this.onVisible);
    removeEventListener("online", this.onOnline);
  }

  private onVisible = () => {
    this.sendVisibility();
    if (document.visibilityState === "visible") void this.catchUp();
  };

  private sendVisibility(): void {
    this.socket.send({ type: "visibility", visible: document.visibilityState === "visible" } satisfies InboxClientFrame);
  }

  private onOnline = () => void this.catchUp();

  async reload(): Promise<void> {
    try {
      const { chats, pts } = await request<{ chats: ChatSummary[]; pts: number }>("/chats");
      this.pts = pts;
      this.set({ ...this.getSnapshot(), chats: [...chats].sort(byActivity), loaded: true });
    } catch {
      // keep what we have; the next reconnect or visibility change tries again
    }
  }

  /** What changed since the list's pts, over HTTP (or the whole list, see `readsChannels`). */
  catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        if (this.pts === null || this.readsChannels()) return await this.reload();
        const u = await request<Updates>(`/updates?pts=${this.pts}`);
        if (u.tooLong) return await this.reload();
        if (u.pts < this.pts) return;
        const removed = new Set(u.removed);
        const changed = new Map(u.chats.map((c) => [c.id, c]));
        const chats = this.getSnapshot().chats.filter((c) => !removed.has(c.id) && !changed.has(c.id));
        chats.push(...changed.values());
        chats.sort(byActivity);
        const fresh = u.notifications.filter((n) => n.pts > (this.pts ?? 0)).length;
        this.pts = u.pts;
        this.set({ ...this.getSnapshot(), chats, loaded: true });
        if (fresh > 0) this.notifications.set(this.notifications.getSnapshot() + fresh);
      } catch {
        // offline still: the socket catches up when it reconnects
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }

  /** Posts in channels do not move a subscriber's pts: such a list is re-read whole to show them. */
  private readsChannels(): boolean {
    return this.getSnapshot().chats.some((c) => c.type === "channel" && c.role === "member");
  }

  /** Puts a chat (new or changed) in its place. */
  upsert(chat: ChatSummary): void {
    const chats = this.getSnapshot().chats.filter((c) => c.id !== chat.id);
    chats.push(chat);
    chats.sort(byActivity);
    this.set({ ...this.getSnapshot(), chats });
  }

  private onFrame(f: InboxFrame): void {
    const seen = this.pts ?? 0;
    switch (f.type) {
      case "chat":
        // A chat's current state: an older pts than the list already reflects would take it back.
        // (The same pts is applied: a channel post reaches online subscribers without a pts of its own.)
        if (f.pts < seen) return;
        this.upsert(f.chat);
        break;
      case "chat_removed":
        if (f.pts < seen) return;
        this.set({ ...this.getSnapshot(), chats: this.getSnapshot().chats.filter((c) => c.id !== f.chatId) });
        break;
      case "notification":
        if (f.pts <= seen && this.pts !== null) return;
        this.notifications.set(this.notifications.getSnapshot() + 1);
        break;
      case "too_long":
        void this.reload();
        return;
      case "error":
        return;
      case "call_incoming":
      case "call_state":
        // A call ringing (or answered elsewhere, or over): every device hears it here, whatever it shows.
        for (const l of this.callListeners) l(f);
        return;
      default:
        // Every frame type is handled above: a new one in protocol.ts fails to compile here.
        f satisfies never;
    }
    if (this.pts !== null && f.pts > this.pts) this.pts = f.pts;
  }
}

export const agencies = new Store<Map<string, AgencyInfo>>(new Map());

export async function loadAgencies(): Promise<void> {
  try {
    const { agencies: list } = await request<{ agencies: AgencyInfo[] }>("/agencies", { anonymous: true });
    agencies.set(new Map(list.map((a) => [a.id, a])));
  } catch {
    // badges appear once the directory loads
  }
}

/** The agency behind an official chat, which the chat itself names. */
export function agencyOf(chat: Pick<ChatSummary, "type" | "agency">): AgencyInfo | undefined {
  if (chat.type !== "official") return undefined;
  // The chat names its agency; the directory may know a newer name or verification.
  return chat.agency ? (agencies.getSnapshot().get(chat.agency.id) ?? chat.agency) : undefined;
}
