// English in full (issue 16): with English chosen, no screen of the citizen app or the agency console shows
// a Cyrillic letter: not in its text, its accessible names (aria-label, title, alt), placeholders, prefilled
// fields or the document's title. Everything this file seeds is written in Latin letters, so whatever Cyrillic
// remains is the app's own words (or words the server composed) that were never translated. The one
// exception is text the page itself marks as Russian (lang="ru"): the language switch's "Русский". The
// citizen app's screens show no codes or raw field names either (birth_certificate, given_name).
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openAs, pageErrors, watchErrors } from "./citizen.ts";
import { type Agency, agency, api, type Citizen, citizen, launchBrowser, type Server, startServer, uniquePhone } from "./harness.ts";

/**
 * Every Cyrillic string on the page as it is now, as "where: text": visible text (screen-reader-only text
 * included, it is rendered), the words of accessible names and hints, placeholders, values of fields the
 * app filled in, and document.title. Hidden elements (display: none, closed dialogs) are not read.
 */
async function untranslated(page: Page, ids: boolean): Promise<string[]> {
  return page.evaluate((ids) => {
    const CYRILLIC = /[\u0400-\u04FF]/;
    // A code or a raw field name (birth_certificate, given_name, in_review): people's words have no underscores.
    const CODE = /\b[a-z][a-z0-9]*(_[a-z0-9]+)+\b/;
    const found: string[] = [];
    const where = (el: Element) => {
      const parts: string[] = [];
      for (let e: Element | null = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
        const id = e.id ? `#${e.id}` : "";
        const cls = e.classList.length > 0 ? `.${Array.from(e.classList).join(".")}` : "";
        const testId = e.getAttribute("data-testid") ? `[data-testid=${e.getAttribute("data-testid")}]` : "";
        parts.unshift(`${e.tagName.toLowerCase()}${id}${cls}${testId}`);
      }
      return parts.join(" > ");
    };
    // Marked as Russian by the page itself: a language's name in that language.
    const russian = (el: Element) => (el.closest("[lang]")?.getAttribute("lang") ?? "").startsWith("ru");
    // What is rendered: an <option> or an SVG <title> is read through the element it belongs to.
    const shown = (el: Element): boolean => {
      if (el instanceof HTMLOptionElement) return el.closest("select")?.checkVisibility() ?? false;
      if (el instanceof SVGTitleElement) return el.closest("svg")?.checkVisibility() ?? false;
      return el.checkVisibility();
    };
    const check = (el: Element, what: string, text: string | null | undefined, words = true) => {
      if (text && ((CYRILLIC.test(text) && !russian(el)) || (ids && words && CODE.test(text))))
        found.push(`${where(el)} ${what}: ${text.trim().slice(0, 160)}`);
    };
    if (CYRILLIC.test(document.title)) found.push(`document.title: ${document.title}`);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest("script, style, template") || !shown(parent)) continue;
      check(parent, "text", node.textContent);
    }
    const ATTRIBUTES = [
      "aria-label",
      "aria-description",
      "aria-placeholder",
      "aria-roledescription",
      "aria-valuetext",
      "placeholder",
      "title",
      "alt",
    ];
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      if (!shown(el)) continue;
      for (const name of ATTRIBUTES) check(el, `[${name}]`, el.getAttribute(name));
      if ((el instanceof HTMLInputElement && !["hidden", "password"].includes(el.type)) || el instanceof HTMLTextAreaElement)
        check(el, "value", el.value, false);
    }
    return found;
  }, ids);
}

/**
 * Waits for the page to settle (lists load after their headings), then expects no Cyrillic on it, nor (in
 * the citizen app: the console shows staff the keys and types they issue) a code or a raw field name.
 */
async function expectEnglish(page: Page, screen: string, opts: { ids?: boolean } = {}): Promise<void> {
  await page.waitForLoadState("networkidle");
  // Some words arrive a moment after the data (the English of an official message, a record's type name).
  const ids = opts.ids ?? !page.url().includes("/agency/");
  await expect.poll(() => untranslated(page, ids), { timeout: 5_000, message: `untranslated on ${screen}` }).toEqual([]);
  expect(pageErrors(page)).toEqual([]);
}

