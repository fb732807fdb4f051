// Services in people's words, in a real browser: a document with its type's name, Russian labels and a
// formatted date; a bill with "1 250,50 ₽" and a due date in words; the access log as sentences with its
// hash chain still checked; English throughout after the switch; and the agency console editing a record
// type's label, which the citizen then sees.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { type Agency, agency, api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let gov: Agency;
let anna: Citizen;
let recordId = "";

const LICENCE = {
  name: { ru: "Водительское удостоверение", en: "Driving licence" },
  claims: {
    given_name: { label: { ru: "Имя", en: "Given name" } },
    birthdate: { label: { ru: "Дата рождения", en: "Date of birth" }, format: "date" },
    categories: {
      label: { ru: "Категории", en: "Categories" },
      format: "enum",
      values: { B: { ru: "B — легковые автомобили", en: "B — cars" } },
    },
  },
};

/** Intl separates digit groups with no-break spaces; people (and these checks) see spaces. */
const plain = (s: string | null) => (s ?? "").replace(/[\u00a0\u202f]/g, " ");

/** A calendar day some days ahead, as the API takes it, and as a Russian reader sees it. */
function dayAhead(days: number): { iso: string; ru: string } {
  const d = new Date(Date.now() + days * 86_400_000);
  const iso = d.toISOString().slice(0, 10);
  const ru = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(
    new Date(`${iso}T00:00:00Z`),
  );
  return { iso, ru };
}
const due = dayAhead(10);

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "Госавтоинспекция");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна Тестова" });
  await api(server.origin, "/api/v1/agency/record-types/driving_licence", { method: "PUT", token: gov.token, body: LICENCE });
  const { record } = await api<{ record: { id: string } }>(server.origin, "/api/v1/agency/records", {
    token: gov.token,
    body: {
      citizenPhone: anna.phone,
      type: "driving_licence",
      claims: { given_name: "Анна", birthdate: "1990-05-17", categories: ["B"] },
    },
  });
  recordId = record.id;
  await api(server.origin, "/api/v1/agency/bills", {
    token: gov.token,
    body: {
      citizenPhone: anna.phone,
      amount: 125050,
      currency: "RUB",
      purpose: "Штраф за парковку",
      dueDate: due.iso,
      externalRef: "sd-1",
    },
  });
  // The agency reads the records it issued: a `read` of `records` in Anna's access log.
  await api(server.origin, "/api/v1/agency/records", { token: gov.token });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function recordPage(page: Page) {
  await page.goto(`${server.origin}/#/services/records/${recordId}`);
  return page.locator("main");
}

test("a document shows its type's name, Russian labels and a formatted date; a bill its money and due date in words", async () => {
  const { context, page } = await openAs(browser, server.origin, anna.phone, { hash: "#/services/records" });
  await page.getByRole("link", { name: /Водительское удостоверение/ }).click();
  await page.getByRole("heading", { name: "Водительское удостоверение", level: 1 }).waitFor();
  const main = page.locator("main");
  await main.getByLabel(/Дата рождения/).waitFor();
  const text = await main.textContent();
  expect(text).toContain("Имя: Анна");
  expect(text).toContain("Дата рождения: 17 мая 1990 г.");
  expect(text).toContain("Категории: B — легковые автомобили");
  expect(text).not.toMatch(/given_name|birthdate|1990-05-17|driving_licence/);

  await page.goto(`${server.origin}/#/services/bills`);
  const bill = page.locator(".card", { hasText: "Штраф за парковку" });
  await bill.waitFor();
  expect(plain(await bill.textContent())).toContain("1 250,50 ₽");
  expect(await bill.textContent()).toContain(`До ${due.ru} — через 10 дней`);

  // The overview says what is due, when and how much.
  await page.goto(`${server.origin}/#/services`);
  const todo = page.getByTestId("todo");
  await todo.getByText(/Оплатить «Штраф за парковку»/).waitFor();
  const todoText = plain(await todo.textContent());
  expect(todoText).toContain("Оплатить «Штраф за парковку» — 1 250,50 ₽");
  expect(todoText).toContain(`Госавтоинспекция · До ${due.ru} — через 10 дней`);
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});

test("the access log reads as sentences, and its hash chain is still checked", async () => {
  const { context, page } = await openAs(browser, server.origin, anna.phone, { hash: "#/services/access-log" });
  await page
    .getByTestId("chain-status")
    .getByText(/Цепочка проверена в браузере/)
    .waitFor();
  const log = page.locator(".timeline");
  await log.getByText("Госавтоинспекция выдала вам документ «Водительское удостоверение»").waitFor();
  // The bill's purpose is its name: said once.
  await log.getByText("Госавтоинспекция выставила вам счёт «Штраф за парковку»", { exact: true }).waitFor();
  await log.getByText("Госавтоинспекция просмотрела ваши документы").waitFor();
  expect(await log.textContent()).not.toMatch(/record:|bill:|просмотр records/);
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});

test("after the switch to English, the document, its labels and the access log are English", async () => {
  const { context, page } = await openAs(browser, server.origin, anna.phone, { hash: "#/settings" });
  await page.getByRole("button", { name: "English" }).click();
  const main = await recordPage(page);
  await page.getByRole("heading", { name: "Driving licence", level: 1 }).waitFor();
  await main.getByLabel(/Date of birth/).waitFor();
  const text = await main.textContent();
  expect(text).toContain("Date of birth: 17 May 1990");
  expect(text).toContain("Categories: B — cars");
  await page.goto(`${server.origin}/#/services/access-log`);
  await page.locator(".timeline").getByText("Госавтоинспекция issued you the document “Driving licence”").waitFor();
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});

test("the console edits a record type's label, and the citizen then sees the new label", async () => {
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.origin}/agency/`);
  await page.getByLabel("Идентификатор клиента").fill(gov.clientId);
  await page.getByLabel("Секрет клиента").fill(gov.clientSecret);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Виды документов", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Виды документов" }).waitFor();
  await page.getByRole("button", { name: "Изменить вид документа «Водительское удостоверение»" }).click();
  await page.getByRole("heading", { name: "Вид документа driving_licence" }).waitFor();
  const label = page.getByLabel("Подпись по-русски", { exact: true }).first();
  expect(await label.inputValue()).toBe("Имя");
  await label.fill("Имя владельца");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Вид документа сохранён.").waitFor();
  await page
    .getByRole("table")
    .getByText(/Имя владельца/)
    .waitFor();

  // The console's own list of issued records shows the labels and formatted values too.
  await page.getByRole("navigation").getByRole("link", { name: "Документы", exact: true }).click();
  const row = page.locator("tr", { hasText: "Водительское удостоверение" });
  await row.getByText(/Имя владельца: Анна; Дата рождения: 17 мая 1990 г\./).waitFor();
  await context.close();

  const citizenView = await openAs(browser, server.origin, anna.phone);
  const main = await recordPage(citizenView.page);
  await main.getByText("Имя владельца").waitFor();
  expect(await main.textContent()).toContain("Имя владельца: Анна");
  await citizenView.context.close();
});
