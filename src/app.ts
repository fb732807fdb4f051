import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { agencyIdentity } from "./agencies/reattach";
import { agencyAuth, agencyDirectory, agencySelf, devAgencies } from "./agencies/routes";
import { accessLog } from "./audit/routes";
import { auth, jwks } from "./auth/routes";
import { agencyBills, citizenBills, devPayments } from "./bills/routes";
import { callRoutes } from "./chat/calls/routes";
import { channels } from "./chat/channels";
import { chats } from "./chat/routes";
import { sockets } from "./chat/sockets";
import { agencyConsents, citizenConsents } from "./consents/routes";
import { demoPending } from "./dev/demo";
import { devRoutes } from "./dev/routes";
import { agencyForms, citizenForms } from "./forms/routes";
import { keys } from "./keys/routes";
import { missingConfig, requireService } from "./lib/config";
import { ApiError, notFound, problemResponse } from "./lib/errors";
import type { AppEnv } from "./lib/hono";
import { newId } from "./lib/ids";
import { errorFields, log } from "./lib/log";
import { mediaRoutes } from "./media/routes";
import { push } from "./push/routes";
import { agencyRecordTypes, publicRecordTypes } from "./records/record-types";
import { agencyRecords, citizenRecords, statusLists, verification } from "./records/routes";
import { recordTransfers } from "./records/transfers";
import { reportRoutes } from "./safety/reports";
import { safety } from "./safety/routes";
import { directory, me } from "./users/routes";
import { agencyWebhooks } from "./webhooks/routes";

/** Sent on every production response (and by the static assets' `_headers`, scripts/build-web.mjs). */
export const HSTS = "max-age=31536000; includeSubDomains";

/** JSON bodies larger than this are refused before they are parsed. Media uploads have their own limits. */
export const JSON_BODY_LIMIT = 64 * 1024;

const HTTP_CODES: Record<number, [string, string]> = {
  400: ["bad_request", "The request could not be understood."],
  404: ["not_found", "There is nothing here."],
  405: ["method_not_allowed", "That method is not allowed here."],
  413: ["payload_too_large", "The request body is too large."],
};

function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /Malformed JSON/i.test(err.message)) {
      return new ApiError(400, "malformed_json", "The request body is not valid JSON.");
    }
    const [code, detail] = HTTP_CODES[err.status] ?? ["http_error", "The request failed."];
    return new ApiError(err.status as ApiError["status"], code, detail);
  }
  return null;
}

/**
 * The path as logged: an invite link's token is a secret that rides in the path (POST /invites/{token}/join,
 * DELETE /chats/{chatId}/invites/{token}), so it is replaced by a placeholder.
 */
