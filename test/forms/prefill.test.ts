import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type TestAgency as Agency, call, callJson, expectProblem, newAgency, type SignedIn, signIn } from "../helpers";

// Prefilling forms from the citizen's own records: the map is checked against the schema when published;
// values come only from the caller's own valid records, only when they fit the field, and the agency
// learns nothing until the citizen submits.

const SCHEMA = {
  type: "object",
  properties: {
    full_name: { type: "string", minLength: 3 },
    birthdate: { type: "string", format: "date" },
    children: { type: "integer", minimum: 0 },
    category: { type: "string", enum: ["A", "B", "C"] },
    passport_no: { type: "string", pattern: "^\\d{2} \\d{2} \\d{6}$" },
    address: { type: "object", properties: { city: { type: "string" } } },
    phones: { type: "array", items: { type: "string" } },
    agree: { type: "boolean" },
  },
  required: ["full_name"],
  additionalProperties: false,
};

const PREFILL = {
  full_name: { type: "passport", claim: "full_name" },
  birthdate: { type: "passport", claim: "birthdate" },
  passport_no: { type: "passport", claim: "number" },
  children: { type: "family", claim: "children" },
  category: { type: "driving_licence", claim: "category" },
};

type Form = { id: string; prefill: Record<string, { type: string; claim: string }> | null };
type Prefilled = {
  data: Record<string, unknown>;
  sources: { field: string; recordId: string; issuer: { id: string; name: string }; type: string; claim: string }[];
};

const publish = (agency: Agency, body: Record<string, unknown>) =>
  callJson<{ form: Form }>("/api/v1/agency/forms", {
    token: agency.token,
    body: { key: "benefit", title: "Пособие", schema: SCHEMA, ...body },
  });

const issue = async (agency: Agency, citizen: SignedIn, type: string, claims: Record<string, unknown>) => {
  const { status, body } = await callJson<{ record: { id: string } }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, type, claims },
  });
  expect(status).toBe(201);
  return body.record.id;
};

const prefill = (citizen: SignedIn, formId: string) =>
  callJson<Prefilled>(`/api/v1/forms/${formId}/prefill`, { token: citizen.accessToken, body: {} });

