// Notifications and the installable app, in Chromium: the service worker registers and controls the app; a
// push delivered to it through the DevTools protocol (ServiceWorker.deliverPushMessage) shows a notification
// with the Russian (or English) text people read, without the message text when previews are off, one per
// chat; the settings turn this device's subscription on and off and previews on, through the API; a chat
// muted from its header shows muted in the list and for the API; a hidden app tells the inbox it is away;
// the unsent outbox outlives a closed tab (IndexedDB); the app installs (manifest, icons) and its shell
// opens with the server gone.
//
// No real push service is reachable here (Chromium's pushManager.subscribe needs Google's), so the page's
// PushManager is stubbed to hand out a subscription whose keys this test holds, with an endpoint on a sink
// of the test's own; everything past the browser's push service (the API, the server) is real.
import { createECDH, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageTexts, openAs, pageErrors, watchErrors } from "./citizen.ts";
import { api, type Citizen, citizen, eventually, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let serverClosed = false;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
/** Another session of Boris's, for reading what his browser did through the API. */
let borisApi: Citizen;
let b: { context: BrowserContext; page: Page };
let directId: string;
let groupId: string;
let sink: HttpServer;
const sunk: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
const suffix = Date.now() % 100000;

const b64url = (buf: Buffer) => buf.toString("base64url");
/** The subscription the stubbed push service hands out: keys this test holds, an endpoint on the sink. */
const keys = { p256dh: b64url(createECDH("prime256v1").generateKeys()), auth: b64url(randomBytes(16)) };
let endpoint: string;

const asAnna = <T = Record<string, unknown>>(path: string, opts: { body?: unknown; method?: string } = {}) =>
  api<T>(server.origin, `/api/v1${path}`, { token: anna.accessToken, ...opts });
const asBoris = <T = Record<string, unknown>>(path: string, opts: { body?: unknown; method?: string } = {}) =>
  api<T>(server.origin, `/api/v1${path}`, { token: borisApi.accessToken, ...opts });

beforeAll(async () => {
  // A push service stand-in on 127.0.0.1 that accepts everything (a push the server may send in between).
  sink = createServer((req, res) => {
    sunk.push({ path: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => res.writeHead(201).end());
  });
  sink.listen(0, "127.0.0.1");
  await once(sink, "listening");
  endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/push/boris-${suffix}`;

  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `anna${suffix}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: `boris${suffix}` });
  borisApi = await citizen(server.origin, boris.phone);
  ({
    chat: { id: directId },
  } = await asAnna<{ chat: { id: string } }>("/chats", { body: { type: "direct", userId: boris.id } }));
  ({
    chat: { id: groupId },
  } = await asAnna<{ chat: { id: string } }>("/chats", { body: { type: "group", title: "Двор 7", memberIds: [boris.id] } }));
  await asAnna(`/chats/${directId}/messages`, { body: { clientId: "hello", text: "Привет, Борис" } });

  b = await openAs(browser, server.origin, boris.phone, {
    setup: async (context) => {
      await context.grantPermissions(["notifications"], { origin: server.origin });
      await context.addInitScript(stubPushService, { endpoint, keys });
    },
  });
  await b.page.locator(`[data-chat-id="${directId}"]`).waitFor();
});

afterAll(async () => {
  await browser?.close();
  if (!serverClosed) await server?.close();
  sink?.close();
});

/**
 * Runs in the page before the app: PushManager hands out the test's subscription (the real one would ask
 * Google's push service, unreachable here) and records what it was asked, in `window.pushLog`.
 */
function stubPushService(sub: { endpoint: string; keys: { p256dh: string; auth: string } }): void {
  const log: unknown[] = [];
  (window as Window & { pushLog?: unknown[] }).pushLog = log;
  let current: PushSubscription | null = null;
  const make = () =>
    ({
      endpoint: sub.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: null },
      getKey: () => null,
      toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
      unsubscribe: async () => {
        log.push({ unsubscribe: sub.endpoint });
        current = null;
        return true;
      },
    }) as unknown as PushSubscription;
  PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
    const key = options?.applicationServerKey;
    const bytes = key instanceof ArrayBuffer ? new Uint8Array(key) : ArrayBuffer.isView(key) ? new Uint8Array(key.buffer) : null;
    log.push({ subscribe: { userVisibleOnly: options?.userVisibleOnly, key: bytes ? btoa(String.fromCharCode(...bytes)) : key } });
    current = make();
    return current;
  };
  PushManager.prototype.getSubscription = async () => current;
}

