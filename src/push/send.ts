// Sending Web Push. The user's inbox (which holds their subscriptions and knows which devices are away) calls
// queuePushes(); it enqueues one message per subscription on the
// `veche-pushes` queue, whose consumer (this Worker, handlePushBatch) sends each as an RFC 8030 POST: an RFC
// 8291 aes128gcm body (@block65/webcrypto-web-push's encryptNotification, padded to the 4096 octets every push
// service accepts) and an RFC 8292 VAPID Authorization header (signed here with jose, see docs/api.md, "Push
// notifications", for why). 404/410 end the subscription; 429, 5xx and network failures are retried with
// backoff; other answers drop the push. Endpoints are capability URLs: logs name their origin only.

import { encryptNotification } from "@block65/webcrypto-web-push";
import * as z from "zod";
import { inboxStub } from "../chat/access";
import { missingFor } from "../lib/config";
import { errorFields, log } from "../lib/log";
import { checkPushEndpoint } from "./endpoints";
import { vapid, vapidAuthorization } from "./vapid";

/**
 * What a push carries, as JSON (decrypted by the service worker). The caller decides what may be in it: a
 * message's `text` only when the user allows previews (without it the push says who wrote, not what).
 */
export type PushPayload =
  | {
      type: "message";
      chatId: string;
      seq: number;
      chatType: "direct" | "group" | "channel" | "official" | "secret";
      chatTitle: string | null;
      senderName: string | null;
      /** Only when the user allows previews. Shortened to fit a push if need be. */
      text?: string;
      /** The message mentions the user (pushed even from a muted chat). */
      mention: boolean;
      /** The user's unread messages over all chats, for the app badge. */
      unread: number;
    }
  | {
      /** A call rings (src/chat/inbox/calls.ts): the device shows it and opens the app to answer. */
      type: "call";
      chatId: string;
      callId: string;
      callerName: string | null;
      video: boolean;
    }
  | {
      /** A service notification, as the inbox socket's `notification` frame carries it. */
      type: "notification";
      kind: string;
      pts: number;
      at: string;
      [key: string]: unknown;
    };

export interface PushOptions {
  /** How long the push service keeps the push for an offline device (RFC 8030 §5.2), in seconds. */
  ttlSec?: number;
  urgency?: "very-low" | "low" | "normal" | "high";
}

/** The most plaintext one padded aes128gcm record carries: 4096 − 86 (header) − 17 (delimiter and tag). */
export const MAX_PAYLOAD_BYTES = 3993;
const DEFAULT_TTL_SEC = 24 * 3600;
/** The queue takes at most 100 messages per sendBatch. */
const SEND_BATCH = 100;
const TIMEOUT_MS = 10_000;
/** Retries wait base·2^(n-1) seconds up to this (a push hours late is worth little); Retry-After is capped too. */
const MAX_DELAY_SEC = 30 * 60;

const Message = z.object({
  userId: z.string().min(1).max(64),
  subscriptionId: z.string().min(1).max(64),
  payload: z.string().max(MAX_PAYLOAD_BYTES * 4),
  ttl: z
    .number()
    .int()
    .min(0)
    .max(28 * 24 * 3600),
  urgency: z.enum(["very-low", "low", "normal", "high"]).optional(),
});
type PushMessage = z.infer<typeof Message>;

const encoder = new TextEncoder();

/** The payload as JSON that fits one push: a too long preview is shortened; anything else too big is null. */
export function encodePayload(payload: PushPayload): string | null {
  let json = JSON.stringify(payload);
  if (encoder.encode(json).byteLength <= MAX_PAYLOAD_BYTES) return json;
  if (payload.type !== "message" || payload.text === undefined) return null;
  const chars = [...payload.text];
  // Halve the cut until it fits: a handful of tries for the largest message text.
  for (let keep = Math.floor(chars.length / 2); keep > 0; keep = Math.floor(keep / 2)) {
    json = JSON.stringify({ ...payload, text: `${chars.slice(0, keep).join("")}…` });
    if (encoder.encode(json).byteLength <= MAX_PAYLOAD_BYTES) return json;
  }
  const { text: _dropped, ...rest } = payload;
  json = JSON.stringify(rest);
  return encoder.encode(json).byteLength <= MAX_PAYLOAD_BYTES ? json : null;
}

/**
 * Queues one push per subscription (ids of the user's, from their inbox). Returns how many were queued. Sends
 * nothing itself, and reads no shared database, so it is cheap on the message path.
 */
