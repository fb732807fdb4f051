// A secret chat between two people in two browser contexts: each browser makes its own device keys and
// publishes only the public halves, the chat's MLS group covers both users' devices, messages and a photo
// are encrypted and decrypted in the browsers, both see the same safety number, a new device of the
// contact shows a key-change warning (and the new device reads what is sent after it joined), the
// disappearing-message timer reaches both sides, and afterwards neither the server's state directory (D1, Durable
// Objects, R2, every file) nor anything the server logged holds a single plaintext.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { png } from "./fixtures.ts";
import { api, type Citizen, citizen, eventually, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
const suffix = Date.now() % 100000;
/** Everything the server process wrote to stdout and stderr while the test ran (the Worker's logs included). */
const logged: Buffer[] = [];
const restore: (() => void)[] = [];

const plaintexts = [`Secret-hello-${suffix}`, `Тайное привет ${suffix}`, `Secret-reply-${suffix}`, `Ответ секретный ${suffix}`];
const photo = png(64, 48, 200);

function capture(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(Buffer.from(chunk));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restore.push(() => {
    stream.write = write;
  });
}

/** Miniflare prints the Worker's console through Node's console, which vitest takes over: wrap it too. */
function captureConsole(): void {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      logged.push(Buffer.from(`${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`));
      original.apply(console, args);
    };
    restore.push(() => {
      console[level] = original;
    });
  }
}

beforeAll(async () => {
  capture(process.stdout);
  capture(process.stderr);
  captureConsole();
  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна", username: `anna${suffix}` });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис", username: `boris${suffix}` });
  a = await openAs(browser, server.origin, anna.phone, { deviceName: "Anna's laptop" });
  b = await openAs(browser, server.origin, boris.phone, { deviceName: "Boris's laptop" });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const r of restore) r();
});

/** The user's active devices that published an MLS key (what the browsers did on their own). */
async function mlsDevices(user: Citizen): Promise<{ id: string; mlsKey: string }[]> {
  const r = await api<{ devices: { id: string; mlsKey: string | null }[] }>(server.origin, `/api/v1/users/${user.id}/devices`, {
    token: anna.accessToken,
  });
  return r.devices.flatMap((d) => (d.mlsKey ? [{ id: d.id, mlsKey: d.mlsKey }] : []));
}

const composer = (page: Page) => page.getByLabel("Секретное сообщение", { exact: true });
const shown = (page: Page) => page.locator("[data-testid=secret-chat] [data-testid=messages] li .text").allTextContents();

async function send(page: Page, text: string): Promise<void> {
  await expect.poll(() => composer(page).isEnabled(), { timeout: 30_000 }).toBe(true);
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

async function safetyNumberOf(page: Page): Promise<string> {
  await page.getByTestId("open-safety").click();
  const number = page.getByTestId("safety-number");
  await number.waitFor({ timeout: 30_000 });
  const digits = (await number.textContent())?.replace(/\s+/g, "") ?? "";
  await page.locator("dialog[open]").getByRole("button", { name: "✕" }).click();
  return digits;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

let chatId = "";
let phone: { context: BrowserContext; page: Page };

test("each browser publishes its own device key; a secret chat's messages are decrypted on the other side", async () => {
  // Published by the app itself on sign-in: one MLS key per browser, no private key anywhere on the server.
  await eventually(async () => (await mlsDevices(anna)).length === 1 && (await mlsDevices(boris)).length === 1, 30_000);

  await a.page.getByRole("button", { name: "Новый чат" }).click();
  await a.page.getByText("Секретный чат", { exact: true }).click();
  await a.page.getByLabel("Имя пользователя").fill(`@boris${suffix}`);
  await a.page.getByRole("button", { name: "Начать" }).click();
  await a.page.getByTestId("secret-chat").waitFor();
  chatId = decodeURIComponent(a.page.url().split("#/chats/")[1] ?? "");
  expect(chatId).not.toBe("");

  await send(a.page, plaintexts[0] ?? "");
  await send(a.page, plaintexts[1] ?? "");
  await expect.poll(() => shown(a.page), { timeout: 30_000 }).toEqual(plaintexts.slice(0, 2));

  // Boris's list shows a locked chat whose preview says nothing of the text.
  const item = b.page.locator(`[data-chat-id="${chatId}"]`);
  await item.getByTestId("secret-mark").waitFor({ timeout: 30_000 });
  expect(await item.textContent()).not.toContain(plaintexts[0]);
  await item.click();
  await expect.poll(() => shown(b.page), { timeout: 30_000 }).toEqual(plaintexts.slice(0, 2));

  await send(b.page, plaintexts[2] ?? "");
  await send(b.page, plaintexts[3] ?? "");
  await expect.poll(() => shown(a.page), { timeout: 30_000 }).toEqual(plaintexts);

  // The server's copy is ciphertext: the API answers no text for any of them.
  const page = await api<{ messages: { text: string | null }[] }>(server.origin, `/api/v1/chats/${chatId}/messages?limit=200`, {
    token: anna.accessToken,
  });
  expect(page.messages.every((m) => !m.text)).toBe(true);
  expect(JSON.stringify(page)).not.toContain(plaintexts[0]);
});

test("a photo is encrypted before upload and decrypted to view; the local search finds messages", async () => {
  await b.page.locator("#secret-attach").setInputFiles({ name: "дача.png", mimeType: "image/png", buffer: photo });
  const img = a.page.getByTestId("secret-photo");
  await img.waitFor({ timeout: 30_000 });
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.naturalWidth), { timeout: 15_000 }).toBe(64);

  await a.page.getByRole("button", { name: "Поиск по чату (на этом устройстве)" }).click();
  const box = a.page.getByRole("searchbox", { name: "Поиск по чату (на этом устройстве)" });
  await box.fill("секретный");
  await box.press("Enter");
  await expect.poll(() => a.page.getByTestId("secret-search-results").textContent()).toContain(plaintexts[3]);
});

