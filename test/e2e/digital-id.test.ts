// The Digital ID and the in-person verifier in the browser. The citizen opens their proof of age: a QR code
// disclosing only "старше 18 лет" that renews itself. A verifier (#/verify, not signed in, a browser of its
// own with Chromium's fake camera playing a video of the citizen's code) reads it and says valid with that one
// claim; from an uploaded picture too, and offline; the same code again is "replayed", a revoked record
// "revoked", an expired one "expired", a code past the 60 s window "too old". Every code is one the citizen's
// browser made and showed (signed with its own device key; the server never adds key binding), read off the
// page's QR code as a verifier's camera would. On a device the record is not on, the page says so instead.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors, watchErrors } from "./citizen.ts";
import {
  type Agency,
  agency,
  api,
  CHROMIUM_ARGS,
  type Citizen,
  citizen,
  launchBrowser,
  type Server,
  startServer,
  uniquePhone,
} from "./harness.ts";
import { type Matrix, matrixOfSvg, png, y4m } from "./qr-frames.ts";

let server: Server;
let browser: Browser;
let camera: Browser | undefined;
let verifier: { context: BrowserContext; page: Page };
let registry: Agency;
let anna: Citizen;
let a: { context: BrowserContext; page: Page };
let ageRecord: string;
const dir = mkdtempSync(join(tmpdir(), "veche-digital-id-"));
/** How long the soon-expiring record is valid: time enough for the browser to show its code. */
const EXPIRING_MS = 10_000;
/** Codes the citizen's browser showed at the start, for the checks that need time to pass. */
let expiring: Shown;
let early: Shown;
/** When the soon-expiring record's `exp` is (ms, whole seconds as in the credential). */
let expiresAt: number;
/** The code the camera read. */
let scanned: Matrix;

const issue = async (claims: Record<string, unknown>, expiresAt?: string) =>
  (
    await api<{ record: { id: string } }>(server.origin, "/api/v1/agency/records", {
      token: registry.token,
      body: { citizenPhone: anna.phone, type: "age_confirmation", claims, ...(expiresAt ? { expiresAt } : {}) },
    })
  ).record.id;

const code = () => a.page.getByTestId("digital-id-code").getByRole("img", { name: "QR-код цифрового ID" });
const pathOf = async () => (await code().locator("path").getAttribute("d")) ?? "";

/** A code the citizen's page showed, and a moment no earlier than its making (its KB-JWT `iat`). */
interface Shown {
  matrix: Matrix;
  at: number;
}

/**
 * Opens the record as the citizen does (Services → Digital ID → the record) and reads the code it shows: made
 * in that browser, key-bound with its device key for the in-person verifier, with a nonce of its own.
 */
async function showCode(recordId: string): Promise<Shown> {
  await a.page.goto(`${server.origin}/#/services/digital-id`);
  // The list has no code on it, so the one waited for below is the chosen record's.
  await a.page.getByRole("heading", { name: "Цифровой ID", exact: true }).waitFor();
  await a.page.locator(`a[href="#/services/digital-id/${recordId}"]`).click();
  await code().waitFor();
  const matrix = await matrixOfSvg(code());
  return { matrix, at: Date.now() };
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  registry = await agency(server.origin, "ЗАГС");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна Петрова" });
  // Issued before Anna's browser has a key: it is bound to that device when the app first reads it.
  ageRecord = await issue({ age_over_18: true });
  a = await openAs(browser, server.origin, anna.phone, { hash: "#/services/digital-id" });
  early = await showCode(ageRecord);
  // Issued while the browser has a key: bound to it at once. Its code is shown before it expires.
  const expiry = new Date(Date.now() + EXPIRING_MS);
  expiresAt = Math.floor(expiry.getTime() / 1000) * 1000;
  expiring = await showCode(await issue({ age_over_18: true }, expiry.toISOString()));
  expect(expiring.at).toBeLessThan(expiresAt);
  await a.page.goto(`${server.origin}/#/services`);
});

