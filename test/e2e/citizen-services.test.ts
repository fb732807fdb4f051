// Government services in the browser, with an agency acting through its own API: an official chat with a
// verified badge and a pay button, paying a bill (and a declined card), filling a form with inline
// validation and following its status, a consent, presenting a record as a QR code and in a chat where
// another citizen verifies it, and the access log whose hash chain the page recomputes.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { type Agency, agency, api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let gov: Agency;
let anna: Citizen;
let a: { context: BrowserContext; page: Page };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "Городская управа");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна Тестова" });
  a = await openAs(browser, server.origin, anna.phone);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const issueBill = (externalRef: string, amount: number, purpose: string) =>
  api<{ bill: { id: string } }>(server.origin, "/api/v1/agency/bills", {
    token: gov.token,
    body: { citizenPhone: anna.phone, amount, currency: "RUB", purpose, externalRef },
  });

async function payWith(page: Page, number: string): Promise<void> {
  await page.getByLabel("Номер карты").fill(number);
  await page.getByLabel("Срок действия (ММ/ГГ)").fill("12/30");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Оплатить/ }).click();
}

test("a bill arrives in the verified official chat; its button opens it; the sandbox card pays it and a receipt shows", async () => {
  const { bill } = await issueBill("e2e-1", 125050, "Налог на имущество");
  const item = a.page.locator(".chat-item", { hasText: "Городская управа" });
  await item.getByText(/Счёт к оплате: Налог на имущество/).waitFor();
  expect(await item.getByRole("img", { name: "Проверенное ведомство" }).count()).toBeGreaterThan(0);
  await item.click();
  await a.page.getByRole("heading", { name: "Городская управа", level: 1 }).getByRole("img", { name: "Проверенное ведомство" }).waitFor();
  // Official chats are read-only for citizens.
  await a.page.getByText("Только ведомство пишет в этот чат.").waitFor();
  await a.page.getByRole("link", { name: "Оплатить" }).click();
  expect(a.page.url()).toContain(`#/services/bills/${bill.id}`);
  await a.page.getByTestId("bill-status").getByText("Не оплачен").waitFor();

  await payWith(a.page, "4242 4242 4242 4242");
  await a.page.getByTestId("bill-status").getByText("Оплачен").waitFor();
  const receipt = a.page.getByTestId("receipt");
  await receipt.getByText("•••• 4242").waitFor();
  expect(await receipt.textContent()).toMatch(/1\s?250,50\s?₽/);
  const stored = await api<{ bill: { status: string; receiptId: string } }>(server.origin, `/api/v1/bills/${bill.id}`, {
    token: anna.accessToken,
  });
  expect(stored.bill.status).toBe("paid");
  // The receipt is also a document signed by the agency, opened from the bill.
  await receipt.getByRole("link", { name: "Подписанная квитанция" }).click();
  await a.page.waitForURL(`**/#/services/records/${stored.bill.receiptId}`);
  await a.page.getByRole("heading", { name: "Квитанция об оплате", level: 1 }).waitFor();
});

test("a declined card shows the error and leaves the bill unpaid", async () => {
  const { bill } = await issueBill("e2e-2", 50000, "Штраф за парковку");
  await a.page.goto(`${server.origin}/#/services/bills/${bill.id}`);
  await a.page.getByTestId("bill-status").getByText("Не оплачен").waitFor();
  // A mistyped number is caught before anything is sent.
  await payWith(a.page, "4000 0000 0000 0003");
  await a.page.getByText("Проверьте номер карты").waitFor();
  await payWith(a.page, "4000 0000 0000 0002");
  await a.page.getByTestId("pay-error").getByText("Карта отклонена. Счёт не оплачен — попробуйте другую карту.").waitFor();
  await a.page.getByTestId("bill-status").getByText("Не оплачен").waitFor();
  const stored = await api<{ bill: { status: string } }>(server.origin, `/api/v1/bills/${bill.id}`, { token: anna.accessToken });
  expect(stored.bill.status).toBe("unpaid");
});