test("both people see the same safety number", async () => {
  const fromAnna = await safetyNumberOf(a.page);
  const fromBoris = await safetyNumberOf(b.page);
  expect(fromAnna).toMatch(/^\d{60}$/);
  expect(fromBoris).toBe(fromAnna);
});

test("the contact signing in on a new device shows a key-change warning and a new safety number", async () => {
  const before = await safetyNumberOf(a.page);
  phone = await openAs(browser, server.origin, boris.phone, { deviceName: "Boris's phone", hash: `#/chats/${chatId}` });
  await eventually(async () => (await mlsDevices(boris)).length === 2, 30_000);
  // Anna's open chat checks the devices on its own (every 15 s) and before sending.
  await a.page.getByTestId("keys-warning").waitFor({ timeout: 40_000 });
  expect(await a.page.getByTestId("keys-warning").textContent()).toContain("Ключи шифрования собеседника изменились");
  expect(await safetyNumberOf(a.page)).not.toBe(before);
  // The new device is added to the group by a member device and reads what is sent from then on.
  const later = `After-new-device-${suffix}`;
  plaintexts.push(later);
  await send(a.page, later);
  await expect.poll(() => shown(phone.page), { timeout: 40_000 }).toContain(later);
});

test("a device signed out is removed from the group by the next message; the others still read it", async () => {
  await phone.page.goto(`${server.origin}/#/settings`);
  await phone.page.getByRole("button", { name: "Выйти" }).click();
  await eventually(async () => (await mlsDevices(boris)).length === 1, 30_000);
  // Anna's next message needs a commit removing the signed-out device first (the room refuses it before).
  const afterSignOut = `After-sign-out-${suffix}`;
  plaintexts.push(afterSignOut);
  await send(a.page, afterSignOut);
  await expect.poll(() => shown(b.page), { timeout: 40_000 }).toContain(afterSignOut);
  const group = await api<{ devices: string[]; revoked: string[] }>(server.origin, `/api/v1/chats/${chatId}/secret`, {
    token: anna.accessToken,
  });
  expect(group.revoked).toEqual([]);
  expect(group.devices).toHaveLength(2);
  await phone.context.close();
});

test("the disappearing-message timer is set for both people, and new messages say when they disappear", async () => {
  await a.page.getByLabel("Исчезающие сообщения").selectOption("3600");
  await expect.poll(() => b.page.getByLabel("Исчезающие сообщения").inputValue(), { timeout: 20_000 }).toBe("3600");
  const fleeting = `Fleeting-${suffix}`;
  plaintexts.push(fleeting);
  await send(a.page, fleeting);
  const mine = b.page.locator("[data-testid=secret-chat] li", { hasText: fleeting });
  await mine.waitFor({ timeout: 40_000 });
  expect(await mine.textContent()).toContain("Исчезнет");
});

test("a message is reported with its franking proof, which the server checks", async () => {
  // Reported text goes to the operator in the clear by the reporter's choice: not one of the plaintexts above.
  const reported = `Reported-${suffix}`;
  await send(b.page, reported);
  const item = a.page.locator("[data-testid=secret-chat] li", { hasText: reported });
  await item.waitFor({ timeout: 40_000 });
  await item.getByRole("button", { name: "Пожаловаться" }).click();
  const dialog = a.page.locator("dialog[open]");
  await dialog.getByRole("button", { name: "Отправить жалобу" }).click();
  await dialog.getByText("Жалоба отправлена").waitFor({ timeout: 15_000 });
});

test("the server's state directory and its logs hold none of the plaintexts", async () => {
  const needles = [...plaintexts.map((p) => Buffer.from(p, "utf8")), photo.subarray(photo.length - 80, photo.length - 20)];
  const files = filesUnder(server.state);
  expect(files.length).toBeGreaterThan(0);
  // The search does see what the server stores in the clear (a username in D1), so a miss means something.
  const control = Buffer.from(`boris${suffix}`, "utf8");
  let controlFound = false;
  for (const file of files) {
    const bytes = readFileSync(file);
    if (bytes.includes(control)) controlFound = true;
    for (const n of needles) expect(bytes.includes(n), `${file} holds a plaintext`).toBe(false);
  }
  expect(controlFound).toBe(true);
  const log = Buffer.concat(logged);
  // The Worker's request lines were captured.
  expect(log.includes(Buffer.from("/api/v1/me/device"))).toBe(true);
  for (const n of needles) expect(log.includes(n)).toBe(false);
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});