const pushLog = (page: Page) => page.evaluate(() => (window as Window & { pushLog?: unknown[] }).pushLog ?? []);

/** The service worker's registration id for the app (scope `/`), from the DevTools protocol. */
async function registrationId(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  const ids = new Map<string, string>();
  cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
    for (const r of e.registrations) if (!r.isDeleted) ids.set(r.scopeURL, r.registrationId);
  });
  await cdp.send("ServiceWorker.enable");
  const id = await eventually(async () => ids.get(`${server.origin}/`));
  return { cdp, id };
}

interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { url?: string } | null;
}

/**
 * Delivers a push (the JSON the server would encrypt) and answers the notifications showing once `ready`
 * says they are what the push should have led to.
 */
async function deliver(page: Page, payload: unknown, ready: (shown: Shown[]) => boolean): Promise<Shown[]> {
  const { cdp, id } = await registrationId(page);
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: server.origin, registrationId: id, data: JSON.stringify(payload) });
  await cdp.detach();
  return eventually(async () => {
    const shown = (await page.evaluate(async () =>
      (
        await (await navigator.serviceWorker.ready).getNotifications()
      ).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })),
    )) as Shown[];
    return ready(shown) ? shown : null;
  });
}
const count = (n: number) => (shown: Shown[]) => shown.length === n;

const closeAll = (page: Page) =>
  page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });

test("the service worker is registered and controls the app; the app installs (manifest, icons)", async () => {
  await b.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  const scope = await b.page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toBe(`${server.origin}/`);
  expect(await b.page.locator('link[rel="manifest"]').getAttribute("href")).toBe("/manifest.webmanifest");

  const res = await fetch(`${server.origin}/manifest.webmanifest`);
  expect(res.headers.get("content-type")).toContain("manifest+json");
  const manifest = (await res.json()) as { name: string; icons: { src: string; sizes: string; purpose: string }[]; display: string };
  expect(manifest).toMatchObject({ name: "Вече", display: "standalone", start_url: "/#/chats" });
  for (const size of ["192x192", "512x512"]) {
    for (const purpose of ["any", "maskable"]) {
      const icon = manifest.icons.find((i) => i.sizes === size && i.purpose === purpose);
      expect(icon, `${size} ${purpose}`).toBeDefined();
      const png = Buffer.from(await (await fetch(`${server.origin}${icon?.src}`)).arrayBuffer());
      // A PNG of the size it claims (IHDR width and height).
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(size);
    }
  }
  // Chromium's own verdict on whether the app can be installed. Test contexts are incognito profiles,
  // where Chromium installs nothing: that is the only objection allowed.
  const cdp = await b.context.newCDPSession(b.page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  await cdp.detach();
  expect(installabilityErrors.filter((e) => e.errorId !== "in-incognito")).toEqual([]);
});

test("a push shows a notification in Russian; without previews it says who wrote but not what, one per chat", async () => {
  const payload = { type: "message", chatId: directId, seq: 2, chatType: "direct", chatTitle: "Анна", senderName: "Анна", mention: false };
  const [first] = await deliver(b.page, payload, count(1));
  expect(first).toEqual({ title: "Анна", body: "Новое сообщение", tag: `chat:${directId}`, data: { url: `/#/chats/${directId}` } });

  // A second message in the same chat replaces the first notification; another chat's stands beside it.
  const replaced = await deliver(b.page, { ...payload, seq: 3, text: "Ты придёшь?" }, (s) => s[0]?.body !== "Новое сообщение");
  expect(replaced).toHaveLength(1);
  const both = await deliver(
    b.page,
    { type: "message", chatId: groupId, seq: 1, chatType: "group", chatTitle: "Двор 7", senderName: "Анна", mention: true, unread: 3 },
    count(2),
  );
  expect(both.find((n) => n.tag === `chat:${directId}`)).toMatchObject({ title: "Анна", body: "Ты придёшь?" });
  expect(both.find((n) => n.tag === `chat:${groupId}`)).toMatchObject({ title: "Вас упомянули в «Двор 7»", body: "Анна: новое сообщение" });

  // A service's notification, and one the worker cannot read: both in people's words, no ids or fields.
  await closeAll(b.page);
  const [bill] = await deliver(
    b.page,
    { type: "notification", kind: "bill", billId: "bill_42", status: "unpaid", title: "Налог" },
    count(1),
  );
  expect(bill).toEqual({ title: "Новый счёт", body: "Налог", tag: "bill:bill_42", data: { url: "/#/services/bills/bill_42" } });
  await closeAll(b.page);
  const [odd] = await deliver(b.page, { type: "future", chatId: "x" }, count(1));
  expect(odd).toMatchObject({ title: "Вече", body: "Новое уведомление" });
  await closeAll(b.page);
});

test("the notification texts follow the app's language", async () => {
  await b.page.goto(`${server.origin}/#/settings`);
  await b.page.getByRole("button", { name: "English" }).click();
  await b.page.getByRole("heading", { name: "Settings" }).waitFor();
  await expect
    .poll(() =>
      b.page.evaluate(
        () =>
          new Promise((resolve) => {
            const req = indexedDB.open("veche");
            req.onsuccess = () => {
              const get = req.result.transaction("prefs").objectStore("prefs").get("lang");
              get.onsuccess = () => resolve(get.result);
            };
          }),
      ),
    )
    .toBe("en");
  const [shown] = await deliver(
    b.page,
    { type: "message", chatId: groupId, seq: 2, chatType: "group", chatTitle: "Двор 7", senderName: "Анна" },
    count(1),
  );
  expect(shown).toMatchObject({ title: "Двор 7", body: "Анна: new message" });
  await closeAll(b.page);
  await b.page.getByRole("button", { name: "Русский" }).click();
  await b.page.getByRole("heading", { name: "Настройки" }).waitFor();
});

test("the route a clicked notification hands to the open app (from the worker) opens its chat", async () => {
  await b.page.goto(`${server.origin}/#/services`);
  // What the worker's notificationclick does with an open app window (a real click on a system
  // notification cannot be made from here; test/web/push-notify.test.ts covers choosing the window).
  const [worker] = b.context.serviceWorkers();
  if (!worker) throw new Error("no service worker");
  await worker.evaluate(async (url) => {
    const scope = self as unknown as { clients: { matchAll(o: object): Promise<{ postMessage(m: unknown): void }[]> } };
    for (const w of await scope.clients.matchAll({ type: "window" })) w.postMessage({ type: "open", url });
  }, `/#/chats/${directId}`);
  await b.page.waitForURL(`**/#/chats/${directId}`);
  await expect.poll(() => messageTexts(b.page)).toContain("Привет, Борис");
});

/** The app's calls to /api/v1/push/*, with their answers' statuses. */
function pushCalls(page: Page): { method: string; path: string; status: number; body: unknown }[] {
  const calls: { method: string; path: string; status: number; body: unknown }[] = [];
  page.on("response", (res) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith("/api/v1/push/")) return;
    const req = res.request();
    calls.push({ method: req.method(), path: url.pathname, status: res.status(), body: req.postDataJSON() });
  });
  return calls;
}

