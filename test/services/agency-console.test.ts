import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/log";
import { type TestAgency as Agency, call, callJson, expectProblem, newAgency, type SignedIn, signIn } from "../helpers";

// The agency console's lists: only the agency's own rows, newest first, `?limit=`, scopes, and one access-log
// entry per citizen whose data a listing showed.

type Listed = { id: string; createdAt: string; citizenPhone: string };

/** The agency signed in again after its scopes were cut to `scopes` (its earlier token keeps all of them). */
async function withScopes(agency: Agency, scopes: string[]): Promise<string> {
  await env.DB.prepare("UPDATE agencies SET scopes = ?2 WHERE id = ?1").bind(agency.agency.id, scopes.join(" ")).run();
  const { body } = await callJson<{ accessToken: string }>("/api/v1/agency/token", {
    body: { clientId: agency.clientId, clientSecret: agency.clientSecret },
  });
  return body.accessToken;
}

/** Newest first: by creation time, ties by id (ids sort by time too). */
const newestFirst = <T extends { id: string; createdAt: string }>(items: T[]) =>
  [...items].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));

async function logOf(citizen: SignedIn) {
  const { body } = await callJson<{
    entries: { seq: number; action: string; resource: string; actor: { id: string; name: string } }[];
    head: string;
  }>("/api/v1/me/access-log", { token: citizen.accessToken });
  expect(await verifyChain(body.entries as unknown as Parameters<typeof verifyChain>[0], { head: body.head })).toEqual({ valid: true });
  return body.entries;
}
const readsBy = async (citizen: SignedIn, agency: Agency, resource: string) =>
  (await logOf(citizen)).filter((e) => e.actor.id === agency.agency.id && e.action === "read" && e.resource === resource).length;

const issueBill = (agency: Agency, citizen: SignedIn, purpose = "Госпошлина") =>
  callJson<{ bill: Listed & { status: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, amount: 350000, currency: "RUB", purpose, externalRef: crypto.randomUUID() },
  });
const listBills = (agency: Agency, query = "", token = agency.token) =>
  callJson<{ bills: (Listed & { status: string; agency: { id: string } })[] }>(`/api/v1/agency/bills${query}`, { token });

async function expectBadLimits(path: string, token: string) {
  for (const limit of ["0", "501", "ten", "1.5"]) {
    const problem = await expectProblem(await call(`${path}?limit=${limit}`, { token }), 400, "validation_failed");
    expect(problem.errors).toEqual([expect.objectContaining({ path: "limit" })]);
  }
}

