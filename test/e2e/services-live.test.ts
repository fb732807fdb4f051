// Issue 15, live state of services in the browser: a paid bill's official message says "Оплачено" and
// offers no button, a decided consent shows the decision, a record the agency revokes from its console is
// marked for the citizen and cannot be shown, the console reads a citizen's records under an approved
// consent (and the citizen's access log shows that read with its purpose), and a form with a file field
// keeps its draft across a reload and answers with a reference number.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import {
  type Agency,
  agency,
  api,
  type Citizen,
  citizen,
  eventually,
  launchBrowser,
  type Server,
  startServer,
  uniquePhone,
} from "./harness.ts";

let server: Server;
let browser: Browser;
let gov: Agency;
let registry: Agency;
let anna: Citizen;
let a: { context: BrowserContext; page: Page };
let consoleContext: BrowserContext;
let desk: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "Соцзащита (тест)");
  registry = await agency(server.origin, "ЗАГС (тест)");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна Живая" });
  a = await openAs(browser, server.origin, anna.phone);
  consoleContext = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
  desk = await consoleContext.newPage();
  await desk.goto(`${server.origin}/agency/`);
  await desk.getByLabel("Идентификатор клиента").fill(gov.clientId);
  await desk.getByLabel("Секрет клиента").fill(gov.clientSecret);
  await desk.getByRole("button", { name: "Войти" }).click();
  await desk.getByRole("heading", { level: 1, name: "Счета" }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const nav = (name: string) => desk.getByRole("navigation").getByRole("link", { name, exact: true });

/** Opens the official chat with `agencyName` in the citizen's page. */
async function openOfficialChat(agencyName: string): Promise<void> {
  await a.page.goto(`${server.origin}/#/chats`);
  await a.page.locator(".chat-item", { hasText: agencyName }).click();
  await a.page.getByRole("heading", { name: agencyName, level: 1 }).waitFor();
}

/** The official message whose text matches. */
const message = (text: RegExp) => a.page.locator("[data-testid=messages] > li", { hasText: text });

test("paying a bill: its message in the open official chat turns to «Оплачено» with the date, and its pay button goes", async () => {
  const { bill } = await api<{ bill: { id: string } }>(server.origin, "/api/v1/agency/bills", {
    token: gov.token,
    body: { citizenPhone: anna.phone, amount: 70000, currency: "RUB", purpose: "Пошлина за справку", externalRef: "live-1" },
  });
  await openOfficialChat("Соцзащита (тест)");
  const billMessage = message(/Пошлина за справку/).first();
  await billMessage.getByRole("link", { name: "Оплатить" }).waitFor();
  // Paid on another device (the API, as the citizen's phone would): this page learns it from the room.
  const paid = await api<{ bill: { paidAt: string } }>(server.origin, `/api/v1/bills/${bill.id}/pay`, {
    token: anna.accessToken,
    headers: { "idempotency-key": "live-1" },
    body: { method: "card", card: { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } },
  });
  // The day in words, as the app writes dates ("2 декабря 2026 г."), in the browser's time zone (this machine's).
  const day = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", year: "numeric" }).format(new Date(paid.bill.paidAt));
  await billMessage.getByTestId("action-state").getByText(`Оплачено ${day}`).waitFor();
  expect(await billMessage.getByRole("link", { name: "Оплатить" }).count()).toBe(0);
  // After a reload too (from history, not only the live frame).
  await a.page.reload();
  await message(/Пошлина за справку/)
    .first()
    .getByTestId("action-state")
    .getByText(/^Оплачено/)
    .waitFor();
  expect(
    await message(/Пошлина за справку/)
      .first()
      .getByRole("link", { name: "Оплатить" })
      .count(),
  ).toBe(0);
});

test("approving a consent request: its message shows the decision instead of «Рассмотреть»", async () => {
  await api(server.origin, "/api/v1/agency/consent-requests", {
    token: gov.token,
    body: {
      citizenPhone: anna.phone,
      scope: "records",
      purpose: "Назначение пособия",
      expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    },
  });
  await openOfficialChat("Соцзащита (тест)");
  const request = message(/Назначение пособия/).first();
  await request.getByRole("link", { name: "Рассмотреть" }).click();
  await a.page.getByRole("button", { name: "Разрешить" }).first().click();
  await a.page.getByText("Разрешено").first().waitFor();
  await openOfficialChat("Соцзащита (тест)");
  await message(/Назначение пособия/)
    .first()
    .getByTestId("action-state")
    .getByText(/^Доступ разрешён/)
    .waitFor();
  expect(
    await message(/Назначение пособия/)
      .first()
      .getByRole("link", { name: "Рассмотреть" })
      .count(),
  ).toBe(0);
});

test("the console reads the citizen's records under the approved consent, and the citizen's access log shows the read", async () => {
  await api(server.origin, "/api/v1/agency/record-types/birth_certificate", {
    method: "PUT",
    token: registry.token,
    body: {
      name: { ru: "Свидетельство о рождении", en: "Birth certificate" },
      claims: {
        given_name: { label: { ru: "Имя", en: "Given name" } },
        birth_place: { label: { ru: "Место рождения", en: "Place of birth" } },
      },
    },
  });
  await api(server.origin, "/api/v1/agency/records", {
    token: registry.token,
    body: { citizenPhone: anna.phone, type: "birth_certificate", claims: { given_name: "Анна", birth_place: "Тверь" } },
  });
  await nav("Документы граждан").click();
  await desk.getByRole("heading", { level: 1, name: "Документы граждан" }).waitFor();
  // No purpose, no read.
  await desk.getByLabel("Телефон гражданина").fill(anna.phone);
  await desk.getByRole("button", { name: "Прочитать" }).click();
  await desk.getByText("Укажите цель: без неё читать документы нельзя.").waitFor();
  await desk.getByLabel("Цель чтения").fill("Проверка права на пособие");
  await desk.getByRole("button", { name: "Прочитать" }).click();
  // In the issuing registry's words: its name for the type and its labels for the claims.
  const found = desk.getByTestId("citizen-record").filter({ hasText: "Свидетельство о рождении" });
  await found.getByText("Тверь").waitFor();
  expect(await found.locator("dt").allTextContents()).toEqual(["Имя", "Место рождения"]);
  await found.getByText("Выдал: ЗАГС (тест)").waitFor();
  await found.getByText("Действует").waitFor();
  await desk.getByText(/Чтение записано в журнал доступа гражданина/).waitFor();

  await a.page.goto(`${server.origin}/#/services/access-log`);
  await a.page
    .getByTestId("chain-status")
    .getByText(/Цепочка проверена в браузере/)
    .waitFor();
  const entry = a.page.locator(".timeline li", { hasText: "Проверка права на пособие" }).first();
  await entry.getByText("Соцзащита (тест)").waitFor();
});

test("a record revoked from the console is marked for the citizen everywhere and cannot be shown", async () => {
  const { record } = await api<{ record: { id: string } }>(server.origin, "/api/v1/agency/records", {
    token: gov.token,
    body: { citizenPhone: anna.phone, type: "benefit_certificate", claims: { benefit: "пособие", amount: 12000 } },
  });
  await a.page.goto(`${server.origin}/#/services/records/${record.id}`);
  await a.page.getByRole("button", { name: "Показать выбранное" }).waitFor();

  await nav("Документы").click();
  await desk.getByRole("heading", { level: 1, name: "Документы" }).waitFor();
  await desk.getByRole("button", { name: /Отозвать документ «benefit_certificate»/ }).click();
  await desk.getByRole("dialog").getByRole("button", { name: "Отозвать документ" }).click();
  await desk.getByText("Документ отозван.").waitFor();

  await a.page.goto(`${server.origin}/#/services/records`);
  await a.page.locator(".card", { hasText: "benefit_certificate" }).getByTestId("record-mark").getByText("Отозван").waitFor();
  await a.page.goto(`${server.origin}/#/services/records/${record.id}`);
  await a.page.getByTestId("record-mark").getByText("Отозван").waitFor();
  await a.page.getByText("Этот документ нельзя предъявить: он больше не действителен.").waitFor();
  expect(await a.page.getByRole("button", { name: "Показать выбранное" }).isVisible()).toBe(false);
  // The server refuses it too, whatever a client tries.
  const res = await fetch(`${server.origin}/api/v1/records/${record.id}/presentations`, {
    method: "POST",
    headers: { authorization: `Bearer ${anna.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ disclose: ["benefit"] }),
  });
  expect(res.status).toBe(409);
  expect(((await res.json()) as { code: string }).code).toBe("record_revoked");

  await openOfficialChat("Соцзащита (тест)");
  await a.page
    // The agency never described the type: the chat says a new document was issued, not its code.
    .locator("[data-testid=messages] > li", { hasText: "Выдан новый документ" })
    .getByTestId("action-state")
    .getByText(/^Отозван/)
    .waitFor();
});

test("a form with a file field: the file uploads, the draft survives a reload, and the submission shows its reference number", async () => {
  const { form } = await api<{ form: { id: string } }>(server.origin, "/api/v1/agency/forms", {
    token: gov.token,
    body: {
      key: "benefit",
      title: "Заявление на пособие",
      schema: {
        type: "object",
        properties: {
          fullName: { type: "string", title: "ФИО", minLength: 3 },
          income: { type: "string", title: "Справка о доходах", format: "file" },
        },
        required: ["fullName", "income"],
        additionalProperties: false,
      },
    },
  });
  await a.page.goto(`${server.origin}/#/services/forms/${form.id}`);
  await a.page.getByRole("heading", { name: "Заявление на пособие" }).waitFor();
  await a.page.getByLabel("ФИО").fill("Анна Живая");
  await a.page.getByLabel(/Справка о доходах/).setInputFiles({
    name: "справка.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("доход за год: 600 000 ₽"),
  });
  await a.page.getByTestId("file-chosen").getByText("справка.txt").waitFor();
  await a.page
    .getByTestId("draft-status")
    .getByText(/Черновик сохранён на этом устройстве/)
    .waitFor();

  await a.page.reload();
  await a.page.getByRole("heading", { name: "Заявление на пособие" }).waitFor();
  await expect.poll(() => a.page.getByLabel("ФИО").inputValue()).toBe("Анна Живая");
  await a.page.getByTestId("file-chosen").getByText("справка.txt").waitFor();

  await a.page.getByRole("button", { name: "Отправить заявление" }).click();
  const reference = a.page.getByTestId("submission-reference");
  await reference.getByText(new RegExp(`№ ${new Date().getUTCFullYear()}-000001`)).waitFor();
  const submissions = await api<{ submissions: { reference: string; attachments: { filename: string }[] }[] }>(
    server.origin,
    "/api/v1/submissions",
    { token: anna.accessToken },
  );
  expect(submissions.submissions[0]?.attachments.map((f) => f.filename)).toEqual(["справка.txt"]);
  await a.page.getByText("справка.txt").waitFor();

  // The draft is gone once submitted.
  await a.page.goto(`${server.origin}/#/services/forms/${form.id}`);
  await a.page.getByRole("heading", { name: "Заявление на пособие" }).waitFor();
  expect(await a.page.getByLabel("ФИО").inputValue()).toBe("");

  // The desk shows the same number, and so does the status message in the official chat.
  await nav("Заявления").click();
  await desk.getByRole("cell", { name: `№ ${submissions.submissions[0]?.reference}` }).waitFor();
  await desk
    .getByRole("link", { name: /^Открыть заявление от/ })
    .first()
    .click();
  await desk.getByTestId("submission-reference").getByText(`№ ${submissions.submissions[0]?.reference}`).waitFor();
  // The file field names the file, not the upload's id.
  await desk.getByText("📎 справка.txt").waitFor();
  const [only] = (await api<{ submissions: { id: string }[] }>(server.origin, "/api/v1/agency/submissions", { token: gov.token }))
    .submissions;
  await api(server.origin, `/api/v1/agency/submissions/${only?.id}`, { method: "PATCH", token: gov.token, body: { status: "in_review" } });
  await openOfficialChat("Соцзащита (тест)");
  await eventually(async () => (await message(new RegExp(`№ ${submissions.submissions[0]?.reference}`)).count()) > 0);
  expect(pageErrors(a.page)).toEqual([]);
});
