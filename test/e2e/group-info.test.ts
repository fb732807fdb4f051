// A group's info panel, with two people at once: its members with their roles and whether they are online;
// the owner adds someone found by search, makes a member an admin, removes someone and renames the group;
// the other person sees the new name and leaves.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, eventually, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let vera: Citizen;
let chatId: string;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
const veraName = `vera${Date.now().toString(36)}`;

const chatIds = async (who: Citizen) =>
  (await api<{ chats: { id: string }[] }>(server.origin, "/api/v1/chats", { token: who.accessToken })).chats.map((c) => c.id);

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис" });
  vera = await citizen(server.origin, uniquePhone(), { displayName: "Вера", username: veraName });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "group", title: "Двор", memberIds: [boris.id] },
  });
  chatId = chat.id;
  // Boris has the app open (so he is online) and lets everyone see it.
  await api(server.origin, "/api/v1/me/privacy", { method: "PATCH", token: boris.accessToken, body: { lastSeen: "everyone" } });
  b = await openAs(browser, server.origin, boris.phone, { hash: `#/chats/${chatId}` });
  await b.page.getByRole("heading", { name: "Двор" }).waitFor();
  a = await openAs(browser, server.origin, anna.phone, { hash: `#/chats/${chatId}` });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const dialog = () => a.page.getByRole("dialog", { name: "Сведения о группе" });
const member = (page: Page, name: string) => page.getByTestId("members").locator("li", { hasText: name });

test("the info panel lists the members with their roles and presence", async () => {
  await a.page.getByRole("button", { name: "Сведения о группе" }).click();
  await dialog().waitFor();
  await expect.poll(() => dialog().getByTestId("settings-subscriber-count").textContent()).toContain("2 участника");
  await expect.poll(() => member(a.page, "Вы").textContent()).toContain("владелец");
  await expect.poll(() => member(a.page, "Борис").textContent()).toContain("участник");
  await expect.poll(() => member(a.page, "Борис").textContent()).toContain("В сети");
});

test("the owner adds a person found by search, makes a member an admin, and removes someone", async () => {
  await dialog().getByLabel("Добавить участника").fill(veraName);
  await dialog().getByRole("button", { name: /Вера/ }).click();
  await dialog().getByRole("status").filter({ hasText: "Вера теперь в группе." }).waitFor();
  await member(a.page, "Вера").waitFor();
  expect(await eventually(async () => (await chatIds(vera)).includes(chatId))).toBe(true);

  await member(a.page, "Борис").getByRole("button", { name: "Сделать администратором Борис" }).click();
  await dialog().getByRole("status").filter({ hasText: "Борис теперь администратор." }).waitFor();
  await expect.poll(() => member(a.page, "Борис").textContent()).toContain("администратор");

  await member(a.page, "Вера").getByRole("button", { name: "Удалить из группы Вера" }).click();
  await dialog().getByRole("status").filter({ hasText: "Вера больше не в группе." }).waitFor();
  await member(a.page, "Вера").waitFor({ state: "detached" });
  expect(await eventually(async () => !(await chatIds(vera)).includes(chatId))).toBe(true);
});

test("renamed in the panel, the group's new name reaches the other person; they leave it", async () => {
  await dialog().locator("#cs-title").fill("Двор 7");
  await dialog().getByRole("button", { name: "Переименовать" }).click();
  await b.page.getByRole("heading", { name: "Двор 7" }).waitFor();
  await a.page.keyboard.press("Escape");
  await dialog().waitFor({ state: "hidden" });

  // Boris, now an admin, sees the panel too, and leaves after confirming.
  await b.page.getByRole("button", { name: "Сведения о группе" }).click();
  const his = b.page.getByRole("dialog", { name: "Сведения о группе" });
  await expect.poll(() => member(b.page, "Вы").textContent()).toContain("администратор");
  await his.getByRole("button", { name: "Выйти из группы" }).click();
  await his.getByRole("button", { name: "Покинуть" }).click();
  await b.page.waitForURL(/#\/chats$/);
  expect(await eventually(async () => !(await chatIds(boris)).includes(chatId))).toBe(true);
  await expect.poll(() => a.page.getByText("1 участник").count()).toBeGreaterThan(0);
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});
