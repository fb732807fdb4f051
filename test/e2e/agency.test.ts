import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Agency, agency, api, citizen, devCode, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

// The agency console in a real browser against the real server: sign-in, bills, forms, consents, records,
// submission review, webhooks, language and accessibility basics. One agency and one page for the whole
// file, in order, as an operator would use it.

let server: Server;
let browser: Browser;
let page: Page;
let gov: Agency;
const problems: string[] = [];

// The agency's webhook receiver: refuses the first delivery (503), acknowledges the rest.
let receiver: HttpServer;
let webhookUrl = "";
const received: { type: string; signature: string | undefined }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const header = req.headers["veche-signature"];
      received.push({ type: (JSON.parse(body) as { type: string }).type, signature: Array.isArray(header) ? header[0] : header });
      res.writeHead(received.length === 1 ? 503 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  webhookUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hooks/veche`;
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "Управление тестовых услуг");
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Failed API calls the console handles (the wrong secret below) log a resource error; those are expected.
    if (m.type() === "error" && !m.text().includes("Failed to load resource")) problems.push(`console: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  receiver?.close();
});

const main = () => page.locator("main");
const nav = (name: string) => page.getByRole("navigation").getByRole("link", { name, exact: true });

/** Every form control has an accessible name (a label or aria-label). */
async function unlabelledControls(): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("input, select, textarea"))
      .filter((el) => {
        const control = el as HTMLInputElement;
        return control.type !== "hidden" && control.labels?.length === 0 && !control.getAttribute("aria-label");
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

describe("agency console", () => {
  test("sign-in shows errors, then signs in with client credentials", async () => {
    const res = await page.goto(`${server.origin}/agency/`);
    expect(res?.status()).toBe(200);
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Вход для ведомств");
    expect(await page.locator('link[rel="stylesheet"]').count()).toBe(1);

    await page.getByRole("button", { name: "Войти" }).click();
    expect(await page.getByText("Заполните это поле.").count()).toBe(2);

    await page.getByLabel("Идентификатор клиента").fill(gov.clientId);
    await page.getByLabel("Секрет клиента").fill("not-the-secret");
    await page.getByRole("button", { name: "Войти" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Неверный идентификатор клиента или секрет");

    await page.getByLabel("Секрет клиента").fill(gov.clientSecret);
    await page.getByRole("button", { name: "Войти" }).click();
    await page.getByRole("heading", { level: 1, name: "Счета" }).waitFor();
    expect(new URL(page.url()).hash).toBe("#/bills");
    for (const name of ["Счета", "Формы", "Заявления", "Документы", "Согласия", "Вебхуки", "Настройки"]) {
      expect(await nav(name).count()).toBe(1);
    }
    expect(await nav("Счета").getAttribute("aria-current")).toBe("page");
    await expect.poll(() => page.locator("header").textContent()).toContain("Управление тестовых услуг");
    // The token lives in sessionStorage; the secret is stored nowhere.
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
    expect(stored).toContain("veche.agency.session");
    expect(stored).not.toContain(gov.clientSecret);
  });

  const billPhone = uniquePhone();

  test("issues a bill in roubles and kopecks and lists it; a second with the same number is not created", async () => {
    expect(await unlabelledControls()).toEqual([]);
    const externalRef = await page.getByLabel("Номер счёта в вашей системе").inputValue();
    expect(externalRef).toMatch(/^bill-[0-9a-z]{12}$/);

    await page.getByLabel("Телефон гражданина").fill(billPhone);
    await page.getByLabel("Сумма", { exact: true }).fill("12,345");
    await page.getByLabel("Назначение платежа").fill("Госпошлина за паспорт");
    await page.getByRole("button", { name: "Выставить", exact: true }).click();
    await page.getByText("Введите сумму больше нуля").waitFor();
    expect(await page.getByLabel("Сумма", { exact: true }).getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel("Сумма", { exact: true }).fill("1 250,50");
    await page.getByLabel("Оплатить до").fill("2030-12-31");
    await page.getByRole("button", { name: "Выставить", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Счёт выставлен." }).waitFor();

    const row = main().locator("tbody tr", { hasText: "Госпошлина за паспорт" });
    await row.waitFor();
    const text = (await row.textContent())?.replace(/\s/g, " ") ?? "";
    expect(text).toMatch(/1 250,50/);
    expect(text).toContain(externalRef);
    expect(text).toContain("Не оплачен");
    expect(text).toContain(billPhone);
    expect(await main().textContent()).not.toContain("Сервер пока не отдаёт");
    // The number was renewed for the next bill.
    expect(await page.getByLabel("Номер счёта в вашей системе").inputValue()).not.toBe(externalRef);

    // The citizen sees exactly 1,250.50 RUB, in minor units.
    const person = await citizen(server.origin, billPhone);
    const { bills } = await api<{ bills: { amount: number; currency: string; externalRef: string; dueDate: string }[] }>(
      server.origin,
      "/api/v1/bills",
      { token: person.accessToken },
    );
    expect(bills).toMatchObject([{ amount: 125050, currency: "RUB", externalRef, dueDate: "2030-12-31" }]);

    // The same external number again answers the existing bill.
    await page.getByLabel("Номер счёта в вашей системе").fill(externalRef);
    await page.getByLabel("Телефон гражданина").fill(billPhone);
    await page.getByLabel("Сумма", { exact: true }).fill("99");
    await page.getByLabel("Назначение платежа").fill("Повтор");
    await page.getByRole("button", { name: "Выставить", exact: true }).click();
    await page.getByText("Счёт с этим номером уже был выставлен").waitFor();
    expect(await main().locator("tbody tr").count()).toBe(1);
  });

  test("shows a bad phone number next to the field", async () => {
    await page.getByLabel("Телефон гражданина").fill("12");
    await page.getByLabel("Сумма", { exact: true }).fill("10");
    await page.getByLabel("Назначение платежа").fill("Штраф");
    await page.getByRole("button", { name: "Выставить", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Это не похоже на номер телефона." }).waitFor();
    expect(await page.getByLabel("Телефон гражданина").getAttribute("aria-invalid")).toBe("true");
  });

  test("cancels an unpaid bill after confirming", async () => {
    await page.getByRole("button", { name: "Отменить счёт «Госпошлина за паспорт»" }).click();
    const dialog = page.getByRole("dialog", { name: "Отменить счёт?" });
    await dialog.waitFor();
    // Focus starts on the safe button; Escape closes without cancelling anything.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Отмена");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Отменить счёт «Госпошлина за паспорт»" }).click();
    await dialog.getByRole("button", { name: "Отмена" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Отменить счёт «Госпошлина за паспорт»" }).click();
    await dialog.getByRole("button", { name: "Отменить счёт" }).click();
    await page.getByRole("status").filter({ hasText: "Счёт отменён." }).waitFor();
    expect(await main().locator("tbody tr", { hasText: "Госпошлина за паспорт" }).textContent()).toContain("Отменён");
  });

  let formId = "";

  test("publishes a form, shows JSON errors, and publishes a second version", async () => {
    await nav("Формы").click();
    await page.getByRole("heading", { level: 1, name: "Формы" }).waitFor();
    // Focus moves to the new page's heading.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("page-title");
    expect(await unlabelledControls()).toEqual([]);

    const schema = page.getByLabel("Схема (JSON Schema)");
    await schema.fill('{ "type": "object", "properties": ');
    await page.getByText("JSON не разобран").waitFor();
    expect(await page.getByRole("button", { name: "Опубликовать", exact: true }).isDisabled()).toBe(true);
    await schema.fill('{ "type": "object", "properties": { "x": { "type": "string", "oneOf": [] } } }');
    await page.getByLabel("Ключ формы").fill("passport-change");
    await page.getByLabel("Название формы").fill("Замена паспорта");
    await page.getByRole("button", { name: "Опубликовать", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Схема выходит за поддерживаемое подмножество" }).waitFor();
    expect(await main().locator(".field-errors").textContent()).toContain("schema.properties.x");

    // The field builder writes the schema.
    await page.getByText("Конструктор полей").click();
    await page.getByLabel("Имя поля").fill("reason");
    await page.getByLabel("Подпись для гражданина").fill("Причина замены");
    await page.getByRole("button", { name: "Добавить поле" }).click();
    await page.getByLabel("Имя поля").nth(1).fill("urgent");
    await page.getByLabel("Тип", { exact: true }).nth(1).selectOption("boolean");
    await page.getByLabel("Обязательное").nth(1).uncheck();
    await page.getByRole("button", { name: "Вставить в схему" }).click();
    const built = JSON.parse(await schema.inputValue());
    expect(built).toEqual({
      type: "object",
      properties: {
        reason: { type: "string", title: "Причина замены", minLength: 1, maxLength: 1000 },
        urgent: { type: "boolean", title: "urgent" },
      },
      required: ["reason"],
      additionalProperties: false,
    });

    await page.getByRole("button", { name: "Опубликовать", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Опубликована форма «Замена паспорта», версия 1." }).waitFor();

    await page.getByRole("button", { name: "Новая версия формы «Замена паспорта»" }).click();
    expect(await page.getByLabel("Ключ формы").inputValue()).toBe("passport-change");
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe("title");
    await page.getByLabel("Название формы").fill("Замена паспорта (2025)");
    // The second version prefills the reason from the citizen's driving licence (a made-up rule, for the test).
    await page.getByRole("button", { name: "Добавить правило" }).click();
    await page.getByLabel("Поле формы").fill("reason");
    await page.getByLabel("Тип документа").fill("driver_license");
    await page.getByRole("button", { name: "Опубликовать", exact: true }).click();
    await page.getByText("Заполните поле, тип документа (как при выдаче) и сведение").waitFor();
    await page.getByLabel("Сведение документа").fill("number");
    await page.getByRole("button", { name: "Опубликовать", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "версия 2." }).waitFor();
    expect(await unlabelledControls()).toEqual([]);

    const entry = main().locator('li.form-entry[data-key="passport-change"]');
    await entry.locator('li[data-version="2"]').waitFor();
    expect(await entry.locator("li[data-version]").count()).toBe(2);
    await entry.locator('li[data-version="2"] summary').click();
    expect(await entry.locator('li[data-version="2"]').textContent()).toContain("reason ← driver_license.number");

    // The server lists both versions, the second with its prefill map.
    const listed = await api<{ forms: { key: string; version: number; prefill: unknown }[] }>(server.origin, "/api/v1/agency/forms", {
      token: gov.token,
    });
    expect(listed.forms.map((f) => [f.key, f.version])).toEqual([
      ["passport-change", 2],
      ["passport-change", 1],
    ]);
    expect(listed.forms[0]?.prefill).toEqual({ reason: { type: "driver_license", claim: "number" } });
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Формы" }).waitFor();
    await main().locator('li.form-entry[data-key="passport-change"] li[data-version="2"]').waitFor();
    expect(await main().locator("li[data-version]").count()).toBe(2);

    const person = await citizen(server.origin, uniquePhone());
    const { forms } = await api<{ forms: { id: string; key: string; version: number }[] }>(server.origin, "/api/v1/forms", {
      token: person.accessToken,
    });
    const latest = forms.find((f) => f.key === "passport-change");
    expect(latest?.version).toBe(2);
    formId = latest?.id ?? "";
  });

  test("requests consent, naming the scope in words", async () => {
    // The agency's own record type is offered by its name; another agency's type by its code.
    await api(server.origin, "/api/v1/agency/record-types/vehicle_permit", {
      method: "PUT",
      token: gov.token,
      body: { name: { ru: "Разрешение на транспорт", en: "Vehicle permit" }, claims: {} },
    });
    await nav("Согласия").click();
    await page.getByRole("heading", { level: 1, name: "Согласия" }).waitFor();
    const scope = page.getByLabel("Область доступа");
    await scope.locator("option", { hasText: "Документы «Разрешение на транспорт»" }).waitFor({ state: "attached" });
    expect(await scope.locator("option").allTextContents()).toEqual([
      "Все документы",
      "Документы «Разрешение на транспорт»",
      "Другой вид документа…",
    ]);

    await page.getByLabel("Телефон гражданина").fill(billPhone);
    await scope.selectOption({ label: "Другой вид документа…" });
    expect(await unlabelledControls()).toEqual([]);
    await page.getByLabel("Цель запроса").fill("Проверка стажа вождения");
    await page.getByRole("button", { name: "Отправить запрос" }).click();
    await page.getByText("Укажите код вида документа.").waitFor();
    await page.getByLabel("Код вида документа").fill("driver_license");
    await page.getByRole("button", { name: "Отправить запрос" }).click();
    await page.getByRole("status").filter({ hasText: "Запрос отправлен гражданину." }).waitFor();
    const row = main().locator("tbody tr", { hasText: "Проверка стажа вождения" });
    expect(await row.textContent()).toContain("Ждёт ответа");
    expect(await row.textContent()).toContain("Документы «driver_license»");

    await scope.selectOption({ label: "Документы «Разрешение на транспорт»" });
    await page.getByLabel("Цель запроса").fill("Проверка разрешения");
    await page.getByRole("button", { name: "Отправить запрос" }).click();
    const named = main().locator("tbody tr", { hasText: "Проверка разрешения" });
    await named.waitFor();
    expect(await named.textContent()).toContain("Документы «Разрешение на транспорт»");
    expect(await main().textContent()).not.toContain("records:");

    const person = await citizen(server.origin, billPhone);
    const { consents } = await api<{ consents: { scope: string; status: string; expiresAt: string }[] }>(
      server.origin,
      "/api/v1/consents",
      { token: person.accessToken },
    );
    expect(consents.map((c) => `${c.scope} ${c.status}`).sort()).toEqual([
      "records:driver_license requested",
      "records:vehicle_permit requested",
    ]);
    // Thirty days ahead by default, to the end of that day.
    expect(Date.parse(consents[0]?.expiresAt ?? "") - Date.now()).toBeGreaterThan(29 * 86_400_000);
  });

  test("issues a record with typed claims and revokes it after confirming", async () => {
    await nav("Документы").click();
    await page.getByRole("heading", { level: 1, name: "Документы" }).waitFor();
    expect(await unlabelledControls()).toEqual([]);
    await page.getByLabel("Телефон гражданина").fill(billPhone);
    await page.getByLabel("Тип документа").fill("driver_license");
    await page.getByLabel("Название").first().fill("number");
    await page.getByLabel("Значение").first().fill("77 АА 123456");
    await page.getByRole("button", { name: "Добавить сведение" }).click();
    await page.getByLabel("Название").nth(1).fill("categories");
    await page.getByLabel("Тип значения").nth(1).selectOption("json");
    await page.getByLabel("Значение").nth(1).fill('["B", "C"');
    await page.getByRole("button", { name: "Выдать", exact: true }).click();
    await page.getByText("Значение не подходит к выбранному типу.").waitFor();
    await page.getByLabel("Значение").nth(1).fill('["B", "C"]');
    await page.getByRole("button", { name: "Добавить сведение" }).click();
    await page.getByLabel("Название").nth(2).fill("experienceYears");
    await page.getByLabel("Тип значения").nth(2).selectOption("number");
    await page.getByLabel("Значение").nth(2).fill("12");
    await page.getByLabel("Действует до").fill("2031-01-31");
    await page.getByRole("button", { name: "Выдать", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Документ выдан." }).waitFor();

    const person = await citizen(server.origin, billPhone);
    const { records } = await api<{ records: { id: string; claims: Record<string, unknown>; revoked: boolean; expiresAt: string }[] }>(
      server.origin,
      "/api/v1/records",
      { token: person.accessToken },
    );
    expect(records).toMatchObject([{ claims: { number: "77 АА 123456", categories: ["B", "C"], experienceYears: 12 }, revoked: false }]);
    expect(records[0]?.expiresAt.slice(0, 7)).toMatch(/^2031-0[12]$/);

    const row = main().locator("tbody tr", { hasText: "driver_license" });
    const rowText = (await row.textContent())?.replace(/\s/g, " ") ?? "";
    expect(rowText).toContain("Действует");
    expect(rowText).toContain("2031");
    expect(rowText).toContain(billPhone);
    expect(rowText).toContain("experienceYears: 12");
    await row.getByRole("button", { name: /Отозвать документ «driver_license»/ }).click();
    const dialog = page.getByRole("dialog", { name: "Отозвать документ?" });
    await dialog.getByRole("button", { name: "Отозвать документ" }).click();
    await page.getByRole("status").filter({ hasText: "Документ отозван." }).waitFor();
    expect(await row.textContent()).toContain("Отозван");
    const after = await api<{ records: { revoked: boolean }[] }>(server.origin, "/api/v1/records", { token: person.accessToken });
    expect(after.records).toMatchObject([{ revoked: true }]);
  });

  test("sets the webhook URL in settings", async () => {
    await nav("Настройки").click();
    await page.getByRole("heading", { level: 1, name: "Настройки" }).waitFor();
    expect(await unlabelledControls()).toEqual([]);
    expect(await main().textContent()).toContain("Управление тестовых услуг");
    expect(await main().textContent()).toContain("счета (bills)");
    await page.getByLabel("Адрес вебхука").fill("ftp://example.org/x");
    await page.getByRole("button", { name: "Сохранить" }).click();
    await page.getByText("Введите адрес, начинающийся с https:// или http://.").waitFor();
    await page.getByLabel("Адрес вебхука").fill(webhookUrl);
    await page.getByRole("button", { name: "Сохранить" }).click();
    await page.getByRole("status").filter({ hasText: "Сохранено." }).waitFor();
    const me = await api<{ agency: { webhookUrl: string } }>(server.origin, "/api/v1/agency/me", { token: gov.token });
    expect(me.agency.webhookUrl).toBe(webhookUrl);
  });

  test("reviews a submission a citizen made: in review, then a rejection that needs a comment", async () => {
    // The citizen signs in the ordinary way (code by phone) and submits the form.
    const phone = uniquePhone();
    await api(server.origin, "/api/v1/auth/otp", { body: { phone } });
    const code = await devCode(server.origin, phone);
    const { accessToken } = await api<{ accessToken: string }>(server.origin, "/api/v1/auth/verify", { body: { phone, code } });
    const pdf = "%PDF-1.4\n% a scan of the old passport\n%%EOF\n";
    const upload = await fetch(`${server.origin}/api/v1/media?as=file&filename=old-passport.pdf`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/pdf" },
      body: pdf,
    });
    expect(upload.status).toBe(201);
    const { media } = (await upload.json()) as { media: { id: string } };
    const { submission } = await api<{ submission: { id: string } }>(server.origin, `/api/v1/forms/${formId}/submissions`, {
      token: accessToken,
      body: { data: { reason: "Истёк срок действия", urgent: true }, attachments: [media.id] },
    });

    await nav("Заявления").click();
    await page.getByRole("heading", { level: 1, name: "Заявления" }).waitFor();
    const row = main().locator(`tbody tr[data-id="${submission.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("Замена паспорта (2025)");
    expect(await row.textContent()).toContain("Подано");
    expect(await row.textContent()).toContain(phone);

    await page.getByLabel("Показать").selectOption("approved");
    await row.waitFor({ state: "detached" });
    await page.getByLabel("Показать").selectOption("submitted");
    await row.getByRole("link").click();

    await page.getByRole("heading", { level: 1, name: /Заявление: Замена паспорта \(2025\)/ }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/submissions/${submission.id}`);
    const data = main().locator("section", { hasText: "Данные заявления" });
    expect(await data.textContent()).toContain("Причина замены");
    expect(await data.textContent()).toContain("Истёк срок действия");
    expect(await data.textContent()).toContain("да");

    const files = main().locator("section", { hasText: "Вложения" });
    expect(await files.textContent()).toContain("old-passport.pdf");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Скачать вложение old-passport.pdf" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("old-passport.pdf");
    expect(readFileSync(await download.path(), "utf8")).toBe(pdf);

    await page.getByRole("button", { name: "Взять на рассмотрение" }).click();
    await page.getByRole("status").filter({ hasText: "Статус изменён: На рассмотрении." }).waitFor();
    expect(await page.getByRole("button", { name: "Взять на рассмотрение" }).count()).toBe(0);

    await page.getByRole("button", { name: "Отклонить" }).click();
    const dialog = page.getByRole("dialog", { name: "Отклонить заявление" });
    await dialog.getByRole("button", { name: "Отклонить" }).click();
    await dialog.getByText("Укажите причину отказа.").waitFor();
    await dialog.getByLabel("Комментарий для гражданина").fill("Нужна фотография 35×45 мм");
    await dialog.getByRole("button", { name: "Отклонить" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByText("Решение принято, статус больше не меняется.").waitFor();
    expect(await main().textContent()).toContain("Нужна фотография 35×45 мм");

    const seen = await api<{ submission: { status: string; comment: string } }>(server.origin, `/api/v1/submissions/${submission.id}`, {
      token: accessToken,
    });
    expect(seen.submission).toMatchObject({ status: "rejected", comment: "Нужна фотография 35×45 мм" });

    await page.getByRole("link", { name: "Ко всем заявлениям" }).click();
    await page.getByRole("heading", { level: 1, name: "Заявления" }).waitFor();
  });

  test("lists webhook deliveries with attempts and errors, and retries a refused one", async () => {
    await nav("Вебхуки").click();
    await page.getByRole("heading", { level: 1, name: "Вебхуки" }).waitFor();
    // Three events (submitted, in review, rejected); the receiver refused the first one.
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Обновить" }).click();
          return main().locator("tbody tr").count();
        },
        { timeout: 15_000 },
      )
      .toBe(3);
    const refused = main().locator("tbody tr", { hasText: "submission.created" });
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Обновить" }).click();
          return refused.textContent();
        },
        { timeout: 15_000 },
      )
      .toContain("HTTP 5xx");
    expect(await refused.textContent()).toContain("В очереди");
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Обновить" }).click();
          return main().locator("tbody tr", { hasText: "Доставлено" }).count();
        },
        { timeout: 15_000 },
      )
      .toBe(2);
    expect(received[0]?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    await refused.getByRole("button", { name: /Повторить доставку submission\.created/ }).click();
    await page.getByRole("status").filter({ hasText: "Доставка снова поставлена в очередь." }).waitFor();
    await expect.poll(() => refused.textContent(), { timeout: 15_000 }).toContain("Доставлено");
    expect(await refused.getByRole("button").count()).toBe(0);
    expect(received.filter((r) => r.type === "submission.created")).toHaveLength(2);
  });

  test("switches to English and keeps the choice across reloads", async () => {
    await page.getByRole("button", { name: /English/ }).click();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    expect(await nav("Bills").count()).toBe(1);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.title()).toBe("Veche — agency console");
    // One language per browser for both apps: the citizen app opened in another tab speaks English too.
    const citizenTab = await page.context().newPage();
    await citizenTab.goto(`${server.origin}/`);
    await citizenTab.getByRole("heading", { name: "Sign in to Veche" }).waitFor();
    await citizenTab.close();
    await page.getByRole("button", { name: /Русский/ }).click();
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    await page.getByRole("heading", { level: 1, name: "Вебхуки" }).waitFor();
    expect(await page.title()).toBe("Вече — кабинет ведомства");
  });

  test("is usable from the keyboard: skip link, navigation, visible focus", async () => {
    await nav("Счета").click();
    await page.getByRole("heading", { level: 1, name: "Счета" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Счета" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Перейти к содержимому");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    // A focused control gets an outline (the :focus-visible ring).
    await page.getByLabel("Телефон гражданина").focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    expect(outline).toBe("solid");
  });

  test("a session that lapsed or that the server refuses leads back to sign-in, then to the same page", async () => {
    await nav("Документы").click();
    await page.getByRole("heading", { level: 1, name: "Документы" }).waitFor();
    const edit = (change: "expire" | "forge") =>
      page.evaluate((how) => {
        const session = JSON.parse(sessionStorage.getItem("veche.agency.session") ?? "{}") as { token: string; expiresAt: number };
        if (how === "expire") session.expiresAt = Date.now() - 1000;
        else session.token = `${session.token.slice(0, -6)}AAAAAA`;
        sessionStorage.setItem("veche.agency.session", JSON.stringify(session));
      }, change);

    // The page reads the stored session when its requests leave, after the heading has painted. Change the
    // session only once the page has finished loading (the agency's name in the header, the records listed),
    // or the page still open would find the change itself and sign out before the reload.
    const loaded = async () => {
      await page.locator("header").getByText(gov.agency.name).waitFor();
      await main().locator("tbody tr").first().waitFor();
    };

    for (const change of ["expire", "forge"] as const) {
      await loaded();
      await edit(change);
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Вход для ведомств" }).waitFor();
      await page.getByText("Сеанс закончился. Войдите снова.").waitFor();
      expect(new URL(page.url()).hash).toBe("#/records");
      await page.getByLabel("Идентификатор клиента").fill(gov.clientId);
      await page.getByLabel("Секрет клиента").fill(gov.clientSecret);
      await page.getByRole("button", { name: "Войти" }).click();
      await page.getByRole("heading", { level: 1, name: "Документы" }).waitFor();
    }
  });

  test("signs out and back in; a token renewal still under way does not sign the tab back in", async () => {
    await page.locator("header").getByText(gov.agency.name).waitFor();
    await main().locator("tbody tr").first().waitFor();
    // The token is due for renewal (it lapses within the console's margin); the renewal the next request starts
    // is held until after signing out, and its answer must not be kept.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem("veche.agency.session") ?? "{}") as { expiresAt: number };
      session.expiresAt = Date.now() + 10_000;
      sessionStorage.setItem("veche.agency.session", JSON.stringify(session));
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(
      "**/api/v1/agency/token",
      async (route) => {
        await held;
        await route.continue();
      },
      { times: 1 },
    );
    const renewal = page.waitForRequest("**/api/v1/agency/token");
    await main().getByRole("button", { name: "Обновить" }).click();
    await renewal;

    await page.getByRole("button", { name: "Выйти" }).click();
    await page.getByRole("heading", { level: 1, name: "Вход для ведомств" }).waitFor();
    const answered = page.waitForResponse("**/api/v1/agency/token");
    release();
    await (await answered).finished();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Вход для ведомств" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  test("a narrow screen gets one column and no sideways scrolling of the page", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByLabel("Идентификатор клиента").fill(gov.clientId);
    await page.getByLabel("Секрет клиента").fill(gov.clientSecret);
    await page.getByRole("button", { name: "Войти" }).click();
    // Back on the page the operator signed out from.
    await page.getByRole("heading", { level: 1, name: "Документы" }).waitFor();
    await main().locator("tbody tr").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
  });
});
