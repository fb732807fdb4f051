// Record types (contract v1.1): agencies publish names and claim labels for their own types; records and
// verify answers carry them as `display` in the caller's language, and raw names where there are none.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, historyOf, newAgency, type SignedIn, signIn, type TestAgency } from "../helpers";

const LICENCE = {
  name: { ru: "Водительское удостоверение", en: "Driving licence" },
  claims: {
    given_name: { label: { ru: "Имя", en: "Given name" } },
    birthdate: { label: { ru: "Дата рождения", en: "Date of birth" }, format: "date" },
    category: {
      label: { ru: "Категория" },
      format: "enum",
      values: { B: { ru: "Легковые автомобили", en: "Cars" } },
    },
  },
};
const CLAIMS = { given_name: "Анна", birthdate: "1990-05-17", category: "B", number: "77 00 123456" };

interface Display {
  name: string;
  claims: Record<string, string>;
  formats: Record<string, string>;
  values: Record<string, Record<string, string>>;
}
interface RecordBody {
  id: string;
  type: string;
  display: Display;
}

const put = (agency: TestAgency, type: string, body: unknown, token = agency.token) =>
  call(`/api/v1/agency/record-types/${encodeURIComponent(type)}`, { method: "PUT", token, body });

async function issue(agency: TestAgency, citizen: SignedIn, type = "driving_licence", claims: Record<string, unknown> = CLAIMS) {
  const { status, body } = await callJson<{ record: RecordBody }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, type, claims },
  });
  expect(status).toBe(201);
  return body.record;
}

const getRecord = async (citizen: SignedIn, id: string, lang?: string) =>
  (
    await callJson<{ record: RecordBody }>(`/api/v1/records/${id}`, {
      token: citizen.accessToken,
      ...(lang ? { headers: { "accept-language": lang } } : {}),
    })
  ).body.record;

