// Contract v1.1 "Interoperability": dates in any RFC 3339 form, record types as agencies name them.
import { describe, expect, it } from "vitest";
import { parseRfc3339 } from "../../src/lib/time";
import { call, callJson, expectProblem, newAgency, signIn } from "../helpers";

const year = new Date().getUTCFullYear() + 1;

describe("RFC 3339 dates and times", () => {
  it("parses every form and names the day and instant meant", () => {
    expect(parseRfc3339(`${year}-12-31`)).toEqual({ date: `${year}-12-31`, endInstant: Date.UTC(year + 1, 0, 1) });
    expect(parseRfc3339(`${year}-12-31T12:00:00Z`)).toEqual({ date: `${year}-12-31`, endInstant: Date.UTC(year, 11, 31, 12) });
    expect(parseRfc3339(`${year}-12-31t15:00:00.25+03:00`)).toEqual({
      date: `${year}-12-31`,
      endInstant: Date.UTC(year, 11, 31, 12, 0, 0, 250),
    });
    expect(parseRfc3339(`${year}-12-31T23:30:00-05:00`)?.date).toBe(`${year}-12-31`);
    for (const bad of [
      `${year}-02-30`,
      `${year}-13-01`,
      `${year}-12-31T24:00:00Z`,
      `${year}-12-31T12:00Z`,
      `${year}-12-31 12:00:00Z`,
      "31.12.2026",
      "",
    ]) {
      expect(parseRfc3339(bad), bad).toBeNull();
    }
  });

  it("bills take dueDate as a date or a date-time and return the date as written", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const cases: [string, string][] = [
      [`${year}-12-31`, `${year}-12-31`],
      [`${year}-12-31T12:00:00Z`, `${year}-12-31`],
      [`${year}-12-31T15:00:00+03:00`, `${year}-12-31`],
      [`${year}-12-31T23:30:00-05:00`, `${year}-12-31`],
    ];
    for (const [i, [dueDate, shown]] of cases.entries()) {
      const res = await callJson<{ bill: { dueDate: string | null } }>("/api/v1/agency/bills", {
        token: agency.token,
        body: { citizenPhone: anna.phone, amount: 100, currency: "RUB", purpose: "Пошлина", dueDate, externalRef: `due-${i}` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.bill.dueDate).toBe(shown);
    }
    const bad = await call("/api/v1/agency/bills", {
      token: agency.token,
      body: {
        citizenPhone: anna.phone,
        amount: 100,
        currency: "RUB",
        purpose: "Пошлина",
        dueDate: `${year}-02-30`,
        externalRef: "due-bad",
      },
    });
    const problem = await expectProblem(bad, 400, "validation_failed");
    expect(problem.errors).toEqual([expect.objectContaining({ path: "dueDate" })]);
    const list = await callJson<{ bills: unknown[] }>("/api/v1/bills", { token: anna.accessToken });
    expect(list.body.bills).toHaveLength(cases.length);
  });

  it("consents and records take expiresAt in any form and return it in UTC", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const cases: [string, string][] = [
      [`${year}-12-31`, `${year + 1}-01-01T00:00:00.000Z`],
      [`${year}-12-31T12:00:00Z`, `${year}-12-31T12:00:00.000Z`],
      [`${year}-12-31T15:00:00+03:00`, `${year}-12-31T12:00:00.000Z`],
    ];
    for (const [expiresAt, shown] of cases) {
      const consent = await callJson<{ consent: { expiresAt: string } }>("/api/v1/agency/consent-requests", {
        token: agency.token,
        body: { citizenPhone: anna.phone, scope: "records", purpose: "Проверка", expiresAt },
      });
      expect(consent.status, JSON.stringify(consent.body)).toBe(201);
      expect(consent.body.consent.expiresAt).toBe(shown);
      const record = await callJson<{ record: { expiresAt: string } }>("/api/v1/agency/records", {
        token: agency.token,
        body: { citizenPhone: anna.phone, type: "permit", claims: { n: 1 }, expiresAt },
      });
      expect(record.status, JSON.stringify(record.body)).toBe(201);
      expect(record.body.record.expiresAt).toBe(shown);
    }
    const past = await call("/api/v1/agency/consent-requests", {
      token: agency.token,
      body: { citizenPhone: anna.phone, scope: "records", purpose: "x", expiresAt: "2020-01-01" },
    });
    await expectProblem(past, 400, "validation_failed");
  });
});

describe("record types", () => {
  it("are the agency's own names, kept and verified unchanged", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    for (const type of ["DriverLicense", "driver_license", "https://gov.example/vct/passport", "Водительское удостоверение"]) {
      const issued = await callJson<{ record: { id: string; type: string } }>("/api/v1/agency/records", {
        token: agency.token,
        body: { citizenPhone: anna.phone, type, claims: { category: "B" } },
      });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
      expect(issued.body.record.type).toBe(type);
      const p = await callJson<{ presentation: string }>(`/api/v1/records/${issued.body.record.id}/presentations`, {
        token: anna.accessToken,
        body: { disclose: ["category"] },
      });
      expect(p.status).toBe(201);
      const verdict = await callJson<{ valid: boolean; type: string }>("/api/v1/verify", { body: { presentation: p.body.presentation } });
      expect(verdict.body).toMatchObject({ valid: true, type });
      const consent = await call("/api/v1/agency/consent-requests", {
        token: agency.token,
        body: { citizenPhone: anna.phone, scope: `records:${type}`, purpose: "x", expiresAt: `${year}-01-01` },
      });
      expect(consent.status).toBe(201);
    }
  });

  it("refuse empty, overlong, unprintable or space-padded names and issue nothing", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    for (const type of ["", "x".repeat(101), "pass\nport", "pass\u202Eport", "pass\u200Bport", " passport", "passport "]) {
      const res = await call("/api/v1/agency/records", { token: agency.token, body: { citizenPhone: anna.phone, type, claims: { a: 1 } } });
      const problem = await expectProblem(res, 400, "validation_failed");
      expect(problem.errors).toEqual([expect.objectContaining({ path: "type" })]);
    }
    expect(
      (
        await call("/api/v1/agency/records", {
          token: agency.token,
          body: { citizenPhone: anna.phone, type: "я".repeat(100), claims: { a: 1 } },
        })
      ).status,
    ).toBe(201);
    const list = await callJson<{ records: unknown[] }>("/api/v1/records", { token: anna.accessToken });
    expect(list.body.records).toHaveLength(1);
  });
});
