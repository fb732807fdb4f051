// Profile photos and chat photos, with two people at once: Anna picks a photo in her settings (it goes up as a
// small square JPEG) and Boris sees it on their direct chat in his list; Anna gives their group a photo from its
// info panel and Boris sees that too; removing her photo takes it away from his list.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import { png } from "./fixtures.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let anna: Citizen;
let boris: Citizen;
let directId: string;
let groupId: string;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Борис" });
  directId = (
    await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
      token: anna.accessToken,
      body: { type: "direct", userId: boris.id },
    })
  ).chat.id;
  groupId = (
    await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
      token: anna.accessToken,
      body: { type: "group", title: "Двор", memberIds: [boris.id] },
    })
  ).chat.id;
  b = await openAs(browser, server.origin, boris.phone, { hash: "#/chats" });
  a = await openAs(browser, server.origin, anna.phone, { hash: "#/settings" });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The photo shown on a chat's row in Boris's list (an <img>; initials are a <span>). */
const rowPhoto = (chatId: string) => b.page.locator(`a[data-chat-id="${chatId}"] img.avatar`);

async function annaAvatar(): Promise<string | null> {
  return (await api<{ user: { avatar: string | null } }>(server.origin, "/api/v1/me", { token: anna.accessToken })).user.avatar;
}

test("a photo picked in settings becomes a small square JPEG and shows on the direct chat in the other person's list", async () => {
  await a.page.getByRole("heading", { level: 2, name: "Профиль" }).waitFor();
  await expect.poll(() => rowPhoto(directId).count()).toBe(0);
  const picker = a.page.getByRole("group", { name: "Фото профиля" });
  await picker.locator('input[type="file"]').setInputFiles({ name: "я.png", mimeType: "image/png", buffer: png(900, 600, 40) });
  await picker.getByRole("status").filter({ hasText: "Фото обновлено" }).waitFor();
  await picker.locator("img.avatar").waitFor();

  const id = await annaAvatar();
  expect(id).not.toBeNull();
  const info = await api<{ media: { contentType: string; width: number; height: number } }>(server.origin, `/api/v1/media/${id}/info`, {
    token: anna.accessToken,
  });
  expect(info.media).toMatchObject({ contentType: "image/jpeg", width: 512, height: 512 });

  await rowPhoto(directId).waitFor();
  expect(pageErrors(a.page)).toEqual([]);
});

test("the group's owner gives it a photo from the info panel; the member sees it in the list", async () => {
  await a.page.goto(`${server.origin}/#/chats/${groupId}`);
  await a.page.getByRole("button", { name: "Сведения о группе" }).click();
  const dialog = a.page.getByRole("dialog", { name: "Сведения о группе" });
  const picker = dialog.getByRole("group", { name: "Фото чата" });
  await picker.locator('input[type="file"]').setInputFiles({ name: "двор.png", mimeType: "image/png", buffer: png(300, 300, 120) });
  await picker.getByRole("status").filter({ hasText: "Фото обновлено" }).waitFor();
  await rowPhoto(groupId).waitFor();
  // The open chat's header follows too.
  await a.page.locator(".chat-header img.avatar").waitFor();
  expect(pageErrors(a.page)).toEqual([]);
});

test("a removed profile photo leaves the other person's list", async () => {
  await a.page.goto(`${server.origin}/#/settings`);
  const picker = a.page.getByRole("group", { name: "Фото профиля" });
  await picker.getByRole("button", { name: "Удалить фото" }).click();
  await picker.getByRole("status").filter({ hasText: "Фото удалено" }).waitFor();
  expect(await annaAvatar()).toBeNull();
  await expect.poll(() => rowPhoto(directId).count()).toBe(0);
  expect(pageErrors(b.page)).toEqual([]);
});
