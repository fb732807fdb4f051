// Calls in a secret chat, in two browser contexts with Chromium's fake camera and microphone: the call
// buttons are in the secret chat's header, the call rings and is answered with the same signalling as any
// one-to-one call, both sides show the same code from the two DTLS fingerprints, and when it ends the
// caller's browser writes the call's record into the chat as an MLS message: both sides read it like any
// call message, while the server holds only ciphertext (no call message of its own, no words of it on disk).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, eventually, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
let chatId: string;

const withMedia = { setup: (context: BrowserContext) => context.grantPermissions(["camera", "microphone"]) };
const composer = (page: Page) => page.getByLabel("Секретное сообщение", { exact: true });
const shown = (page: Page) => page.locator("[data-testid=secret-chat] [data-testid=messages] li .text").allTextContents();
const lastShown = async (page: Page) => (await shown(page)).at(-1);

async function publishedKeys(user: Citizen): Promise<number> {
  const r = await api<{ devices: { mlsKey: string | null }[] }>(server.origin, `/api/v1/users/${user.id}/devices`, {
    token: anna.accessToken,
  });
  return r.devices.filter((d) => d.mlsKey).length;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]);
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис" });
  a = await openAs(browser, server.origin, anna.phone, withMedia);
  b = await openAs(browser, server.origin, boris.phone, withMedia);
  // Each browser publishes its device key on its own; the chat's group can be made once both have.
  await eventually(async () => (await publishedKeys(anna)) === 1 && (await publishedKeys(boris)) === 1, 30_000);
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "secret", userId: boris.id },
  });
  chatId = chat.id;
  await a.page.goto(`${server.origin}/#/chats/${chatId}`);
  await a.page.getByTestId("secret-chat").waitFor();
  // Anna's browser makes the group; Boris's joins by its welcome (his composer opens once it has).
  await eventually(() => composer(a.page).isEnabled(), 30_000);
  await b.page.goto(`${server.origin}/#/chats/${chatId}`);
  await eventually(() => composer(b.page).isEnabled(), 30_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("a call in a secret chat shows the same code on both sides, and its record is an encrypted message both read", async () => {
  const header = a.page.getByTestId("secret-chat").locator("header");
  await header.getByRole("button", { name: "Аудиозвонок" }).click();
  const incoming = b.page.getByTestId("incoming-call");
  await incoming.waitFor({ timeout: 15_000 });
  expect(await incoming.textContent()).toContain("Звонит Анна");
  await b.page.getByRole("button", { name: "Ответить" }).click();

  for (const side of [a, b]) await side.page.getByTestId("call-duration").waitFor({ timeout: 30_000 });
  const codes = await Promise.all([a, b].map((side) => side.page.getByTestId("call-code").textContent({ timeout: 15_000 })));
  expect(codes[0]).toMatch(/\d{6}/);
  expect(codes[0]).toBe(codes[1]);

  await a.page.getByRole("button", { name: "Завершить" }).click();
  for (const side of [a, b]) await side.page.getByTestId("call-screen").waitFor({ state: "detached", timeout: 15_000 });

  // Each side reads the record from where it stands: Anna called, Boris was called.
  await expect.poll(() => lastShown(a.page), { timeout: 30_000 }).toMatch(/^Исходящий звонок, \d+:\d\d$/);
  await expect.poll(() => lastShown(b.page), { timeout: 30_000 }).toMatch(/^Входящий звонок, \d+:\d\d$/);

  // A call nobody answers: Anna gives up while it rings, and both read it as missed.
  await header.getByRole("button", { name: "Аудиозвонок" }).click();
  await b.page.getByTestId("incoming-call").waitFor({ timeout: 15_000 });
  await a.page.getByRole("button", { name: "Завершить" }).click();
  await b.page.getByTestId("call-screen").waitFor({ state: "detached", timeout: 15_000 });
  await expect.poll(() => lastShown(a.page), { timeout: 30_000 }).toBe("Звонок без ответа");
  await expect.poll(() => lastShown(b.page), { timeout: 30_000 }).toBe("Пропущенный звонок");

  // The server's copy of the chat is ciphertext only: no call message of its own, no text, nothing in the clear.
  const page = await api<{ messages: Record<string, unknown>[] }>(server.origin, `/api/v1/chats/${chatId}/messages?limit=200`, {
    token: boris.accessToken,
  });
  const application = page.messages.filter((m) => m.mls === "application");
  expect(application.length).toBe(2);
  for (const m of page.messages) {
    expect(m.call).toBeUndefined();
    expect(m.text ?? null).toBeNull();
    expect(typeof m.ciphertext).toBe("string");
  }
  expect(application.every((m) => m.senderId === anna.id)).toBe(true);
  expect(JSON.stringify(page)).not.toContain("durationSec");

  // Nor on the server's disk: no record's words or fields in D1, the Durable Objects or R2.
  const needles = ["Исходящий", "Пропущенный", "durationSec"].map((n) => Buffer.from(n, "utf8"));
  const files = filesUnder(server.state);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const n of needles) expect(bytes.includes(n), `${file} holds a call record in the clear`).toBe(false);
  }
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});
