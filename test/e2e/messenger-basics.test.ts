// Issue 16, the everyday things people expect of a messenger, in two browser contexts: a voice message recorded
// from Chromium's fake microphone and played with its length on the other side, "Голосовое сообщение" and
// "Фото" in the chat list instead of "Вложение", clickable (and only safe) links, a date separator, the unread
// count in the tab's title, and a draft kept per chat through a reload and shown in the chat list.
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { png } from "./fixtures.ts";
import { api, CHROMIUM_ARGS, type Citizen, citizen, type Server, startServer, uniquePhone } from "./harness.ts";

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
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    // A fake microphone (a beep), and no permission prompt for it.
    args: [...CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
  });
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `anna${suffix}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: `boris${suffix}` });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "direct", userId: boris.id },
  });
  chatId = chat.id;
  const mic = { setup: (context: BrowserContext) => context.grantPermissions(["microphone"], { origin: server.origin }) };
  a = await openAs(browser, server.origin, anna.phone, { ...mic, hash: `#/chats/${chatId}` });
  b = await openAs(browser, server.origin, boris.phone, mic);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const chatRow = (page: Page) => page.locator(`[data-chat-id="${chatId}"]`);
const composer = (page: Page) => page.getByLabel("Сообщение", { exact: true });

test("a voice message is recorded, sent, and plays on the other side with its length", async () => {
  await a.page.getByRole("button", { name: "Записать голосовое сообщение" }).click();
  await a.page.getByText(/Идёт запись 0:0[1-9]/).waitFor({ timeout: 10_000 });
  await a.page.waitForTimeout(1_000);
  await a.page.getByRole("button", { name: "Отправить", exact: true }).click();
  // Boris's list says what it is, in words.
  await expect.poll(() => chatRow(b.page).locator(".chat-item-preview").textContent(), { timeout: 15_000 }).toBe("Голосовое сообщение");
  await chatRow(b.page).click();
  const voice = b.page.locator("li.msg .voice").last();
  await voice.locator("audio").waitFor({ timeout: 15_000 });
  expect(await voice.locator(".voice-length").textContent()).toMatch(/^0:0[1-9]$/);
  // The browser can play what was recorded: it knows the codec and reads its data.
  await expect
    .poll(() => voice.locator("audio").evaluate((el: HTMLAudioElement) => el.readyState >= 1 && el.error === null), { timeout: 10_000 })
    .toBe(true);
  const { messages } = await api<{ messages: Array<{ attachments: string[] }> }>(server.origin, `/api/v1/chats/${chatId}/messages`, {
    token: boris.accessToken,
  });
  const id = messages.at(-1)?.attachments[0] ?? "";
  const { media } = await api<{ media: { kind: string; contentType: string; durationMs: number } }>(
    server.origin,
    `/api/v1/media/${id}/info`,
    { token: boris.accessToken },
  );
  expect(media).toMatchObject({ kind: "voice", contentType: "audio/webm" });
  expect(media.durationMs).toBeGreaterThan(1_000);
});

test("a photo is called a photo in the chat list, and today's messages sit under a date separator", async () => {
  await a.page.locator("#attach").setInputFiles({ name: "dvor.png", mimeType: "image/png", buffer: png(120, 90) });
  await a.page.getByRole("button", { name: "Отправить" }).click();
  await b.page.goto(`${server.origin}/#/chats`);
  await expect.poll(() => chatRow(b.page).locator(".chat-item-preview").textContent(), { timeout: 15_000 }).toBe("Фото");
  await chatRow(b.page).click();
  await b.page.locator("li.msg img.media").last().waitFor({ timeout: 15_000 });
  // One separator for today's messages, before the first of them.
  expect(await b.page.locator("[data-testid=messages] > li.day").allTextContents()).toEqual(["Сегодня"]);
  expect(await b.page.locator("[data-testid=messages] > li").first().getAttribute("class")).toBe("day");
});