describe("GET /agency/bills", () => {
  it("lists the agency's own bills newest first, in the shape it issued them, with the citizen's phone", async () => {
    const [tax, other] = [await newAgency("ФНС (консоль)"), await newAgency("Другое ведомство")];
    const [anna, boris] = [await signIn(), await signIn()];
    const issued = [
      (await issueBill(tax, anna)).body.bill,
      (await issueBill(tax, boris)).body.bill,
      (await issueBill(tax, anna)).body.bill,
    ];
    const foreign = (await issueBill(other, anna)).body.bill;

    const { status, body } = await listBills(tax);
    expect(status).toBe(200);
    expect(body.bills).toEqual(newestFirst(issued).map((b) => ({ ...b, citizenPhone: b === issued[1] ? boris.phone : anna.phone })));
    expect(body.bills.map((b) => b.id)).not.toContain(foreign.id);
    expect((await listBills(other)).body.bills.map((b) => b.id)).toEqual([foreign.id]);
  });

  it("filters by status (processing is how a charge in flight shows) and pages with ?limit", async () => {
    const tax = await newAgency();
    const anna = await signIn();
    const [a, b, c] = [
      (await issueBill(tax, anna)).body.bill,
      (await issueBill(tax, anna)).body.bill,
      (await issueBill(tax, anna)).body.bill,
    ];
    expect((await call(`/api/v1/agency/bills/${b.id}/cancel`, { method: "POST", token: tax.token })).status).toBe(200);
    await env.DB.prepare("UPDATE bills SET status = 'paying' WHERE id = ?1").bind(c.id).run();

    expect((await listBills(tax, "?status=cancelled")).body.bills.map((x) => [x.id, x.status])).toEqual([[b.id, "cancelled"]]);
    expect((await listBills(tax, "?status=processing")).body.bills.map((x) => [x.id, x.status])).toEqual([[c.id, "processing"]]);
    expect((await listBills(tax, "?status=unpaid")).body.bills.map((x) => x.id)).toEqual([a.id]);
    expect((await listBills(tax, "?status=paid")).body.bills).toEqual([]);
    const newest = newestFirst([a, b, c]);
    expect((await listBills(tax, "?limit=2")).body.bills.map((x) => x.id)).toEqual(newest.slice(0, 2).map((x) => x.id));
    await expectBadLimits("/api/v1/agency/bills", tax.token);
    await expectProblem(await call("/api/v1/agency/bills?status=paying", { token: tax.token }), 400, "validation_failed");
  });

  it("logs one read per citizen listed, and none for citizens the page left out or for an empty list", async () => {
    const tax = await newAgency("Налоговая (журнал)");
    const [anna, boris] = [await signIn(), await signIn()];
    await issueBill(tax, anna);
    await issueBill(tax, anna);
    expect((await listBills(tax, "?status=paid")).body.bills).toEqual([]);
    expect(await readsBy(anna, tax, "bills")).toBe(0);

    await listBills(tax);
    expect(await readsBy(anna, tax, "bills")).toBe(1);
    await issueBill(tax, boris);
    // Make boris's bill certainly the newest, so ?limit=1 shows only his.
    await env.DB.prepare("UPDATE bills SET created_at = created_at + 60000 WHERE citizen_id = ?1").bind(boris.user.id).run();
    const one = await listBills(tax, "?limit=1");
    expect(one.body.bills.map((b) => b.citizenPhone)).toEqual([boris.phone]);
    expect(await readsBy(anna, tax, "bills")).toBe(1);
    expect(await readsBy(boris, tax, "bills")).toBe(1);
    const entry = (await logOf(boris)).find((e) => e.resource === "bills");
    expect(entry).toMatchObject({ action: "read", actor: { id: tax.agency.id, name: "Налоговая (журнал)" } });
  });

  it("needs the bills scope and an agency token", async () => {
    const tax = await newAgency();
    const anna = await signIn();
    await expectProblem(
      await call("/api/v1/agency/bills", { token: await withScopes(tax, ["records", "forms"]) }),
      403,
      "insufficient_scope",
    );
    await expectProblem(await call("/api/v1/agency/bills", { token: anna.accessToken }), 401, "invalid_token");
    await expectProblem(await call("/api/v1/agency/bills"), 401, "unauthorized");
  });
});

