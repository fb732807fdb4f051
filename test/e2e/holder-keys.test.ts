// Holder keys on the device, in a real browser: the app makes its own non-extractable ES256 key, publishes the
// public half, and signs a presentation's key binding itself, which POST /verify accepts against that key; a
// second browser (a new device) gets the documents only after the first one allows the move.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openAs, pageErrors } from "./citizen.ts";
import {
  type Agency,
  agency,
  api,
  type Citizen,
  citizen,
  eventually,
  launchBrowser,
  type Server,
  startServer,
  uniquePhone,
} from "./harness.ts";

interface Jwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
}

let server: Server;
let browser: Browser;
let gov: Agency;
let anna: Citizen;
let a: { context: BrowserContext; page: Page };

const AUDIENCE = "https://bank.example";

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  gov = await agency(server.origin, "ГИБДД (тест)");
  anna = await citizen(server.origin, uniquePhone(), { displayName: "Анна Тестова" });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The holder keys of Anna's signed-in devices, as anyone signed in can read them. */
const holderKeys = async () =>
  (
    await api<{ devices: { holderKey: Jwk | null }[] }>(server.origin, `/api/v1/users/${anna.id}/devices`, { token: anna.accessToken })
  ).devices
    .map((d) => d.holderKey)
    .filter((k): k is Jwk => k !== null);

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
const cnfOf = (sdJwt: string) => (decode(sdJwt.split("~")[0]?.split(".")[1] ?? "") as { cnf?: { jwk?: Jwk } }).cnf?.jwk;

/** Presents the record in the page, disclosing the claim shown as `label`, key-bound to the verifier's address and code. */
async function presentBound(page: Page, recordId: string, label: string, nonce: string): Promise<string> {
  await page.goto(`${server.origin}/#/services/records/${recordId}`);
  await page.getByLabel(label).check();
  await page.getByText("Проверяющий просит подтвердить, что документ на вашем устройстве").click();
  await page.getByLabel("Кто проверяет (адрес)").fill(AUDIENCE);
  await page.getByLabel("Код проверяющего").fill(nonce);
  await page.getByRole("button", { name: "Показать выбранное" }).click();
  const panel = page.getByTestId("presentation");
  await panel.getByText("Предъявление подтверждено этим устройством.").waitFor();
  return panel.getByLabel("Текст предъявления").inputValue();
}

const verify = (presentation: string, nonce: string) =>
  api<{ valid: boolean; claims: Record<string, unknown>; error?: string }>(server.origin, "/api/v1/verify", {
    body: { presentation, audience: AUDIENCE, nonce },
  });

let recordId: string;

test("the browser signs the key binding with its own key, and the verifier accepts it against that key", async () => {
  a = await openAs(browser, server.origin, anna.phone, { deviceName: "Телефон" });
  const [deviceKey] = await eventually(async () => {
    const keys = await holderKeys();
    return keys.length === 1 ? keys : null;
  });
  // The private half is a non-extractable WebCrypto key in IndexedDB.
  const stored = await a.page.evaluate(
    () =>
      new Promise<{ extractable: boolean; type: string; algorithm: string }>((resolve, reject) => {
        const open = indexedDB.open("veche");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction("keys").objectStore("keys").get("holder");
          get.onerror = () => reject(get.error);
          get.onsuccess = () => {
            const key = (get.result as { privateKey: CryptoKey }).privateKey;
            resolve({ extractable: key.extractable, type: key.type, algorithm: key.algorithm.name });
          };
        };
      }),
  );
  expect(stored).toEqual({ extractable: false, type: "private", algorithm: "ECDSA" });

  const { record } = await api<{ record: { id: string } }>(server.origin, "/api/v1/agency/records", {
    token: gov.token,
    body: { citizenPhone: anna.phone, type: "driving_licence", claims: { given_name: "Анна", birthdate: "1990-05-17", category: "B" } },
  });
  recordId = record.id;
  const presentation = await presentBound(a.page, record.id, "Дата рождения", "e2e-nonce-1");
  const kbJwt = presentation.slice(presentation.lastIndexOf("~") + 1);
  expect(decode(kbJwt.split(".")[0] ?? "")).toMatchObject({ alg: "ES256", typ: "kb+jwt" });
  expect(decode(kbJwt.split(".")[1] ?? "")).toMatchObject({ aud: AUDIENCE, nonce: "e2e-nonce-1", sd_hash: expect.any(String) });
  expect(cnfOf(presentation)).toEqual(deviceKey);
  expect(await verify(presentation, "e2e-nonce-1")).toMatchObject({ valid: true, claims: { birthdate: "1990-05-17" } });
  expect((await verify(presentation, "another-nonce")).valid).toBe(false);
  // The server's own answer carries no key binding: only the page could have made the one above.
  const plain = await api<{ presentation: string }>(server.origin, `/api/v1/records/${record.id}/presentations`, {
    token: anna.accessToken,
    body: { disclose: ["birthdate"], audience: AUDIENCE, nonce: "e2e-nonce-1" },
  });
  expect(plain.presentation.endsWith("~")).toBe(true);
  expect(pageErrors(a.page)).toEqual([]);
});

test("a new browser gets the documents once the first one allows the move with the same code", async () => {
  const b = await openAs(browser, server.origin, anna.phone, { deviceName: "Ноутбук", hash: "#/services/records" });
  await eventually(async () => ((await holderKeys()).length === 2 ? true : null));
  const transfers = b.page.getByTestId("transfers");
  await transfers.getByText("Некоторые документы есть только на других ваших устройствах", { exact: false }).waitFor();
  await b.page.getByText("На другом вашем устройстве").waitFor();
  await transfers.getByRole("button", { name: "Перенести документы сюда" }).click();
  const waiting = transfers.getByText(/Там должен быть тот же код: \d{3} \d{3}/);
  await waiting.waitFor();
  const code = /(\d{3} \d{3})/.exec((await waiting.textContent()) ?? "")?.[1];
  expect(code).toBeDefined();

  await a.page.goto(`${server.origin}/#/services/records`);
  const request = a.page.getByTestId("transfer-request");
  await request.getByText("Новое устройство «Ноутбук» просит перенести на него ваши документы.").waitFor();
  await request.getByText(`на нём тот же код: ${code}`, { exact: false }).waitFor();
  await request.getByRole("button", { name: "Разрешить" }).click();
  await a.page.getByText("Перенос разрешён.").waitFor();

  await transfers.getByText("Перенесён 1 документ.").waitFor({ timeout: 15_000 });
  const keys = await holderKeys();
  const presentation = await presentBound(b.page, recordId, "Category", "e2e-nonce-2");
  const bKey = cnfOf(presentation);
  expect(keys).toContainEqual(bKey);
  expect(bKey).not.toEqual(cnfOf(await presentBound(a.page, recordId, "Category", "e2e-nonce-3")));
  expect(await verify(presentation, "e2e-nonce-2")).toMatchObject({ valid: true, claims: { category: "B" } });
  expect(pageErrors(b.page)).toEqual([]);
  await b.context.close();
});
