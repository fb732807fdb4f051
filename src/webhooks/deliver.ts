// The webhook queue's consumer: signs each event with the agency's webhook secret and POSTs it to the
// agency's URL. A 2xx acknowledges it; anything else (an error status, a timeout, a redirect, a refused
// connection) is recorded on the event and retried by the queue with exponential backoff. After the
// queue's last retry the message goes to the dead-letter queue, whose consumer marks the event failed;
// the agency sees every attempt in its console, each failure as a class (FAILURE_CLASSES below), and can
// redeliver by hand. Nothing here runs on a citizen's request path, so a failing agency endpoint never
// slows or blocks citizens.

import * as z from "zod";
import { type AgencyRow, getAgency, webhookSecret } from "../agencies/store";
import { hmacHex } from "../lib/crypto";
import { log } from "../lib/log";
import { checkOutboundUrl } from "../lib/outbound-url";

/** The header the contract fixes: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export async function signature(secret: string, body: string, at = Date.now()): Promise<string> {
  const t = Math.floor(at / 1000);
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

/** Seconds before retry n (1-based): base·2^(n-1), capped at six hours (the queue allows at most twelve). */
export function backoffSeconds(env: Env, attempt: number): number {
  const base = Number(env.WEBHOOK_RETRY_BASE_SECONDS ?? "30");
  return Math.min(6 * 3600, Math.round(base * 2 ** Math.max(0, attempt - 1)));
}

const TIMEOUT_MS = 10_000;
const Message = z.object({ deliveryId: z.string().min(1).max(64) });

interface DeliveryRow {
  id: string;
  agency_id: string;
  payload: string;
  status: "pending" | "delivered" | "failed";
}

/**
 * What an agency is told about a failed attempt: a class of failure, never the runtime's error text, which
 * can name addresses, ports and resolver answers of our own network. The detail goes to our log only.
 */
export const FAILURE_CLASSES = [
  "timeout",
  "connection_failed",
  "redirect_refused",
  "http_4xx",
  "http_5xx",
  "http_other",
  "url_refused",
  "no_webhook_url",
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export function httpFailureClass(status: number): FailureClass {
  if (status >= 300 && status < 400) return "redirect_refused";
  if (status >= 400 && status < 500) return "http_4xx";
  if (status >= 500 && status < 600) return "http_5xx";
  return "http_other";
}

/** A stored `last_error` as shown to the agency; rows written before the classes existed are classified too. */
export function shownFailure(stored: string | null): FailureClass | null {
  if (stored === null) return null;
  if ((FAILURE_CLASSES as readonly string[]).includes(stored)) return stored as FailureClass;
  const http = /^HTTP (\d{3})$/.exec(stored);
  if (http) return httpFailureClass(Number(http[1]));
  if (stored.startsWith("no answer within")) return "timeout";
  if (stored === "the agency has no webhook URL") return "no_webhook_url";
  return "connection_failed";
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: FailureClass; detail?: string };

/** One attempt: POST the stored payload, exactly as stored, with a fresh signature. */
async function attempt(env: Env, agency: AgencyRow, delivery: DeliveryRow): Promise<Outcome> {
  if (!agency.webhook_url) return { ok: false, status: null, error: "no_webhook_url" };
  // Checked again at each send: a URL stored before the rules, or under development's, is not followed.
  const check = checkOutboundUrl(agency.webhook_url, { development: env.ENVIRONMENT === "development" });
  if (!check.ok) return { ok: false, status: null, error: "url_refused", detail: check.reason };
  try {
    const response = await fetch(check.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "Veche-Webhooks/1",
        "veche-event-id": delivery.id,
        "veche-signature": await signature(await webhookSecret(env, agency), delivery.payload),
      },
      body: delivery.payload,
    });
    // The body is not ours to keep; release it.
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: httpFailureClass(response.status) };
  } catch (err) {
    const timeout = err instanceof Error && err.name === "TimeoutError";
    return { ok: false, status: null, error: timeout ? "timeout" : "connection_failed", detail: String(err).slice(0, 200) };
  }
}

async function deliver(env: Env, message: Message<unknown>): Promise<void> {
  const parsed = Message.safeParse(message.body);
  if (!parsed.success) {
    log.error("malformed webhook message dropped", { id: message.id });
    message.ack();
    return;
  }
  const delivery = await env.DB.prepare("SELECT id, agency_id, payload, status FROM webhook_deliveries WHERE id = ?1")
    .bind(parsed.data.deliveryId)
    .first<DeliveryRow>();
  // Delivered already (a duplicate message, or a redelivery raced one): at most once more is avoided here.
  if (!delivery || delivery.status === "delivered") {
    message.ack();
    return;
  }
  const agency = await getAgency(env.DB, delivery.agency_id);
  if (!agency) {
    message.ack();
    return;
  }
  const outcome = await attempt(env, agency, delivery);
  const now = Date.now();
  if (outcome.ok) {
    await env.DB.prepare(
      "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?2, last_error = NULL, next_attempt_at = NULL, delivered_at = ?3 WHERE id = ?1",
    )
      .bind(delivery.id, outcome.status, now)
      .run();
    message.ack();
    return;
  }
  const delay = backoffSeconds(env, message.attempts);
  await env.DB.prepare(
    "UPDATE webhook_deliveries SET status = 'pending', attempts = attempts + 1, last_status = ?2, last_error = ?3, next_attempt_at = ?4 WHERE id = ?1 AND status != 'delivered'",
  )
    .bind(delivery.id, outcome.status, outcome.error, now + delay * 1000)
    .run();
  log.warn("webhook attempt failed", {
    id: delivery.id,
    agencyId: agency.id,
    attempt: message.attempts,
    error: outcome.error,
    detail: outcome.detail,
  });
  message.retry({ delaySeconds: delay });
}

/** Messages whose retries ran out: the event is marked failed (the agency can redeliver it by hand). */
async function deadLetter(env: Env, message: Message<unknown>): Promise<void> {
  const parsed = Message.safeParse(message.body);
  if (parsed.success) {
    await env.DB.prepare("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = ?1 AND status = 'pending'")
      .bind(parsed.data.deliveryId)
      .run();
    log.error("webhook dead-lettered", { id: parsed.data.deliveryId });
  }
  message.ack();
}

/** The Worker's queue handler for both the webhook queue and its dead-letter queue. */
export async function handleWebhookBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await (dead ? deadLetter(env, message) : deliver(env, message));
      } catch (err) {
        // Our own failure (D1 unavailable, say): the queue tries again later.
        log.error("webhook handling failed", { id: message.id, error: String(err) });
        message.retry({ delaySeconds: backoffSeconds(env, message.attempts) });
      }
    }),
  );
}