describe("GET /agency/records", () => {
  const issue = (agency: Agency, citizen: SignedIn, type: string, extra: Record<string, unknown> = {}) =>
    callJson<{ record: Listed & { credential: string; expiresAt: string | null } }>("/api/v1/agency/records", {
      token: agency.token,
      body: { citizenPhone: citizen.phone, type, claims: { number: "77 01 123456" }, ...extra },
    });

  it("lists the agency's own records without credentials, with expiry, revocation and status index", async () => {
    const [mvd, other] = [await newAgency("МВД (консоль)"), await newAgency()];
    const [anna, boris] = [await signIn(), await signIn()];
    const expiresAt = new Date(Date.now() + 365 * 86400_000).toISOString();
    const passport = (await issue(mvd, anna, "passport", { expiresAt })).body.record;
    expect(passport.expiresAt).toBe(expiresAt);
    const permit = (await issue(mvd, boris, "permit")).body.record;
    expect(permit.expiresAt).toBeNull();
    const foreign = (await issue(other, anna, "passport")).body.record;
    expect((await call(`/api/v1/agency/records/${permit.id}/revoke`, { method: "POST", token: mvd.token })).status).toBe(200);

    const { status, body } = await callJson<{ records: Record<string, unknown>[] }>("/api/v1/agency/records", { token: mvd.token });
    expect(status).toBe(200);
    const byId = new Map(body.records.map((r) => [r.id, r]));
    expect(body.records.map((r) => r.id)).toEqual(newestFirst([passport, permit]).map((r) => r.id));
    expect(byId.has(foreign.id)).toBe(false);
    expect(byId.get(passport.id)).toMatchObject({
      type: "passport",
      vct: "urn:veche:vct:passport",
      citizenPhone: anna.phone,
      claims: { number: "77 01 123456" },
      agency: { id: mvd.agency.id, name: "МВД (консоль)" },
      expiresAt,
      revoked: false,
      revokedAt: null,
      statusIdx: 0,
    });
    expect(byId.get(permit.id)).toMatchObject({ citizenPhone: boris.phone, revoked: true, revokedAt: expect.any(String), statusIdx: 1 });
    for (const r of body.records) expect(r).not.toHaveProperty("credential");

    const passports = await callJson<{ records: { id: string }[] }>("/api/v1/agency/records?type=passport", { token: mvd.token });
    expect(passports.body.records.map((r) => r.id)).toEqual([passport.id]);
    expect(await readsBy(anna, mvd, "records")).toBe(2);
    expect(await readsBy(boris, mvd, "records")).toBe(1);
    await expectBadLimits("/api/v1/agency/records", mvd.token);
  });

  it("refuses an expiry in the past when issuing, and the listing needs the records scope", async () => {
    const mvd = await newAgency();
    const anna = await signIn();
    const past = await issue(mvd, anna, "passport", { expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ code: "validation_failed", errors: [{ path: "expiresAt" }] });
    await expectProblem(await call("/api/v1/agency/records", { token: await withScopes(mvd, ["bills"]) }), 403, "insufficient_scope");
  });
});

describe("GET /agency/forms", () => {
  const publish = (agency: Agency, key: string) =>
    callJson<{ form: { id: string; key: string; version: number; createdAt: string } }>("/api/v1/agency/forms", {
      token: agency.token,
      body: { key, title: `Форма ${key}`, schema: { type: "object", properties: { name: { type: "string" } } } },
    });

  it("lists every version of the agency's own forms, newest first, optionally of one key", async () => {
    const [mfc, other] = [await newAgency(), await newAgency()];
    const a1 = (await publish(mfc, "a")).body.form;
    const b1 = (await publish(mfc, "b")).body.form;
    const a2 = (await publish(mfc, "a")).body.form;
    await publish(other, "a");
    const all = await callJson<{ forms: { id: string; key: string; version: number; prefill: unknown }[] }>("/api/v1/agency/forms", {
      token: mfc.token,
    });
    expect(all.status).toBe(200);
    expect(all.body.forms.map((f) => f.id)).toEqual(newestFirst([a1, b1, a2]).map((f) => f.id));
    expect(all.body.forms.every((f) => f.prefill === null)).toBe(true);
    const a = await callJson<{ forms: { key: string; version: number }[] }>("/api/v1/agency/forms?key=a", { token: mfc.token });
    expect(a.body.forms.map((f) => `${f.key}@${f.version}`)).toEqual(["a@2", "a@1"]);
    expect((await callJson<{ forms: unknown[] }>("/api/v1/agency/forms?limit=1", { token: mfc.token })).body.forms).toHaveLength(1);
    await expectBadLimits("/api/v1/agency/forms", mfc.token);
    await expectProblem(await call("/api/v1/agency/forms?key=Not%20a%20key", { token: mfc.token }), 400, "validation_failed");
    await expectProblem(
      await call("/api/v1/agency/forms", { token: await withScopes(mfc, ["bills", "records"]) }),
      403,
      "insufficient_scope",
    );
  });
});