describe("publishing record types", () => {
  it("stores the agency's type and lists it for anyone", async () => {
    const agency = await newAgency("ГИБДД (типы)");
    const res = await put(agency, "driving_licence", LICENCE);
    expect(res.status).toBe(200);
    const { recordType } = (await res.json()) as { recordType: Record<string, unknown> };
    expect(recordType).toMatchObject({ agencyId: agency.agency.id, type: "driving_licence", name: LICENCE.name, claims: LICENCE.claims });

    const list = await callJson<{ recordTypes: { type: string; name: unknown }[] }>(`/api/v1/agencies/${agency.agency.id}/record-types`);
    expect(list.status).toBe(200);
    expect(list.body.recordTypes).toEqual([expect.objectContaining({ type: "driving_licence", name: LICENCE.name })]);
  });

  it("replaces the type on a second PUT, and takes types with slashes percent-encoded", async () => {
    const agency = await newAgency();
    expect((await put(agency, "driving_licence", LICENCE)).status).toBe(200);
    expect((await put(agency, "driving_licence", { name: { ru: "Права" }, claims: {} })).status).toBe(200);
    const url = "https://gov.example/vct/passport";
    expect((await put(agency, url, { name: { ru: "Паспорт" } })).status).toBe(200);
    const list = await callJson<{ recordTypes: { type: string; name: unknown; claims: unknown }[] }>(
      `/api/v1/agencies/${agency.agency.id}/record-types`,
    );
    expect(list.body.recordTypes).toEqual([
      expect.objectContaining({ type: "driving_licence", name: { ru: "Права" }, claims: {} }),
      expect.objectContaining({ type: url, name: { ru: "Паспорт" } }),
    ]);
  });

  it("refuses bad bodies with stable codes and stores nothing", async () => {
    const agency = await newAgency();
    const cases: [unknown, string][] = [
      [{ claims: {} }, "name"],
      [{ name: { en: "Licence" } }, "name.ru"],
      [{ name: { ru: "" } }, "name.ru"],
      [{ name: { ru: "Права\u202Eтекст" } }, "name.ru"],
      [{ name: { ru: "Права" }, claims: { birthdate: { label: { ru: "Дата" }, format: "weekday" } } }, "claims.birthdate.format"],
      [{ name: { ru: "Права" }, claims: { birthdate: { format: "date" } } }, "claims.birthdate.label"],
      [{ name: { ru: "Права" }, claims: { category: { label: { ru: "Категория" }, format: "enum" } } }, "claims.category.values"],
      [{ name: { ru: "Права" }, claims: { category: { label: { ru: "Кат." }, values: { B: { ru: "B" } } } } }, "claims.category.values"],
      [{ name: { ru: "Права" }, extra: true }, ""],
    ];
    for (const [body, path] of cases) {
      const res = await put(agency, "driving_licence", body);
      const problem = await expectProblem(res, 400, "validation_failed");
      const paths = ((problem.errors ?? []) as { path: string }[]).map((e) => e.path);
      if (path) expect(paths, JSON.stringify(body)).toContain(path);
    }
    await expectProblem(await put(agency, " spaced", LICENCE), 400, "invalid_record_type");
    await expectProblem(await put(agency, "x".repeat(101), LICENCE), 400, "invalid_record_type");
    const list = await callJson<{ recordTypes: unknown[] }>(`/api/v1/agencies/${agency.agency.id}/record-types`);
    expect(list.body.recordTypes).toEqual([]);
  });

  it("is for agencies only, each over its own types", async () => {
    const a = await newAgency("Ведомство А");
    const b = await newAgency("Ведомство Б");
    const citizen = await signIn();
    // A citizen's token is not an agency token.
    await expectProblem(await put(a, "driving_licence", LICENCE, citizen.accessToken), 401, "invalid_token");
    await expectProblem(await call("/api/v1/agency/record-types/driving_licence", { method: "PUT", body: LICENCE }), 401, "unauthorized");
    expect((await put(a, "driving_licence", LICENCE)).status).toBe(200);
    // B's PUT of the same type name is B's own type: A's is untouched, and A's records keep A's words.
    expect((await put(b, "driving_licence", { name: { ru: "Чужое название" } })).status).toBe(200);
    const aTypes = await callJson<{ recordTypes: { name: unknown }[] }>(`/api/v1/agencies/${a.agency.id}/record-types`);
    expect(aTypes.body.recordTypes).toEqual([expect.objectContaining({ name: LICENCE.name })]);
    const record = await issue(a, citizen);
    expect((await getRecord(citizen, record.id)).display.name).toBe("Водительское удостоверение");
    await expectProblem(await call("/api/v1/agencies/01ARZ3NDEKTSV4RRFFQ69G5FAV/record-types"), 404, "not_found");
  });
});

