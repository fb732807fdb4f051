// Accessibility of every main screen, checked with axe-core in Chromium (WCAG 2.x A and AA rules): no
// violation of serious or critical impact on the citizen app's screens (signed out and in, with real data)
// and the agency console's pages. axe is evaluated through the DevTools protocol, so the pages keep their
// strict CSP (no inline script is added to them).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openAs, watchErrors } from "./citizen.ts";
import { type Agency, agency, api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** The serious and critical WCAG A/AA violations on the page as it is now, as "rule: help (targets)". */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return result.violations;
  });
  return (violations as Violation[])
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

let server: Server;
let browser: Browser;
let gov: Agency;
let anna: Citizen;
let boris: Citizen;
let chatId: string;
let groupId: string;
let billId: string;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "Управление доступных услуг");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис" });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "direct", userId: boris.id },
  });
  chatId = chat.id;
  const group = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "group", title: "Двор", memberIds: [boris.id] },
  });
  groupId = group.chat.id;
  await api(server.origin, `/api/v1/chats/${chatId}/messages`, {
    token: boris.accessToken,
    body: { clientId: crypto.randomUUID(), text: "Привет! Посмотри https://example.org/новости" },
  });
  const { bill } = await api<{ bill: { id: string } }>(server.origin, "/api/v1/agency/bills", {
    token: gov.token,
    body: { citizenPhone: anna.phone, amount: 125050, currency: "RUB", purpose: "Госпошлина за паспорт", externalRef: "a11y-1" },
  });
  billId = bill.id;
  await api(server.origin, "/api/v1/agency/records", {
    token: gov.token,
    body: { citizenPhone: anna.phone, type: "birth_certificate", claims: { given_name: "Анна", birth_date: "1990-05-17" } },
  });
  await api(server.origin, "/api/v1/agency/consent-requests", {
    token: gov.token,
    body: {
      citizenPhone: anna.phone,
      scope: "records",
      purpose: "Проверка данных",
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    },
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the citizen app", () => {
  test("the check finds what it looks for: an unlabelled field and an image without words fail it", async () => {
    const { context, page } = await openAs(browser, server.origin, anna.phone);
    await page.getByRole("link", { name: /Борис/ }).first().waitFor();
    await page.evaluate(() => {
      const main = document.querySelector("main") ?? document.body;
      main.append(Object.assign(document.createElement("input"), { type: "text" }));
      main.append(Object.assign(document.createElement("img"), { src: "/favicon.svg" }));
    });
    const found = await seriousViolations(page);
    expect(found.some((v) => v.startsWith("label:"))).toBe(true);
    expect(found.some((v) => v.startsWith("image-alt:"))).toBe(true);
    await context.close();
  });

  test("sign-in has no serious or critical violations", async () => {
    const context = await browser.newContext({ locale: "ru-RU" });
    const page = await context.newPage();
    watchErrors(page);
    await page.goto(`${server.origin}/`);
    await page.getByRole("heading", { name: "Вход в Вече" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  // Each screen, opened by its address, with what it waits for before it is checked.
  const screens: [string, string, (page: Page) => Promise<unknown>][] = [
    ["the chat list", "#/chats", (p) => p.getByRole("link", { name: /Борис/ }).first().waitFor()],
    ["an open chat", "", (p) => p.locator("[data-testid=messages]").getByText("Привет!", { exact: false }).waitFor()],
    ["the services overview", "#/services", (p) => p.getByText("Госпошлина за паспорт").first().waitFor()],
    [
      "a bill",
      "",
      (p) =>
        p
          .getByRole("button", { name: /Оплатить/ })
          .first()
          .waitFor(),
    ],
    ["the documents", "#/services/records", (p) => p.locator("main li").first().waitFor()],
    ["the consents", "#/services/consents", (p) => p.getByText("Проверка данных").first().waitFor()],
    ["the access log", "#/services/access-log", (p) => p.locator("main").getByRole("heading").first().waitFor()],
    ["the Digital ID", "#/services/digital-id", (p) => p.locator("main").getByRole("heading").first().waitFor()],
    ["the settings", "#/settings", (p) => p.locator("main").getByRole("heading").first().waitFor()],
    ["the verifier", "#/verify", (p) => p.getByRole("heading").first().waitFor()],
  ];

  for (const [name, hash, ready] of screens) {
    test(`${name} has no serious or critical violations`, async () => {
      const route = hash || (name === "a bill" ? `#/services/bills/${billId}` : `#/chats/${chatId}`);
      const { context, page } = await openAs(browser, server.origin, anna.phone, { hash: route });
      await ready(page);
      expect(await seriousViolations(page)).toEqual([]);
      await context.close();
    });
  }

  test("a group's info panel has no serious or critical violations", async () => {
    const { context, page } = await openAs(browser, server.origin, anna.phone, { hash: `#/chats/${groupId}` });
    await page.getByRole("button", { name: "Сведения о группе" }).click();
    await page.getByRole("dialog", { name: "Сведения о группе" }).getByTestId("members").locator("li").nth(1).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  test("a phone-sized chat list and chat have no serious or critical violations", async () => {
    const { context, page } = await openAs(browser, server.origin, anna.phone, { viewport: { width: 390, height: 780 } });
    await page.getByRole("link", { name: /Борис/ }).first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("link", { name: /Борис/ }).first().click();
    await page.locator("[data-testid=messages]").getByText("Привет!", { exact: false }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});

describe("the agency console", () => {
  let page: Page;

  beforeAll(async () => {
    const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watchErrors(page);
    await page.goto(`${server.origin}/agency/`);
  });

  test("sign-in has no serious or critical violations", async () => {
    await page.getByRole("heading", { name: "Вход для ведомств" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("Идентификатор клиента").fill(gov.clientId);
    await page.getByLabel("Секрет клиента").fill(gov.clientSecret);
    await page.getByRole("button", { name: "Войти" }).click();
    await page.getByRole("navigation").waitFor();
  });

  const sections = ["Счета", "Формы", "Заявления", "Документы", "Виды документов", "Согласия", "Документы граждан", "Вебхуки", "Настройки"];
  for (const section of sections) {
    test(`${section}: no serious or critical violations`, async () => {
      await page.getByRole("navigation").getByRole("link", { name: section, exact: true }).click();
      await page.getByRole("heading", { level: 1, name: section, exact: true }).waitFor();
      // Lists load after the heading: check once the page has settled.
      await page.waitForLoadState("networkidle");
      expect(await seriousViolations(page)).toEqual([]);
    });
  }
});