export const loggedPath = (path: string): string => path.replace(/^(\/api\/v1\/(?:chats\/[^/]+\/)?invites\/)[^/]+/, "$1:token");

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  // Request id and one access-log line per request. The path is logged without its query string,
  // which may carry a ticket, and without invite tokens (loggedPath).
  app.use("*", async (c, next) => {
    const requestId = c.req.header("cf-ray") ?? newId();
    c.set("requestId", requestId);
    const started = Date.now();
    await next();
    c.header("x-request-id", requestId);
    // Production is HTTPS only (a custom domain); browsers are told never to try plain HTTP for a year.
    if (c.env.ENVIRONMENT === "production") c.header("strict-transport-security", HSTS);
    log.info("request", { requestId, method: c.req.method, path: loggedPath(c.req.path), status: c.res.status, ms: Date.now() - started });
  });

  // Media uploads stream raw bytes with limits of their own; every other body is JSON.
  const rawUpload = (c: { req: { method: string; path: string } }) =>
    (c.req.method === "POST" && c.req.path === "/api/v1/media") ||
    (c.req.method === "PUT" && /^\/api\/v1\/(media\/uploads\/[^/]+\/parts\/[^/]+|dev\/r2\/[^/]+)$/.test(c.req.path));
  const jsonLimit = bodyLimit({
    maxSize: JSON_BODY_LIMIT,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `JSON bodies are limited to ${JSON_BODY_LIMIT} bytes.`);
    },
  });
  app.use("/api/*", async (c, next) => (rawUpload(c) ? next() : jsonLimit(c, next)));

  // A body must be JSON: anything else would reach the schemas as an empty object and
  // produce confusing field errors.
  app.use("/api/*", async (c, next) => {
    if (rawUpload(c)) return next();
    const hasBody = c.req.raw.body !== null && c.req.method !== "GET" && c.req.method !== "HEAD";
    const type = c.req.header("content-type") ?? "";
    if (hasBody && Number(c.req.header("content-length") ?? "1") > 0 && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
      throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
    }
    await next();
  });

  app.use("/api/v1/dev/*", async (c, next) => {
    if (c.env.ENVIRONMENT !== "development") throw notFound();
    await next();
  });

  // Ready means every configured capability can serve: a deploy without its SMS gateway, payment
  // provider or secrets is reported here by name (values never), not discovered as 500s.
  app.get("/health", async (c) => {
    const missing = missingConfig(c.env);
    if (Object.keys(missing).length > 0) return c.json({ status: "not_ready", missing }, 503);
    if (await demoPending(c.env)) {
      c.header("retry-after", "1");
      return c.json(
        { status: "not_ready", pending: "demo_data", detail: "The demo data is still being created; try again in a moment." },
        503,
      );
    }
    return c.json({ status: "ok" });
  });

  // Nothing but /health works without the server's keys (tokens, sealed data), or with a residency setting
  // that cannot be honoured (nothing may be stored outside it): a clear 503, not a 500.
  app.use("*", async (c, next) => {
    if (c.req.path !== "/health") {
      requireService(c.env, "keys");
      requireService(c.env, "residency");
    }
    await next();
  });
  app.route("/", jwks);
  app.route("/api/v1", auth);
  app.route("/api/v1", me);
  app.route("/api/v1", directory);
  app.route("/api/v1", keys);
  app.route("/api/v1", safety);
  app.route("/api/v1", reportRoutes);
  app.route("/api/v1", chats);
  app.route("/api/v1", channels);
  app.route("/api/v1", sockets);
  app.route("/api/v1", callRoutes);
  app.route("/api/v1", mediaRoutes);
  app.route("/api/v1", agencyAuth);
  app.route("/api/v1", agencySelf);
  app.route("/api/v1", agencyWebhooks);
  app.route("/api/v1", agencyIdentity);
  app.route("/api/v1", agencyDirectory);
  app.route("/api/v1", agencyBills);
  app.route("/api/v1", citizenBills);
  app.route("/api/v1", accessLog);
  app.route("/api/v1", agencyRecords);
  // Before citizenRecords, whose GET /records/{id} would otherwise take /records/transfers.
  app.route("/api/v1", recordTransfers);
  app.route("/api/v1", citizenRecords);
  app.route("/api/v1", statusLists);
  app.route("/api/v1", verification);
  app.route("/api/v1", agencyRecordTypes);
  app.route("/api/v1", publicRecordTypes);
  app.route("/api/v1", agencyConsents);
  app.route("/api/v1", citizenConsents);
  app.route("/api/v1", agencyForms);
  app.route("/api/v1", citizenForms);
  app.route("/api/v1", push);
  // Production bundles define DEV_ROUTES false (wrangler.toml), which drops the module; elsewhere it is undefined.
  if (typeof DEV_ROUTES === "undefined" || DEV_ROUTES) {
    app.route("/api/v1", devRoutes());
    app.route("/api/v1", devAgencies());
    app.route("/api/v1", devPayments());
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "citizen", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A citizen access token from /api/v1/auth/verify or /api/v1/auth/refresh.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "agency", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An agency access token from /api/v1/agency/token (client credentials).",
  });
  // Dev-only routes answer 404 outside development, so they are not documented there either.
  app.get("/api/openapi.json", (c) => {
    const doc = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Veche API",
        version: "1.0.0",
        description: "Messenger and citizen services. Errors are RFC 9457 problem+json with a stable `code`.",
      },
      servers: [{ url: new URL(c.req.url).origin }],
    });
    if (c.env.ENVIRONMENT !== "development" && doc.paths) {
      for (const path of Object.keys(doc.paths)) if (path.startsWith("/api/v1/dev/")) delete doc.paths[path];
    }
    return c.json(doc);
  });

  app.notFound(() => {
    throw notFound();
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId");
    const apiError = toApiError(err);
    if (apiError) return problemResponse(apiError, requestId);
    log.error("unhandled error", { requestId, method: c.req.method, path: loggedPath(c.req.path), ...errorFields(err) });
    return problemResponse(
      new ApiError(500, "internal_error", "Something went wrong on our side; it has been logged. Try again."),
      requestId,
    );
  });

  return app;
}
