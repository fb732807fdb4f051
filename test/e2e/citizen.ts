// Helpers for driving the citizen app: a browser context already signed in as a citizen (its own session,
// as if they had signed in on that device), and small waits on what the page shows.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { api } from "./harness.ts";

export interface OpenOptions {
  viewport?: { width: number; height: number };
  lang?: "ru" | "en";
  /** Route to open, e.g. "#/services/bills". */
  hash?: string;
  deviceName?: string;
  /** Run on the new context before the app loads (permissions, init scripts). */
  setup?(context: BrowserContext): Promise<void>;
}

/**
 * A new browser context signed in as the citizen with this phone: a fresh session from the dev-only
 * POST /dev/sessions, its refresh token put where the app keeps it (localStorage) before the app loads.
 */
export async function openAs(
  browser: Browser,
  origin: string,
  phone: string,
  opts: OpenOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const session = await api<{ refreshToken: string }>(origin, "/api/v1/dev/sessions", {
    body: { phone, deviceName: opts.deviceName ?? "e2e browser" },
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, locale: "ru-RU" });
  // Only when the app has no token yet: after the app rotates it, a reload must not bring back the used one.
  await context.addInitScript(
    ([token, lang]) => {
      if (!localStorage.getItem("veche.refreshToken")) localStorage.setItem("veche.refreshToken", token);
      if (lang && !localStorage.getItem("veche.lang")) localStorage.setItem("veche.lang", lang);
    },
    [session.refreshToken, opts.lang ?? "ru"] as const,
  );
  await opts.setup?.(context);
  const page = await context.newPage();
  watchErrors(page);
  await page.goto(`${origin}/${opts.hash ?? "#/chats"}`);
  return { context, page };
}

/** Page errors and CSP violations fail loudly in the test log. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) errors.push(`csp: ${m.text()}`);
  });
  (page as Page & { veche?: string[] }).veche = errors;
  return errors;
}

/** Errors watchErrors collected on this page. */
export const pageErrors = (page: Page): string[] => (page as Page & { veche?: string[] }).veche ?? [];

/** The texts of the messages shown in the open chat, in order (pending ones included). */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.locator("[data-testid=messages] > li .text").allTextContents();
}