afterAll(async () => {
  await camera?.close();
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for the citizen's code to renew, and answers the new one's modules. */
async function nextCode(previous: string): Promise<Matrix> {
  await a.page.waitForFunction(
    (before) => {
      const d = document.querySelector("[data-testid=digital-id-code] svg path")?.getAttribute("d");
      return d !== undefined && d !== null && d !== before;
    },
    previous,
    { timeout: 40_000, polling: 250 },
  );
  return matrixOfSvg(code());
}

const verdict = () => verifier.page.getByTestId("verdict");

async function upload(m: Matrix, name: string): Promise<void> {
  await verifier.page.getByTestId("verifier-upload").setInputFiles({ name, mimeType: "image/png", buffer: png(m) });
}

/** The verifier's verdicts so far: each check's card carries its number. */
let checks = 0;

async function expectVerdict(state: string): Promise<void> {
  checks += 1;
  await verifier.page.locator(`[data-testid=verdict][data-check="${checks}"]`).waitFor({ timeout: 15_000 });
  expect(await verdict().getAttribute("data-state")).toBe(state);
}

const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

test("the citizen's Digital ID shows a QR code of only «Старше 18 лет» that renews itself", async () => {
  await a.page.getByRole("link", { name: /Цифровой ID/ }).click();
  // The proof of age the test issued first (another one, about to expire, may be listed too).
  const card = a.page.locator(`a[href="#/services/digital-id/${ageRecord}"]`);
  expect(await card.textContent()).toMatch(/Подтверждение возраста.*ЗАГС.*Старше 18 лет/);
  await card.click();
  await code().waitFor();
  expect(await a.page.getByTestId("digital-id-claims").textContent()).toBe("Старше 18 лет");
  // Only the derived claim is ticked: nothing else of the record would be disclosed.
  expect(await a.page.getByLabel(/Старше 18 лет/).isChecked()).toBe(true);
  const length = Number(await a.page.getByTestId("digital-id-code").getAttribute("data-length"));
  const version = Number(await code().getAttribute("data-version"));
  // One disclosure and the key binding: ~1,400–1,650 characters (the issuer adds 2–5 decoy digests), QR
  // version 27–30 at error correction L, what a phone reads off a screen (docs/web.md).
  expect(length).toBeGreaterThan(1000);
  expect(length).toBeLessThan(1800);
  expect(version).toBeLessThanOrEqual(31);
  await a.page.getByText(/Код от .*, новый через \d+ с/).waitFor();
  const before = await pathOf();
  const started = Date.now();
  await nextCode(before);
  // It renews every 30 s (give or take the one-second tick and the request).
  expect(Date.now() - started).toBeLessThan(33_000);
  expect(pageErrors(a.page)).toEqual([]);
});

test("the verifier reads the code from the camera and says valid, showing only «Старше 18 лет»", async () => {
  scanned = await nextCode(await pathOf());
  const video = join(dir, "code.y4m");
  writeFileSync(video, y4m(scanned));
  camera = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      ...CHROMIUM_ARGS,
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  const context = await camera.newContext({ viewport: { width: 1000, height: 900 }, locale: "ru-RU" });
  await context.grantPermissions(["camera"], { origin: server.origin });
  const page = await context.newPage();
  watchErrors(page);
  verifier = { context, page };
  await page.goto(`${server.origin}/#/verify`);
  await page.getByRole("heading", { name: "Проверка документа по QR-коду" }).waitFor();
  // Online, the directory, keys and status lists are kept for offline checks.
  await page
    .getByTestId("verifier-cache")
    .getByText(/сохранены ключи/)
    .waitFor();
  await page.getByRole("button", { name: "Сканировать камерой" }).click();
  await expectVerdict("valid");
  expect(await verdict().getByRole("heading").textContent()).toContain("Действителен");
  const disclosed = verdict().getByTestId("disclosed");
  expect(await disclosed.locator("dt").allTextContents()).toEqual(["Старше 18 лет"]);
  expect(await disclosed.locator("dd").allTextContents()).toEqual(["да"]);
  const text = (await verdict().textContent()) ?? "";
  expect(text).toContain("Выдал: ЗАГС");
  expect(text).not.toContain("Анна");
  expect(text).not.toMatch(/age_over|1990/);
  expect(pageErrors(page)).toEqual([]);
});

test("the same code shown again is replayed; a fresh one uploaded as a picture is valid, offline too", async () => {
  // The camera's code, now as a picture: the same nonce was accepted here a moment ago.
  await upload(scanned, "again.png");
  await expectVerdict("replayed");
  expect(await verdict().getByRole("heading").textContent()).toContain("Этот код уже проверяли");

  const fresh = await nextCode(await pathOf());
  await verifier.context.setOffline(true);
  try {
    await verifier.page.getByText(/Нет сети/).waitFor();
    await upload(fresh, "fresh.png");
    await expectVerdict("valid");
    expect(await verdict().getByTestId("disclosed").locator("dt").allTextContents()).toEqual(["Старше 18 лет"]);
  } finally {
    await verifier.context.setOffline(false);
  }
});

test("a record the agency revoked is shown as revoked", async () => {
  const revoked = await issue({ age_over_18: true });
  const shown = await showCode(revoked);
  await api(server.origin, `/api/v1/agency/records/${revoked}/revoke`, { token: registry.token, body: {} });
  await upload(shown.matrix, "revoked.png");
  await expectVerdict("revoked");
  expect(await verdict().getByRole("heading").textContent()).toContain("Документ отозван");
  // The citizen cannot show it as a Digital ID any more (opened anew: the page read it before the revocation).
  await a.page.goto(`${server.origin}/#/services`);
  await a.page.goto(`${server.origin}/#/services/digital-id/${revoked}`);
  await a.page.getByText("Документ отозван ведомством — показать его нельзя.").waitFor();
  expect(await a.page.getByTestId("digital-id").count()).toBe(0);
});

test("an expired record is shown as expired, and a code older than 60 s as too old", async () => {
  // The verifier forgives 30 s of clock skew on exp.
  await until(expiresAt + 33_000);
  await upload(expiring.matrix, "expired.png");
  await expectVerdict("expired");
  expect(await verdict().getByRole("heading").textContent()).toContain("Срок действия истёк");

  // The code's KB-JWT was made before early.at: now it is more than 60 s old.
  await until(early.at + 63_000);
  await upload(early.matrix, "early.png");
  await expectVerdict("too_old");
  expect(await verdict().getByRole("heading").textContent()).toContain("Код устарел");
  expect(pageErrors(verifier.page)).toEqual([]);
}, 120_000);

test("the verifier speaks English in full", async () => {
  await verifier.page.getByRole("button", { name: "English" }).click();
  await verifier.page.getByRole("heading", { name: "Check a document by QR code" }).waitFor();
  await verifier.page
    .getByTestId("verifier-cache")
    .getByText(/Keys and revocation lists of 1 agency|Keys and the revocation list of 1 agency/)
    .waitFor();
  await upload((await showCode(ageRecord)).matrix, "en.png");
  await expectVerdict("valid");
  expect(await verdict().getByRole("heading").textContent()).toContain("Valid");
  expect(await verdict().getByTestId("disclosed").locator("dt").allTextContents()).toEqual(["Over 18"]);
  expect(await verdict().getByTestId("disclosed").locator("dd").allTextContents()).toEqual(["yes"]);
});

test("once the registry describes its record type, the Digital ID and the verifier use the registry's own words", async () => {
  await api(server.origin, "/api/v1/agency/record-types/age_confirmation", {
    method: "PUT",
    token: registry.token,
    body: {
      name: { ru: "Справка о возрасте", en: "Certificate of age" },
      claims: { age_over_18: { label: { ru: "Исполнилось 18 лет", en: "Aged 18 or over" } } },
    },
  });
  const shown = await showCode(ageRecord);
  await a.page.getByText("Справка о возрасте").first().waitFor();
  expect(await a.page.getByTestId("digital-id-claims").textContent()).toBe("Исполнилось 18 лет");
  // The verifier (in English since the test before) fetches the registry's record types with its keys.
  await upload(shown.matrix, "described.png");
  await expectVerdict("valid");
  expect(await verdict().getByTestId("disclosed").locator("dt").allTextContents()).toEqual(["Aged 18 or over"]);
  expect(await verdict().getByTestId("disclosed").locator("dd").allTextContents()).toEqual(["yes"]);
  expect(await verdict().textContent()).toContain("Certificate of age");
  expect(pageErrors(verifier.page)).toEqual([]);
});

test("on a device the record is not on, the Digital ID says so in plain words and shows no code", async () => {
  // A new device signed in as Anna: the proof of age stays on her first one until she moves it here.
  const b = await openAs(browser, server.origin, anna.phone, { deviceName: "Ноутбук", hash: "#/services/digital-id" });
  try {
    const card = b.page.locator(`a[href="#/services/digital-id/${ageRecord}"]`);
    await card.getByText("На другом вашем устройстве").waitFor();
    await card.click();
    const note = b.page.getByTestId("digital-id-elsewhere");
    await note.getByText("Этот документ сейчас на другом вашем устройстве", { exact: false }).waitFor();
    expect(await b.page.getByTestId("digital-id").count()).toBe(0);
    // The way on: the Documents page, where the move to this device is asked for.
    await note.getByRole("link", { name: "Открыть «Документы»" }).click();
    await b.page.getByTestId("transfers").getByRole("button", { name: "Перенести документы сюда" }).waitFor();
    expect(pageErrors(b.page)).toEqual([]);
  } finally {
    await b.context.close();
  }
});