test("a form rendered from its JSON Schema: inline errors, a successful submission, its status followed live", async () => {
  const { form } = await api<{ form: { id: string } }>(server.origin, "/api/v1/agency/forms", {
    token: gov.token,
    body: {
      key: "relocation",
      title: "Заявление о переезде",
      schema: {
        type: "object",
        properties: {
          fullName: { type: "string", title: "ФИО", minLength: 3 },
          email: { type: "string", title: "Электронная почта", format: "email" },
          children: { type: "integer", title: "Количество детей", minimum: 0, maximum: 20 },
          reason: { type: "string", title: "Причина", enum: ["Работа", "Учёба", "Другое"] },
          agree: { type: "boolean", title: "Сведения верны", const: true },
        },
        required: ["fullName", "email", "reason", "agree"],
        additionalProperties: false,
      },
    },
  });
  await a.page.goto(`${server.origin}/#/services/forms`);
  await a.page.getByRole("link", { name: /Заявление о переезде/ }).click();
  await a.page.getByRole("heading", { name: "Заявление о переезде" }).waitFor();

  // An invalid e-mail is flagged as soon as the field is left, with the server's own message.
  const email = a.page.getByLabel("Электронная почта");
  await email.fill("не-почта");
  await email.blur();
  await a.page.getByText("Неверный адрес электронной почты").waitFor();
  expect(await email.getAttribute("aria-invalid")).toBe("true");

  // Submitting with errors sends nothing: it counts them and focuses the summary.
  await a.page.getByRole("button", { name: "Отправить заявление" }).click();
  await a.page
    .getByRole("alert")
    .getByText(/Исправьте ошибки в форме: \d/)
    .waitFor();
  expect(
    (await api<{ submissions: unknown[] }>(server.origin, "/api/v1/submissions", { token: anna.accessToken })).submissions,
  ).toHaveLength(0);

  await a.page.getByLabel("ФИО").fill("Анна Тестова");
  await email.fill("anna@example.ru");
  await a.page.getByLabel("Количество детей").fill("2");
  await a.page.getByLabel("Причина").selectOption("Работа");
  await a.page.getByLabel("Сведения верны").check();
  await expect.poll(() => a.page.locator("[aria-invalid=true]").count()).toBe(0);
  await a.page.getByRole("button", { name: "Отправить заявление" }).click();
  await a.page.getByTestId("submission-status").getByText("Получено").waitFor();

  const { submissions } = await api<{ submissions: { id: string; formId: string; data: unknown }[] }>(
    server.origin,
    "/api/v1/submissions",
    {
      token: anna.accessToken,
    },
  );
  expect(submissions).toHaveLength(1);
  expect(submissions[0]).toMatchObject({
    formId: form.id,
    data: { fullName: "Анна Тестова", email: "anna@example.ru", children: 2, reason: "Работа", agree: true },
  });

  // The agency takes it up: the open page follows (the inbox socket notifies the app).
  await api(server.origin, `/api/v1/agency/submissions/${submissions[0]?.id}`, {
    method: "PATCH",
    token: gov.token,
    body: { status: "in_review" },
  });
  await a.page.getByTestId("submission-status").getByText("На рассмотрении").waitFor();
});

test("a consent request is approved, then revoked", async () => {
  await api(server.origin, "/api/v1/agency/consent-requests", {
    token: gov.token,
    body: {
      citizenPhone: anna.phone,
      scope: "records:driving_licence",
      purpose: "Проверка категорий прав",
      expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
    },
  });
  await a.page.goto(`${server.origin}/#/services/consents`);
  const card = a.page.locator("li", { hasText: "Проверка категорий прав" });
  await card.getByTestId("consent-status").getByText("Ожидает ответа").waitFor();
  await card.getByRole("button", { name: "Разрешить" }).click();
  await card.getByTestId("consent-status").getByText("Разрешено").waitFor();
  await card.getByRole("button", { name: "Отозвать" }).click();
  await card.getByTestId("consent-status").getByText("Отозвано").waitFor();
});