let server: Server;
let browser: Browser;
let gov: Agency;
let anna: Citizen;
let boris: Citizen;
let chatId: string;
let groupId: string;
let officialId: string;
let billId: string;
let paidBillId: string;
let receiptId: string;
let recordId: string;
let consentId: string;
let formId: string;
let submissionId: string;
let ownChannelId: string;
let presentation = "";
const borisName = `boris${Date.now().toString(36)}`;
const channelName = `news${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "City Registry Office");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Anna Smith" });
  boris = await citizen(server.origin, uniquePhone(), { displayName: "Boris Brown", username: borisName });
  const post = <T>(path: string, token: string, body: unknown) => api<T>(server.origin, `/api/v1${path}`, { token, body });

  chatId = (await post<{ chat: { id: string } }>("/chats", anna.accessToken, { type: "direct", userId: boris.id })).chat.id;
  await post(`/chats/${chatId}/messages`, boris.accessToken, {
    clientId: crypto.randomUUID(),
    text: "Hello! See https://example.org/news",
  });
  await post(`/chats/${chatId}/messages`, anna.accessToken, { clientId: crypto.randomUUID(), text: "Thanks, will do" });
  groupId = (await post<{ chat: { id: string } }>("/chats", anna.accessToken, { type: "group", title: "Courtyard", memberIds: [boris.id] }))
    .chat.id;
  await post(`/chats/${groupId}/messages`, boris.accessToken, { clientId: crypto.randomUUID(), text: "Meeting at seven" });
  await post("/chats", boris.accessToken, { type: "channel", title: "Town news", username: channelName });
  ownChannelId = (
    await post<{ chat: { id: string } }>("/chats", anna.accessToken, { type: "channel", title: "Anna's notes", memberIds: [boris.id] })
  ).chat.id;
  await post(`/chats/${ownChannelId}/messages`, anna.accessToken, { clientId: crypto.randomUUID(), text: "First post" });
  await api(server.origin, `/api/v1/contacts/${boris.id}`, { method: "PUT", token: anna.accessToken });

  // Services: a bill to pay (with a date to pay by), one paid (its receipt is a document), a document, a
  // consent request, a form, and an application the agency decided, each announced in the official chat.
  const due = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  billId = (
    await post<{ bill: { id: string } }>("/agency/bills", gov.token, {
      citizenPhone: anna.phone,
      amount: 125050,
      currency: "RUB",
      purpose: "Passport fee",
      externalRef: "en-1",
      dueDate: due,
    })
  ).bill.id;
  paidBillId = (
    await post<{ bill: { id: string } }>("/agency/bills", gov.token, {
      citizenPhone: anna.phone,
      amount: 70000,
      currency: "RUB",
      purpose: "Parking permit",
      externalRef: "en-2",
    })
  ).bill.id;
  receiptId = (
    await api<{ bill: { receiptId: string } }>(server.origin, `/api/v1/bills/${paidBillId}/pay`, {
      token: anna.accessToken,
      headers: { "idempotency-key": "en-2" },
      body: { method: "card", card: { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } },
    })
  ).bill.receiptId;
  recordId = (
    await post<{ record: { id: string } }>("/agency/records", gov.token, {
      citizenPhone: anna.phone,
      type: "birth_certificate",
      claims: { given_name: "Anna", family_name: "Smith", birthdate: "1990-05-17", place_of_birth: "Springfield" },
    })
  ).record.id;
  consentId = (
    await post<{ consent: { id: string } }>("/agency/consent-requests", gov.token, {
      citizenPhone: anna.phone,
      scope: "records",
      purpose: "Identity check",
      expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    })
  ).consent.id;
  formId = (
    await post<{ form: { id: string } }>("/agency/forms", gov.token, {
      key: "relocation",
      title: "Change of address",
      schema: {
        type: "object",
        properties: {
          fullName: { type: "string", title: "Full name", minLength: 3 },
          email: { type: "string", title: "Email", format: "email" },
          reason: { type: "string", title: "Reason", enum: ["Work", "Study", "Other"] },
        },
        required: ["fullName", "email"],
        additionalProperties: false,
      },
    })
  ).form.id;
  submissionId = (
    await post<{ submission: { id: string } }>(`/forms/${formId}/submissions`, anna.accessToken, {
      data: { fullName: "Anna Smith", email: "anna@example.org", reason: "Work" },
    })
  ).submission.id;
  await api(server.origin, `/api/v1/agency/submissions/${submissionId}`, {
    method: "PATCH",
    token: gov.token,
    body: { status: "approved", comment: "All in order" },
  });
  const { chats } = await api<{ chats: { id: string; type: string }[] }>(server.origin, "/api/v1/chats", { token: anna.accessToken });
  officialId = chats.find((c) => c.type === "official")?.id ?? "";
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("the check finds what it looks for: Cyrillic text, labels and titles and a raw code fail it, a lang=ru element does not", async () => {
  const { context, page } = await openAs(browser, server.origin, anna.phone, { lang: "en", hash: "#/settings" });
  await page.locator("main").getByRole("heading").first().waitFor();
  await page.evaluate(() => {
    const main = document.querySelector("main") ?? document.body;
    main.append(Object.assign(document.createElement("p"), { textContent: "Привет" }));
    main.append(Object.assign(document.createElement("button"), { ariaLabel: "Закрыть", textContent: "×" }));
    main.append(Object.assign(document.createElement("input"), { placeholder: "Поиск" }));
    main.append(Object.assign(document.createElement("span"), { lang: "ru", textContent: "Русский" }));
    main.append(Object.assign(document.createElement("p"), { hidden: true, textContent: "Скрыто" }));
    main.append(Object.assign(document.createElement("p"), { textContent: "Type: birth_certificate" }));
    document.title = "Вече";
  });
  const found = await untranslated(page, true);
  expect(found).toHaveLength(5);
  expect(found.join("\n")).toMatch(
    /text: Привет[\s\S]*text: Type: birth_certificate[\s\S]*\[aria-label\]: Закрыть[\s\S]*\[placeholder\]: Поиск/,
  );
  expect(found.join("\n")).toContain("document.title: Вече");
  expect(await untranslated(page, false)).toHaveLength(4);
  await context.close();
});

/** The English dictionaries: each file's `const en = { … };` (i18n-en.ts is all English), as source text. */
const ENGLISH_DICTIONARIES = ["lib/i18n-en.ts", "agency/i18n.ts", "citizen/verifier/strings.ts", "citizen/secret/strings.ts"];

test("the English dictionaries hold no Russian and no empty strings", () => {
  // Their keys are the Russian ones: each is typed by its Russian dictionary (i18n-en.ts by `Dict`, the others
  // by `Record<Key, …>`), so a missing or extra key fails the typecheck. What types cannot see is a Russian
  // string copied in untranslated, or an empty one.
  for (const file of ENGLISH_DICTIONARIES) {
    const source = readFileSync(new URL(`../../src/web/${file}`, import.meta.url), "utf8");
    const at = source.search(/^(export )?const en\b/m);
    expect(at, file).toBeGreaterThanOrEqual(0);
    const block = source.slice(at, source.indexOf("\n};", at));
    // Russian's own name, on the switch back to it, is Russian in every language (and marked lang="ru").
    const lines = block.split("\n").filter((line) => !line.trim().startsWith("//") && !/:\s*"Русский",?$/.test(line));
    expect(
      lines.filter((line) => /[\u0400-\u04FF]/.test(line)),
      file,
    ).toEqual([]);
    expect(
      lines.filter((line) => /:\s*""/.test(line)),
      file,
    ).toEqual([]);
  }
});

describe("the citizen app in English", () => {
  test("a new account is asked for its name", async () => {
    // As right after signing in (src/web/citizen/welcome.tsx): the app asks once, on this tab.
    const setup = async (c: BrowserContext) => {
      await c.addInitScript(() => sessionStorage.setItem("veche.askName", "1"));
    };
    const { context, page } = await openAs(browser, server.origin, uniquePhone(), { lang: "en", setup });
    await page.getByRole("heading", { name: "What is your name?" }).waitFor();
    await expectEnglish(page, "the name step");
    await page.getByRole("button", { name: "Continue" }).click();
    await expectEnglish(page, "the name step without a name");
    await context.close();
  });

  test("sign-in, chosen on the page itself", async () => {
    const context = await browser.newContext({ locale: "ru-RU" });
    const page = await context.newPage();
    watchErrors(page);
    await page.goto(`${server.origin}/`);
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { name: "Sign in to Veche" }).waitFor();
    await expectEnglish(page, "sign-in");
    await page.getByLabel("Phone number").fill(uniquePhone());
    await page.getByRole("button", { name: "Get a code" }).click();
    await page.getByLabel(/Code from the text message/).waitFor();
    await expectEnglish(page, "the code step");
    await context.close();
  });

  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await openAs(browser, server.origin, anna.phone, { lang: "en" }));
  });

  afterAll(async () => {
    await context?.close();
  });

  const go = async (hash: string) => {
    await page.goto(`${server.origin}/${hash}`);
  };

  test("the chat list", async () => {
    await go("#/chats");
    await page
      .getByRole("link", { name: /Boris Brown/ })
      .first()
      .waitFor();
    await page
      .getByRole("link", { name: /City Registry Office/ })
      .first()
      .waitFor();
    await expectEnglish(page, "the chat list");
    await page.getByRole("button", { name: "New chat" }).click();
    await expectEnglish(page, "the new chat panel");
    await page.getByLabel("Username").fill("Boris");
    await page
      .getByRole("button", { name: /Boris Brown/ })
      .first()
      .waitFor();
    await expectEnglish(page, "people found for a new chat");
    for (const kind of ["Secret chat", "Group", "Channel"]) {
      await page.locator(".new-chat").getByText(kind, { exact: true }).click();
      await expectEnglish(page, `a new ${kind.toLowerCase()}`);
    }
  });

  test("an open direct chat, its message tools and the person's card", async () => {
    await go(`#/chats/${chatId}`);
    await page.locator("[data-testid=messages]").getByText("Hello!", { exact: false }).waitFor();
    await expectEnglish(page, "a direct chat");
    await page.getByRole("button", { name: "Message actions" }).first().click();
    await page.getByRole("toolbar", { name: "Message actions" }).waitFor();
    await expectEnglish(page, "a message's tools");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Chat notifications" }).click();
    await expectEnglish(page, "the chat's notification menu");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "About this person" }).click();
    await page.getByRole("dialog").waitFor();
    await expectEnglish(page, "the person's card");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Search in chat" }).first().click();
    await expectEnglish(page, "search in the chat");
  });

  test("a group and its info panel", async () => {
    await go(`#/chats/${groupId}`);
    await page.locator("[data-testid=messages]").getByText("Meeting at seven").waitFor();
    await expectEnglish(page, "a group");
    await page.getByRole("button", { name: "Group info" }).click();
    await page.getByRole("dialog").getByTestId("members").locator("li").nth(1).waitFor();
    await expectEnglish(page, "a group's info panel");
  });

  test("a channel of one's own and its settings", async () => {
    await go(`#/chats/${ownChannelId}`);
    await page.locator("[data-testid=messages]").getByText("First post").waitFor();
    await expectEnglish(page, "one's own channel");
    await page.getByRole("button", { name: "Channel settings" }).click();
    await page.getByRole("dialog").waitFor();
    await expectEnglish(page, "a channel's settings");
  });

  test("a public channel's page", async () => {
    await go(`#/channels/${channelName}`);
    await page.getByRole("heading", { name: "Town news" }).waitFor();
    await expectEnglish(page, "a channel's page");
  });

  test("the official chat: the agency's messages and their buttons", async () => {
    await go(`#/chats/${officialId}`);
    await page.locator("[data-testid=messages] > li").nth(4).waitFor();
    await expectEnglish(page, "the official chat");
  });

  const screens: [string, () => string, (p: Page) => Promise<unknown>][] = [
    ["the services overview", () => "#/services", (p) => p.getByText("Passport fee").first().waitFor()],
    ["the bills", () => "#/services/bills", (p) => p.getByText("Passport fee").first().waitFor()],
    ["a bill to pay", () => `#/services/bills/${billId}`, (p) => p.getByLabel(/Card number/).waitFor()],
    ["a paid bill", () => `#/services/bills/${paidBillId}`, (p) => p.getByTestId("receipt").waitFor()],
    ["the documents", () => "#/services/records", (p) => p.locator("main li").first().waitFor()],
    ["a document", () => `#/services/records/${recordId}`, (p) => p.getByText("Springfield").waitFor()],
    ["a receipt", () => `#/services/records/${receiptId}`, (p) => p.getByText("Parking permit").first().waitFor()],
    ["the consents", () => "#/services/consents", (p) => p.getByText("Identity check").first().waitFor()],
    ["a consent request", () => `#/services/consents/${consentId}`, (p) => p.getByText("Identity check").first().waitFor()],
    ["the forms", () => "#/services/forms", (p) => p.getByText("Change of address").first().waitFor()],
    ["a form", () => `#/services/forms/${formId}`, (p) => p.getByLabel(/Full name/).waitFor()],
    ["an application", () => `#/services/submissions/${submissionId}`, (p) => p.getByText("All in order").first().waitFor()],
    ["the access log", () => "#/services/access-log", (p) => p.locator("main li").first().waitFor()],
    ["the Digital ID", () => "#/services/digital-id", (p) => p.locator(`a[href="#/services/digital-id/${recordId}"]`).waitFor()],
    [
      "a document as a Digital ID",
      () => `#/services/digital-id/${recordId}`,
      async (p) => {
        await p.getByLabel(/Given name/).check();
        await p.getByTestId("digital-id-code").waitFor();
      },
    ],
    ["the settings", () => "#/settings", (p) => p.locator("main").getByRole("heading").first().waitFor()],
    ["privacy and safety", () => "#/settings/privacy", (p) => p.locator("main").getByRole("heading").first().waitFor()],
    ["the contacts", () => "#/settings/contacts", (p) => p.getByText("Boris Brown").first().waitFor()],
    ["a missing page", () => "#/nowhere", (p) => p.locator("main").first().waitFor()],
  ];
  for (const [name, hash, ready] of screens) {
    test(name, async () => {
      await go(hash());
      await ready(page);
      await expectEnglish(page, name);
    });
  }

  test("a form's inline errors", async () => {
    await go(`#/services/forms/${formId}`);
    const email = page.getByLabel(/Email/);
    await email.fill("not-an-address");
    await email.blur();
    await page.getByLabel(/Full name/).fill("A");
    await page.getByLabel(/Full name/).blur();
    await expect.poll(() => email.getAttribute("aria-invalid")).toBe("true");
    await expectEnglish(page, "a form with errors");
  });

  test("a document presented in a chat, verified there by the other person", async () => {
    await go(`#/services/records/${recordId}`);
    await page.getByLabel(/^Given name:/).check();
    await page.getByLabel(/^Date of birth:/).check();
    await page.getByRole("button", { name: "Present the selection" }).click();
    const panel = page.getByTestId("presentation");
    await panel.getByLabel("Presentation text").waitFor();
    await expectEnglish(page, "a presentation");
    presentation = await panel.getByLabel("Presentation text").inputValue();
    await panel.locator("select").selectOption(chatId);
    await panel.getByRole("button", { name: "Send to chat" }).click();
    await panel.getByText("Sent to the chat").waitFor();
    await expectEnglish(page, "a presentation sent");

    const b = await openAs(browser, server.origin, boris.phone, { lang: "en", hash: `#/chats/${chatId}` });
    const card = b.page.locator(".presentation").last();
    await card.getByRole("button", { name: "Verify" }).click();
    await card.getByTestId("verification").waitFor();
    await expectEnglish(b.page, "a verified presentation in a chat");
    await b.context.close();
  });

  test("verifying a presentation's text", async () => {
    await go("#/services/verify");
    await page.locator("main textarea").fill(presentation);
    await page.locator("main form").getByRole("button").last().click();
    await page.getByTestId("verification").waitFor();
    await expectEnglish(page, "a verified presentation");
  });

  test("the confirmation before deleting the account", async () => {
    await go("#/settings");
    await page.getByRole("button", { name: "Delete account" }).click();
    await page.getByRole("alertdialog").waitFor();
    await expectEnglish(page, "the account deletion dialog");
    await page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();
  });

  test("the verifier", async () => {
    await go("#/verify");
    await page.getByRole("heading").first().waitFor();
    await expectEnglish(page, "the verifier");
  });
});

