// Issue 13, public channels in the web app: an owner creates a public channel from the new-chat form; a second
// person finds it by @name from the same form, sees its page (name, subscribers, the latest posts, the link
// to share), subscribes, and then gets the next post live, in the channel opened like any chat.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageTexts, openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let owner: Citizen;
let reader: Citizen;
let o: { context: BrowserContext; page: Page };
let r: { context: BrowserContext; page: Page };
const suffix = Date.now() % 100000;
const channelName = `city${suffix}`;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  owner = await citizen(server.origin, uniquePhone(), { displayName: "Мэрия", username: `mayor${suffix}` });
  reader = await citizen(server.origin, uniquePhone(), { displayName: "Вера", username: `vera${suffix}` });
  o = await openAs(browser, server.origin, owner.phone);
  r = await openAs(browser, server.origin, reader.phone);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("the owner creates a public channel with a public name and posts in it", async () => {
  await o.page.getByRole("button", { name: "Новый чат" }).click();
  await o.page.getByText("Канал", { exact: true }).click();
  await o.page.getByLabel("Название").fill("Новости города");
  await o.page.getByLabel("Публичная ссылка (необязательно)").fill(channelName);
  await o.page.getByRole("button", { name: "Создать" }).click();
  await o.page.getByRole("heading", { name: "Новости города", level: 1 }).waitFor();
  const chatId = decodeURIComponent(o.page.url().split("#/chats/")[1] ?? "");
  // The channel's header names it as people do, and links to its page.
  await o.page.getByText("Канал · 1 подписчик").waitFor();
  await o.page.getByTestId("channel-public-name").getByText(`@${channelName}`).waitFor();
  const found = await api<{ chat: { id: string }; username: string }>(server.origin, `/api/v1/channels/${channelName}`, {
    token: reader.accessToken,
  });
  expect(found.chat.id).toBe(chatId);
  const composer = o.page.getByLabel("Сообщение", { exact: true });
  await composer.fill("Завтра перекроют Садовую улицу");
  await composer.press("Enter");
  await expect.poll(async () => (await messageTexts(o.page)).slice(-1), { timeout: 15_000 }).toEqual(["Завтра перекроют Садовую улицу"]);
});

