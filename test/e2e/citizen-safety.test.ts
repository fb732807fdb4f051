// Blocking and reporting in two browser contexts: Anna reports a message of Boris's, blocks Boris from their direct chat's header, his next
// message is refused and shown as not sent, she reports him, then unblocks him on the privacy screen (where
// she also limits who may start chats with her) and his messages reach her again.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageTexts, openAs, pageErrors } from "./citizen.ts";
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
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `annas${suffix}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: `boriss${suffix}` });
  const chat = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: boris.accessToken,
    body: { type: "direct", userId: anna.id },
  });
  chatId = chat.chat.id;
  await api(server.origin, `/api/v1/chats/${chatId}/messages`, {
    token: boris.accessToken,
    body: { clientId: "hello", text: "Привет, Анна" },
  });
  a = await openAs(browser, server.origin, anna.phone, { hash: `#/chats/${encodeURIComponent(chatId)}` });
  b = await openAs(browser, server.origin, boris.phone, { hash: `#/chats/${encodeURIComponent(chatId)}` });
  // The block asks for confirmation.
  a.page.on("dialog", (d) => void d.accept());
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

test("a message is reported; a blocked person's message is refused and shown as not sent; the blocker reports them", async () => {
  await a.page.getByRole("heading", { name: "Борис", level: 1 }).waitFor();
  await b.page.getByRole("heading", { name: "Анна", level: 1 }).waitFor();
  await expect.poll(() => messageTexts(a.page)).toEqual(["Привет, Анна"]);

  // A message is reported from its own tools.
  const borisMsg = a.page.locator("li.msg:not(.mine)").last();
  await borisMsg.getByRole("button", { name: "Действия с сообщением" }).click();
  await borisMsg.getByRole("button", { name: "Пожаловаться" }).click();
  const reportDialog = a.page.getByRole("dialog", { name: "Жалоба на сообщение" });
  await reportDialog.getByLabel("Спам или реклама").check();
  await reportDialog.getByRole("button", { name: "Отправить жалобу" }).click();
  await reportDialog.getByText("Жалоба отправлена. Её рассмотрит модератор Вече.").waitFor();
  await reportDialog.getByRole("button", { name: "Закрыть" }).click();
  await expect.poll(() => a.page.getByRole("dialog").count()).toBe(0);
  // Nobody reports their own messages: Boris's tools on his message have no such action.
  const own = b.page.locator("li.msg.mine").last();
  await own.getByRole("button", { name: "Действия с сообщением" }).click();
  await own.getByRole("button", { name: "Переслать" }).waitFor();
  expect(await own.getByRole("button", { name: "Пожаловаться" }).count()).toBe(0);
  await own.getByRole("button", { name: "Действия с сообщением" }).click();

  await a.page.getByRole("button", { name: "О собеседнике" }).click();
  const dialog = a.page.getByRole("dialog");
  await dialog.getByRole("heading", { name: "Борис" }).waitFor();
  await dialog.getByRole("button", { name: "Заблокировать" }).click();
  await dialog.getByText("Заблокировано").waitFor();
  await dialog.getByRole("button", { name: "Разблокировать" }).waitFor();
  const blocks = await api<{ blocks: { userId: string }[] }>(server.origin, "/api/v1/blocks", { token: anna.accessToken });
  expect(blocks.blocks.map((x) => x.userId)).toEqual([boris.id]);

  // Boris writes: the server refuses it and his app says so, in words.
  await send(b.page, "Ты меня слышишь?");
  const failed = b.page.locator("li.pending.failed");
  await failed.getByText("Не отправлено: собеседник ограничил сообщения от вас").waitFor();
  await expect.poll(() => failed.locator(".text").textContent()).toBe("Ты меня слышишь?");
  const history = await api<{ messages: { text: string }[] }>(server.origin, `/api/v1/chats/${chatId}/messages`, {
    token: anna.accessToken,
  });
  expect(history.messages.map((m) => m.text)).toEqual(["Привет, Анна"]);

  // Anna reports him, with a reason and a comment.
  await dialog.getByRole("button", { name: "Пожаловаться" }).click();
  await dialog.getByLabel("Оскорбления или травля").check();
  await dialog.getByLabel("Комментарий (необязательно)").fill("Пишет после отказа");
  await dialog.getByRole("button", { name: "Отправить жалобу" }).click();
  await dialog.getByText("Жалоба отправлена. Её рассмотрит модератор Вече.").waitFor();
  await dialog.getByRole("button", { name: "Закрыть" }).click();
  await expect.poll(() => a.page.getByRole("dialog").count()).toBe(0);
  expect(await messageTexts(a.page)).toEqual(["Привет, Анна"]);
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});

test("the privacy screen: settings apply at once, blocked people are listed and unblocked", async () => {
  await a.page.goto(`${server.origin}/#/settings`);
  await a.page.getByRole("link", { name: "Конфиденциальность и блокировки" }).click();
  await a.page.getByRole("heading", { name: "Конфиденциальность", level: 1 }).waitFor();

  await a.page.getByLabel("Начинать со мной личный чат").selectOption("contacts");
  await a.page.getByText("Настройки применены").waitFor();
  const privacy = await api<{ privacy: Record<string, string> }>(server.origin, "/api/v1/me/privacy", { token: anna.accessToken });
  expect(privacy.privacy).toEqual({ groupInvites: "everyone", directMessages: "contacts", lastSeen: "everyone", phone: "nobody" });

  const blocked = a.page.getByRole("list", { name: "Заблокированные" });
  await blocked.locator("strong", { hasText: "Борис" }).waitFor();
  await blocked.getByRole("button", { name: /Разблокировать/ }).click();
  await a.page.getByText("Вы никого не заблокировали.").waitFor();

  // Contacts: added by username, listed, removed.
  await a.page.getByLabel("Добавить в контакты по имени пользователя").fill(`@boriss${suffix}`);
  await a.page.getByRole("button", { name: "Добавить в контакты" }).click();
  const contacts = a.page.getByRole("list", { name: "Контакты" });
  await contacts.locator("strong", { hasText: "Борис" }).waitFor();

  // Unblocked, Boris's next message reaches Anna (the chat he opened stays open to both).
  await send(b.page, "А теперь?");
  await a.page.goto(`${server.origin}/#/chats/${encodeURIComponent(chatId)}`);
  await expect.poll(() => messageTexts(a.page), { timeout: 15_000 }).toEqual(["Привет, Анна", "А теперь?"]);
  expect(pageErrors(a.page)).toEqual([]);
});