test("web addresses are links that open in a new tab without the page; other schemes stay text", async () => {
  await composer(a.page).fill("Оплата: https://pay.gov.example/bill?id=7. А это не ссылка: javascript:alert(1)");
  await composer(a.page).press("Enter");
  const text = b.page.locator("li.msg .text").last();
  await text.getByRole("link").waitFor({ timeout: 15_000 });
  const links = await text
    .getByRole("link")
    .evaluateAll((els) =>
      els.map((e) => ({ href: e.getAttribute("href"), text: e.textContent, target: e.getAttribute("target"), rel: e.getAttribute("rel") })),
    );
  // The sentence's full stop is not part of the address.
  expect(links).toEqual([
    {
      href: "https://pay.gov.example/bill?id=7",
      text: "https://pay.gov.example/bill?id=7",
      target: "_blank",
      rel: "noopener noreferrer nofollow",
    },
  ]);
  expect(await text.textContent()).toBe("Оплата: https://pay.gov.example/bill?id=7. А это не ссылка: javascript:alert(1)");
});

test("the tab's title carries the unread count", async () => {
  // Everything read (the chat open at its end), then the list.
  await b.page.goto(`${server.origin}/#/chats/${chatId}`);
  await expect.poll(() => b.page.title(), { timeout: 15_000 }).toBe("Вече");
  await b.page.goto(`${server.origin}/#/chats`);
  await api(server.origin, `/api/v1/chats/${chatId}/messages`, {
    token: anna.accessToken,
    body: { clientId: `t-${suffix}`, text: "Ты дома?" },
  });
  await expect.poll(() => b.page.title(), { timeout: 15_000 }).toBe("(1) Вече");
  await chatRow(b.page).click();
  await expect.poll(() => b.page.title(), { timeout: 15_000 }).toBe("Вече");
});

test("a draft stays with its chat through a reload and shows in the chat list", async () => {
  await b.page.goto(`${server.origin}/#/chats/${chatId}`);
  await composer(b.page).fill("Вечером зайду за");
  await b.page.goto(`${server.origin}/#/chats`);
  await expect.poll(() => chatRow(b.page).locator(".chat-item-preview").textContent()).toBe("Черновик: Вечером зайду за");
  await b.page.reload();
  await chatRow(b.page).click();
  await expect.poll(() => composer(b.page).inputValue()).toBe("Вечером зайду за");
  // Sent, it is no longer a draft.
  await composer(b.page).press("Enter");
  await b.page.goto(`${server.origin}/#/chats`);
  await expect.poll(() => chatRow(b.page).locator(".chat-item-preview").textContent(), { timeout: 15_000 }).toBe("Вы: Вечером зайду за");
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});

test("people are found while typing: by username, and by phone number where they allow it", async () => {
  const vera = await citizen(server.origin, uniquePhone(), { displayName: "Вера Лебедева", username: `vera${suffix}` });
  await api(server.origin, "/api/v1/me/privacy", { method: "PATCH", token: vera.accessToken, body: { phone: "everyone" } });
  await a.page.goto(`${server.origin}/#/chats`);
  await a.page.getByRole("button", { name: "Новый чат" }).click();
  await a.page.getByLabel("Имя пользователя").fill(`ver`);
  const results = a.page.getByRole("list", { name: "Найденные люди" });
  await results.getByRole("button", { name: /Вера Лебедева/ }).click();
  // Picked from the list: the direct chat opens at once.
  await a.page.getByRole("heading", { name: "Вера Лебедева", level: 1 }).waitFor({ timeout: 15_000 });

  // A group: Борис by his username's start, Вера by her number, as people write it.
  await a.page.getByRole("button", { name: "Новый чат" }).click();
  await a.page.getByText("Группа", { exact: true }).click();
  await a.page.getByLabel("Название").fill("Соседи по площадке");
  await a.page.getByLabel("Участники").fill("bor");
  await results.getByRole("button", { name: /Борис/ }).click();
  await a.page.getByLabel("Участники").fill(`8 ${vera.phone.slice(2, 5)} ${vera.phone.slice(5)}`);
  await results.getByRole("button", { name: /Вера Лебедева/ }).click();
  expect(await a.page.locator(".chips li").allTextContents()).toEqual(["Борис✕", "Вера Лебедева✕"]);
  await a.page.getByRole("button", { name: "Создать" }).click();
  await a.page.getByRole("heading", { name: "Соседи по площадке", level: 1 }).waitFor({ timeout: 15_000 });
  const groupId = decodeURIComponent(a.page.url().split("#/chats/")[1] ?? "");
  const { members } = await api<{ members: Array<{ userId: string }> }>(server.origin, `/api/v1/chats/${groupId}/members`, {
    token: anna.accessToken,
  });
  expect(members.map((m) => m.userId).sort()).toEqual([anna.id, boris.id, vera.id].sort());
  expect(pageErrors(a.page)).toEqual([]);
});
