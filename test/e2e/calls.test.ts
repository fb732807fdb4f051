// One-to-one calls in two browser contexts with Chromium's fake camera and microphone: a video call rings
// on the other side (which has only the chat list open), is answered, both sides play the other's video and
// show the same verification code, hanging up ends it on both, and the chat shows the call with its length;
// a call nobody answers shows as missed.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageTexts, openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
let chatId: string;

const withMedia = { setup: (context: BrowserContext) => context.grantPermissions(["camera", "microphone"]) };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]);
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис" });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "direct", userId: boris.id },
  });
  chatId = chat.id;
  a = await openAs(browser, server.origin, anna.phone, { ...withMedia, hash: `#/chats/${chatId}` });
  // Boris has only his chat list open: the call rings there all the same.
  b = await openAs(browser, server.origin, boris.phone, withMedia);
  await b.page.getByRole("link", { name: /Анна/ }).first().waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Whether the remote <video> shows frames: it has a size and its time moves on. */
async function playsRemoteVideo(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const v = document.querySelector<HTMLVideoElement>("[data-testid=remote-video]");
    if (!v || v.videoWidth === 0) return false;
    const before = v.currentTime;
    await new Promise((r) => setTimeout(r, 500));
    return v.currentTime > before;
  });
}

test("a video call rings on the other device, is answered, both play the other's video, and hanging up ends it on both", async () => {
  await a.page.getByRole("button", { name: "Видеозвонок" }).click();
  await expect.poll(() => a.page.getByTestId("call-status").textContent(), { timeout: 15_000 }).toBe("Вызов…");

  const incoming = b.page.getByTestId("incoming-call");
  await incoming.waitFor({ timeout: 15_000 });
  expect(await incoming.textContent()).toContain("Звонит Анна");
  await b.page.getByRole("button", { name: "Ответить" }).click();

  for (const side of [a, b]) await expect.poll(() => playsRemoteVideo(side.page), { timeout: 30_000 }).toBe(true);
  // Both are in the call: the duration runs, and the code is the same on both sides.
  for (const side of [a, b]) await side.page.getByTestId("call-duration").waitFor();
  const codes = await Promise.all([a, b].map((side) => side.page.getByTestId("call-code").textContent()));
  expect(codes[0]).toMatch(/\d{6}/);
  expect(codes[0]).toBe(codes[1]);

  // Muting is a track toggle here and a word on the other side.
  await b.page.getByRole("button", { name: "Выключить микрофон" }).click();
  await a.page.getByText("Собеседник выключил микрофон").waitFor({ timeout: 10_000 });

  await a.page.getByRole("button", { name: "Завершить" }).click();
  for (const side of [a, b]) await side.page.getByTestId("call-screen").waitFor({ state: "detached", timeout: 15_000 });

  // The chat shows the call, with its length, from each side's point of view.
  await expect.poll(async () => (await messageTexts(a.page)).at(-1), { timeout: 15_000 }).toMatch(/^Исходящий видеозвонок, \d+:\d\d$/);
  await b.page.goto(`${server.origin}/#/chats/${chatId}`);
  await expect.poll(async () => (await messageTexts(b.page)).at(-1), { timeout: 15_000 }).toMatch(/^Входящий видеозвонок, \d+:\d\d$/);
  expect(pageErrors(a.page)).toEqual([]);
  expect(pageErrors(b.page)).toEqual([]);
});

test("a call nobody answers shows as missed", async () => {
  await a.page.getByRole("button", { name: "Аудиозвонок" }).click();
  await b.page.getByTestId("incoming-call").waitFor({ timeout: 15_000 });
  // Anna gives up while it rings.
  await a.page.getByRole("button", { name: "Завершить" }).click();
  await b.page.getByTestId("call-screen").waitFor({ state: "detached", timeout: 15_000 });
  await expect.poll(async () => (await messageTexts(b.page)).at(-1), { timeout: 15_000 }).toBe("Пропущенный звонок");
  await expect.poll(async () => (await messageTexts(a.page)).at(-1), { timeout: 15_000 }).toBe("Звонок без ответа");
  // The chat list says so too.
  await expect.poll(() => b.page.locator("aside").textContent(), { timeout: 15_000 }).toContain("Пропущенный звонок");
});
