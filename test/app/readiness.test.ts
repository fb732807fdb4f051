// Readiness and data residency: `/health` says ready only when `npm start`'s demo data is in, and a residency
// setting that cannot be honoured refuses everything but /health before anything is stored. The real app with
// the test bindings, some overridden per request as a deployment's configuration would.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { inboxStub, roomStub } from "../../src/chat/access";
import { BASE, callJson, expectProblem, freshPhone, newAgency, newChat, signIn } from "../helpers";

const app = createApp();
const PRODUCTION = { ENVIRONMENT: "production", SMS_GATEWAY_URL: "https://sms.example/send", SMS_GATEWAY_TOKEN: "sms-token" };

type Overrides = Partial<Record<keyof Env, string | undefined>>;
const withConfig = (overrides: Overrides) => ({ ...env, ...overrides }) as Env;

async function fetchAs(overrides: Overrides, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(BASE + path, init), withConfig(overrides), ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("readiness with the demo data (npm start)", () => {
  // Keep this first: it needs this file's fresh D1, where the demo's last step has not happened yet.
  it("/health answers 503 demo_data until the demo's consent request is in, then 200; without a demo, 200 at once", async () => {
    const before = await fetchAs({ DEMO_DATA: "expected" }, "/health");
    expect(before.status).toBe(503);
    expect(before.headers.get("retry-after")).toBe("1");
    expect(await before.json()).toMatchObject({ status: "not_ready", pending: "demo_data" });
    // Tests and the benchmark start no demo: ready as soon as the configuration is.
    const plain = await fetchAs({}, "/health");
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ status: "ok" });

    // The seed's last step (scripts/seed.mjs): an agency asks a citizen for consent.
    const agency = await newAgency("Налоговая служба (тест)");
    const anna = await signIn();
    const asked = await callJson("/api/v1/agency/consent-requests", {
      token: agency.token,
      body: {
        citizenPhone: anna.phone,
        scope: "records:driving_licence",
        purpose: "Сверка категорий прав",
        expiresAt: new Date(Date.now() + 86400_000).toISOString(),
      },
    });
    expect(asked.status).toBe(201);
    const after = await fetchAs({ DEMO_DATA: "expected" }, "/health");
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: "ok" });
  });
});

describe("data residency (JURISDICTION)", () => {
  it("a value no storage product offers: /health names JURISDICTION, the API answers 503 and stores nothing", async () => {
    for (const value of ["ru", "EU", "fedramp-high"]) {
      const health = await fetchAs({ ...PRODUCTION, JURISDICTION: value }, "/health");
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: "not_ready", missing: { residency: ["JURISDICTION"] } });
    }
    const phone = freshPhone();
    const otp = await fetchAs({ ...PRODUCTION, JURISDICTION: "ru" }, "/api/v1/auth/otp", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone }),
    });
    await expectProblem(otp, 503, "service_unavailable");
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM otp_codes WHERE phone = ?1").bind(phone).first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });

  it("development refuses any jurisdiction (the local runtime has none) instead of storing outside it", async () => {
    const health = await fetchAs({ JURISDICTION: "eu" }, "/health");
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ missing: { residency: ["JURISDICTION"] } });
    await expectProblem(await fetchAs({ JURISDICTION: "eu" }, "/api/v1/agencies"), 503, "service_unavailable");
    // Unset, it is ready.
    expect((await fetchAs({ JURISDICTION: "" }, "/health")).status).toBe(200);
  });

  it("with a jurisdiction, every stub is made through the namespace's jurisdiction(), which workerd answers locally", () => {
    // The platform restricts the objects; workerd has no jurisdictions and says so, which is as far as the
    // local runtime goes: reaching this error proves rooms and inboxes are not made from the bare binding.
    for (const value of ["eu", "us", "fedramp"]) {
      const configured = withConfig({ ...PRODUCTION, JURISDICTION: value });
      expect(() => roomStub(configured, "chat-1")).toThrow(/Jurisdiction restrictions are not implemented in workerd/);
      expect(() => inboxStub(configured, "user-1")).toThrow(/Jurisdiction restrictions are not implemented in workerd/);
    }
  });

  it("without one, ids are the binding's own, stable across calls, and the objects keep their state", async () => {
    const anna = await signIn();
    const chat = await newChat(anna.accessToken, { type: "group", title: "Дом", memberIds: [] });
    const unset = withConfig({ ...PRODUCTION, JURISDICTION: "" });
    const room = roomStub(unset, chat.id);
    expect(room.id.equals(env.CHAT_ROOM.idFromName(chat.id))).toBe(true);
    expect(room.id.equals(roomStub(unset, chat.id).id)).toBe(true);
    expect(inboxStub(unset, anna.user.id).id.equals(env.INBOX.idFromName(anna.user.id))).toBe(true);
    // The room made through the helper is the one the API created: it knows its member.
    const access = await room.access(chat.id, anna.user.id);
    expect(access).toMatchObject({ ok: true, value: { type: "group", role: "owner" } });
  });
});
