// Data rights in the browser: a citizen downloads the archive of their data from settings and deletes their
// account after a confirmation that names what is kept.
import { readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { ApiFailure, agency, api, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const json = <T>(files: Record<string, Uint8Array>, name: string): T => {
  const bytes = files[name];
  if (!bytes) throw new Error(`no ${name} in the archive: ${Object.keys(files).join(", ")}`);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
};

test("a citizen downloads everything Veche holds about them, then deletes the account", async () => {
  const me = await citizen(server.origin, uniquePhone(), { displayName: "Вера Данных" });
  const friend = await citizen(server.origin, uniquePhone(), { displayName: "Друг" });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: me.accessToken,
    body: { type: "direct", userId: friend.id },
  });
  await api(server.origin, `/api/v1/chats/${chat.id}/messages`, { token: me.accessToken, body: { clientId: "m1", text: "Моё сообщение" } });
  const tax = await agency(server.origin, "Налоговая служба");
  const { bill } = await api<{ bill: { id: string } }>(server.origin, "/api/v1/agency/bills", {
    token: tax.token,
    body: { citizenPhone: me.phone, amount: 120000, currency: "RUB", purpose: "Налог", externalRef: "e2e-1" },
  });

  const { context, page } = await openAs(browser, server.origin, me.phone, { hash: "#/settings" });
  await page.getByRole("heading", { name: "Мои данные" }).waitFor();

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Скачать мои данные" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^veche-\d{4}-\d{2}-\d{2}\.zip$/);
  const path = await download.path();
  const files = unzipSync(new Uint8Array(readFileSync(path)));
  expect(json<{ phone: string; display_name: string }>(files, "profile.json")).toMatchObject({
    phone: me.phone,
    display_name: "Вера Данных",
  });
  expect(json<{ messages: { text: string }[] }>(files, `messages/${chat.id}.json`).messages.map((m) => m.text)).toContain("Моё сообщение");
  expect(json<{ id: string }[]>(files, "bills.json").map((b) => b.id)).toEqual([bill.id]);
  expect(json<{ head: string }>(files, "access-log.json").head).toMatch(/^[0-9a-f]{64}$/);
  await page.getByText("Архив скачан").waitFor();

  // Deleting asks first, and says what stays.
  await page.getByRole("button", { name: "Удалить аккаунт" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Удалить аккаунт навсегда?" });
  await dialog.waitFor();
  for (const kept of ["счета и платежи", "выданные вам документы", "ваши заявления", "согласия", "журнал доступа"]) {
    await dialog.getByText(kept).first().waitFor();
  }
  await dialog.getByRole("button", { name: "Отмена" }).click();
  await expect.poll(() => dialog.count()).toBe(0);
  expect((await api<{ user: { phone: string } }>(server.origin, "/api/v1/me", { token: me.accessToken })).user.phone).toBe(me.phone);

  await page.getByRole("button", { name: "Удалить аккаунт" }).click();
  await page.getByRole("button", { name: "Удалить навсегда" }).click();
  await page.getByRole("heading", { name: "Вход в Вече" }).waitFor();
  expect(await page.evaluate(() => localStorage.getItem("veche.refreshToken"))).toBeNull();

  // The account is gone for the server too; the friend sees the message deleted.
  await expect(api(server.origin, "/api/v1/me", { token: me.accessToken })).rejects.toMatchObject({
    status: 401,
    body: { code: "account_deleted" },
  });
  await expect(api(server.origin, "/api/v1/auth/refresh", { body: { refreshToken: me.refreshToken } })).rejects.toBeInstanceOf(ApiFailure);
  const { messages } = await api<{ messages: { senderId: string; text: string | null; deletedAt: string | null }[] }>(
    server.origin,
    `/api/v1/chats/${chat.id}/messages`,
    { token: friend.accessToken },
  );
  expect(messages.filter((m) => m.senderId === me.id)).toEqual([expect.objectContaining({ text: null, deletedAt: expect.any(String) })]);
  expect(pageErrors(page)).toEqual([]);
  await context.close();

  // In the friend's app the chat that remains is named for what happened, not with a dash.
  const other = await openAs(browser, server.origin, friend.phone, { hash: `#/chats/${chat.id}` });
  await other.page.getByRole("heading", { name: "Удалённый аккаунт" }).waitFor();
  expect(pageErrors(other.page)).toEqual([]);
  await other.context.close();
});

test("the data screen is complete in English", async () => {
  const me = await citizen(server.origin);
  const { context, page } = await openAs(browser, server.origin, me.phone, { hash: "#/settings", lang: "en" });
  await page.getByRole("heading", { name: "My data" }).waitFor();
  await page.getByRole("button", { name: "Download my data" }).waitFor();
  await page.getByRole("button", { name: "Delete account" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete your account for good?" });
  await dialog.getByText("bills and payments").waitFor();
  await dialog.getByText("the access log").waitFor();
  await dialog.getByRole("button", { name: "Delete for good" }).waitFor();
  expect(await dialog.textContent()).not.toMatch(/[А-Яа-яЁё]/);
  await context.close();
});
