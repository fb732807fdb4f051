// The OpenAPI document as client generators and the API reference (/api/docs) read it: every operation
// has a stable, unique camelCase operationId (generated clients name their methods after it) and a
// summary, and its `security` says the truth: `[]` exactly on the operations that answer without a token.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE, call, freshAddress } from "../helpers";

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const app = createApp();

async function documentIn(environment: "development" | "production"): Promise<Doc> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}/api/openapi.json`), { ...env, ENVIRONMENT: environment } as Env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );

describe("OpenAPI operations", () => {
  for (const environment of ["development", "production"] as const) {
    it(`every operation in ${environment} has a unique camelCase operationId and a summary`, async () => {
      const ops = operations(await documentIn(environment));
      expect(ops.length).toBeGreaterThan(90);
      const ids = new Map<string, string>();
      for (const { method, path, op } of ops) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        expect(ids.get(op.operationId as string), `${where} reuses the operationId of`).toBeUndefined();
        ids.set(op.operationId as string, where);
        expect(op.summary?.trim(), where).toBeTruthy();
        expect(op.security, `${where} declares its security`).toBeDefined();
      }
    });
  }

  it("operationIds are stable: generated clients name their methods after them, so these stay on these operations", async () => {
    const ops = operations(await documentIn("production"));
    const byId = Object.fromEntries(ops.map(({ method, path, op }) => [op.operationId, `${method} ${path}`]));
    expect(byId).toMatchObject({
      requestSignInCode: "post /api/v1/auth/otp",
      verifySignInCode: "post /api/v1/auth/verify",
      refreshTokens: "post /api/v1/auth/refresh",
      getMe: "get /api/v1/me",
      listChats: "get /api/v1/chats",
      sendMessage: "post /api/v1/chats/{chatId}/messages",
      openChatSocket: "get /api/v1/chats/{chatId}/ws",
      uploadMedia: "post /api/v1/media",
      getAgencyToken: "post /api/v1/agency/token",
      issueBill: "post /api/v1/agency/bills",
      payBill: "post /api/v1/bills/{id}/pay",
      verifyPresentation: "post /api/v1/verify",
      submitForm: "post /api/v1/forms/{id}/submissions",
    });
  });

  it("`security: []` is on exactly the operations that answer without a token; the others answer 401 without one", async () => {
    const ops = operations(await documentIn("development"));
    const open: string[] = [];
    for (const { method, path, op } of ops) {
      const security = op.security ?? [];
      // WebSockets also take a one-time ticket instead of a token (an empty requirement among the others).
      const optional = security.some((s) => Object.keys(s).length === 0);
      if (optional && security.length > 1) continue;
      const url = path.replace(/\{[^}]+\}/g, "x");
      const init = method === "get" || method === "delete" ? { method: method.toUpperCase() } : { method: method.toUpperCase(), body: {} };
      // An empty body: a public operation refuses it (400) or finds nothing (404), and changes nothing.
      const res = await call(url, { ...init, headers: { "cf-connecting-ip": freshAddress() } });
      const text = await res.text();
      // `unauthorized` is the answer to a missing token (a public receiver may still refuse a bad signature).
      const code = res.status === 401 ? (JSON.parse(text) as { code: string }).code : null;
      const where = `${method.toUpperCase()} ${path}`;
      if (security.length === 0) {
        open.push(where);
        expect(code, `${where} is documented as public`).not.toBe("unauthorized");
      } else {
        expect([res.status, code], `${where} is documented as needing a token`).toEqual([401, "unauthorized"]);
      }
    }
    // Sign-in, the public key sets (the VAPID key among them), the agency directory, record types and verification; and the dev helpers.
    expect(open).toEqual(
      expect.arrayContaining([
        "GET /.well-known/jwks.json",
        "POST /api/v1/auth/otp",
        "POST /api/v1/auth/verify",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/agency/token",
        "GET /api/v1/agencies",
        "GET /api/v1/agencies/{id}/jwks.json",
        "GET /api/v1/agencies/{id}/status-list",
        "GET /api/v1/agencies/{id}/record-types",
        "POST /api/v1/verify",
        "GET /api/v1/push/vapid",
        "GET /api/v1/dev/otp",
      ]),
    );
    expect(open.filter((o) => !o.includes("/dev/")).length).toBe(11);
  });
});