test("settings: notifications on this device subscribe with the server's key and register it; off deletes it", async () => {
  const { publicKey } = await asBoris<{ publicKey: string }>("/push/vapid");
  const calls = pushCalls(b.page);
  await b.page.goto(`${server.origin}/#/settings`);
  const device = b.page.getByLabel("Уведомления на этом устройстве");
  await expect.poll(() => device.isEnabled()).toBe(true);
  expect(await device.isChecked()).toBe(false);

  // A click, not check(): the box shows the state reached, which comes after the permission and the API.
  await device.click();
  await b.page.getByRole("status").getByText("Уведомления включены").waitFor();
  const subscribed = (await pushLog(b.page)).find((e) => (e as { subscribe?: unknown }).subscribe) as {
    subscribe: { userVisibleOnly: boolean; key: string };
  };
  expect(subscribed.subscribe.userVisibleOnly).toBe(true);
  expect(Buffer.from(subscribed.subscribe.key, "base64").toString("base64url")).toBe(publicKey);
  const posted = await eventually(async () => calls.find((c) => c.method === "POST" && c.path === "/api/v1/push/subscriptions"));
  expect(posted).toMatchObject({ status: 201, body: { endpoint, keys } });
  const id = await b.page.evaluate(() => JSON.parse(localStorage.getItem("veche.push") ?? "null")?.id);
  expect(typeof id).toBe("string");
  expect(await device.isChecked()).toBe(true);

  await device.click();
  await b.page.getByRole("status").getByText("Уведомления выключены").waitFor();
  const deleted = await eventually(async () => calls.find((c) => c.method === "DELETE"));
  expect(deleted).toMatchObject({ path: `/api/v1/push/subscriptions/${id}`, status: 204 });
  expect(await pushLog(b.page)).toContainEqual({ unsubscribe: endpoint });
  expect(await b.page.evaluate(() => localStorage.getItem("veche.push"))).toBeNull();
  // The server forgot it: deleting it again finds nothing.
  await expect(asBoris(`/push/subscriptions/${id}`, { method: "DELETE" })).rejects.toMatchObject({ status: 404 });
});

test("settings: showing message text in notifications is the account's previews setting", async () => {
  const calls = pushCalls(b.page);
  await b.page.goto(`${server.origin}/#/settings`);
  const previews = b.page.getByLabel("Показывать текст сообщений");
  const stored = async () => (await asBoris<{ settings: { previews: boolean } }>("/push/settings")).settings.previews;
  await expect.poll(() => previews.isEnabled()).toBe(true);
  // Off unless the user turns it on.
  expect(await previews.isChecked()).toBe(false);
  expect(await stored()).toBe(false);
  await previews.click();
  await expect.poll(stored).toBe(true);
  // The page sees its answer a moment after the server has the setting.
  const put = await eventually(async () => calls.find((c) => c.method === "PUT"));
  expect(put).toMatchObject({ path: "/api/v1/push/settings", status: 200, body: { previews: true } });
  await expect.poll(() => previews.isChecked()).toBe(true);
  await b.page.reload();
  await expect.poll(() => previews.isChecked()).toBe(true);
  await previews.click();
  await expect.poll(stored).toBe(false);
});

test("settings say so when the browser blocks notifications", async () => {
  const denied = await openAs(browser, server.origin, boris.phone, {
    hash: "#/settings",
    setup: async (context) => {
      await context.addInitScript(() => {
        Object.defineProperty(Notification, "permission", { get: () => "denied" });
      });
    },
  });
  await denied.page.getByText("Уведомления для Вече запрещены в настройках браузера").waitFor();
  expect(await denied.page.getByLabel("Уведомления на этом устройстве").isDisabled()).toBe(true);
  await denied.context.close();
});

test("muting a chat from its header: the muted mark in the list and the header, mutedUntil from the API", async () => {
  await b.page.goto(`${server.origin}/#/chats/${groupId}`);
  const item = b.page.locator(`[data-chat-id="${groupId}"]`);
  const header = b.page.locator(".chat-header");
  const menu = header.getByRole("button", { name: "Уведомления чата" });
  const mutedUntil = async () => (await asBoris<{ chat: { mutedUntil: string | null } }>(`/chats/${groupId}`)).chat.mutedUntil;
  expect(await item.getByTestId("muted").count()).toBe(0);

  const before = Date.now();
  await menu.click();
  await b.page.getByRole("button", { name: "Без звука на 8 часов" }).click();
  await item.getByTestId("muted").waitFor();
  await header.getByTestId("muted").waitFor();
  const until = Date.parse((await mutedUntil()) ?? "");
  expect(until).toBeGreaterThanOrEqual(before + 8 * 3600_000 - 60_000);
  expect(until).toBeLessThanOrEqual(Date.now() + 8 * 3600_000 + 60_000);
  // Its label says until when, in words.
  expect(await item.getByTestId("muted").getAttribute("aria-label")).toMatch(/^Без звука до /);

  await menu.click();
  await b.page.getByRole("button", { name: "Без звука навсегда" }).click();
  await expect.poll(mutedUntil).toBe("9999-12-31T23:59:59Z");
  await expect.poll(() => item.getByTestId("muted").getAttribute("aria-label")).toBe("Без звука");

  // Still muted after a reload: the list reads it from the server.
  await b.page.reload();
  await item.getByTestId("muted").waitFor();

  await b.page.locator(".chat-header").getByRole("button", { name: "Уведомления чата" }).click();
  await b.page.getByRole("button", { name: "Включить уведомления" }).click();
  await expect.poll(() => item.getByTestId("muted").count()).toBe(0);
  expect(await mutedUntil()).toBeNull();
});

