// Mentions between two people in a group: suggestions while typing "@" (picked from the keyboard), the
// mention highlighted for the person mentioned, and the chat list's "@" mark until they have read it.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let chatId: string;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
const username = `boris${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `anna${Date.now().toString(36)}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username });
  const vera = await citizen(server.origin, uniquePhone(), { displayName: "Вера", username: `vera${Date.now().toString(36)}` });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "group", title: "Двор", memberIds: [boris.id, vera.id] },
  });
  chatId = chat.id;
  a = await openAs(browser, server.origin, anna.phone, { hash: `#/chats/${chatId}` });
  b = await openAs(browser, server.origin, boris.phone);
  await b.page.getByRole("link", { name: /Двор/ }).first().waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("typing @ suggests the chat's members; the keyboard picks one into the message", async () => {
  const composer = a.page.locator("#composer-input");
  await composer.click();
  await composer.pressSequentially("Привет, @");
  const list = a.page.getByRole("listbox", { name: "Кого упомянуть" });
  await list.waitFor();
  // Everyone but the writer, by name and username.
  expect(await list.getByRole("option").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("Борис")]));
  expect(await list.getByRole("option").count()).toBe(2);
  expect(await composer.getAttribute("aria-expanded")).toBe("true");
  // Narrowed by what is typed, then picked with Enter (which does not send).
  await composer.pressSequentially("bo");
  await expect.poll(() => list.getByRole("option").count()).toBe(1);
  expect(await list.getByRole("option").first().getAttribute("aria-selected")).toBe("true");
  await composer.press("Enter");
  await list.waitFor({ state: "detached" });
  expect(await composer.inputValue()).toBe(`Привет, @${username} `);
  await composer.pressSequentially("посмотри объявление");
  // Escape closes the suggestions without touching the text.
  await composer.pressSequentially(" @");
  await list.waitFor();
  await composer.press("Escape");
  await list.waitFor({ state: "detached" });
  await composer.press("Backspace");
  await composer.press("Backspace");
  await composer.press("Enter");
  await a.page.locator("[data-testid=messages]").getByText("посмотри объявление").waitFor();
});

test("the person mentioned sees the chat marked with @ in the list, and the mention highlighted; reading clears the mark", async () => {
  const row = b.page.getByRole("link", { name: /Двор/ }).first();
  await row.getByTestId("mention-mark").waitFor();
  expect(await row.getByTestId("mention-mark").textContent()).toContain("вас упомянули");
  const { chats } = await api<{ chats: { id: string; unreadMention: boolean }[] }>(server.origin, "/api/v1/chats", {
    token: boris.accessToken,
  });
  expect(chats.find((c) => c.id === chatId)?.unreadMention).toBe(true);

  await row.click();
  const mention = b.page.locator("[data-testid=messages] .mention");
  await mention.waitFor();
  expect(await mention.textContent()).toBe(`@${username}`);
  expect(await mention.getAttribute("class")).toContain("mention-me");
  // Read (the chat is open at the bottom): the mark goes.
  await row.getByTestId("mention-mark").waitFor({ state: "detached" });
  // The writer sees the same mention as an ordinary one, not their own.
  expect(await a.page.locator("[data-testid=messages] .mention").getAttribute("class")).toBe("mention");
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});
