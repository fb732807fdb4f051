import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** The stand-in agency endpoint (test/fixtures/webhook-sink.mjs): GET /boxes/<box> lists what it received. */
      WEBHOOK_SINK: Fetcher;
      /** Channel sizes the channel-scale measurement makes (vitest.scale.config.ts); unset in the tests. */
      CHANNEL_SCALE_SIZES?: string;
    }
  }
}
