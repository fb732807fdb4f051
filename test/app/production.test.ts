// Production configuration: readiness by name, clear 503s for what is not configured, no dev routes in the
// OpenAPI document, HSTS. The real app with the test bindings, in production mode with some removed.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE, callJson, expectProblem, freshAddress, freshPhone, newAgency, signIn } from "../helpers";

const app = createApp();
const SMS = { SMS_GATEWAY_URL: "https://sms.example/send", SMS_GATEWAY_TOKEN: "sms-token-value-never-shown" };

async function fetchAs(overrides: Partial<Record<keyof Env, string | undefined>>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(BASE + path, init), { ...env, ENVIRONMENT: "production", ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", "cf-connecting-ip": freshAddress(), ...headers },
  body: JSON.stringify(body),
});

const count = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .first<{ n: number }>()
  )?.n ?? 0;

describe("production readiness", () => {
  it("/health names what production lacks (never a value) and answers 503 until it is there", async () => {
    const res = await fetchAs({ SMS_GATEWAY_URL: undefined, SMS_GATEWAY_TOKEN: SMS.SMS_GATEWAY_TOKEN, DATA_ENCRYPTION_KEY: "" }, "/health");
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      status: "not_ready",
      missing: {
        keys: ["DATA_ENCRYPTION_KEY"],
        sms: ["SMS_GATEWAY_URL"],
        payments: ["PAYMENT_PROVIDER"],
        calls: ["TURN_KEY_ID", "TURN_KEY_API_TOKEN"],
      },
    });
    expect(text).not.toContain(SMS.SMS_GATEWAY_TOKEN);
    expect(text).not.toContain(env.CREDENTIAL_HASH_KEY);
    // Development needs neither a gateway nor a provider.
    const dev = await fetchAs({ ENVIRONMENT: "development", SMS_GATEWAY_URL: undefined, SMS_GATEWAY_TOKEN: undefined }, "/health");
    expect(dev.status).toBe(200);
    expect(await dev.json()).toEqual({ status: "ok" });
  });

  it("ICE servers without a TURN key answer 503 service_unavailable in production", async () => {
    const anna = await signIn();
    const res = await fetchAs({ TURN_KEY_ID: undefined, TURN_KEY_API_TOKEN: undefined }, "/api/v1/calls/ice-servers", {
      method: "POST",
      headers: { authorization: `Bearer ${anna.accessToken}` },
    });
    await expectProblem(res, 503, "service_unavailable");
  });

  it("sign-in codes without an SMS gateway answer 503 service_unavailable and store nothing", async () => {
    const phone = freshPhone();
    const res = await fetchAs({ SMS_GATEWAY_URL: undefined, SMS_GATEWAY_TOKEN: undefined }, "/api/v1/auth/otp", json({ phone }));
    await expectProblem(res, 503, "service_unavailable");
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(await count("SELECT COUNT(*) AS n FROM otp_codes WHERE phone = ?1", phone)).toBe(0);
  });

  it("payments without a provider answer 503 service_unavailable and leave the bill unpaid, its key unclaimed", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const issued = await callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
      token: agency.token,
      body: { citizenPhone: anna.phone, amount: 5000, currency: "RUB", purpose: "Пошлина", externalRef: "prod-1" },
    });
    expect(issued.status).toBe(201);
    const billId = issued.body.bill.id;
    const pay = json(
      { method: "card", card: { number: "4242424242424242", expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: "123" } },
      { authorization: `Bearer ${anna.accessToken}`, "idempotency-key": "prod-key-1" },
    );
    await expectProblem(await fetchAs(SMS, `/api/v1/bills/${billId}/pay`, pay), 503, "service_unavailable");
    const bill = await callJson<{ bill: { status: string }; payments: unknown[] }>(`/api/v1/bills/${billId}`, { token: anna.accessToken });
    expect(bill.body).toMatchObject({ bill: { status: "unpaid" }, payments: [] });
    // The same key still pays once a provider exists (development's sandbox here).
    const paid = await fetchAs({ ENVIRONMENT: "development" }, `/api/v1/bills/${billId}/pay`, pay);
    expect(paid.status).toBe(201);
  });

  it("without the server's keys, the API answers 503 service_unavailable, not 500", async () => {
    for (const name of ["JWT_PRIVATE_KEYS", "CREDENTIAL_HASH_KEY", "DATA_ENCRYPTION_KEY"] as const) {
      await expectProblem(await fetchAs({ ...SMS, [name]: undefined }, "/api/v1/agencies"), 503, "service_unavailable");
      await expectProblem(await fetchAs({ ...SMS, [name]: undefined }, "/.well-known/jwks.json"), 503, "service_unavailable");
    }
  });
});

describe("production surface", () => {
  it("the OpenAPI document lists dev routes in development only", async () => {
    const paths = async (mode: string) => {
      const res = await fetchAs({ ENVIRONMENT: mode, ...SMS }, "/api/openapi.json");
      expect(res.status).toBe(200);
      return Object.keys(((await res.json()) as { paths: Record<string, unknown> }).paths);
    };
    const dev = await paths("development");
    expect(dev).toEqual(expect.arrayContaining(["/api/v1/dev/otp", "/api/v1/dev/agencies", "/api/v1/dev/payments/{id}/confirm"]));
    const prod = await paths("production");
    expect(prod.filter((p) => p.includes("/dev/"))).toEqual([]);
    expect(prod).toEqual(expect.arrayContaining(["/api/v1/auth/otp", "/api/v1/agency/bills", "/api/v1/media/uploads/{id}/complete"]));
    expect(prod.length).toBe(dev.filter((p) => !p.startsWith("/api/v1/dev/")).length);
  });

  it("production responses carry Strict-Transport-Security, errors included; development ones do not", async () => {
    for (const path of ["/api/v1/agencies", "/api/v1/nope", "/health", "/api/openapi.json"]) {
      const res = await fetchAs(SMS, path);
      expect(res.headers.get("strict-transport-security"), path).toBe("max-age=31536000; includeSubDomains");
    }
    const dev = await fetchAs({ ENVIRONMENT: "development" }, "/api/v1/agencies");
    expect(dev.status).toBe(200);
    expect(dev.headers.get("strict-transport-security")).toBeNull();
  });
});
