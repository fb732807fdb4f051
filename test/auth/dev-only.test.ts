import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { BASE, expectProblem, freshPhone, requestCode } from "../helpers";

// Dev-only endpoints answer 404 in any mode but development. The real Worker entry point is called with
// the test bindings, changing nothing but ENVIRONMENT.

async function fetchAs(environment: string, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(BASE + path, init), { ...env, ENVIRONMENT: environment as Env["ENVIRONMENT"] }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("dev-only endpoints", () => {
  it("GET /api/v1/dev/otp gives the last code in development", async () => {
    const phone = freshPhone();
    const code = await requestCode(phone);
    const res = await fetchAs("development", `/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code });
  });

  it("GET /api/v1/dev/otp answers 404 in production, and in any other mode, even for a phone that has a code", async () => {
    const phone = freshPhone();
    await requestCode(phone);
    for (const mode of ["production", "staging", ""]) {
      const res = await fetchAs(mode, `/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
      const problem = await expectProblem(res, 404, "not_found");
      expect(JSON.stringify(problem)).not.toMatch(/\b\d{6}\b/);
    }
  });

  it("any other dev path answers 404 in production", async () => {
    const res = await fetchAs("production", "/api/v1/dev/agencies", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Fake Agency" }),
    });
    await expectProblem(res, 404, "not_found");
  });

  it("POST /api/v1/dev/sessions signs a phone in without a code in development only", async () => {
    const phone = freshPhone();
    const init = () => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone, deviceName: "bench" }),
    });
    await expectProblem(await fetchAs("production", "/api/v1/dev/sessions", init()), 404, "not_found");
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE phone = ?").bind(phone).first<{ n: number }>())?.n;
    expect(await count()).toBe(0);

    const res = await fetchAs("development", "/api/v1/dev/sessions", init());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accessToken: string; user: { phone: string } };
    expect(body.user.phone).toBe(phone);
    const me = await fetchAs("development", "/api/v1/me", { headers: { authorization: `Bearer ${body.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await count()).toBe(1);
  });
});
