import { createRoute } from "@hono/zod-openapi";
import { base64url as joseBase64url } from "jose";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { inboxStub } from "../chat/access";
import { MAX_SUBSCRIPTIONS } from "../chat/inbox/subscriptions";
import { requireService } from "../lib/config";
import { ApiError, notFound, unauthorized } from "../lib/errors";
import { citizenSecurity, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { checkPushEndpoint, PUSH_SERVICES } from "./endpoints";
import { vapid } from "./vapid";

/** The user's, for all their devices. */
const PushSettings = z
  .object({
    previews: z.boolean().openapi({
      description: "Whether pushes carry the message's text. Off (the default): they say who wrote, and where, but not what.",
    }),
  })
  .strict()
  .openapi("PushSettings");

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

const Subscribe = z
  .object({
    endpoint: z
      .string()
      .max(2048)
      .openapi({
        description: `The PushSubscription's endpoint. Production takes only browser push services: ${PUSH_SERVICES.join(", ")}.`,
      }),
    keys: z.object({
      p256dh: z.string().max(200).openapi({ description: "base64url of the browser's uncompressed P-256 public key (65 bytes)." }),
      auth: z.string().max(100).openapi({ description: "base64url of the browser's 16-byte authentication secret." }),
    }),
  })
  .openapi("PushSubscriptionInput");

/** The bytes of a base64url value (padding tolerated), or null. */
function bytesOf(value: string): Uint8Array | null {
  if (!B64URL.test(value)) return null;
  try {
    return joseBase64url.decode(value.replace(/=+$/, ""));
  } catch {
    return null;
  }
}

/** RFC 8291 §3.2: p256dh is an uncompressed point on P-256, auth 16 bytes. Returns them normalised (unpadded). */
async function checkKeys(keys: { p256dh: string; auth: string }): Promise<{ p256dh: string; auth: string }> {
  const errors: { path: string; message: string }[] = [];
  const point = bytesOf(keys.p256dh);
  let pointOk = point !== null && point.byteLength === 65 && point[0] === 0x04;
  if (pointOk && point) {
    // On the curve, too: a browser's key always is; anything else could never be encrypted to.
    pointOk = await crypto.subtle.importKey("raw", point, { name: "ECDH", namedCurve: "P-256" }, false, []).then(
      () => true,
      () => false,
    );
  }
  if (!pointOk) errors.push({ path: "keys.p256dh", message: "Expected base64url of an uncompressed P-256 public key (65 bytes)" });
  if (bytesOf(keys.auth)?.byteLength !== 16) errors.push({ path: "keys.auth", message: "Expected base64url of 16 bytes" });
  if (errors.length > 0) throw new ApiError(400, "invalid_push_keys", "The subscription's keys are not valid Web Push keys.", { errors });
  return { p256dh: keys.p256dh.replace(/=+$/, ""), auth: keys.auth.replace(/=+$/, "") };
}

export const push = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/push/vapid",
      operationId: "getVapidKey",
      tags: ["notifications"],
      summary: "The application server key for Web Push subscriptions",
      security: [],
      responses: {
        200: json(
          z.object({
            publicKey: z
              .string()
              .openapi({ description: "base64url of the uncompressed P-256 point: pushManager.subscribe's applicationServerKey." }),
          }),
          "The server's VAPID public key.",
        ),
        ...problems([503, "service_unavailable: no VAPID key is configured"]),
      },
    }),
    async (c) => {
      requireService(c.env, "push");
      const { publicKey } = await vapid(c.env);
      c.header("cache-control", "public, max-age=300");
      return c.json({ publicKey }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/push/subscriptions",
      operationId: "createPushSubscription",
      tags: ["notifications"],
      summary: "Subscribe this device to Web Push",
      description: `Tied to the caller's session: signing the device out deletes it. The same endpoint again replaces its subscription (with the same id while it stays with the same user). At most ${MAX_SUBSCRIPTIONS} per user.`,
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { body: jsonBody(Subscribe) },
      responses: {
        201: json(z.object({ subscription: z.object({ id: z.string() }) }), "Subscribed."),
        ...problems(
          [400, "validation_failed, invalid_push_endpoint or invalid_push_keys"],
          [401, "unauthorized, or session_ended: this device was signed out"],
          [409, "too_many_subscriptions"],
          [503, "service_unavailable: no VAPID key is configured"],
        ),
      },
    }),
    async (c) => {
      requireService(c.env, "push");
      const body = c.req.valid("json");
      const endpoint = checkPushEndpoint(body.endpoint, { development: c.env.ENVIRONMENT === "development" });
      if (!endpoint.ok) {
        throw new ApiError(400, "invalid_push_endpoint", `The endpoint cannot be used: ${endpoint.reason}.`, {
          errors: [{ path: "endpoint", message: endpoint.reason }],
        });
      }
      const keys = await checkKeys(body.keys);
      const { userId, sessionId } = c.var.citizen;
      // An access token outlives a sign-out by minutes: the session itself must be live (a rare request, one read).
      const live = await c.env.DB.prepare(
        "SELECT 1 FROM sessions WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
      )
        .bind(sessionId, userId, Date.now())
        .first();
      if (!live) throw unauthorized("session_ended", "This device was signed out; sign in again.");
      const stored = await inboxStub(c.env, userId).subscribe(userId, { sessionId, endpoint: body.endpoint, ...keys }, newId());
      if (typeof stored !== "object") {
        if (stored === "session_ended") throw unauthorized("session_ended", "This device was signed out; sign in again.");
        throw new ApiError(
          409,
          "too_many_subscriptions",
          `You have ${MAX_SUBSCRIPTIONS} push subscriptions already; remove one (or sign an old device out) first.`,
        );
      }
      return c.json({ subscription: { id: stored.id } }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/push/subscriptions/{id}",
      operationId: "deletePushSubscription",
      tags: ["notifications"],
      summary: "Unsubscribe from Web Push",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: {
        204: { description: "Deleted; nothing more is pushed to it." },
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      if (!(await inboxStub(c.env, c.var.citizen.userId).unsubscribe(c.req.valid("param").id))) throw notFound("push subscription");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/push/settings",
      operationId: "getPushSettings",
      tags: ["notifications"],
      summary: "The caller's notification settings",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: { 200: json(z.object({ settings: PushSettings }), "The settings."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => c.json({ settings: await inboxStub(c.env, c.var.citizen.userId).pushSettings() }, 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/push/settings",
      operationId: "setPushSettings",
      tags: ["notifications"],
      summary: "Change the caller's notification settings",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { body: jsonBody(PushSettings) },
      responses: {
        200: json(z.object({ settings: PushSettings }), "The settings now."),
        ...problems([400, "validation_failed"], [401, "unauthorized"]),
      },
    }),
    async (c) => c.json({ settings: await inboxStub(c.env, c.var.citizen.userId).setPushSettings(c.req.valid("json")) }, 200),
  );