export async function queuePushes(
  env: Env,
  userId: string,
  subscriptionIds: string[],
  payload: PushPayload,
  options: PushOptions = {},
): Promise<number> {
  if (subscriptionIds.length === 0) return 0;
  // Unconfigured (no VAPID key): every send would fail; nobody can have subscribed here since either.
  if (missingFor(env, "push").length > 0) return 0;
  const encoded = encodePayload(payload);
  if (encoded === null) {
    log.error("push payload too large, not sent", { userId, type: payload.type });
    return 0;
  }
  const messages = subscriptionIds.map((subscriptionId): { body: PushMessage } => ({
    body: {
      userId,
      subscriptionId,
      payload: encoded,
      ttl: options.ttlSec ?? DEFAULT_TTL_SEC,
      ...(options.urgency ? { urgency: options.urgency } : {}),
    },
  }));
  for (let i = 0; i < messages.length; i += SEND_BATCH) await env.PUSHES.sendBatch(messages.slice(i, i + SEND_BATCH));
  return messages.length;
}

/** Seconds before retry n (1-based): base·2^(n-1), capped. */
export function pushBackoffSeconds(env: Env, attempt: number): number {
  const base = Number(env.PUSH_RETRY_BASE_SECONDS ?? "10");
  return Math.min(MAX_DELAY_SEC, Math.round(base * 2 ** Math.max(0, attempt - 1)));
}

/** A 429's or 503's Retry-After in seconds (RFC 9110 §10.2.3: seconds or an HTTP date), if usable. */
function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) : (Date.parse(header) - now) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(MAX_DELAY_SEC, Math.ceil(seconds)) : null;
}

type Outcome = "sent" | "gone" | "retry" | "dropped";

async function deliver(env: Env, message: Message<unknown>): Promise<void> {
  const parsed = Message.safeParse(message.body);
  if (!parsed.success) {
    log.error("malformed push message dropped", { id: message.id });
    message.ack();
    return;
  }
  const push = parsed.data;
  // Deleted (signed out, unsubscribed, gone) since it was queued: nothing is sent.
  const inbox = inboxStub(env, push.userId);
  const sub = await inbox.subscription(push.subscriptionId);
  if (!sub) {
    message.ack();
    return;
  }
  const check = checkPushEndpoint(sub.endpoint, { development: env.ENVIRONMENT === "development" });
  if (!check.ok) {
    // Stored under other rules (development's, or before the list changed): not followed.
    log.warn("push endpoint refused at send", { subscriptionId: sub.id, reason: check.reason });
    message.ack();
    return;
  }
  const origin = check.url.origin;
  let retryAfter: number | null = null;
  let outcome: Outcome;
  let status: number | null = null;
  // Our own failures (the VAPID key unusable) go to the batch handler, which retries: not the endpoint's fault.
  const v = await vapid(env);
  const body = await encryptNotification(
    { endpoint: sub.endpoint, expirationTime: null, keys: { p256dh: sub.p256dh, auth: sub.auth } },
    encoder.encode(push.payload),
  );
  try {
    const response = await fetch(check.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        authorization: await vapidAuthorization(v, check.url),
        ttl: String(push.ttl),
        "content-encoding": "aes128gcm",
        "content-type": "application/octet-stream",
        ...(push.urgency ? { urgency: push.urgency } : {}),
      },
      body,
    });
    await response.body?.cancel();
    status = response.status;
    if (status >= 200 && status < 300) outcome = "sent";
    else if (status === 404 || status === 410) outcome = "gone";
    else if (status === 429 || status >= 500) {
      outcome = "retry";
      retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
    } else outcome = "dropped";
  } catch (err) {
    // A timeout or a refused connection: the push service may be back soon. The error's name only: a runtime's
    // message may quote the URL, whose path is the subscription's capability token.
    log.warn("push attempt failed", {
      subscriptionId: sub.id,
      origin,
      attempt: message.attempts,
      error: err instanceof Error ? err.name : "unknown",
    });
    outcome = "retry";
  }
  switch (outcome) {
    case "sent":
      message.ack();
      return;
    case "gone":
      // RFC 8030 §7.3: the subscription expired or the user revoked it; it never comes back.
      await inbox.unsubscribe(sub.id);
      log.info("push subscription gone", { subscriptionId: sub.id, origin, status });
      message.ack();
      return;
    case "retry": {
      const delay = retryAfter ?? pushBackoffSeconds(env, message.attempts);
      if (status !== null) log.warn("push service unavailable", { subscriptionId: sub.id, origin, status, attempt: message.attempts });
      message.retry({ delaySeconds: delay });
      return;
    }
    case "dropped":
      // Our request was refused (413 too large, 400/403 a VAPID problem...): sending it again changes nothing.
      log.error("push refused by the push service", { subscriptionId: sub.id, origin, status });
      message.ack();
      return;
  }
}

/** The Worker's queue handler for the push queue. */
export async function handlePushBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await deliver(env, message);
      } catch (err) {
        // Our own failure (the inbox unreachable, the VAPID key unusable): the queue tries again later.
        log.error("push handling failed", { id: message.id, ...errorFields(err) });
        message.retry({ delaySeconds: pushBackoffSeconds(env, message.attempts) });
      }
    }),
  );
}
