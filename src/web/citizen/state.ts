// App-wide state of a signed-in citizen: their profile, the chat list kept live by the inbox socket, and
// the agency directory (names and verified flags for official chats).
import type { ChatSummary } from "../../chat/protocol";
import { request } from "../lib/api";
import { type Frame, LiveSocket, type SocketStatus } from "../lib/ws";

export type { ChatSummary };

export interface Me {
  id: string;
  phone: string;
  displayName: string | null;
  username: string | null;
  phoneVisibility: "nobody" | "everyone";
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

/** The chat list: loaded over HTTP, then kept current by the inbox socket (re-read after every reconnect). */
export class ChatList extends Store<ChatListState> {
  private socket = new LiveSocket({
    url: () => "/api/v1/inbox/ws",
    onFrame: (f) => this.onFrame(f),
    onOpen: () => void this.reload(),
    onStatus: (status) => this.set({ ...this.getSnapshot(), status }),
  });
  /** Service notifications (bills, records, forms, consents) for screens that want to refresh. */
  readonly notifications = new Store<number>(0);

  constructor() {
    super({ chats: [], loaded: false, status: "closed" });
  }

  start(): void {
    void this.reload();
    this.socket.start();
    // Channel posts are not pushed to subscribers' inboxes: refresh previews when the app comes back into view.
    document.addEventListener("visibilitychange", this.onVisible);
  }

  stop(): void {
    this.socket.stop();
    document.removeEventListener("visibilitychange", this.onVisible);
  }

  private onVisible = () => {
    if (document.visibilityState === "visible") void this.reload();
  };

  async reload(): Promise<void> {
    try {
      const { chats } = await request<{ chats: ChatSummary[] }>("/chats");
      this.set({ ...this.getSnapshot(), chats, loaded: true });
    } catch {
      // keep what we have; the next reconnect or visibility change tries again
    }
  }

  /** Puts a chat (new or changed) in its place. */
  upsert(chat: ChatSummary): void {
    const chats = this.getSnapshot().chats.filter((c) => c.id !== chat.id);
    chats.push(chat);
    chats.sort(byActivity);
    this.set({ ...this.getSnapshot(), chats });
  }

  private onFrame(f: Frame): void {
    if (f.type === "chat" && typeof f.chat === "object" && f.chat !== null && typeof (f.chat as ChatSummary).id === "string") {
      this.upsert(f.chat as ChatSummary);
    } else if (f.type === "chat_removed" && typeof f.chatId === "string") {
      this.set({ ...this.getSnapshot(), chats: this.getSnapshot().chats.filter((c) => c.id !== f.chatId) });
    } else if (f.type === "notification") {
      this.notifications.set(this.notifications.getSnapshot() + 1);
    }
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
