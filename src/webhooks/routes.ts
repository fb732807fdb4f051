import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireAgency } from "../auth/middleware";
import { ApiError, notFound } from "../lib/errors";
import { agencySecurity, iso, isoOrNull, json, problems, router } from "../lib/hono";
import { FAILURE_CLASSES, shownFailure } from "./deliver";
import { dispatchWebhooks } from "./events";

interface DeliveryRow {
  id: string;
  type: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  delivered_at: number | null;
}

const Delivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    type: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.enum(FAILURE_CLASSES).nullable().openapi({
      description:
        "The last failure's class (never a network detail): timeout, connection_failed, redirect_refused, http_4xx, http_5xx, http_other, url_refused, no_webhook_url.",
    }),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

const toDelivery = (d: DeliveryRow) => ({
  id: d.id,
  eventId: d.id,
  type: d.type,
  status: d.status,
  attempts: d.attempts,
  lastStatus: d.last_status,
  lastError: shownFailure(d.last_error),
  createdAt: iso(d.created_at),
  deliveredAt: isoOrNull(d.delivered_at),
  nextAttemptAt: isoOrNull(d.next_attempt_at),
});

const COLUMNS = "id, type, status, attempts, last_status, last_error, next_attempt_at, created_at, delivered_at";

/** The agency console's view of its webhook events: what was sent, how often, and what came back. */
export const agencyWebhooks = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/webhook-deliveries",
      operationId: "listWebhookDeliveries",
      tags: ["webhooks"],
      summary: "The agency's webhook events and their delivery state, newest first",
      security: agencySecurity,
      middleware: requireAgency(),
      request: {
        query: z.object({
          status: z.enum(["pending", "delivered", "failed"]).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: {
        200: json(z.object({ deliveries: z.array(Delivery) }), "Deliveries."),
        ...problems([400, "validation_failed"], [401, "unauthorized"]),
      },
    }),
    async (c) => {
      const { status, limit } = c.req.valid("query");
      const { results } = await c.env.DB.prepare(
        `SELECT ${COLUMNS} FROM webhook_deliveries WHERE agency_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3`,
      )
        .bind(c.var.agency.agencyId, status ?? null, limit)
        .all<DeliveryRow>();
      return c.json({ deliveries: results.map(toDelivery) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/webhook-deliveries/{id}/retry",
      operationId: "retryWebhookDelivery",
      tags: ["webhooks"],
      summary: "Deliver a failed (or still pending) event again now",
      security: agencySecurity,
      middleware: requireAgency(),
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        202: json(z.object({ delivery: Delivery }), "Queued again."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "already_delivered"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const now = Date.now();
      const row = await c.env.DB.prepare(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?3 WHERE id = ?1 AND agency_id = ?2 AND status != 'delivered' RETURNING ${COLUMNS}`,
      )
        .bind(id, c.var.agency.agencyId, now)
        .first<DeliveryRow>();
      if (!row) {
        const exists = await c.env.DB.prepare("SELECT status FROM webhook_deliveries WHERE id = ?1 AND agency_id = ?2")
          .bind(id, c.var.agency.agencyId)
          .first<{ status: string }>();
        if (!exists) throw notFound("delivery");
        throw new ApiError(409, "already_delivered", "This event was delivered already.");
      }
      await dispatchWebhooks(c.env, { id: row.id });
      return c.json({ delivery: toDelivery(row) }, 202);
    },
  );