test("a hidden app tells the inbox it is away (so it gets pushes), and back when it is seen", async () => {
  const sent: string[] = [];
  b.page.on("websocket", (ws) => {
    if (ws.url().includes("/api/v1/inbox/ws")) ws.on("framesent", (f) => typeof f.payload === "string" && sent.push(f.payload));
  });
  await b.page.reload();
  await b.page.locator(`[data-chat-id="${directId}"]`).waitFor();
  const setVisibility = (state: "hidden" | "visible") =>
    b.page.evaluate((s) => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => s });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
  // Sent at once when the socket is open, or when it opens.
  await setVisibility("hidden");
  await expect.poll(() => sent.map((f) => JSON.parse(f))).toContainEqual({ type: "visibility", visible: false });
  await setVisibility("visible");
  await expect.poll(() => sent.map((f) => JSON.parse(f))).toContainEqual({ type: "visibility", visible: true });
});

test("the app badge shows the unread count", async () => {
  const badged = await openAs(browser, server.origin, boris.phone, {
    setup: async (context) => {
      // Headless Chromium has no app icon to badge: the calls are recorded instead.
      await context.addInitScript(() => {
        const calls: (number | null)[] = [];
        (window as Window & { badge?: (number | null)[] }).badge = calls;
        Object.assign(navigator, {
          setAppBadge: async (n?: number) => void calls.push(n ?? null),
          clearAppBadge: async () => void calls.push(0),
        });
      });
    },
  });
  const badge = () => badged.page.evaluate(() => (window as Window & { badge?: (number | null)[] }).badge?.at(-1));
  const { chats } = await asBoris<{ chats: { unreadCount: number }[] }>("/chats");
  const total = chats.reduce((n, c) => n + c.unreadCount, 0);
  await expect.poll(badge).toBe(total);
  await asAnna(`/chats/${groupId}/messages`, { body: { clientId: `badge-${suffix}`, text: "Новости" } });
  await expect.poll(badge).toBe(total + 1);
  await badged.context.close();
});