test("a record is presented with chosen claims as a QR code and in a chat, where another citizen verifies it", async () => {
  const boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис Проверяющий" });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "direct", userId: boris.id },
  });
  const { record } = await api<{ record: { id: string } }>(server.origin, "/api/v1/agency/records", {
    token: gov.token,
    body: {
      citizenPhone: anna.phone,
      type: "driving_licence",
      claims: { given_name: "Анна", family_name: "Тестова", birthdate: "1990-05-17", categories: ["B"], number: "77 00 123456" },
    },
  });

  await a.page.goto(`${server.origin}/#/services/records`);
  // A type the agency did not describe is still named in words (src/web/lib/claim-labels.ts), its claims too.
  await a.page.getByRole("link", { name: /Водительское удостоверение/ }).click();
  await a.page.getByLabel(/^Имя:/).check();
  await a.page.getByLabel(/^Категории:/).check();
  await a.page.getByRole("button", { name: "Показать выбранное" }).click();
  const panel = a.page.getByTestId("presentation");
  await panel.getByRole("img", { name: "QR-код предъявления" }).waitFor();
  const presentation = await panel.getByLabel("Текст предъявления").inputValue();
  // Only the chosen claims are disclosed: two disclosures after the issuer-signed JWT.
  expect(presentation.split("~").filter(Boolean)).toHaveLength(3);
  expect(a.page.url()).toContain(record.id);

  await panel.getByLabel("Чат").selectOption(chat.id);
  await panel.getByRole("button", { name: "Отправить в чат" }).click();
  await panel.getByText("Отправлено в чат").waitFor();

  const b = await openAs(browser, server.origin, boris.phone, { hash: `#/chats/${chat.id}` });
  const card = b.page.locator(".presentation").last();
  await card.getByText("Предъявление документа").waitFor();
  await card.getByRole("button", { name: "Проверить" }).click();
  const verdict = card.getByTestId("verification");
  await verdict.getByText("Подлинный документ").waitFor();
  await verdict.getByText("Выдал: Городская управа").waitFor();
  const claims = await verdict.locator("th").allTextContents();
  expect(claims.sort()).toEqual(["Имя", "Категории"]);
  expect(await verdict.textContent()).not.toContain("Тестова");
  expect(pageErrors(b.page)).toEqual([]);
  await b.context.close();
});

test("the access log verifies its hash chain in the browser, and says where a tampered chain breaks", async () => {
  const { entries } = await api<{ entries: unknown[] }>(server.origin, "/api/v1/me/access-log", { token: anna.accessToken });
  expect(entries.length).toBeGreaterThan(3);
  await a.page.goto(`${server.origin}/#/services/access-log`);
  const status = a.page.getByTestId("chain-status");
  await status.getByText(new RegExp(`Цепочка проверена в браузере: ${entries.length} запис`)).waitFor();
  await a.page.locator(".timeline li").first().getByText("Городская управа").waitFor();
  expect(await a.page.locator(".timeline li").count()).toBe(entries.length);

  // The same page fed a log where one entry was altered on the way: the chain breaks there.
  await a.page.route("**/api/v1/me/access-log**", async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { entries: { actor: { name: string } }[]; head: string };
    const second = body.entries[1];
    if (second) second.actor.name = "Кто-то другой";
    await route.fulfill({ response: res, json: body });
  });
  await a.page.reload();
  await a.page.getByTestId("chain-status").getByText("Цепочка нарушена на записи № 2: журнал мог быть изменён.").waitFor();
  await a.page.unroute("**/api/v1/me/access-log**");
  expect(pageErrors(a.page)).toEqual([]);
});