describe("publishing a prefill map", () => {
  it("is checked against the schema: only top-level string, number and enum fields", async () => {
    const agency = await newAgency();
    const bad = await publish(agency, {
      prefill: {
        nope: { type: "passport", claim: "x" },
        address: { type: "passport", claim: "address" },
        phones: { type: "passport", claim: "phones" },
        agree: { type: "passport", claim: "agree" },
        full_name: { type: "passport", claim: "full_name" },
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_form" });
    const paths = (bad.body as unknown as { errors: { path: string }[] }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(["prefill.address", "prefill.agree", "prefill.nope", "prefill.phones"]);
    // Nothing was published.
    expect((await callJson<{ forms: unknown[] }>("/api/v1/agency/forms", { token: agency.token })).body.forms).toEqual([]);

    for (const prefill of [
      { full_name: { type: "passport" } },
      // A record type is any 1–100 printable characters (contract v1.1); an empty or space-padded one is not.
      { full_name: { type: "", claim: "x" } },
      { full_name: { type: " passport", claim: "x" } },
      { full_name: "passport" },
    ]) {
      await expectProblem(
        await call("/api/v1/agency/forms", { token: agency.token, body: { key: "k", title: "t", schema: SCHEMA, prefill } }),
        400,
        "validation_failed",
      );
    }
  });

  it("is part of the form's shape (null without one), for the agency and for citizens", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { status, body } = await publish(agency, { prefill: PREFILL });
    expect(status).toBe(201);
    expect(body.form.prefill).toEqual(PREFILL);
    expect((await callJson<{ form: Form }>(`/api/v1/forms/${body.form.id}`, { token: anna.accessToken })).body.form.prefill).toEqual(
      PREFILL,
    );
    const plain = await publish(agency, {});
    expect(plain.body.form.prefill).toBeNull();
    expect((await publish(agency, { prefill: {} })).body.form.prefill).toBeNull();
  });
});

describe("POST /forms/:id/prefill", () => {
  it("fills fields from the caller's newest valid record of each type, only with values the field accepts", async () => {
    const [mvd, zags, gibdd] = [await newAgency("МВД (prefill)"), await newAgency("ЗАГС (prefill)"), await newAgency("ГИБДД (prefill)")];
    const anna = await signIn();
    const formId = (await publish(mvd, { prefill: PREFILL })).body.form.id;

    await issue(mvd, anna, "passport", { full_name: "Анна Старая", birthdate: "1990-05-17", number: "11 11 111111" });
    const passport = await issue(mvd, anna, "passport", { full_name: "Анна Петрова", birthdate: "1990-02-30", number: "45 07 123456" });
    // Newer, but revoked or expired: never a source.
    const revoked = await issue(mvd, anna, "passport", { full_name: "Отозванная", number: "00 00 000000" });
    expect((await call(`/api/v1/agency/records/${revoked}/revoke`, { method: "POST", token: mvd.token })).status).toBe(200);
    const expired = await issue(mvd, anna, "passport", { full_name: "Истёкшая" });
    await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1")
      .bind(expired, Date.now() - 1000)
      .run();
    // A string where the field wants an integer is not converted; an enum value outside the enum is not used.
    await issue(zags, anna, "family", { children: "2" });
    await issue(gibdd, anna, "driving_licence", { category: "D" });
    // Order by creation time, with the valid passport certainly the newest valid one.
    await env.DB.prepare("UPDATE records SET created_at = created_at + 60000 WHERE id IN (?1, ?2, ?3)")
      .bind(passport, revoked, expired)
      .run();

    const { status, body } = await prefill(anna, formId);
    expect(status).toBe(200);
    // birthdate 1990-02-30 fails format: date, so it is left out rather than taken from the older passport.
    expect(body.data).toEqual({ full_name: "Анна Петрова", passport_no: "45 07 123456" });
    expect(body.sources.sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      {
        field: "full_name",
        recordId: passport,
        issuer: { id: mvd.agency.id, name: "МВД (prefill)" },
        type: "passport",
        claim: "full_name",
      },
      { field: "passport_no", recordId: passport, issuer: { id: mvd.agency.id, name: "МВД (prefill)" }, type: "passport", claim: "number" },
    ]);

    const family = await issue(zags, anna, "family", { children: 2 });
    const licence = await issue(gibdd, anna, "driving_licence", { category: "B" });
    await env.DB.prepare("UPDATE records SET created_at = created_at + 120000 WHERE id IN (?1, ?2)").bind(family, licence).run();
    const again = await prefill(anna, formId);
    expect(again.body.data).toEqual({ full_name: "Анна Петрова", passport_no: "45 07 123456", children: 2, category: "B" });
    expect(again.body.sources.find((s) => s.field === "children")).toEqual({
      field: "children",
      recordId: family,
      issuer: { id: zags.agency.id, name: "ЗАГС (prefill)" },
      type: "family",
      claim: "children",
    });
    // What was filled passes the form: the citizen can submit it as is.
    const submitted = await call(`/api/v1/forms/${formId}/submissions`, { token: anna.accessToken, body: { data: again.body.data } });
    expect(submitted.status).toBe(201);
  });

  it("uses only the caller's own records, tells the agency nothing, and answers nothing for a form without a map", async () => {
    const mvd = await newAgency("МВД (тихо)");
    const [anna, boris] = [await signIn(), await signIn()];
    const formId = (await publish(mvd, { prefill: PREFILL })).body.form.id;
    await issue(mvd, anna, "passport", { full_name: "Анна Петрова" });
    const before = await callJson<{ entries: unknown[] }>("/api/v1/me/access-log", { token: anna.accessToken });

    expect((await prefill(boris, formId)).body).toEqual({ data: {}, sources: [] });
    expect((await prefill(anna, formId)).body.data).toEqual({ full_name: "Анна Петрова" });
    // No access-log entry (no one but the citizen read anything), and no submission reached the agency.
    expect((await callJson<{ entries: unknown[] }>("/api/v1/me/access-log", { token: anna.accessToken })).body.entries).toEqual(
      before.body.entries,
    );
    expect((await callJson<{ submissions: unknown[] }>("/api/v1/agency/submissions", { token: mvd.token })).body.submissions).toEqual([]);

    const plain = (await publish(mvd, {})).body.form.id;
    expect((await prefill(anna, plain)).body).toEqual({ data: {}, sources: [] });
  });

  it("answers 404 for an unknown form, 400 for a body other than {}, and only to citizens", async () => {
    const mvd = await newAgency();
    const anna = await signIn();
    const formId = (await publish(mvd, { prefill: PREFILL })).body.form.id;
    await expectProblem(
      await call("/api/v1/forms/01NOSUCHFORM00000000000000/prefill", { token: anna.accessToken, body: {} }),
      404,
      "not_found",
    );
    await expectProblem(
      await call(`/api/v1/forms/${formId}/prefill`, { token: anna.accessToken, body: { agencyId: mvd.agency.id } }),
      400,
      "validation_failed",
    );
    await expectProblem(await call(`/api/v1/forms/${formId}/prefill`, { token: mvd.token, body: {} }), 401, "invalid_token");
    await expectProblem(await call(`/api/v1/forms/${formId}/prefill`, { body: {} }), 401, "unauthorized");
  });
});
