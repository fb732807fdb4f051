// Screenshots of the agency console for docs/screenshots: the real server on a free port with fresh state,
// demo data made through the public API, Debian's chromium. Usage: node scripts/screenshots-agency.mjs [--out dir]
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const { values } = parseArgs({ options: { out: { type: "string" } } });
const OUT = values.out ?? "docs/screenshots";
mkdirSync(OUT, { recursive: true });

const state = mkdtempSync(join(tmpdir(), "veche-shots-"));
const { mf, url } = await serve({ port: 0, state });
const origin = url.origin;

// A webhook receiver that refuses its first deliveries, so the deliveries page shows failures and successes.
let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  received += 1;
  res.writeHead(received % 3 === 1 ? 503 : 200).end();
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = receiver.address();
const webhookUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/veche`;

async function call(path, { token, body, method } = {}) {
  const res = await fetch(origin + path, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function citizenToken(phone) {
  await call("/api/v1/auth/otp", { body: { phone } });
  const { code } = await call(`/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
  return (await call("/api/v1/auth/verify", { body: { phone, code } })).accessToken;
}

let browser;
try {
  const created = await call("/api/v1/dev/agencies", { body: { name: "Главное управление по вопросам миграции", webhookUrl } });
  const { accessToken: agency } = await call("/api/v1/agency/token", {
    body: { clientId: created.clientId, clientSecret: created.clientSecret },
  });
  const phones = ["+79161234501", "+79161234502", "+79161234503"];
  const purposes = ["Госпошлина за загранпаспорт", "Штраф за нарушение срока регистрации", "Госпошлина за замену паспорта"];
  const bills = [];
  for (const [i, purpose] of purposes.entries()) {
    const { bill } = await call("/api/v1/agency/bills", {
      token: agency,
      body: {
        citizenPhone: phones[i],
        amount: [600000, 250000, 150000][i],
        currency: "RUB",
        purpose,
        dueDate: "2026-12-31",
        externalRef: `demo-${i}`,
      },
    });
    bills.push(bill);
  }
  await call(`/api/v1/agency/bills/${bills[2].id}/cancel`, { token: agency, body: {} });
  const schema = {
    type: "object",
    properties: {
      fullName: { type: "string", title: "ФИО", minLength: 1, maxLength: 200 },
      birthDate: { type: "string", title: "Дата рождения", format: "date" },
      reason: { type: "string", title: "Причина замены", enum: ["Истёк срок", "Смена фамилии", "Порча"] },
    },
    required: ["fullName", "birthDate", "reason"],
    additionalProperties: false,
  };
  await call("/api/v1/agency/forms", { token: agency, body: { key: "passport-change", title: "Замена паспорта", schema } });
  const { form } = await call("/api/v1/agency/forms", {
    token: agency,
    body: { key: "passport-change", title: "Замена паспорта гражданина РФ", schema },
  });
  await call("/api/v1/agency/forms", {
    token: agency,
    body: {
      key: "registration",
      title: "Регистрация по месту пребывания",
      schema: { type: "object", properties: { address: { type: "string", title: "Адрес" } } },
    },
  });
  const submissions = [];
  for (const [i, phone] of phones.entries()) {
    const token = await citizenToken(phone);
    const { submission } = await call(`/api/v1/forms/${form.id}/submissions`, {
      token,
      body: {
        data: {
          fullName: ["Иванова Анна Сергеевна", "Петров Пётр Ильич", "Сидоров Олег Павлович"][i],
          birthDate: "1990-05-17",
          reason: "Истёк срок",
        },
      },
    });
    submissions.push(submission);
  }
  await call(`/api/v1/agency/submissions/${submissions[1].id}`, { token: agency, method: "PATCH", body: { status: "in_review" } });
  await call(`/api/v1/agency/submissions/${submissions[2].id}`, {
    token: agency,
    method: "PATCH",
    body: { status: "rejected", comment: "Нужна фотография 35×45 мм" },
  });
  const { record } = await call("/api/v1/agency/records", {
    token: agency,
    body: { citizenPhone: phones[0], type: "passport", claims: { number: "45 12 345678", issuedBy: "ГУ МВД", validUntil: "2035-05-17" } },
  });
  await call("/api/v1/agency/records", {
    token: agency,
    body: { citizenPhone: phones[1], type: "registration", claims: { address: "Москва, ул. Тверская, 1" } },
  });
  await call(`/api/v1/agency/records/${record.id}/revoke`, { token: agency, body: {} });
  await call("/api/v1/agency/consent-requests", {
    token: agency,
    body: {
      citizenPhone: phones[0],
      scope: "records:driver_license",
      purpose: "Проверка сведений для выдачи паспорта",
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
  });
  // Let the webhook queue run its first attempts.
  await new Promise((r) => setTimeout(r, 3000));

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  for (const [suffix, viewport, scheme] of [
    ["", { width: 1360, height: 900 }, "light"],
    ["-mobile", { width: 390, height: 844 }, "light"],
    ["-dark", { width: 1360, height: 900 }, "dark"],
  ]) {
    const context = await browser.newContext({
      viewport,
      colorScheme: scheme,
      locale: "ru-RU",
      deviceScaleFactor: suffix === "-mobile" ? 2 : 1,
    });
    const page = await context.newPage();
    await page.goto(`${origin}/agency/`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    if (suffix === "") await page.screenshot({ path: join(OUT, "agency-signin.png") });
    await page.getByLabel("Идентификатор клиента").fill(created.clientId);
    await page.getByLabel("Секрет клиента").fill(created.clientSecret);
    await page.getByRole("button", { name: "Войти" }).click();
    await page.getByRole("heading", { level: 1, name: "Счета" }).waitFor();
    const pages =
      suffix === ""
        ? ["bills", "forms", "submissions", `submissions/${submissions[0].id}`, "records", "consents", "webhooks", "settings"]
        : ["bills", `submissions/${submissions[0].id}`];
    for (const route of pages) {
      await page.goto(`${origin}/agency/#/${route}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await page.waitForFunction(() => !document.querySelector(".list-state")?.textContent?.includes("Загрузка"));
      await page.waitForTimeout(150);
      const name = route.startsWith("submissions/") ? "submission" : route;
      await page.screenshot({ path: join(OUT, `agency-${name}${suffix}.png`), fullPage: suffix !== "-mobile" });
    }
    await context.close();
  }
  console.log(`Screenshots written to ${OUT}`);
} finally {
  await browser?.close();
  receiver.close();
  await mf.dispose();
  rmSync(state, { recursive: true, force: true });
}