test("a second person finds the channel by @name, sees its page and posts, subscribes and gets the next post live", async () => {
  await r.page.getByRole("button", { name: "Новый чат" }).click();
  await r.page.getByLabel("Имя пользователя").fill(`@${channelName}`);
  await r.page.getByRole("button", { name: "Начать" }).click();
  const page = r.page.getByTestId("channel-page");
  await page.waitFor();
  expect(r.page.url()).toContain(`#/channels/${channelName}`);
  await r.page.getByRole("heading", { name: "Новости города", level: 1 }).waitFor();
  await expect.poll(() => r.page.getByTestId("subscriber-count").textContent()).toBe("1 подписчик");
  await expect
    .poll(() => r.page.getByTestId("channel-posts").locator(".text").allTextContents())
    .toEqual(["Завтра перекроют Садовую улицу"]);
  // The link to share opens this page.
  const link = await r.page.getByRole("textbox", { name: "Ссылка на канал" }).inputValue();
  expect(link).toBe(`${server.origin}/#/channels/${channelName}`);
  await r.page.getByRole("button", { name: "Копировать" }).waitFor();

  await r.page.getByTestId("join-channel").click();
  await r.page.waitForURL(/#\/chats\//);
  const chatId = decodeURIComponent(r.page.url().split("#/chats/")[1] ?? "");
  await r.page.locator(`[data-chat-id="${chatId}"]`).waitFor();
  await expect.poll(async () => messageTexts(r.page), { timeout: 15_000 }).toEqual(["Завтра перекроют Садовую улицу"]);
  // A subscriber reads; only the owner posts.
  expect(await r.page.getByLabel("Сообщение", { exact: true }).count()).toBe(0);

  await api(server.origin, `/api/v1/chats/${chatId}/messages`, {
    token: owner.accessToken,
    body: { clientId: "e2e-next", text: "Перекрытие продлится до 18:00" },
  });
  await expect
    .poll(async () => messageTexts(r.page), { timeout: 15_000 })
    .toEqual(["Завтра перекроют Садовую улицу", "Перекрытие продлится до 18:00"]);
  const members = await api<{ members: { userId: string; role: string }[] }>(server.origin, `/api/v1/chats/${chatId}/members`, {
    token: owner.accessToken,
  });
  expect(members.members.find((m) => m.userId === reader.id)?.role).toBe("member");
  expect(pageErrors(r.page)).toEqual([]);
  expect(pageErrors(o.page)).toEqual([]);
});

test("a subscriber's reaction reaches the owner as a count, and the owner sees how many read each post", async () => {
  const { chat } = await api<{ chat: { id: string } }>(server.origin, `/api/v1/channels/${channelName}`, { token: reader.accessToken });
  await o.page.goto(`${server.origin}/#/chats/${chat.id}`);
  await r.page.goto(`${server.origin}/#/chats/${chat.id}`);
  const last = (page: Page) => page.locator("[data-testid=messages] > li.msg").last();
  await expect.poll(async () => messageTexts(r.page), { timeout: 15_000 }).toHaveLength(2);
  // Both read the latest post (the owner by posting it, the subscriber by having it open): 2 views, live.
  await expect.poll(() => last(o.page).locator(".views").getAttribute("title"), { timeout: 15_000 }).toBe("2 просмотра");
  await last(r.page).getByRole("button", { name: "Действия с сообщением" }).click();
  await last(r.page).getByRole("button", { name: "Реакция 👍" }).click();
  // The subscriber's own reaction is shown as theirs; the owner gets the count with the next tick.
  await expect.poll(() => last(r.page).locator(".reactions button").getAttribute("aria-pressed"), { timeout: 15_000 }).toBe("true");
  await expect.poll(() => last(o.page).locator(".reactions button").textContent(), { timeout: 15_000 }).toBe("👍 1");
  expect(await last(o.page).locator(".reactions button").getAttribute("aria-pressed")).toBe("false");
  // Taken back: gone on both.
  await last(r.page).locator(".reactions button").click();
  await expect.poll(() => last(o.page).locator(".reactions button").count(), { timeout: 15_000 }).toBe(0);
  await expect.poll(() => last(r.page).locator(".reactions button").count(), { timeout: 15_000 }).toBe(0);
  expect(pageErrors(r.page)).toEqual([]);
  expect(pageErrors(o.page)).toEqual([]);
});

test("an invite link made in a private channel lets the second person in", async () => {
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: owner.accessToken,
    body: { type: "channel", title: "Совет дома" },
  });
  await o.page.goto(`${server.origin}/#/chats/${chat.id}`);
  await o.page.getByRole("heading", { name: "Совет дома", level: 1 }).waitFor();
  // A channel's invite links are in its settings, opened from the header.
  await o.page.getByRole("button", { name: "Управление каналом", exact: true }).click();
  await o.page.getByRole("button", { name: "Создать пригласительную ссылку" }).click();
  const url = await o.page.getByTestId("invite-url").inputValue();
  await o.page.getByRole("button", { name: "Закрыть" }).click();
  expect(url).toMatch(new RegExp(`^${server.origin}/#/join/[\\w-]{32}$`));
  await r.page.goto(url);
  await r.page.getByRole("button", { name: "Присоединиться" }).click();
  await r.page.getByRole("heading", { name: "Совет дома", level: 1 }).waitFor();
  expect(r.page.url()).toContain(`#/chats/${chat.id}`);
  // A subscriber makes no invite links: their header offers only what a subscriber does.
  expect(await r.page.getByRole("button", { name: "Управление каналом", exact: true }).count()).toBe(0);
  await r.page.getByRole("button", { name: "О канале", exact: true }).click();
  await r.page.getByRole("button", { name: "Покинуть канал" }).waitFor();
  expect(await r.page.getByRole("button", { name: "Создать пригласительную ссылку" }).count()).toBe(0);
});

test("an unknown channel name says so in people's words", async () => {
  await r.page.goto(`${server.origin}/#/channels/nosuch${suffix}`);
  await expect.poll(() => r.page.getByTestId("channel-missing").textContent()).toContain(`Канал @nosuch${suffix} не найден`);
});
