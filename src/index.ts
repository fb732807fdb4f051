import { createApp } from "./app";
import { pruneRefreshTokens } from "./auth/store";
import { sweepReceipts } from "./bills/receipts";
import { endExpiredSessions } from "./chat/sockets";
import { endEndedDevices } from "./keys/devices";
import { countD1 } from "./lib/d1-count";
import { errorFields, log } from "./lib/log";
import { pruneRateLimits } from "./lib/rate-limit";
import { cleanupMedia, hashPendingMedia } from "./media/store";
import { handlePushBatch } from "./push/send";
import { handleWebhookBatch } from "./webhooks/deliver";
import { sweepWebhooks } from "./webhooks/events";

export { Inbox } from "./chat/inbox";
export { ChannelRelay } from "./chat/relay";
export { ChatRoom } from "./chat/room";

const app = createApp();

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, countD1(env), ctx),
  async scheduled(_controller, env, _ctx) {
    // Independent chores: one failing does not stop the others.
    const results = await Promise.allSettled([
      cleanupMedia(env),
      sweepWebhooks(env),
      sweepReceipts(env),
      pruneRateLimits(env.DB),
      pruneRefreshTokens(env.DB),
      hashPendingMedia(env),
      endExpiredSessions(env),
      endEndedDevices(env),
    ]);
    const [media, webhooks, receipts, limits, tokens, hashes, subscriptions, devices] = results;
    if (media.status === "fulfilled") log.info("media cleanup", media.value);
    else log.error("media cleanup failed", errorFields(media.reason));
    if (webhooks.status === "fulfilled") log.info("webhook sweep", { requeued: webhooks.value });
    else log.error("webhook sweep failed", errorFields(webhooks.reason));
    if (receipts.status === "fulfilled") log.info("receipt sweep", { issued: receipts.value });
    else log.error("receipt sweep failed", errorFields(receipts.reason));
    if (limits.status === "fulfilled") log.info("rate limit prune", { deleted: limits.value });
    else log.error("rate limit prune failed", errorFields(limits.reason));
    if (tokens.status === "fulfilled") log.info("refresh token prune", { deleted: tokens.value });
    else log.error("refresh token prune failed", errorFields(tokens.reason));
    if (hashes.status === "fulfilled") log.info("media hashes", { hashed: hashes.value });
    else log.error("media hashes failed", errorFields(hashes.reason));
    if (subscriptions.status === "fulfilled") log.info("expired sessions' push subscriptions", { sessions: subscriptions.value });
    else log.error("ending expired sessions' push subscriptions failed", errorFields(subscriptions.reason));
    if (devices.status === "fulfilled") log.info("ended sessions' device keys revoked", { devices: devices.value.length });
    else log.error("revoking ended sessions' device keys failed", errorFields(devices.reason));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  },
  // One Worker consumes every queue: pushes (veche-pushes[-production]) and webhooks with their dead letters.
  queue: (batch, env) => (batch.queue.startsWith("veche-pushes") ? handlePushBatch(batch, env) : handleWebhookBatch(batch, env)),
} satisfies ExportedHandler<Env>;
