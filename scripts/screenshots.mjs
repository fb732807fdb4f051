// Screenshots of the main citizen screens (Russian, desktop and a phone), written to docs/screenshots/ from
// the real app with demo data: npm run screenshots. Uses the browser-test harness (Debian's chromium).
import { mkdirSync } from "node:fs";
import { openAs } from "../test/e2e/citizen.ts";
import { png } from "../test/e2e/fixtures.ts";
import { api, launchBrowser, startServer } from "../test/e2e/harness.ts";
import { DEMO_USERS, seed } from "./seed.mjs";

const OUT = "docs/screenshots";
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 780 };

mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
try {
  const { origin } = server;
  const {
    people: [anna, boris],
  } = await seed(origin);
  // A photo and a reply in the neighbours' group, so the chat shows media inline, sender names and a quote.
  const { chats } = await api(origin, "/api/v1/chats", { token: anna.token });
  const group = chats.find((c) => c.type === "group");
  const photo = await fetch(`${origin}/api/v1/media?filename=dvor.png`, {
    method: "POST",
    headers: { authorization: `Bearer ${boris.token}`, "content-type": "image/png" },
    body: png(480, 320, 40),
  }).then((r) => r.json());
  await api(origin, `/api/v1/chats/${group.id}/messages`, {
    token: boris.token,
    body: { clientId: "shot-photo", text: "Двор после субботника", attachments: [photo.media.id] },
  });
  await api(origin, `/api/v1/chats/${group.id}/messages`, {
    token: anna.token,
    body: { clientId: "shot-reply", text: "Красота! Спасибо всем, кто пришёл.", replyTo: 4 },
  });
  const shot = async (page, name) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${OUT}/${name}.png` });
    console.log(`wrote ${OUT}/${name}.png`);
  };

  // Sign-in, with the development code shown.
  {
    const context = await browser.newContext({ viewport: DESKTOP, locale: "ru-RU" });
    const page = await context.newPage();
    await page.goto(origin);
    await page.getByLabel("Номер телефона").fill(DEMO_USERS[2].phone);
    await page.getByRole("button", { name: "Получить код" }).click();
    await page.getByTestId("dev-code").waitFor();
    await shot(page, "signin");
    await context.close();
  }

  // Desktop: chat list beside a chat; bills; a record's presentation as a QR code; the access log.
  {
    const { context, page } = await openAs(browser, origin, anna.phone, { viewport: DESKTOP });
    await page.locator(`[data-chat-id="${group.id}"]`).click();
    await page.locator("img.media").waitFor();
    await shot(page, "chat");
    await page.goto(`${origin}/#/services/bills`);
    await page.getByText("Налог на имущество").waitFor();
    await shot(page, "bills");
    const { records } = await api(origin, "/api/v1/records", { token: anna.token });
    const licence = records.find((r) => r.type === "driving_licence");
    await page.goto(`${origin}/#/services/records/${licence.id}`);
    for (const claim of ["given_name", "family_name", "categories"]) await page.locator(`#claim-${claim}`).check();
    await page.getByRole("button", { name: "Показать выбранное" }).click();
    await page.locator("svg.qr").waitFor();
    await page.getByTestId("presentation").scrollIntoViewIfNeeded();
    await shot(page, "record-qr");
    await page.goto(`${origin}/#/services/access-log`);
    await page.getByText("Цепочка проверена").waitFor();
    await shot(page, "access-log");
    await context.close();
  }

  // Phone: the chat list, then a chat full-screen.
  {
    const { context, page } = await openAs(browser, origin, anna.phone, { viewport: PHONE });
    await page.locator(`[data-chat-id="${group.id}"]`).waitFor();
    await shot(page, "mobile-chats");
    await page.locator(`[data-chat-id="${group.id}"]`).click();
    await page.locator("img.media").waitFor();
    await shot(page, "mobile-chat");
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
