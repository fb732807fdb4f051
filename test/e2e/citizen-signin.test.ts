// Signing in with a phone and a code, staying signed in across reloads, settings (profile, username,
// devices, language) and signing out, in a real browser against the real server.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors, watchErrors } from "./citizen.ts";
import { api, citizen, devCode, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

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

test("both pages load without a failed request, and link a favicon the server has", async () => {
  const context = await browser.newContext({ locale: "ru-RU" });
  const page = await context.newPage();
  watchErrors(page);
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  for (const path of ["/", "/agency/"]) {
    await page.goto(server.origin + path);
    await page.getByRole("heading", { level: 1 }).waitFor();
    const href = await page.locator('link[rel="icon"]').getAttribute("href");
    expect(href, path).toBe("/favicon.svg");
    const icon = await fetch(new URL(href ?? "", server.origin));
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(await icon.text()).toMatch(/^<svg /);
  }
  expect(failed).toEqual([]);
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});

test("a citizen signs in with the code sent to their phone, and stays signed in after a reload", async () => {
  const phone = uniquePhone();
  const context = await browser.newContext({ locale: "ru-RU" });
  const page = await context.newPage();
  watchErrors(page);
  const res = await page.goto(server.origin);
  expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
  await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("ru");
  await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Вход в Вече");

  // The input takes a number as people type it.
  await page.getByLabel("Номер телефона").fill(`${phone.slice(0, 2)} (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`);
  await page.getByRole("button", { name: "Получить код" }).click();
  // Development shows the code on the page; it is the one the server sent.
  const shown = await page.getByTestId("dev-code").textContent();
  const code = await devCode(server.origin, phone);
  expect(shown).toContain(code);

  // A wrong code is refused with a message next to the field, and the field is marked invalid.
  const wrong = code === "000000" ? "111111" : "000000";
  await page.getByLabel("Код из СМС").fill(wrong);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByText("Неверный или уже использованный код.").waitFor();
  expect(await page.getByLabel("Код из СМС").getAttribute("aria-invalid")).toBe("true");

  await page.getByLabel("Код из СМС").fill(code);
  await page.getByRole("button", { name: "Войти" }).click();
  // A new account has no name yet: the app asks for one before anything else.
  await page.getByRole("heading", { name: "Как вас зовут?" }).waitFor();
  await page.getByRole("button", { name: "Продолжить" }).click();
  await page.getByText("Введите имя.").waitFor();
  expect(await page.getByLabel("Имя").getAttribute("aria-invalid")).toBe("true");
  await page.getByLabel("Имя").fill("Вера");
  await page.getByRole("button", { name: "Продолжить" }).click();
  await page.getByRole("heading", { name: "Чаты" }).waitFor();
  expect(page.url()).toContain("#/chats");
  const { user } = await api<{ user: { displayName: string | null } }>(server.origin, "/api/v1/me", {
    token: (await citizen(server.origin, phone)).accessToken,
  });
  expect(user.displayName).toBe("Вера");
  expect(await page.evaluate(() => localStorage.getItem("veche.refreshToken"))).toBeTruthy();

  // The access token lives in memory only; a reload signs in again with the (rotated) refresh token.
  await page.reload();
  await page.getByRole("heading", { name: "Чаты" }).waitFor();
  await page.getByRole("link", { name: "Настройки" }).click();
  await page.getByText(phone).waitFor();
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});

test("settings: profile and username (a taken one is refused), devices (revoke one), language, sign out", async () => {
  const taken = await citizen(server.origin, uniquePhone(), { displayName: "Занятый", username: `taken${Date.now() % 100000}` });
  const me = await citizen(server.origin);
  const { context, page } = await openAs(browser, server.origin, me.phone, { hash: "#/settings", deviceName: "Ноутбук" });
  await page.getByRole("heading", { name: "Настройки" }).waitFor();

  await page.getByLabel("Имя", { exact: true }).fill("Гражданка Проверка");
  const takenName = (await api<{ user: { username: string } }>(server.origin, "/api/v1/me", { token: taken.accessToken })).user.username;
  await page.getByLabel("Имя пользователя").fill(takenName);
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Это имя пользователя уже занято").waitFor();
  expect(await page.getByLabel("Имя пользователя").getAttribute("aria-invalid")).toBe("true");

  const mine = `citizen${Date.now() % 100000}`;
  await page.getByLabel("Имя пользователя").fill(mine);
  await page.getByLabel("Кто видит мой номер").selectOption("everyone");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Сохранено").waitFor();
  const profile = await api<{ user: { displayName: string; username: string; phoneVisibility: string } }>(server.origin, "/api/v1/me", {
    token: me.accessToken,
  });
  expect(profile.user).toMatchObject({ displayName: "Гражданка Проверка", username: mine, phoneVisibility: "everyone" });

  // Two devices: this one (marked) and the seed session; signing the other one out ends its refresh token.
  await page.getByText("это устройство").waitFor();
  await page.getByRole("button", { name: /Завершить сеанс/ }).click();
  await expect.poll(() => page.getByRole("button", { name: /Завершить сеанс/ }).count()).toBe(0);
  await expect(api(server.origin, "/api/v1/auth/refresh", { body: { refreshToken: me.refreshToken } })).rejects.toMatchObject({
    status: 401,
  });

  // English, remembered across reloads and reflected in <html lang>.
  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("heading", { name: "Settings" }).waitFor();
  expect(await page.locator("html").getAttribute("lang")).toBe("en");
  await page.reload();
  await page.getByRole("link", { name: "Chats" }).waitFor();
  expect(await page.locator("html").getAttribute("lang")).toBe("en");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in to Veche" }).waitFor();
  expect(await page.evaluate(() => localStorage.getItem("veche.refreshToken"))).toBeNull();
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});

test("a malformed address (#/%) shows the not-found view, never a crash, and the way back works", async () => {
  const { context, page } = await openAs(browser, server.origin, uniquePhone(), { hash: "#/%" });
  await page.getByRole("heading", { name: "Такой страницы нет" }).waitFor();
  // Changing to another malformed hash in place (hashchange) is handled the same way.
  await page.evaluate(() => {
    location.hash = "#/chats/%E0%A4%A";
  });
  await page.getByRole("heading", { name: "Такой страницы нет" }).waitFor();
  await page.getByRole("link", { name: "Вернуться к чатам" }).click();
  await page.getByRole("heading", { name: "Чаты" }).waitFor();
  expect(pageErrors(page)).toEqual([]);
  await context.close();
});