describe("GET /agency/consent-requests", () => {
  const ask = (agency: Agency, citizen: SignedIn, scope = "records") =>
    callJson<{ consent: { id: string; status: string; createdAt: string } }>("/api/v1/agency/consent-requests", {
      token: agency.token,
      body: {
        citizenPhone: citizen.phone,
        scope,
        purpose: "Проверка для ипотеки",
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      },
    });
  type ConsentRequest = { id: string; status: string; citizenPhone: string; scope: string; purpose: string; expiresAt: string };
  const list = (agency: Agency, query = "") =>
    callJson<{ consentRequests: ConsentRequest[] }>(`/api/v1/agency/consent-requests${query}`, { token: agency.token });

  it("lists the agency's requests with their current status, expired ones as expired", async () => {
    const [bank, other] = [await newAgency("Банк (консоль)"), await newAgency()];
    const [anna, boris, vera] = [await signIn(), await signIn(), await signIn()];
    const pending = (await ask(bank, anna, "records:passport")).body.consent;
    const approved = (await ask(bank, boris)).body.consent;
    const lapsed = (await ask(bank, vera)).body.consent;
    const foreign = (await ask(other, anna)).body.consent;
    for (const [who, id] of [
      [boris, approved.id],
      [vera, lapsed.id],
    ] as const) {
      expect((await call(`/api/v1/consents/${id}/approve`, { method: "POST", token: who.accessToken })).status).toBe(200);
    }
    await env.DB.prepare("UPDATE consents SET expires_at = ?2 WHERE id = ?1")
      .bind(lapsed.id, Date.now() - 1000)
      .run();

    const { status, body } = await list(bank);
    expect(status).toBe(200);
    expect(body.consentRequests.map((r) => r.id)).toEqual(newestFirst([pending, approved, lapsed]).map((r) => r.id));
    expect(body.consentRequests.map((r) => r.id)).not.toContain(foreign.id);
    const byId = new Map(body.consentRequests.map((r) => [r.id, r]));
    expect(byId.get(pending.id)).toMatchObject({
      status: "requested",
      citizenPhone: anna.phone,
      scope: "records:passport",
      purpose: "Проверка для ипотеки",
      agency: { id: bank.agency.id },
    });
    expect(byId.get(approved.id)).toMatchObject({ status: "approved", citizenPhone: boris.phone });
    expect(byId.get(lapsed.id)).toMatchObject({ status: "expired", citizenPhone: vera.phone });

    expect((await list(bank, "?status=expired")).body.consentRequests.map((r) => r.id)).toEqual([lapsed.id]);
    expect((await list(bank, "?status=approved")).body.consentRequests.map((r) => r.id)).toEqual([approved.id]);
    expect((await list(bank, "?status=requested")).body.consentRequests.map((r) => r.id)).toEqual([pending.id]);
    expect((await list(bank, "?status=denied")).body.consentRequests).toEqual([]);
    await expectProblem(await call("/api/v1/agency/consent-requests?status=pending", { token: bank.token }), 400, "validation_failed");
    await expectBadLimits("/api/v1/agency/consent-requests", bank.token);

    // The full list and the requested-only list showed anna's; the approved-only list did not.
    expect(await readsBy(anna, bank, "consents")).toBe(2);
    expect(await readsBy(boris, bank, "consents")).toBe(2);
    await expectProblem(
      await call("/api/v1/agency/consent-requests", { token: await withScopes(bank, ["records"]) }),
      403,
      "insufficient_scope",
    );
  });
});

describe("OpenAPI", () => {
  it("documents the console's endpoints", async () => {
    const { body } = await callJson<{ paths: Record<string, Record<string, unknown>> }>("/api/openapi.json");
    for (const path of [
      "/api/v1/agency/bills",
      "/api/v1/agency/records",
      "/api/v1/agency/forms",
      "/api/v1/agency/consent-requests",
      "/api/v1/agency/submissions",
    ]) {
      expect(body.paths[path], path).toHaveProperty("get");
    }
    expect(body.paths["/api/v1/agency/submissions/{id}/attachments/{mediaId}"]).toHaveProperty("get");
    expect(body.paths["/api/v1/forms/{id}/prefill"]).toHaveProperty("post");
  });
});
