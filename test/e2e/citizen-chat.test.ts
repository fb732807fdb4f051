// Two people chatting live in two browser contexts: a new direct chat by username, live messages and unread
// counts, read receipts, typing, reply, edit, delete, reactions, search, a photo shown inline, and a network
// loss on one side after which nothing is lost or shown twice.
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageTexts, openAs, pageErrors } from "./citizen.ts";
import { png } from "./fixtures.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
let chatId: string;
const suffix = Date.now() % 100000;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `anna${suffix}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: `boris${suffix}` });
  a = await openAs(browser, server.origin, anna.phone);
  b = await openAs(browser, server.origin, boris.phone);
  // Layout shifts (not caused by input) on Boris's page, summed, to check that arriving messages move nothing.
  await b.page.evaluate(() => {
    const w = window as Window & { shift?: number };
    w.shift = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
        if (!e.hadRecentInput) w.shift = (w.shift ?? 0) + e.value;
      }
    }).observe({ type: "layout-shift", buffered: false });
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const composer = (page: Page) => page.getByLabel("Сообщение", { exact: true });

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

/** Waits until the chat shows exactly these texts at its end, with no pending message left. */
async function expectTail(page: Page, texts: string[]): Promise<void> {
  await expect.poll(async () => (await messageTexts(page)).slice(-texts.length), { timeout: 15_000 }).toEqual(texts);
  await expect.poll(() => page.locator("li.pending").count(), { timeout: 15_000 }).toBe(0);
}

test("a new direct chat by username; messages arrive live with unread counts and read receipts", async () => {
  await a.page.getByRole("button", { name: "Новый чат" }).click();
  await a.page.getByLabel("Имя пользователя").fill(`@boris${suffix}`);
  await a.page.getByRole("button", { name: "Начать" }).click();
  await a.page.getByRole("heading", { name: "Борис", level: 1 }).waitFor();
  chatId = decodeURIComponent(a.page.url().split("#/chats/")[1] ?? "");
  expect(chatId).not.toBe("");

  await send(a.page, "Привет, Борис!");
  await expectTail(a.page, ["Привет, Борис!"]);

  // Boris has not opened the chat: his list shows it with the preview and one unread.
  const item = b.page.locator(`[data-chat-id="${chatId}"]`);
  await item.getByText("Привет, Борис!").waitFor();
  await expect.poll(() => item.getByTestId("unread").locator("[aria-hidden=true]").textContent()).toBe("1");

  // Anna's message is sent (one tick) until Boris reads it (two ticks).
  await a.page.locator("li.msg.mine .tick.sent").waitFor();
  await item.click();
  await b.page.getByRole("heading", { name: "Анна", level: 1 }).waitFor();
  await a.page.locator("li.msg.mine .tick.read").waitFor();
  await expect.poll(() => item.getByTestId("unread").count()).toBe(0);

  // Typing is shown to the other side.
  await composer(b.page).pressSequentially("Прив", { delay: 30 });
  await a.page.getByTestId("chat-status").getByText("Борис печатает…").waitFor();
  await composer(b.page).fill("");
  await send(b.page, "Привет, Анна! Как дела?");
  await expectTail(a.page, ["Привет, Борис!", "Привет, Анна! Как дела?"]);
  await expectTail(b.page, ["Привет, Борис!", "Привет, Анна! Как дела?"]);
});

test("reply, edit, delete and reactions reach the other side live", async () => {
  // Anna replies to Boris's message.
  const borisMsg = a.page.locator("li.msg:not(.mine)").last();
  await borisMsg.getByRole("button", { name: "Действия с сообщением" }).click();
  await borisMsg.getByRole("button", { name: "Ответить" }).click();
  await a.page.getByText("Ответ на сообщение: Борис").waitFor();
  await send(a.page, "Хорошо, спасибо");
  const reply = b.page.locator("li.msg", { hasText: "Хорошо, спасибо" });
  await reply.locator(".reply-quote", { hasText: "Привет, Анна! Как дела?" }).waitFor();

  // Anna edits it (arrow up in an empty composer edits the last own message; Esc would cancel).
  await composer(a.page).press("ArrowUp");
  await a.page.getByText("Редактирование").waitFor();
  await composer(a.page).fill("Хорошо, спасибо! А у тебя?");
  await composer(a.page).press("Enter");
  await b.page.locator("li.msg", { hasText: "Хорошо, спасибо! А у тебя?" }).getByText("изменено").waitFor();

  // Boris reacts; Anna sees the reaction with its count.
  const edited = b.page.locator("li.msg", { hasText: "Хорошо, спасибо! А у тебя?" });
  await edited.getByRole("button", { name: "Действия с сообщением" }).click();
  await edited.getByRole("button", { name: "Реакция 👍" }).click();
  await a.page.locator("li.msg", { hasText: "Хорошо, спасибо! А у тебя?" }).getByRole("button", { name: "👍 1" }).waitFor();

  // Anna deletes her first message for everyone: a tombstone on both sides.
  await send(a.page, "Удалю это");
  await b.page.locator("li.msg", { hasText: "Удалю это" }).waitFor();
  a.page.once("dialog", (d) => void d.accept());
  const toDelete = a.page.locator("li.msg", { hasText: "Удалю это" });
  await toDelete.getByRole("button", { name: "Действия с сообщением" }).click();
  await toDelete.getByRole("button", { name: "Удалить" }).click();
  await expect.poll(() => b.page.locator("li.msg", { hasText: "Удалю это" }).count()).toBe(0);
  await b.page.locator("li.msg.deleted").getByText("Сообщение удалено").waitFor();
});

test("a photo is uploaded with a progress bar and shown inline on both sides, its box sized before it loads", async () => {
  await a.page.locator("#attach").setInputFiles({ name: "dvor.png", mimeType: "image/png", buffer: png(400, 300) });
  // Picked, it waits with a preview for its caption; nothing is sent yet.
  const preview = a.page.getByTestId("send-preview");
  await preview.getByRole("img", { name: "dvor.png" }).waitFor();
  expect(await a.page.locator("#composer-input").getAttribute("placeholder")).toBe("Подпись…");
  await a.page.locator("#composer-input").fill("Наш двор весной");
  await a.page.locator("#composer-input").press("Enter");
  await preview.waitFor({ state: "detached" });
  const img = b.page.locator("img.media").last();
  await img.waitFor();
  expect(await img.getAttribute("width")).toBe("400");
  expect(await img.getAttribute("height")).toBe("300");
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(400);
  await a.page
    .locator("img.media")
    .last()
    .evaluate((el: HTMLImageElement) => el.decode());
  expect(await b.page.locator("li.msg", { has: img }).getByText("Наш двор весной").count()).toBe(1);
  // The media is served only with the Authorization header: the page shows it from a blob: URL.
  expect(await img.getAttribute("src")).toMatch(/^blob:/);

  // Opened, it shows full size in a viewer that Escape closes, giving focus back to the photo.
  const open = b.page.getByRole("button", { name: "Открыть фото: dvor.png" }).last();
  await open.click();
  const viewer = b.page.getByTestId("photo-viewer");
  await viewer.getByRole("img", { name: "dvor.png" }).waitFor();
  expect(await viewer.locator("img").getAttribute("src")).toBe(await img.getAttribute("src"));
  await viewer.getByRole("link", { name: "Сохранить" }).waitFor();
  await b.page.keyboard.press("Escape");
  await viewer.waitFor({ state: "detached" });
  expect(await open.evaluate((el) => el === document.activeElement)).toBe(true);
});

test("after a network loss nothing is lost or duplicated: both sides resume from their last seq", async () => {
  // Boris's room sockets from here on pass through the test, which can cut one as a server or proxy would.
  const sockets: WebSocketRoute[] = [];
  await b.page.routeWebSocket(/\/api\/v1\/chats\/[^/]+\/ws/, (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  const before = await messageTexts(b.page);
  await b.context.setOffline(true);
  await b.page.getByTestId("chat-status").getByText("Нет соединения").waitFor();

  // Anna keeps writing while Boris is away; Boris writes too, and his message waits in his outbox.
  for (const text of ["Ты тут?", "Пишу, пока тебя нет", "Третье сообщение"]) await send(a.page, text);
  await send(b.page, "Я был без сети");
  await b.page.locator("li.pending", { hasText: "Я был без сети" }).waitFor();
  await b.page.waitForTimeout(1500);

  await b.context.setOffline(false);
  const expected = ["Ты тут?", "Пишу, пока тебя нет", "Третье сообщение", "Я был без сети"];
  await expectTail(b.page, expected);
  await expectTail(a.page, expected);
  // Give any duplicate (a retried send, a replayed frame) time to show up, then count.
  await b.page.waitForTimeout(1500);
  let after = await messageTexts(b.page);
  expect(after).toEqual([...before.filter((t) => !expected.includes(t)), ...expected]);
  for (const text of expected) expect(after.filter((t) => t === text)).toHaveLength(1);
  // The server stored each once, in this order.

  // The socket is cut without any offline signal (code 1006, as a dropped connection looks): the client
  // reconnects with backoff and asks the room for everything after the last seq it has.
  await expect.poll(() => sockets.length).toBeGreaterThan(0);
  await sockets.at(-1)?.close({ code: 4999, reason: "cut by the test" });
  for (const text of ["После обрыва 1", "После обрыва 2"]) await send(a.page, text);
  expected.push("После обрыва 1", "После обрыва 2");
  await expectTail(b.page, expected);
  await expect.poll(() => sockets.length).toBeGreaterThan(1);
  await b.page.waitForTimeout(1000);
  after = await messageTexts(b.page);
  for (const text of expected) expect(after.filter((t) => t === text)).toHaveLength(1);

  const { messages } = await api<{ messages: { text: string | null }[] }>(server.origin, `/api/v1/chats/${chatId}/messages?limit=200`, {
    token: anna.accessToken,
  });
  const stored = messages.map((m) => m.text);
  expect(stored.slice(-expected.length)).toEqual(expected);
  for (const text of expected) expect(stored.filter((t) => t === text)).toHaveLength(1);
});

test("search in the chat jumps to the message; nothing on Boris's page shifted as messages arrived", async () => {
  await b.page.getByRole("button", { name: "Поиск в чате" }).click();
  await b.page.getByRole("searchbox", { name: "Поиск в чате" }).fill("тебя нет");
  await b.page.getByRole("button", { name: "Поиск", exact: true }).click();
  await b.page.locator(".search-results button", { hasText: "Пишу, пока тебя нет" }).click();
  await expect.poll(() => b.page.evaluate(() => document.activeElement?.textContent ?? "")).toContain("Пишу, пока тебя нет");

  const shift = await b.page.evaluate(() => (window as Window & { shift?: number }).shift ?? 0);
  expect(shift).toBeLessThan(0.01);
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});

test("forwarding a message, and a file that is not a photo is offered as a download", async () => {
  // Boris forwards Anna's message into a group with her.
  const { chat: group } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: boris.accessToken,
    body: { type: "group", title: "Дом 5", memberIds: [anna.id] },
  });
  const original = b.page.locator("li.msg", { hasText: "Третье сообщение" });
  await original.getByRole("button", { name: "Действия с сообщением" }).click();
  await original.getByRole("button", { name: "Переслать" }).click();
  await b.page.getByRole("dialog", { name: "Переслать в чат" }).getByRole("button", { name: "Дом 5" }).click();
  await a.page.locator(`[data-chat-id="${group.id}"]`).click();
  const forwarded = a.page.locator("li.msg", { hasText: "Третье сообщение" });
  await forwarded.getByText("Переслано").waitFor();

  await a.page.locator("#attach").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("список покупок") });
  // A file that is not a picture is shown by its name before it goes; dropped, nothing is sent.
  await a.page.getByTestId("send-preview").locator(".file-chip", { hasText: "notes.txt" }).waitFor();
  await a.page.getByRole("button", { name: "Отмена notes.txt" }).click();
  await a.page.getByTestId("send-preview").waitFor({ state: "detached" });
  await a.page.locator("#attach").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("список покупок") });
  await a.page.getByRole("button", { name: "Отправить" }).click();
  await b.page.locator(`[data-chat-id="${group.id}"]`).click();
  const button = b.page.getByRole("button", { name: /Скачать notes\.txt/ });
  const [download] = await Promise.all([b.page.waitForEvent("download"), button.click()]);
  expect(download.suggestedFilename()).toBe("notes.txt");
  const path = await download.path();
  expect(readFileSync(path, "utf8")).toBe("список покупок");
});

test("a channel created in the app: its subscribers read it live but cannot post", async () => {
  await a.page.getByRole("button", { name: "Новый чат" }).click();
  await a.page.getByText("Канал", { exact: true }).click();
  await a.page.getByLabel("Название").fill("Новости двора");
  await a.page.getByLabel("Участники").fill(`boris${suffix}`);
  await a.page.getByRole("button", { name: "Создать" }).click();
  await a.page.getByRole("heading", { name: "Новости двора", level: 1 }).waitFor();
  await a.page.getByText("Канал · 2 подписчика").waitFor();

  const item = b.page.locator(".chat-item", { hasText: "Новости двора" });
  await item.click();
  await b.page.getByText("Писать в канал могут только администраторы.").waitFor();
  expect(await composer(b.page).count()).toBe(0);
  await send(a.page, "Во вторник отключат воду");
  await b.page.locator("li.msg", { hasText: "Во вторник отключат воду" }).waitFor();
});

test("history loads page by page while scrolling up, keeping the reader's place", async () => {
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "group", title: "Длинная история", memberIds: [boris.id] },
  });
  for (let i = 1; i <= 130; i++) {
    await api(server.origin, `/api/v1/chats/${chat.id}/messages`, {
      token: anna.accessToken,
      body: { clientId: `h${i}`, text: `Сообщение ${i}` },
    });
  }
  await b.page.goto(`${server.origin}/#/chats/${chat.id}`);
  await b.page.locator("li.msg", { hasText: "Сообщение 130" }).waitFor();
  expect(await b.page.locator("[data-testid=messages] > li.msg").count()).toBe(50);

  const log = b.page.locator(".log");
  const topOf = (n: number) =>
    b.page.locator("li.msg .text", { hasText: new RegExp(`^Сообщение ${n}$`) }).evaluate((el) => el.getBoundingClientRect().top);
  await log.evaluate((el) => {
    el.scrollTop = 0;
  });
  await expect.poll(() => b.page.locator("[data-testid=messages] > li.msg").count()).toBe(100);
  // The message that was at the top is still where the reader left it, not pushed away by the older page.
  const logTop = await log.evaluate((el) => el.getBoundingClientRect().top);
  expect(Math.abs((await topOf(81)) - logTop)).toBeLessThan(120);

  await log.evaluate((el) => {
    el.scrollTop = 0;
  });
  await expect.poll(() => b.page.locator("[data-testid=messages] > li.msg").count()).toBe(130);
  await b.page.getByText("Начало переписки").waitFor();
  const texts = await messageTexts(b.page);
  expect(texts).toEqual(Array.from({ length: 130 }, (_, i) => `Сообщение ${i + 1}`));
});

test("on a phone the list and a chat each take the whole screen, with a way back", async () => {
  const phone = await openAs(browser, server.origin, anna.phone, { viewport: { width: 390, height: 780 } });
  const item = phone.page.locator(`[data-chat-id="${chatId}"]`);
  await item.waitFor();
  expect(await phone.page.locator("main").isVisible()).toBe(false);
  await item.click();
  await phone.page.getByRole("heading", { name: "Борис", level: 1 }).waitFor();
  expect(await phone.page.locator(".sidebar").isVisible()).toBe(false);
  const width = await phone.page.locator(".chat").evaluate((el) => el.getBoundingClientRect().width);
  expect(width).toBe(390);
  await phone.page.getByRole("link", { name: "Назад" }).click();
  await item.waitFor();
  expect(pageErrors(phone.page)).toEqual([]);
  await phone.context.close();
});
