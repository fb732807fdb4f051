import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { getAgency, webhookSecret } from "../agencies/store";
import { normalizePhone } from "../auth/phone";
import { SignedInBody, signInPhone } from "../auth/routes";
import { lastDevCode } from "../auth/sms";
import { timingSafeEqual } from "../lib/crypto";
import { d1Statements } from "../lib/d1-count";
import { ApiError, notFound, unauthorized } from "../lib/errors";
import { json, jsonBody, problems, router } from "../lib/hono";
import { log } from "../lib/log";
import { signature } from "../webhooks/deliver";

/**
 * Development helpers. The app mounts them behind a check of ENVIRONMENT (see app.ts), and the production
 * bundle leaves them out altogether (wrangler.toml defines DEV_ROUTES false there): built by a function,
 * so nothing of this module runs, or ships, unless it is called.
 */
export function devRoutes() {
  const R2Key = z.object({ key: z.string().regex(/^bench-[A-Za-z0-9_-]{1,64}$/) });
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/dev/d1-statements",
        operationId: "devListD1Statements",
        security: [],
        tags: ["development"],
        summary: "Dev only: how many D1 statements this server (the Worker and its Durable Objects) has run since it started",
        description: "The benchmark and the tests read it before and after a run to count statements per message (docs/performance.md).",
        responses: { 200: json(z.object({ statements: z.number().int() }), "The count.") },
      }),
      (c) => c.json({ statements: d1Statements() }, 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/dev/r2/{key}",
        operationId: "devPutR2Object",
        security: [],
        tags: ["development"],
        summary: "Dev only: a plain R2 put of the raw body (the benchmark's floor for media uploads)",
        request: { params: R2Key },
        responses: { 204: { description: "Stored." }, ...problems([411, "length_required"]) },
      }),
      async (c) => {
        const length = c.req.header("content-length");
        if (!length || !c.req.raw.body) throw new ApiError(411, "length_required", "Send Content-Length.");
        await c.env.MEDIA.put(c.req.valid("param").key, c.req.raw.body);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/dev/r2/{key}",
        operationId: "devGetR2Object",
        security: [],
        tags: ["development"],
        summary: "Dev only: a plain R2 get (the benchmark's floor for media downloads)",
        request: { params: R2Key },
        responses: { 200: { description: "The bytes." }, ...problems([404, "not_found"]) },
      }),
      async (c) => {
        const object = await c.env.MEDIA.get(c.req.valid("param").key);
        if (!object) throw notFound("object");
        return new Response(object.body, { headers: { "content-length": String(object.size) } });
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/dev/sessions",
        operationId: "devCreateSession",
        security: [],
        tags: ["development"],
        summary: "Dev only: sign a phone in without a code (benchmarks, browser tests, demos)",
        request: {
          body: jsonBody(z.object({ phone: z.string().max(40), deviceName: z.string().trim().min(1).max(100).optional() }).strict()),
        },
        responses: { 200: json(SignedInBody, "Signed in; a new session was created."), ...problems([400, "invalid_phone"]) },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const phone = await normalizePhone(c.env, body.phone);
        if (!phone) throw new ApiError(400, "invalid_phone", "That is not a phone number.");
        return c.json(await signInPhone(c.env, phone, body.deviceName ?? null), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/dev/otp",
        operationId: "devGetOtp",
        security: [],
        tags: ["development"],
        summary: "Dev only: the last sign-in code sent to a phone",
        request: { query: z.object({ phone: z.string().max(40) }) },
        responses: { 200: json(z.object({ code: z.string() }), "The code."), ...problems([400, "invalid_phone"], [404, "not_found"]) },
      }),
      async (c) => {
        const phone = await normalizePhone(c.env, c.req.valid("query").phone);
        if (!phone) throw new ApiError(400, "invalid_phone", "That is not a phone number.");
        const code = await lastDevCode(c.env.DB, phone);
        if (!code) throw notFound("code");
        return c.json({ code }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/dev/webhook-sink",
        operationId: "devReceiveWebhook",
        security: [],
        tags: ["development"],
        summary: "Dev only: a webhook receiver for the demo agencies; it checks the Veche-Signature as an agency would",
        responses: { 204: { description: "Received; the signature is valid." }, ...problems([401, "invalid_signature"]) },
      }),
      async (c) => {
        const body = await c.req.text();
        const header = c.req.header("veche-signature") ?? "";
        const t = Number(header.match(/^t=(\d+),/)?.[1] ?? Number.NaN);
        let event: { agencyId?: unknown; type?: unknown } = {};
        try {
          event = JSON.parse(body);
        } catch {
          throw new ApiError(400, "malformed_json", "The body is not JSON.");
        }
        const agency = typeof event.agencyId === "string" ? await getAgency(c.env.DB, event.agencyId) : null;
        const expected = agency ? await signature(await webhookSecret(c.env, agency), body, t * 1000) : "";
        // Five minutes of tolerance, as an agency's receiver should allow for clock skew and retries.
        if (!agency || !Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > 300 || !timingSafeEqual(header, expected))
          throw unauthorized("invalid_signature", "The Veche-Signature does not match the body.");
        log.info("demo webhook received", { agencyId: agency.id, type: String(event.type) });
        return c.body(null, 204);
      },
    );
}
