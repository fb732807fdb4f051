import { afterAll, beforeAll, expect, test } from "vitest";
import { launchBrowser, type Server, startServer } from "./harness.ts";

// The harness itself: the server answers, serves the web client with its CSP, and chromium loads it.
let server: Server;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

test("serves the citizen app to a real browser", async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const res = await page.goto(server.origin);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await expect.poll(() => page.locator("html").getAttribute("lang")).toMatch(/ru|en/);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
