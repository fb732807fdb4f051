// The page's side of notifications: the service worker (src/web/sw/sw.ts) registered on start, the UI
// language kept where it reads it (IndexedDB), clicks on notifications routed inside the open app, this
// device's Web Push subscription (on and off in settings), and the app badge with the unread count.
import { ApiError, request } from "../lib/api";
import { lang, onLangChange, t } from "../lib/i18n";
import { idbPut, PREFS } from "../lib/idb";

/** This device's subscription as the server knows it: its id (to delete it) and its endpoint. */
const SUBSCRIPTION_KEY = "veche.push";

export type PushState = "unsupported" | "denied" | "off" | "on";

type BadgeNavigator = Navigator & { setAppBadge?(n?: number): Promise<void>; clearAppBadge?(): Promise<void> };

export const pushSupported = (): boolean =>
  "serviceWorker" in navigator && typeof PushManager !== "undefined" && typeof Notification !== "undefined";

let registering: Promise<ServiceWorkerRegistration> | null = null;

/** Registers /sw.js once per page (registering again answers the same registration). */
function registration(): Promise<ServiceWorkerRegistration> {
  registering ??= navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready);
  registering.catch(() => {
    registering = null;
  });
  return registering;
}

/**
 * On app start: the service worker (offline shell, notifications), the language for its texts, and
 * notification clicks from it, which name a route of this app (a hash change, no reload).
 */
export function startServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return;
  registration().catch((err: unknown) => console.warn("service worker registration failed", err));
  const saveLang = () => void idbPut(PREFS, "lang", lang()).catch(() => undefined);
  saveLang();
  onLangChange(saveLang);
  navigator.serviceWorker.addEventListener("message", (e: MessageEvent<unknown>) => {
    const data = e.data as { type?: unknown; url?: unknown } | null;
    if (data?.type !== "open" || typeof data.url !== "string") return;
    const hash = new URL(data.url, location.origin).hash;
    if (hash) location.hash = hash;
  });
}

interface StoredSubscription {
  id: string;
  endpoint: string;
}

function stored(): StoredSubscription | null {
  try {
    const raw = JSON.parse(localStorage.getItem(SUBSCRIPTION_KEY) ?? "null") as Partial<StoredSubscription> | null;
    return typeof raw?.id === "string" && typeof raw.endpoint === "string" ? { id: raw.id, endpoint: raw.endpoint } : null;
  } catch {
    return null;
  }
}

/** Whether this device gets notifications, and why not when it cannot. */
export async function pushState(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const mine = stored();
  if (!mine || Notification.permission !== "granted") return "off";
  try {
    const sub = await (await registration()).pushManager.getSubscription();
    return sub?.endpoint === mine.endpoint ? "on" : "off";
  } catch {
    return "off";
  }
}

/** base64url (the VAPID public key) → bytes, for `applicationServerKey`. */
export function fromBase64Url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(s.length / 4) * 4, "=");
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Turns notifications on for this device: the browser's permission, a push subscription with the server's
 * VAPID key, and that subscription registered with the server (tied to this device's session). Answers the
 * state reached: "denied" when the person (or the browser) said no.
 */
export async function enablePush(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission === "denied") return "denied";
  if (permission !== "granted") return "off";
  const reg = await registration();
  const { publicKey } = await request<{ publicKey: string }>("/push/vapid");
  const sub =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(publicKey) }));
  const json = sub.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (!json.endpoint || !p256dh || !auth) throw new Error("push subscription without keys");
  const { subscription } = await request<{ subscription: { id: string } }>("/push/subscriptions", {
    body: { endpoint: json.endpoint, keys: { p256dh, auth } },
  });
  const previous = stored();
  localStorage.setItem(SUBSCRIPTION_KEY, JSON.stringify({ id: subscription.id, endpoint: json.endpoint } satisfies StoredSubscription));
  // Re-enabling registers the same endpoint again: the old record goes, so pushes are not sent twice.
  if (previous && previous.id !== subscription.id) await deleteOnServer(previous.id);
  return "on";
}

async function deleteOnServer(id: string): Promise<void> {
  try {
    await request(`/push/subscriptions/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (err) {
    // Already gone (signed out elsewhere, ended by the push service): nothing left to delete.
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}

/** Turns notifications off for this device: the server forgets the subscription, the browser ends it. */
export async function disablePush(): Promise<PushState> {
  const mine = stored();
  if (mine) await deleteOnServer(mine.id);
  await forgetPush();
  return pushSupported() && Notification.permission === "denied" ? "denied" : "off";
}

/**
 * Ends the browser's subscription and forgets it (sign-out: the server deletes the session's
 * subscriptions itself), and clears the badge, which counted the account's unread messages.
 */
export async function forgetPush(): Promise<void> {
  localStorage.removeItem(SUBSCRIPTION_KEY);
  setBadge(0);
  if (!pushSupported()) return;
  try {
    const reg = await navigator.serviceWorker.getRegistration("/");
    await (await reg?.pushManager.getSubscription())?.unsubscribe();
  } catch {
    // nothing subscribed
  }
}

/** The app icon's badge (where the Badging API exists): the unread count, none at zero. */
export function setBadge(unread: number): void {
  const nav = navigator as BadgeNavigator;
  const done = unread > 0 ? nav.setAppBadge?.(unread) : nav.clearAppBadge?.();
  done?.catch(() => undefined);
}

/** Keeps the badge and the tab's title at the total of the chat list's unread counts. */
export function trackBadge(chats: {
  subscribe(l: () => void): () => void;
  getSnapshot(): { chats: { unreadCount: number }[]; loaded: boolean };
}): () => void {
  let last = -1;
  const update = () => {
    const { chats: list, loaded } = chats.getSnapshot();
    if (!loaded) return;
    const total = list.reduce((sum, c) => sum + c.unreadCount, 0);
    if (total === last) return;
    last = total;
    setBadge(total);
    setTitle(total);
  };
  update();
  const unsubscribe = chats.subscribe(update);
  // The title follows the language too ("Вече" / "Veche").
  const unlisten = onLangChange(() => setTitle(Math.max(0, last)));
  return () => {
    unsubscribe();
    unlisten();
    setTitle(0);
  };
}

/** The tab's title carries the unread count, as the badge does: "(3) Вече". */
function setTitle(unread: number): void {
  document.title = unread > 0 ? `(${unread}) ${t("appName")}` : t("appName");
}
