import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/log";
import { type TestAgency as Agency, call, callJson, expectProblem, freshPhone, newAgency, type SignedIn, signIn } from "../helpers";

const issueRecord = (agency: Agency, citizen: SignedIn, type: string, claims: Record<string, unknown>) =>
  callJson<{ record: { id: string } }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, type, claims },
  });

type Read = { records: { id: string; agencyId: string; type: string }[] };
const readRecords = (agency: Agency, citizen: SignedIn, purpose = "проверка") =>
  call(`/api/v1/agency/citizens/${encodeURIComponent(citizen.phone)}/records?purpose=${encodeURIComponent(purpose)}`, {
    token: agency.token,
  });

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

async function requestConsent(agency: Agency, citizen: SignedIn, scope = "records", expiresAt = inAnHour()) {
  return callJson<{ consent: { id: string; status: string } }>("/api/v1/agency/consent-requests", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, scope, purpose: "Выдача ипотеки", expiresAt },
  });
}

describe("consent and agency reads", () => {
  it("shows an agency only its own records until the citizen approves a consent, and logs every read", async () => {
    const traffic = await newAgency("ГИБДД (тест)");
    const bank = await newAgency("Банк (тест)");
    const anna = await signIn();
    const licence = (await issueRecord(traffic, anna, "driving_licence", { category: "B" })).body.record.id;
    const own = (await issueRecord(bank, anna, "account", { number: "408" })).body.record.id;

    const before = (await (await readRecords(bank, anna)).json()) as Read;
    expect(before.records.map((r) => r.id)).toEqual([own]);

    const requested = await requestConsent(bank, anna, "records:driving_licence");
    expect(requested.status).toBe(201);
    expect(requested.body.consent.status).toBe("requested");
    const mine = await callJson<{ consents: { id: string; status: string; agency: { name: string } }[] }>("/api/v1/consents", {
      token: anna.accessToken,
    });
    expect(mine.body.consents).toEqual([
      expect.objectContaining({
        id: requested.body.consent.id,
        status: "requested",
        agency: expect.objectContaining({ name: "Банк (тест)" }),
      }),
    ]);
    // Still only its own until approved.
    expect(((await (await readRecords(bank, anna)).json()) as Read).records.map((r) => r.id)).toEqual([own]);

    const approved = await callJson<{ consent: { status: string } }>(`/api/v1/consents/${requested.body.consent.id}/approve`, {
      method: "POST",
      token: anna.accessToken,
    });
    expect(approved.body.consent.status).toBe("approved");
    const after = (await (await readRecords(bank, anna, "Выдача ипотеки")).json()) as Read;
    expect(after.records.map((r) => r.id).sort()).toEqual([licence, own].sort());

    // Revoked: the next read no longer sees others' records.
    const revoked = await callJson<{ consent: { status: string } }>(`/api/v1/consents/${requested.body.consent.id}`, {
      method: "DELETE",
      token: anna.accessToken,
    });
    expect(revoked.body.consent.status).toBe("revoked");
    expect(((await (await readRecords(bank, anna)).json()) as Read).records.map((r) => r.id)).toEqual([own]);

    const log = await callJson<{ entries: { action: string; resource: string; purpose: string | null; actor: { name: string } }[] }>(
      "/api/v1/me/access-log",
      {
        token: anna.accessToken,
      },
    );
    const reads = log.body.entries.filter((e) => e.action === "read");
    expect(reads).toHaveLength(4);
    expect(reads.every((e) => e.actor.name === "Банк (тест)" && e.resource === "records")).toBe(true);
    expect(reads.map((e) => e.purpose)).toContain("Выдача ипотеки");
    expect(await verifyChain(log.body.entries as unknown as Parameters<typeof verifyChain>[0])).toMatchObject({ valid: true });
  });

  it("limits a typed consent to that type, and an expired consent to nothing", async () => {
    const registry = await newAgency("ЗАГС (тест)");
    const traffic = await newAgency("ГИБДД (тест)");
    const bank = await newAgency("Банк (тест)");
    const anna = await signIn();
    await issueRecord(registry, anna, "marriage", { spouse: "Борис" });
    const licence = (await issueRecord(traffic, anna, "driving_licence", { category: "B" })).body.record.id;
    const { body } = await requestConsent(bank, anna, "records:driving_licence");
    await callJson(`/api/v1/consents/${body.consent.id}/approve`, { method: "POST", token: anna.accessToken });
    expect(((await (await readRecords(bank, anna)).json()) as Read).records.map((r) => r.id)).toEqual([licence]);
    // The consent runs out on its own.
    await env.DB.prepare("UPDATE consents SET expires_at = ?2 WHERE id = ?1")
      .bind(body.consent.id, Date.now() - 1000)
      .run();
    expect(((await (await readRecords(bank, anna)).json()) as Read).records).toEqual([]);
    const listed = await callJson<{ consents: { status: string }[] }>("/api/v1/consents", { token: anna.accessToken });
    expect(listed.body.consents[0]?.status).toBe("expired");
  });

  it("labels another agency's records with that agency's record type, in the reader's language", async () => {
    const traffic = await newAgency("ГИБДД (тест)");
    const bank = await newAgency("Банк (тест)");
    const anna = await signIn();
    const published = await call("/api/v1/agency/record-types/driving_licence", {
      method: "PUT",
      token: traffic.token,
      body: {
        name: { ru: "Водительское удостоверение", en: "Driving licence" },
        claims: {
          category: { label: { ru: "Категория", en: "Category" }, format: "enum", values: { B: { ru: "B — легковые", en: "B — cars" } } },
        },
      },
    });
    expect(published.status).toBeLessThan(300);
    await issueRecord(traffic, anna, "driving_licence", { category: "B", note: "без ограничений" });
    const { body } = await requestConsent(bank, anna, "records:driving_licence");
    await callJson(`/api/v1/consents/${body.consent.id}/approve`, { method: "POST", token: anna.accessToken });
    type Labelled = { records: { display: { name: string; claims: Record<string, string>; formats: Record<string, string> } }[] };
    const read = async (lang: string) =>
      (
        await callJson<Labelled>(
          `/api/v1/agency/citizens/${encodeURIComponent(anna.phone)}/records?purpose=${encodeURIComponent("проверка")}`,
          {
            token: bank.token,
            headers: { "accept-language": lang },
          },
        )
      ).body.records[0]?.display;
    expect(await read("ru")).toMatchObject({
      name: "Водительское удостоверение",
      // A claim the type does not describe keeps its own name.
      claims: { category: "Категория", note: "note" },
      formats: { category: "enum" },
      values: { category: { B: "B — легковые" } },
    });
    expect(await read("en-GB,en;q=0.9")).toMatchObject({ name: "Driving licence", claims: { category: "Category" } });
  });

  it("lets only the citizen decide, once, and refuses bad requests", async () => {
    const bank = await newAgency("Банк (тест)");
    const anna = await signIn();
    const boris = await signIn();
    const { body } = await requestConsent(bank, anna);
    await expectProblem(
      await call(`/api/v1/consents/${body.consent.id}/approve`, { method: "POST", token: boris.accessToken }),
      404,
      "not_found",
    );
    expect((await call(`/api/v1/consents/${body.consent.id}/deny`, { method: "POST", token: anna.accessToken })).status).toBe(200);
    await expectProblem(
      await call(`/api/v1/consents/${body.consent.id}/approve`, { method: "POST", token: anna.accessToken }),
      409,
      "consent_not_requested",
    );
    await expectProblem(
      await call(`/api/v1/consents/${body.consent.id}`, { method: "DELETE", token: anna.accessToken }),
      409,
      "consent_not_approved",
    );
    const ask = (scope: string, expiresAt: string) =>
      call("/api/v1/agency/consent-requests", { token: bank.token, body: { citizenPhone: anna.phone, scope, purpose: "x", expiresAt } });
    await expectProblem(await ask("everything", inAnHour()), 400, "validation_failed");
    await expectProblem(await ask("records", new Date(Date.now() - 1000).toISOString()), 400, "validation_failed");
    await expectProblem(
      await call(`/api/v1/agency/citizens/${encodeURIComponent(anna.phone)}/records`, { token: bank.token }),
      400,
      "validation_failed",
    );
    await expectProblem(await readRecords({ ...bank, token: anna.accessToken }, anna), 401, "invalid_token");
  });

  it("tells an agency without consent nothing about whether a number is registered", async () => {
    const bank = await newAgency("Банк (тест)");
    const traffic = await newAgency("ГИБДД (тест)");
    const anna = await signIn();
    // Anna has a record from another agency: the bank may not read it, so it must not learn she exists.
    expect((await issueRecord(traffic, anna, "driving_licence", { category: "B" })).status).toBe(201);
    const registered = await readRecords(bank, anna);
    const unregistered = await readRecords(bank, { ...anna, phone: freshPhone() });
    expect(registered.status).toBe(200);
    expect(unregistered.status).toBe(registered.status);
    expect(unregistered.headers.get("content-type")).toBe(registered.headers.get("content-type"));
    expect(await unregistered.text()).toBe(await registered.text());
    // Asking about an unknown number registers nobody.
    const users = await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>();
    await readRecords(bank, { ...anna, phone: freshPhone() });
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>())?.n).toBe(users?.n);
  });
});
