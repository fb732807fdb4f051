// The contacts screen: a person found by search is added, shown in the list, written to in one press, and
// removed; the server's contact list follows each step.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let a: { context: BrowserContext; page: Page };
const borisName = `boris${Date.now().toString(36)}`;

const contactIds = async () =>
  (await api<{ contacts: { userId: string }[] }>(server.origin, "/api/v1/contacts", { token: anna.accessToken })).contacts.map(
    (c) => c.userId,
  );

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: borisName });
  a = await openAs(browser, server.origin, anna.phone, { hash: "#/settings" });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("a person found by search is added to the contacts, written to, and removed", async () => {
  await a.page.getByRole("link", { name: "Контакты" }).click();
  await a.page.getByRole("heading", { level: 1, name: "Контакты" }).waitFor();
  await a.page.getByText("Контактов пока нет.", { exact: false }).waitFor();

  await a.page.getByLabel("Добавить в контакты").fill(borisName);
  await a.page.getByRole("list", { name: "Найденные люди" }).getByRole("button", { name: /Борис/ }).click();
  await a.page.getByRole("status").filter({ hasText: "Борис теперь в ваших контактах." }).waitFor();
  const row = a.page.getByTestId("contacts").locator("li", { hasText: "Борис" });
  await row.waitFor();
  expect(await row.textContent()).toContain(`@${borisName}`);
  expect(await contactIds()).toEqual([boris.id]);

  await row.getByRole("button", { name: "Написать Борис" }).click();
  await a.page.getByRole("heading", { name: "Борис" }).waitFor();
  expect(a.page.url()).toMatch(/#\/chats\/.+/);

  await a.page.goto(`${server.origin}/#/settings/contacts`);
  await a.page
    .getByTestId("contacts")
    .locator("li", { hasText: "Борис" })
    .getByRole("button", { name: "Удалить из контактов Борис" })
    .click();
  await a.page.getByRole("status").filter({ hasText: "Борис больше не в ваших контактах." }).waitFor();
  await a.page.getByText("Контактов пока нет.", { exact: false }).waitFor();
  expect(await contactIds()).toEqual([]);
  expect(pageErrors(a.page)).toEqual([]);
});
