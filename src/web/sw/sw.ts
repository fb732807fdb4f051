// The citizen app's service worker, served at /sw.js (scope /), built by scripts/build-web.mjs as a script
// of its own. It
// - keeps the app shell (the page and the hashed assets of this build, listed in at build time) in a cache
//   named after the build, so the app opens offline; older builds' caches go when a new one activates.
//   Only the shell is cached: API responses (personal data) never are, and API requests skip the worker;
// - shows Web Push notifications in the user's language (notify.ts composes them; the page stores the
//   language in IndexedDB, lib/idb.ts), and sets the app badge to the unread count a push carries;
// - on a click, focuses an open app window and takes it to the chat (or the service's page), or opens one.
import { idbGet, PREFS } from "../lib/idb";
import { compose, type Lang, parsePush, pickWindow } from "./notify";

// The DOM library types the page; these are the few service-worker types this file uses.
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(r: Response | Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  readonly data: { json(): unknown; text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification;
}
interface WindowClient {
  readonly url: string;
  readonly focused: boolean;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
  postMessage(message: unknown): void;
}
interface InstallEvent extends ExtendableEvent {
  addRoutes?(rules: { condition: { urlPattern: string }; source: "network" }[]): Promise<void>;
}
interface ServiceWorkerScope {
  readonly registration: ServiceWorkerRegistration;
  readonly location: Location;
  readonly navigator: Navigator;
  readonly clients: {
    matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: "install", listener: (e: InstallEvent) => void): void;
  addEventListener(type: "activate", listener: (e: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (e: FetchEvent) => void): void;
  addEventListener(type: "push", listener: (e: PushEvent) => void): void;
  addEventListener(type: "notificationclick", listener: (e: NotificationEvent) => void): void;
}

/** Written in by the build: the shell's URLs and a name that changes whenever any of them does. */
declare const __VECHE_SHELL__: string[];
declare const __VECHE_VERSION__: string;

const sw = self as unknown as ServiceWorkerScope;
const CACHE_PREFIX = "veche-shell-";
const CACHE = `${CACHE_PREFIX}${__VECHE_VERSION__}`;
/** The page itself: `/` serves index.html (html_handling = "auto-trailing-slash"). */
const PAGE = "/";

sw.addEventListener("install", (e) => {
  e.waitUntil(
    (async () => {
      // API calls and sockets go straight to the network without waking the worker, where the browser can
      // (the Static Routing API); elsewhere the fetch handler below lets them through untouched.
      try {
        await e.addRoutes?.([{ condition: { urlPattern: "/api/*" }, source: "network" }]);
      } catch {
        // A browser whose routing API takes other rules: the fetch handler lets the API through anyway.
      }
      const cache = await caches.open(CACHE);
      // `reload`: from the server, not from a possibly older HTTP cache entry.
      await cache.addAll(__VECHE_SHELL__.map((url) => new Request(url, { cache: "reload" })));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener("activate", (e) => {
  e.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
      // Control the open app at once, so it works offline from its first visit.
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate") {
    // Only the citizen app's own page: the agency console and the API reference are not in the shell.
    if (url.pathname !== PAGE && url.pathname !== "/index.html") return;
    // The network first, so a new build shows at once; the cached shell when there is none.
    e.respondWith(fetch(req).catch(async () => (await caches.match(PAGE, { cacheName: CACHE })) ?? Response.error()));
    return;
  }
  // Hashed assets never change under their name: the cached copy is the right one.
  e.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
});

async function language(): Promise<Lang> {
  try {
    const stored = await idbGet(PREFS, "lang");
    return stored === "en" ? "en" : "ru";
  } catch {
    return "ru";
  }
}

sw.addEventListener("push", (e) => {
  e.waitUntil(
    (async () => {
      let raw: unknown = null;
      try {
        raw = e.data?.json() ?? null;
      } catch {
        // not JSON: shown as a generic notification below
      }
      const push = parsePush(raw);
      const lang = await language();
      // A push must show something (userVisibleOnly): one this client cannot read says there is news.
      const shown = push
        ? compose(push, lang)
        : {
            title: lang === "en" ? "Veche" : "Вече",
            body: lang === "en" ? "New notification" : "Новое уведомление",
            tag: "veche",
            url: "/",
          };
      const nav = sw.navigator as Navigator & { setAppBadge?(n?: number): Promise<void>; clearAppBadge?(): Promise<void> };
      if (push?.unread !== undefined) {
        const badge = push.unread > 0 ? nav.setAppBadge?.(push.unread) : nav.clearAppBadge?.();
        await badge?.catch(() => undefined);
      }
      await sw.registration.showNotification(shown.title, {
        body: shown.body,
        tag: shown.tag,
        // A new message in the same chat replaces the notification and still alerts.
        renotify: true,
        icon: "/icons/icon-192.png",
        badge: "/icons/badge-96.png",
        lang,
        data: { url: shown.url },
      } as NotificationOptions);
    })(),
  );
});

sw.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const data = e.notification.data as { url?: unknown } | null;
  // Only an in-app route (what notify.ts writes): never another origin, as "//host" would be.
  const path = typeof data?.url === "string" && data.url.startsWith("/#/") ? data.url : "/";
  const target = new URL(path, sw.location.origin).href;
  e.waitUntil(
    (async () => {
      const win = pickWindow(await sw.clients.matchAll({ type: "window", includeUncontrolled: true }));
      if (win) {
        const focused = await win.focus();
        // A hash change: the open app routes without reloading (navigate() would reload it).
        focused.postMessage({ type: "open", url: path });
        return;
      }
      await sw.clients.openWindow(target);
    })(),
  );
});
