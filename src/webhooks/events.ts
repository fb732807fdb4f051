// Webhook events for agencies. An event is a row in webhook_deliveries written in the SAME D1 batch as
// the change it reports (a paid bill, a submission or consent that changed), so nothing acknowledged to a
// citizen can lose its event. The queue then carries only the event's id; src/webhooks/deliver.ts signs
// and sends it. If the queue send itself fails, the row stays pending and the scheduled sweep enqueues it
// again: the queue is the fast path, the table is the record.

import type { AgencyRow } from "../agencies/store";
import { iso } from "../lib/hono";
import { newId } from "../lib/ids";
import { log } from "../lib/log";

export type WebhookType = "bill.paid" | "submission.created" | "submission.updated" | "consent.updated";

export interface WebhookEvent {
  id: string;
  statement: D1PreparedStatement;
}

/** The queue message: only the id, so a payload is never held anywhere but D1. */
export interface WebhookMessage {
  deliveryId: string;
}

/**
 * The INSERT of one event for the agency, to run in the batch that makes the change; null when the agency
 * has no webhook URL (nothing to deliver). The payload is fixed here: `{ id, type, createdAt, agencyId, data }`.
 * `onlyIf` is an SQL condition (with anonymous `?` parameters) checked when the batch runs, for changes
 * made by a conditional UPDATE: the event is written only if the change happened.
 */
export function webhookEvent(
  db: D1Database,
  agency: Pick<AgencyRow, "id" | "webhook_url">,
  type: WebhookType,
  data: Record<string, unknown>,
  opts: { now?: number; onlyIf?: { sql: string; params: unknown[] } } = {},
): WebhookEvent | null {
  if (!agency.webhook_url) return null;
  const now = opts.now ?? Date.now();
  const id = `evt_${newId(now)}`;
  const payload = JSON.stringify({ id, type, createdAt: iso(now), agencyId: agency.id, data });
  // SQLite numbers each anonymous `?` after the highest numbered one, so the condition's are ?6 onwards.
  const statement = db
    .prepare(
      `INSERT INTO webhook_deliveries (id, agency_id, type, payload, status, attempts, next_attempt_at, created_at)
       SELECT ?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5 WHERE ${opts.onlyIf?.sql ?? "1"}`,
    )
    .bind(id, agency.id, type, payload, now, ...(opts.onlyIf?.params ?? []));
  return { id, statement };
}

/** The statements of the events that exist (for a batch). */
export const eventStatements = (...events: (WebhookEvent | null)[]): D1PreparedStatement[] =>
  events.flatMap((e) => (e ? [e.statement] : []));

/**
 * Hands committed events to the queue. Never throws: a citizen's request has already succeeded, and an
 * event the queue did not take is picked up by the sweep (sweepWebhooks).
 */
export async function dispatchWebhooks(env: Env, ...events: (Pick<WebhookEvent, "id"> | null)[]): Promise<void> {
  const ids = events.flatMap((e) => (e ? [e.id] : []));
  if (ids.length === 0) return;
  try {
    await env.WEBHOOKS.sendBatch(ids.map((deliveryId) => ({ body: { deliveryId } satisfies WebhookMessage, contentType: "json" })));
  } catch (err) {
    log.warn("webhook enqueue failed; the sweep will retry", { ids, error: String(err) });
  }
}

/** How long an event may sit unattempted before the sweep assumes its queue message was lost. */
export const SWEEP_AFTER_MS = 10 * 60_000;

/** Re-enqueues pending events whose queue message appears lost (never attempted, or overdue by far). */
export async function sweepWebhooks(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at < ?1 ORDER BY next_attempt_at LIMIT 500",
  )
    .bind(now - SWEEP_AFTER_MS)
    .all<{ id: string }>();
  if (results.length === 0) return 0;
  await env.DB.batch(
    results.map((r) => env.DB.prepare("UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1").bind(r.id, now)),
  );
  for (let i = 0; i < results.length; i += 100) {
    await env.WEBHOOKS.sendBatch(
      results.slice(i, i + 100).map((r) => ({ body: { deliveryId: r.id } satisfies WebhookMessage, contentType: "json" })),
    );
  }
  return results.length;
}