describe("display", () => {
  it("names the type and labels the claims in Russian by default, in English on request, raw where unlabelled", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    await put(agency, "driving_licence", LICENCE);
    const issued = await issue(agency, anna);
    expect(issued.display.name).toBe("Водительское удостоверение");

    const ru = await getRecord(anna, issued.id);
    expect(ru.display).toEqual({
      name: "Водительское удостоверение",
      claims: { given_name: "Имя", birthdate: "Дата рождения", category: "Категория", number: "number" },
      formats: { birthdate: "date", category: "enum" },
      values: { category: { B: "Легковые автомобили" } },
    });
    const en = await getRecord(anna, issued.id, "en-GB,en;q=0.9,ru;q=0.5");
    // "category" has no English label: its Russian one stands in.
    expect(en.display).toMatchObject({
      name: "Driving licence",
      claims: { given_name: "Given name", birthdate: "Date of birth", category: "Категория", number: "number" },
      values: { category: { B: "Cars" } },
    });
    expect((await getRecord(anna, issued.id, "de-DE, en;q=0.8")).display.name).toBe("Driving licence");
    expect((await getRecord(anna, issued.id, "ru;q=0.9, en;q=0.8")).display.name).toBe("Водительское удостоверение");
    expect((await getRecord(anna, issued.id, "fr")).display.name).toBe("Водительское удостоверение");
    expect((await getRecord(anna, issued.id, "en;q=0, ru")).display.name).toBe("Водительское удостоверение");

    const list = await callJson<{ records: RecordBody[] }>("/api/v1/records", {
      token: anna.accessToken,
      headers: { "accept-language": "en" },
    });
    expect(list.body.records.map((r) => r.display.name)).toEqual(["Driving licence"]);
  });

  it("falls back to the raw type and claim names without metadata, and a label change shows on the next read", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const record = await issue(agency, anna, "fishing_permit", { constructor: "x", zone: "Волга" });
    expect((await getRecord(anna, record.id)).display).toEqual({
      name: "fishing_permit",
      claims: { constructor: "constructor", zone: "zone" },
      formats: {},
      values: {},
    });
    await put(agency, "fishing_permit", { name: { ru: "Разрешение на рыбалку" }, claims: { zone: { label: { ru: "Зона" } } } });
    expect((await getRecord(anna, record.id)).display).toMatchObject({
      name: "Разрешение на рыбалку",
      claims: { constructor: "constructor", zone: "Зона" },
    });
  });

  it("says in the official chat which document was issued, by its name", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    await put(agency, "driving_licence", LICENCE);
    await issue(agency, anna);
    const chats = await callJson<{ chats: { id: string; type: string }[] }>("/api/v1/chats", { token: anna.accessToken });
    const official = chats.body.chats.find((c) => c.type === "official");
    if (!official) throw new Error("no official chat");
    const texts = (await historyOf(anna.accessToken, official.id)).map((m) => m.text);
    expect(texts).toContain("Выдан документ: Водительское удостоверение");
  });

  it("never names a document by its type's code in the chat when its agency did not describe it", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    await issue(agency, anna, "fishing_permit", { zone: "Волга" });
    const chats = await callJson<{ chats: { id: string; type: string }[] }>("/api/v1/chats", { token: anna.accessToken });
    const official = chats.body.chats.find((c) => c.type === "official");
    if (!official) throw new Error("no official chat");
    const texts = (await historyOf(anna.accessToken, official.id)).map((m) => m.text ?? "");
    expect(texts).toContain("Выдан новый документ");
    expect(texts.join(" ")).not.toContain("fishing_permit");
  });

  it("labels a bill's money and due date in words in the chat", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const res = await callJson("/api/v1/agency/bills", {
      token: agency.token,
      body: { citizenPhone: anna.phone, amount: 125050, currency: "RUB", purpose: "Налог", dueDate: "2026-12-01", externalRef: "t-1" },
    });
    expect(res.status).toBe(201);
    const chats = await callJson<{ chats: { id: string; type: string }[] }>("/api/v1/chats", { token: anna.accessToken });
    const official = chats.body.chats.find((c) => c.type === "official");
    if (!official) throw new Error("no official chat");
    const texts = (await historyOf(anna.accessToken, official.id)).map((m) => m.text?.replace(/\s/g, " "));
    expect(texts).toContain("Счёт к оплате: Налог — 1 250,50 ₽, оплатить до 1 декабря 2026 г.");
  });

  it("comes with a verify answer, labelling only what was disclosed, in the verifier's language", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    await put(agency, "driving_licence", LICENCE);
    const record = await issue(agency, anna);
    const { body } = await callJson<{ presentation: string }>(`/api/v1/records/${record.id}/presentations`, {
      token: anna.accessToken,
      body: { disclose: ["birthdate"] },
    });
    const verify = async (lang?: string) =>
      (
        await callJson<{ valid: boolean; display: Display | null }>("/api/v1/verify", {
          body: { presentation: body.presentation },
          ...(lang ? { headers: { "accept-language": lang } } : {}),
        })
      ).body;
    expect(await verify()).toMatchObject({
      valid: true,
      display: { name: "Водительское удостоверение", claims: { birthdate: "Дата рождения" }, formats: { birthdate: "date" } },
    });
    const en = await verify("en");
    expect(en.display).toEqual({
      name: "Driving licence",
      claims: { birthdate: "Date of birth" },
      formats: { birthdate: "date" },
      values: {},
    });
  });

  it("shows a receipt with Veche's built-in words when the agency published none", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const record = await issue(agency, anna, "payment_receipt", { amount: 125050, currency: "RUB", purpose: "Налог" });
    expect((await getRecord(anna, record.id)).display).toMatchObject({
      name: "Квитанция об оплате",
      claims: { amount: "Сумма", purpose: "Назначение платежа" },
      formats: { amount: "money" },
    });
  });
});
