// Catching up after time away: while Boris's page is offline, Anna edits a message, deletes another, reacts
// to a third, renames the group and writes to him elsewhere. When his page is back online it shows all of
// it from the change numbers (`pts`) its sockets resume from, without re-reading the history; a change
// frame that never reached the page is fetched from GET /changes.
import { once } from "node:events";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import WebSocket from "ws";
import { messageTexts, openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let b: { context: BrowserContext; page: Page };
let groupId: string;
let directId: string;
/** The seqs of Anna's first three messages in the group. */
const seq = { first: 0, second: 0, third: 0 };
/** Every room socket Boris's page opened, and every request it made, in order. */
const sockets: string[] = [];
const requests: string[] = [];
/** Frames the page dropped because they matched no schema of src/chat/protocol.ts, and failed catch-ups. */
const warnings: string[] = [];
const suffix = Date.now() % 100000;

const asAnna = <T = Record<string, unknown>>(path: string, opts: { body?: unknown; method?: string } = {}) =>
  api<T>(server.origin, `/api/v1${path}`, { token: anna.accessToken, ...opts });

let said = 0;
async function annaSays(chatId: string, text: string): Promise<number> {
  said += 1;
  const { message } = await asAnna<{ message: { seq: number } }>(`/chats/${chatId}/messages`, {
    body: { clientId: `sync-${said}`, text },
  });
  return message.seq;
}

/** Anna posts `n` messages over a room socket of her own (quicker than one HTTP request each). */
async function annaPosts(chatId: string, n: number, prefix: string): Promise<void> {
  const ws = new WebSocket(`${server.origin.replace(/^http/, "ws")}/api/v1/chats/${chatId}/ws`, {
    headers: { authorization: `Bearer ${anna.accessToken}` },
  });
  await once(ws, "open");
  let acked = 0;
  const done = new Promise<void>((resolve, reject) => {
    ws.on("message", (data) => {
      for (const f of [JSON.parse(String(data))].flat() as { type: string }[]) {
        if (f.type === "ack" && ++acked === n) resolve();
        if (f.type === "error") reject(new Error(`refused: ${JSON.stringify(f)}`));
      }
    });
  });
  for (let i = 1; i <= n; i++) ws.send(JSON.stringify({ type: "send", clientId: `bulk-${i}`, text: `${prefix} ${i}` }));
  await done;
  ws.close();
}

const msg = (seq: number) => b.page.locator(`li.msg[data-seq="${seq}"]`);
const listItem = (chatId: string) => b.page.locator(`[data-chat-id="${chatId}"]`);
const unread = (chatId: string) => listItem(chatId).getByTestId("unread").locator("[aria-hidden=true]");

beforeAll(async () => {
  // Anna seeds 1,150 messages at once below, far past a person's sending limit: limits observe, not refuse.
  server = await startServer({ observeLimits: true });
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `anna${suffix}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: `boris${suffix}` });
  ({
    chat: { id: groupId },
  } = await asAnna<{ chat: { id: string } }>("/chats", { body: { type: "group", title: "Двор 7", memberIds: [boris.id] } }));
  ({
    chat: { id: directId },
  } = await asAnna<{ chat: { id: string } }>("/chats", { body: { type: "direct", userId: boris.id } }));
  seq.first = await annaSays(groupId, "Первое");
  seq.second = await annaSays(groupId, "Второе");
  seq.third = await annaSays(groupId, "Третье");
  await annaSays(directId, "Привет, Борис");

  b = await openAs(browser, server.origin, boris.phone, { hash: `#/chats/${groupId}` });
  b.page.on("websocket", (ws) => {
    if (/\/chats\/[^/]+\/ws/.test(ws.url())) sockets.push(ws.url());
  });
  b.page.on("request", (r) => {
    requests.push(r.url());
  });
  b.page.on("console", (m) => {
    if (m.type() === "warning" && /frame|change|catching up|reloading/.test(m.text())) warnings.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("edits, deletions, reactions, a new title and unread counts made while offline show after reconnecting", async () => {
  await b.page.getByRole("heading", { name: "Двор 7", level: 1 }).waitFor();
  await expect.poll(() => messageTexts(b.page)).toEqual(["Первое", "Второе", "Третье"]);
  await expect.poll(() => unread(directId).textContent()).toBe("1");

  await b.context.setOffline(true);
  await b.page.getByTestId("chat-status").getByText("Нет соединения").waitFor();
  const offlineAt = requests.length;
  const socketsBefore = sockets.length;

  // Anna, while Boris is away. The new message comes first: a client that resumed from the last seq it has
  // (`?after=`) would get it, and then nothing of what follows.
  const newSeq = await annaSays(groupId, "Новое в группе");
  await asAnna(`/chats/${groupId}/messages/${seq.first}`, { method: "PATCH", body: { text: "Первое, исправленное" } });
  await asAnna(`/chats/${groupId}/messages/${seq.second}`, { method: "DELETE" });
  await asAnna(`/chats/${groupId}/messages/${seq.third}/reactions/${encodeURIComponent("👍")}`, { method: "PUT" });
  await asAnna(`/chats/${groupId}`, { method: "PATCH", body: { title: "Двор 7, подъезд 2" } });
  await annaSays(directId, "Ты где?");
  await annaSays(directId, "Жду ответа");
  await b.page.waitForTimeout(1000);
  // Nothing reached the page while it was offline.
  expect(await msg(seq.first).textContent()).not.toContain("исправленное");

  await b.context.setOffline(false);

  // The open chat: the edit, the tombstone, the reaction, the new message and the new title.
  await msg(seq.first).getByText("Первое, исправленное").waitFor();
  await msg(seq.first).getByText("изменено").waitFor();
  await msg(seq.second).getByText("Сообщение удалено").waitFor();
  expect(await msg(seq.second).getAttribute("class")).toContain("deleted");
  await msg(seq.third).getByRole("button", { name: "👍 1" }).waitFor();
  await msg(newSeq).getByText("Новое в группе").waitFor();
  await b.page.getByRole("heading", { name: "Двор 7, подъезд 2", level: 1 }).waitFor();
  await expect.poll(() => messageTexts(b.page)).toEqual(["Первое, исправленное", "Сообщение удалено", "Третье", "Новое в группе"]);

  // The chat list: the group renamed, read up to its newest message (the chat is open and in view); the
  // direct chat with Anna's last message and three unread.
  await listItem(groupId).getByText("Двор 7, подъезд 2").waitFor();
  await listItem(groupId).getByText("Новое в группе").waitFor();
  await expect.poll(() => listItem(groupId).getByTestId("unread").count(), { timeout: 10_000 }).toBe(0);
  await listItem(directId).getByText("Жду ответа").waitFor();
  await expect.poll(() => unread(directId).textContent()).toBe("3");

  // It caught up through the room socket from its pts, not by re-reading the history.
  expect(sockets.length).toBeGreaterThan(socketsBefore);
  const reconnect = sockets.at(-1) ?? "";
  expect(new URL(reconnect).searchParams.get("pts")).toMatch(/^\d+$/);
  expect(new URL(reconnect).searchParams.has("after")).toBe(false);
  const reread = requests.slice(offlineAt).filter((u) => u.includes(`/chats/${groupId}/messages?`));
  expect(reread).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
  expect(warnings).toEqual([]);
});

test("a change frame that never arrived is fetched from GET /changes when the next one shows the gap", async () => {
  // Boris's room sockets from here on pass through the test, which drops the frame carrying an edit.
  let dropped = 0;
  await b.page.routeWebSocket(/\/api\/v1\/chats\/[^/]+\/ws/, (ws) => {
    const upstream = ws.connectToServer();
    upstream.onMessage((data) => {
      if (typeof data === "string" && data.includes('"type":"edited"') && dropped === 0) {
        dropped += 1;
        return;
      }
      ws.send(data);
    });
  });
  // Reopen the group so its socket goes through the route.
  await listItem(directId).click();
  await b.page.getByRole("heading", { name: "Анна", level: 1 }).waitFor();
  await listItem(groupId).click();
  await b.page.getByRole("heading", { name: "Двор 7, подъезд 2", level: 1 }).waitFor();
  await msg(seq.third).waitFor();
  await b.page.waitForTimeout(500);
  const before = requests.length;

  await asAnna(`/chats/${groupId}/messages/${seq.third}`, { method: "PATCH", body: { text: "Третье, исправленное" } });
  await expect.poll(() => dropped).toBe(1);
  await b.page.waitForTimeout(500);
  expect(await msg(seq.third).textContent()).not.toContain("исправленное");

  // The next change (a reaction taken back) is one past the missing edit: the page fills the gap first.
  await asAnna(`/chats/${groupId}/messages/${seq.third}/reactions/${encodeURIComponent("👍")}`, { method: "DELETE" });
  await msg(seq.third).getByText("Третье, исправленное").waitFor();
  await expect.poll(() => msg(seq.third).getByRole("button", { name: "👍 1" }).count()).toBe(0);
  expect(requests.slice(before).some((u) => u.includes(`/chats/${groupId}/changes?pts=`))).toBe(true);
  expect(pageErrors(b.page)).toEqual([]);
  expect(warnings).toEqual([]);
});

test("further behind than the room keeps changes: the page reloads the chat over HTTP and goes on live from there", async () => {
  await b.context.setOffline(true);
  await b.page.getByTestId("chat-status").getByText("Нет соединения").waitFor();
  const offlineAt = requests.length;
  // More changes than the room keeps for catch-up (at least the last 1,000; it prunes past 1,100).
  await annaPosts(groupId, 1150, "Пачка");
  await b.context.setOffline(false);

  await b.page.locator("li.msg", { hasText: /^Пачка 1150/ }).waitFor({ timeout: 30_000 });
  const latest = Array.from({ length: 50 }, (_, i) => `Пачка ${1101 + i}`);
  await expect.poll(() => messageTexts(b.page), { timeout: 15_000 }).toEqual(latest);
  // It re-read the history (the socket said too_long instead of replaying 1,150 changes).
  expect(requests.slice(offlineAt).some((u) => u.includes(`/chats/${groupId}/messages?`))).toBe(true);

  // And it goes on live from the chat's pts.
  await asAnna(`/chats/${groupId}`, { method: "PATCH", body: { title: "Двор 7, после перерыва" } });
  await annaSays(groupId, "Снова на связи");
  await b.page.getByRole("heading", { name: "Двор 7, после перерыва", level: 1 }).waitFor();
  await expect.poll(async () => (await messageTexts(b.page)).at(-1)).toBe("Снова на связи");
  expect(pageErrors(b.page)).toEqual([]);
  expect(warnings).toEqual([]);
});
