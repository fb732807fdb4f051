import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem } from "../helpers";

describe("platform", () => {
  it("answers /health once ready", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const { status, body } = await callJson<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>("/api/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    for (const [path, method] of [
      ["/api/v1/auth/otp", "post"],
      ["/api/v1/auth/verify", "post"],
      ["/api/v1/auth/refresh", "post"],
      ["/api/v1/auth/logout", "post"],
      ["/api/v1/sessions", "get"],
      ["/api/v1/sessions/{id}", "delete"],
      ["/api/v1/me", "patch"],
      ["/api/v1/users/{id}", "get"],
      ["/.well-known/jwks.json", "get"],
    ] as const) {
      expect(body.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(body.components.schemas.Problem).toBeDefined();
  });

  it("answers unknown paths with a problem", async () => {
    await expectProblem(await call("/api/v1/nope"), 404, "not_found");
  });

  it("answers malformed JSON with malformed_json and changes nothing", async () => {
    const res = await call("/api/v1/auth/otp", { method: "POST", rawBody: '{"phone": ', headers: { "content-type": "application/json" } });
    await expectProblem(res, 400, "malformed_json");
  });

  it("refuses bodies that are not JSON", async () => {
    const res = await call("/api/v1/auth/otp", {
      method: "POST",
      rawBody: "phone=+79161234567",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    await expectProblem(res, 415, "unsupported_media_type");
  });

  it("refuses huge bodies before parsing them", async () => {
    const res = await call("/api/v1/auth/otp", { body: { phone: "+79161234567", pad: "x".repeat(200_000) } });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("lists field errors for bodies of the wrong shape", async () => {
    const res = await call("/api/v1/auth/otp", { body: { phone: 79161234567 } });
    const problem = await expectProblem(res, 400, "validation_failed");
    expect(problem.errors).toEqual([expect.objectContaining({ path: "phone" })]);
  });
});
