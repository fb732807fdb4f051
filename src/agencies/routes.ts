import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireAgency } from "../auth/middleware";
import { ACCESS_TOKEN_TTL_SEC, signAccessToken } from "../auth/tokens";
import { ApiError, notFound, unauthorized } from "../lib/errors";
import { agencySecurity, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { displayableName } from "../lib/names";
import { checkOutboundUrl } from "../lib/outbound-url";
import { issuerUrl } from "../records/issue";
import { type AgencyRow, agencyJwks, checkCredentials, createAgency, getAgency, listAgencies, publicAgency } from "./store";

const Agency = z.object({ id: z.string(), name: z.string(), verified: z.boolean(), logoUrl: z.string().nullable() }).openapi("Agency");

/** A directory entry: with the agency's issuer identifier, so an offline verifier can match a credential's `iss` to it exactly. */
const DirectoryAgency = Agency.extend({
  issuer: z.string().openapi({ description: "The `iss` of the agency's records; its keys are at `/api/v1/agencies/{id}/jwks.json`." }),
}).openapi("DirectoryAgency");

const AgencyProfile = z
  .object({
    id: z.string(),
    name: z.string(),
    verified: z.boolean(),
    logoUrl: z.string().nullable(),
    webhookUrl: z.string().nullable(),
    scopes: z.array(z.string()),
  })
  .openapi("AgencyProfile");

const toProfile = (a: AgencyRow) => ({ ...publicAgency(a), webhookUrl: a.webhook_url, scopes: a.scopes.split(" ") });

/**
 * A webhook URL: https (plain http only in development, for local receivers), no credentials in it, since
 * URLs end up in logs and consoles; the signature is what authenticates us to the agency.
 */
const WebhookUrl = z
  .string()
  .url()
  .max(2000)
  .refine((u) => {
    // Refinements run even when .url() has already failed.
    const url = URL.canParse(u) ? new URL(u) : null;
    return url !== null && (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
  }, "an http(s) URL without credentials");

/** An agency's name, as citizens see it beside its messages and bills: nothing that hides or reorders text. */
export const AgencyName = z.string().superRefine(displayableName).trim().min(1).max(200);

/**
 * The address policy on top of WebhookUrl's syntax (src/lib/outbound-url.ts): `https` in production, never an
 * internal address or local name; in development `http://127.0.0.1:<port>` too. Refused: `400 invalid_webhook_url`.
 */
function checkWebhookUrl(env: Env, webhookUrl: string): void {
  const check = checkOutboundUrl(webhookUrl, { development: env.ENVIRONMENT === "development" });
  if (!check.ok)
    throw new ApiError(400, "invalid_webhook_url", `Webhook URLs must be https and public: ${check.reason}.`, {
      errors: [{ path: "webhookUrl", message: check.reason }],
    });
}

export const agencyAuth = router().openapi(
  createRoute({
    method: "post",
    path: "/agency/token",
    operationId: "getAgencyToken",
    security: [],
    tags: ["agencies"],
    summary: "An agency access token from client credentials",
    description: "The token has `typ: at+jwt`, audience `veche:agency`, the agency id as `sub`, and its scopes in `scope`.",
    request: { body: jsonBody(z.object({ clientId: z.string().min(1).max(100), clientSecret: z.string().min(1).max(200) }).strict()) },
    responses: {
      200: json(z.object({ accessToken: z.string(), expiresIn: z.number().int() }), "The token."),
      ...problems([401, "invalid_client"]),
    },
  }),
  async (c) => {
    const { clientId, clientSecret } = c.req.valid("json");
    const agency = await checkCredentials(c.env, clientId, clientSecret);
    if (!agency) throw unauthorized("invalid_client", "Unknown client or wrong secret.");
    const accessToken = await signAccessToken(c.env, { kind: "agency", sub: agency.id, sid: newId(), scope: agency.scopes.split(" ") });
    return c.json({ accessToken, expiresIn: ACCESS_TOKEN_TTL_SEC }, 200);
  },
);

/** The calling agency's own settings, for its console. */
export const agencySelf = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/me",
      operationId: "getAgency",
      tags: ["agencies"],
      summary: "The calling agency: name, verification, scopes, webhook URL",
      security: agencySecurity,
      middleware: requireAgency(),
      responses: { 200: json(z.object({ agency: AgencyProfile }), "The agency."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      if (!agency) throw notFound("agency");
      return c.json({ agency: toProfile(agency) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/agency/me",
      operationId: "updateAgency",
      tags: ["agencies"],
      summary: "Set (or clear, with null) the webhook URL",
      description:
        "Events are signed with the agency's webhook secret (Veche-Signature). The URL must be https (in production) and public: a loopback, private, link-local, CGNAT or unspecified address, in any notation, or a local name such as `localhost` answers `400 invalid_webhook_url` and is not stored. Development also allows `http://127.0.0.1:<port>`.",
      security: agencySecurity,
      middleware: requireAgency(),
      request: { body: jsonBody(z.object({ webhookUrl: WebhookUrl.nullable() }).strict()) },
      responses: {
        200: json(z.object({ agency: AgencyProfile }), "Saved."),
        ...problems([400, "validation_failed, invalid_webhook_url"], [401, "unauthorized"]),
      },
    }),
    async (c) => {
      const { webhookUrl } = c.req.valid("json");
      if (webhookUrl) checkWebhookUrl(c.env, webhookUrl);
      const agency = await c.env.DB.prepare("UPDATE agencies SET webhook_url = ?2 WHERE id = ?1 RETURNING *")
        .bind(c.var.agency.agencyId, webhookUrl)
        .first<AgencyRow>();
      if (!agency) throw notFound("agency");
      return c.json({ agency: toProfile(agency) }, 200);
    },
  );

export const agencyDirectory = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/agencies",
      operationId: "listAgencies",
      security: [],
      tags: ["agencies"],
      summary: "The directory of agencies",
      responses: { 200: json(z.object({ agencies: z.array(DirectoryAgency) }), "Agencies.") },
    }),
    async (c) =>
      c.json({ agencies: (await listAgencies(c.env.DB)).map((a) => ({ ...publicAgency(a), issuer: issuerUrl(c.env, a.id) })) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agencies/{id}/jwks.json",
      operationId: "getAgencyJwks",
      security: [],
      tags: ["agencies"],
      summary: "An agency's public signing keys, to verify its records offline",
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: json(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "The JWKS."),
        ...problems([404, "not_found"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await getAgency(c.env.DB, id))) throw notFound("agency");
      c.header("cache-control", "public, max-age=300");
      return c.json(await agencyJwks(c.env.DB, id), 200);
    },
  );

/** Mounted under /api/v1 with the other development helpers (app.ts); a function, so production ships none of it. */
export const devAgencies = () =>
  router().openapi(
    createRoute({
      method: "post",
      path: "/dev/agencies",
      operationId: "devCreateAgency",
      security: [],
      tags: ["development"],
      summary: "Dev only: a new verified agency for demos and tests",
      request: {
        body: jsonBody(z.object({ name: AgencyName, webhookUrl: WebhookUrl.optional() }).strict()),
      },
      responses: {
        201: json(
          z.object({ agency: Agency, clientId: z.string(), clientSecret: z.string(), webhookSecret: z.string() }),
          "Created; the secrets are shown once.",
        ),
        ...problems([400, "validation_failed, invalid_webhook_url"]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.webhookUrl) checkWebhookUrl(c.env, body.webhookUrl);
      const created = await createAgency(c.env, { name: body.name, webhookUrl: body.webhookUrl ?? null });
      return c.json(
        {
          agency: publicAgency(created.agency),
          clientId: created.clientId,
          clientSecret: created.clientSecret,
          webhookSecret: created.webhookSecret,
        },
        201,
      );
    },
  );