describe("the agency console in English", () => {
  let page: Page;

  beforeAll(async () => {
    const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => localStorage.setItem("veche.lang", "en"));
    page = await context.newPage();
    watchErrors(page);
    await page.goto(`${server.origin}/agency/`);
  });

  afterAll(async () => {
    await page?.context().close();
  });

  test("sign-in", async () => {
    await page.getByRole("heading", { name: "Agency sign-in" }).waitFor();
    await expectEnglish(page, "the console's sign-in");
    await page.getByLabel("Client ID").fill(gov.clientId);
    await page.getByLabel("Client secret").fill(gov.clientSecret);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation").waitFor();
  });

  const sections = ["Bills", "Forms", "Submissions", "Records", "Record types", "Consents", "Citizens' records", "Webhooks", "Settings"];
  for (const section of sections) {
    test(section, async () => {
      await page.getByRole("navigation").getByRole("link", { name: section, exact: true }).click();
      await page.getByRole("heading", { level: 1, name: section, exact: true }).waitFor();
      await expectEnglish(page, `the console's ${section}`);
    });
  }

  test("a citizen's records, read for a purpose", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Citizens' records", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Citizens' records", exact: true }).waitFor();
    await page.locator("main form input").first().fill(anna.phone);
    await page.getByLabel("Purpose of the read").fill("Eligibility check");
    await page.getByRole("button", { name: "Read", exact: true }).click();
    await page.locator("main").getByText("Springfield").first().waitFor();
    await expectEnglish(page, "a citizen's records");
  });

  test("a submission's page", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Submissions", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Submissions", exact: true }).waitFor();
    await page.locator("main table a, main li a").first().click();
    await page.getByText("All in order").first().waitFor();
    await expectEnglish(page, "a submission's page");
  });
});
