// Issue 13, managing a channel in the web app: its owner opens the settings from the chat header, makes the
// channel public by a name (a taken one is refused in people's words) and a second person joins by the
// shared link; a ban puts them out and keeps them out until lifted; an invite link to a private channel
// lets them in, counts the use, and once revoked is refused; made an admin they post; the owner hands the
// channel on and stays an admin. Two browser contexts, the owner's and the subscriber's.
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageTexts, openAs, pageErrors } from "./citizen.ts";
import { api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

let server: Server;
let browser: Browser;
let owner: Citizen;
let reader: Citizen;
let o: { context: BrowserContext; page: Page };
let r: { context: BrowserContext; page: Page };
let channelId: string;
const suffix = Date.now() % 100000;
const publicName = `district${suffix}`;
const readerName = `petr${suffix}`;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  owner = await citizen(server.origin, uniquePhone(), { displayName: "Ольга Управа", username: `olga${suffix}` });
  reader = await citizen(server.origin, uniquePhone(), { displayName: "Пётр Соседов", username: readerName });
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: owner.accessToken,
    body: { type: "channel", title: "Новости" },
  });
  channelId = chat.id;
  o = await openAs(browser, server.origin, owner.phone, { hash: `#/chats/${channelId}` });
  r = await openAs(browser, server.origin, reader.phone);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The settings dialog of the open channel, opened from the header. */
async function openSettings(page: Page, label = "Управление каналом"): Promise<Locator> {
  await page.getByRole("button", { name: label, exact: true }).click();
  const dialog = page.getByRole("dialog", { name: label });
  await dialog.waitFor();
  return dialog;
}

async function closeSettings(dialog: Locator): Promise<void> {
  await dialog.getByRole("button", { name: "Закрыть" }).click();
  await dialog.waitFor({ state: "detached" });
}

const row = (dialog: Locator, userId: string) => dialog.getByTestId("members").locator(`li[data-user-id="${userId}"]`);

async function roles(chatId: string): Promise<Record<string, string>> {
  const { members } = await api<{ members: { userId: string; role: string }[] }>(server.origin, `/api/v1/chats/${chatId}/members`, {
    token: owner.accessToken,
  });
  return Object.fromEntries(members.map((m) => [m.userId, m.role]));
}

test("the owner renames the channel and makes it public by a name in its settings (a taken name is refused), and a second person joins by the link", async () => {
  await o.page.getByRole("heading", { name: "Новости", level: 1 }).waitFor();
  await o.page.getByText("Канал · 1 подписчик").waitFor();
  const dialog = await openSettings(o.page);
  await dialog.getByRole("textbox", { name: "Название канала" }).fill("Новости района");
  await dialog.getByRole("button", { name: "Переименовать" }).click();
  await dialog.getByText("Сохранено").waitFor();
  await o.page.getByRole("heading", { name: "Новости района", level: 1 }).waitFor();
  await dialog.getByText("Канал закрытый: в него попадают только по пригласительной ссылке.").waitFor();
  const name = dialog.getByLabel("Публичное имя канала");
  // A person has this username already: one namespace for people and channels.
  await name.fill(readerName);
  await dialog.getByRole("button", { name: "Сделать публичным" }).click();
  await expect.poll(() => dialog.getByRole("alert").textContent()).toBe("Это имя пользователя уже занято");
  await name.fill("1 плохое имя");
  await dialog.getByRole("button", { name: "Сделать публичным" }).click();
  await expect.poll(() => dialog.getByRole("alert").textContent()).toContain("Такое имя не подходит");
  await name.fill(publicName);
  await dialog.getByRole("button", { name: "Сделать публичным" }).click();
  await dialog.getByText("Канал стал публичным — ссылкой можно делиться.").waitFor();
  const link = await dialog.getByTestId("share-link").inputValue();
  expect(link).toBe(`${server.origin}/#/channels/${publicName}`);
  await dialog.getByRole("button", { name: "Копировать" }).waitFor();
  await closeSettings(dialog);
  // The header shows the public name, linking to the channel's page.
  await o.page.getByTestId("channel-public-name").getByText(`@${publicName}`).waitFor();

  await r.page.goto(link);
  await r.page.getByTestId("channel-page").waitFor();
  await r.page.getByTestId("join-channel").click();
  await r.page.waitForURL(new RegExp(`#/chats/${channelId}$`));
  await r.page.getByRole("heading", { name: "Новости района", level: 1 }).waitFor();
  // The subscriber count in the header, on both sides.
  await r.page.getByText("Канал · 2 подписчика").waitFor();
  await o.page.getByText("Канал · 2 подписчика").waitFor({ timeout: 15_000 });
  // A subscriber's header opens what they may do: read about the channel and leave it, nothing more.
  const about = await openSettings(r.page, "О канале");
  await about.getByRole("button", { name: "Покинуть канал" }).waitFor();
  expect(await about.getByRole("button", { name: "Создать пригласительную ссылку" }).count()).toBe(0);
  expect(await about.getByTestId("members").count()).toBe(0);
  await closeSettings(about);
});