test("the unsent outbox survives a closed tab (IndexedDB); an old localStorage outbox is sent too", async () => {
  await b.page.goto(`${server.origin}/#/chats/${directId}`);
  await expect.poll(() => messageTexts(b.page)).toContain("Привет, Борис");
  await b.context.setOffline(true);
  await b.page.getByTestId("chat-status").getByText("Нет соединения").waitFor();
  const composer = b.page.getByLabel("Сообщение", { exact: true });
  await composer.fill("Напишу, когда будет сеть");
  await composer.press("Enter");
  await b.page.locator("li.pending", { hasText: "Напишу, когда будет сеть" }).waitFor();
  const stored = await eventually(async () => {
    const items = await b.page.evaluate(
      (chatId) =>
        new Promise<{ text?: string }[] | undefined>((resolve) => {
          const req = indexedDB.open("veche");
          req.onsuccess = () => {
            const get = req.result.transaction("outbox").objectStore("outbox").get(chatId);
            get.onsuccess = () => resolve(get.result);
          };
        }),
      directId,
    );
    return items?.length ? items : null;
  });
  expect(stored.map((o) => o.text)).toEqual(["Напишу, когда будет сеть"]);
  expect(await b.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("veche.outbox.")))).toEqual([]);

  // The tab closes while offline; the message was never sent.
  await b.page.close();
  const texts = async () =>
    (await asBoris<{ messages: { text: string | null }[] }>(`/chats/${directId}/messages?limit=50`)).messages.map((m) => m.text);
  expect(await texts()).not.toContain("Напишу, когда будет сеть");
  await b.context.setOffline(false);

  // An outbox an older version left in localStorage is moved over and sent as well.
  await b.context.addInitScript(
    ([chatId]) => {
      if (sessionStorage.getItem("seeded")) return;
      sessionStorage.setItem("seeded", "1");
      localStorage.setItem(
        `veche.outbox.${chatId}`,
        JSON.stringify([{ clientId: "legacy-1", text: "Из старой версии", createdAt: new Date().toISOString() }]),
      );
    },
    [groupId],
  );
  b.page = await b.context.newPage();
  watchErrors(b.page);
  await b.page.goto(`${server.origin}/#/chats/${directId}`);
  await expect.poll(texts, { timeout: 15_000 }).toContain("Напишу, когда будет сеть");
  await expect.poll(() => b.page.locator("li.pending").count()).toBe(0);
  expect((await texts()).filter((t) => t === "Напишу, когда будет сеть")).toHaveLength(1);

  await expect.poll(() => b.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("veche.outbox.")))).toEqual([]);
  await b.page.goto(`${server.origin}/#/chats/${groupId}`);
  await expect
    .poll(
      async () =>
        (await asBoris<{ messages: { text: string | null }[] }>(`/chats/${groupId}/messages?limit=50`)).messages.map((m) => m.text),
      {
        timeout: 15_000,
      },
    )
    .toContain("Из старой версии");
  expect(pageErrors(b.page)).toEqual([]);
});

test("signing out clears the unsent outbox and this device's notifications", async () => {
  await b.page.goto(`${server.origin}/#/settings`);
  // Something unsent left in IndexedDB for another chat.
  await b.page.evaluate(
    (chatId) =>
      new Promise<void>((resolve) => {
        const req = indexedDB.open("veche");
        req.onsuccess = () => {
          const tx = req.result.transaction("outbox", "readwrite");
          tx.objectStore("outbox").put([{ clientId: "left", text: "Не отправлено", createdAt: new Date().toISOString() }], chatId);
          tx.oncomplete = () => resolve();
        };
      }),
    groupId,
  );
  await b.page.evaluate(() => localStorage.setItem("veche.push", JSON.stringify({ id: "s_1", endpoint: "http://127.0.0.1:1/x" })));
  await b.page.getByRole("button", { name: "Выйти", exact: true }).click();
  await b.page.getByRole("heading", { name: "Вход в Вече" }).waitFor();
  const left = await b.page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const req = indexedDB.open("veche");
        req.onsuccess = () => {
          const count = req.result.transaction("outbox").objectStore("outbox").count();
          count.onsuccess = () => resolve(count.result);
        };
      }),
  );
  expect(left).toBe(0);
  expect(await b.page.evaluate(() => localStorage.getItem("veche.push"))).toBeNull();
});

test("after one visit the app shell opens with the server gone", async () => {
  // A fresh session: the previous test signed this browser out.
  const again = await openAs(browser, server.origin, boris.phone);
  await again.page.locator(`[data-chat-id="${directId}"]`).waitFor();
  await again.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  await server.close();
  serverClosed = true;
  await again.context.setOffline(true);
  const res = await again.page.reload();
  expect(res?.fromServiceWorker()).toBe(true);
  expect(await again.page.title()).toBe("Вече");
  // The app runs (its styles and script came from the cache) and says it cannot reach the server.
  await again.page.getByRole("button", { name: "Повторить" }).waitFor();
  const background = await again.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(background).not.toBe("rgba(0, 0, 0, 0)");
  expect(pageErrors(again.page).filter((e) => !/Failed to fetch|network/i.test(e))).toEqual([]);
  await again.context.close();
});