test("a ban puts the subscriber out and keeps them out with a clear message; unbanned, they subscribe again", async () => {
  const dialog = await openSettings(o.page);
  const petr = row(dialog, reader.id);
  await expect.poll(() => petr.textContent()).toContain("Пётр Соседов · подписчик");
  await petr.getByRole("button", { name: "Заблокировать Пётр Соседов" }).click();
  await dialog.getByText("Доступ закрыт: Пётр Соседов больше не сможет вернуться в канал.").waitFor();
  await expect.poll(() => dialog.getByTestId("bans").textContent()).toContain("Пётр Соседов");
  expect(await petr.count()).toBe(0);

  // Put out of the open channel, which leaves their list.
  await r.page.getByText("Вас удалили из этого чата.").waitFor({ timeout: 15_000 });
  await expect.poll(() => r.page.locator(`[data-chat-id="${channelId}"]`).count(), { timeout: 15_000 }).toBe(0);
  // Subscribing again is refused, in people's words.
  await r.page.goto(`${server.origin}/#/channels/${publicName}`);
  await r.page.getByTestId("join-channel").click();
  await expect
    .poll(async () => (await r.page.getByRole("alert").textContent())?.trim())
    .toBe("Администраторы этого чата закрыли вам доступ.");
  expect(r.page.url()).toContain(`#/channels/${publicName}`);

  await dialog.getByRole("button", { name: "Разблокировать Пётр Соседов" }).click();
  await dialog.getByText("Доступ открыт: Пётр Соседов снова может подписаться на канал.").waitFor();
  await dialog.getByText("Никто не заблокирован.").waitFor();
  await closeSettings(dialog);
  await r.page.getByTestId("join-channel").click();
  await r.page.waitForURL(new RegExp(`#/chats/${channelId}$`));
  await r.page.getByRole("heading", { name: "Новости района", level: 1 }).waitFor();
});

test("an invite link to a private channel lets the second person in and counts it; revoked, it is refused", async () => {
  const { chat } = await api<{ chat: { id: string } }>(server.origin, "/api/v1/chats", {
    token: owner.accessToken,
    body: { type: "channel", title: "Совет дома" },
  });
  await o.page.goto(`${server.origin}/#/chats/${chat.id}`);
  await o.page.getByRole("heading", { name: "Совет дома", level: 1 }).waitFor();
  const dialog = await openSettings(o.page);
  await dialog.getByRole("button", { name: "Создать пригласительную ссылку" }).click();
  const url = await dialog.getByTestId("invite-url").inputValue();
  expect(url).toMatch(new RegExp(`^${server.origin}/#/join/[\\w-]{32}$`));
  await expect
    .poll(() => dialog.getByTestId("invites").locator("li").allTextContents())
    .toEqual([expect.stringContaining("присоединились: 0")]);

  await r.page.goto(url);
  await r.page.getByRole("button", { name: "Присоединиться" }).click();
  await r.page.getByRole("heading", { name: "Совет дома", level: 1 }).waitFor();
  expect(r.page.url()).toContain(`#/chats/${chat.id}`);

  // Reopened, the settings count the use.
  await closeSettings(dialog);
  const again = await openSettings(o.page);
  await expect
    .poll(() => again.getByTestId("invites").locator("li").allTextContents())
    .toEqual([expect.stringContaining("присоединились: 1")]);
  await again.getByRole("button", { name: /^Отозвать/ }).click();
  await expect.poll(() => again.getByTestId("invites").count()).toBe(0);
  await closeSettings(again);

  // The subscriber leaves (after confirming), and the revoked link no longer lets them back.
  const about = await openSettings(r.page, "О канале");
  await about.getByRole("button", { name: "Покинуть канал" }).click();
  await about.getByText("Покинуть канал? Вернуться можно по ссылке или приглашению.").waitFor();
  await about.getByRole("button", { name: "Покинуть", exact: true }).click();
  await r.page.waitForURL(/#\/chats$/);
  await expect.poll(() => r.page.locator(`[data-chat-id="${chat.id}"]`).count()).toBe(0);
  expect((await roles(chat.id))[reader.id]).toBeUndefined();
  await r.page.goto(url);
  await r.page.getByRole("button", { name: "Присоединиться" }).click();
  await expect
    .poll(() => r.page.getByRole("alert").textContent())
    .toBe("Эта пригласительная ссылка больше не действует: её отозвали или в ней ошибка.");
});

test("made an admin in the settings, the subscriber can post in the channel", async () => {
  await o.page.goto(`${server.origin}/#/chats/${channelId}`);
  await o.page.getByRole("heading", { name: "Новости района", level: 1 }).waitFor();
  await r.page.goto(`${server.origin}/#/chats/${channelId}`);
  await r.page.getByRole("heading", { name: "Новости района", level: 1 }).waitFor();
  await r.page.getByText("Писать в канал могут только администраторы.").waitFor();

  const dialog = await openSettings(o.page);
  await row(dialog, reader.id).getByRole("button", { name: "Сделать администратором Пётр Соседов" }).click();
  await dialog.getByText("Пётр Соседов теперь администратор.").waitFor();
  await expect.poll(() => row(dialog, reader.id).textContent()).toContain("Пётр Соседов · администратор");
  await closeSettings(dialog);
  expect((await roles(channelId))[reader.id]).toBe("admin");

  // The new admin's open channel offers the composer, with no reload: the room tells the open socket.
  const composer = r.page.getByLabel("Сообщение", { exact: true });
  await composer.waitFor({ timeout: 15_000 });
  await composer.fill("Во вторник субботник во дворе");
  await composer.press("Enter");
  await expect.poll(async () => (await messageTexts(o.page)).slice(-1), { timeout: 15_000 }).toEqual(["Во вторник субботник во дворе"]);
  // An admin manages subscribers too: the settings open for them.
  const theirs = await openSettings(r.page);
  await theirs.getByRole("button", { name: "Создать пригласительную ссылку" }).waitFor();
  await closeSettings(theirs);
});

test("the owner hands the channel on after confirming, and stays on as an admin", async () => {
  const dialog = await openSettings(o.page);
  await row(dialog, reader.id).getByRole("button", { name: "Передать канал Пётр Соседов" }).click();
  await dialog
    .getByText("Передать канал Пётр Соседов? Пётр Соседов станет владельцем, а вы останетесь администратором.", { exact: false })
    .waitFor();
  // Nothing changes before the confirmation.
  expect((await roles(channelId))[owner.id]).toBe("owner");
  await dialog.getByRole("button", { name: "Да, передать" }).click();
  await dialog.getByText("Канал передан: Пётр Соседов теперь владелец, вы — администратор.").waitFor();
  const now = await roles(channelId);
  expect(now[reader.id]).toBe("owner");
  expect(now[owner.id]).toBe("admin");
  // As an admin, the former owner no longer sets the public name or roles, but still sees the link.
  await expect.poll(() => dialog.getByLabel("Публичное имя канала").count()).toBe(0);
  await dialog.getByTestId("share-link").waitFor();
  await expect.poll(() => row(dialog, reader.id).textContent()).toContain("Пётр Соседов · владелец");
  expect(await dialog.getByRole("button", { name: /^Сделать администратором/ }).count()).toBe(0);
  await closeSettings(dialog);

  // The new owner's settings offer what an owner does.
  const theirs = await openSettings(r.page);
  await theirs.getByLabel("Публичное имя канала").waitFor();
  await expect.poll(() => row(theirs, owner.id).textContent()).toContain("Ольга Управа · администратор");
  await row(theirs, owner.id).getByRole("button", { name: "Снять права администратора Ольга Управа" }).waitFor();
  await closeSettings(theirs);
  expect(pageErrors(o.page)).toEqual([]);
  expect(pageErrors(r.page)).toEqual([]);
});

test("the settings speak English too", async () => {
  const en = await openAs(browser, server.origin, owner.phone, { lang: "en", hash: `#/chats/${channelId}` });
  await en.page.getByRole("heading", { name: "Новости района", level: 1 }).waitFor();
  await en.page.getByText("Channel · 2 subscribers").waitFor();
  const dialog = await openSettings(en.page, "Channel settings");
  for (const heading of ["Channel name", "Public link", "Invite links", "Subscribers", "Banned"])
    await dialog.getByRole("heading", { name: heading, exact: true }).waitFor();
  await expect.poll(() => row(dialog, reader.id).textContent()).toContain("Пётр Соседов · owner");
  await dialog.getByRole("button", { name: "Leave the channel" }).waitFor();
  expect(pageErrors(en.page)).toEqual([]);
  await en.context.close();
});
