import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { devSecrets } from "./scripts/dev-secrets.mjs";

// Tests run inside workerd with the real D1, Durable Object, R2 and Queue bindings from wrangler.toml.
// Outbound fetches (agency webhooks, Web Push) go to a stand-in endpoint, itself a Worker in the same workerd.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const secrets = devSecrets("test-1");
  // wrangler checks wrangler.toml's secrets.required against .dev.vars or, without one (a fresh clone, CI),
  // process.env, and warns for each test file; the tests' own keys satisfy it there as in the bindings.
  for (const [name, value] of Object.entries(secrets)) process.env[name] ??= value;
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ...secrets,
            TEST_MIGRATIONS: migrations,
            WEBHOOK_RETRY_BASE_SECONDS: "1",
            PUSH_RETRY_BASE_SECONDS: "1",
            // Relays from channels of more than 20 members, one per 6, the room calling 2 (test/chat/relays.test.ts);
            // the other tests' channels are smaller and stay on their rooms.
            RELAY_MIN_MEMBERS: "20",
            RELAY_MEMBERS_PER_RELAY: "6",
            RELAY_FANOUT: "2",
          },
          // The real queues, with fewer retries so a dead-lettered webhook is seen within a test.
          queueConsumers: {
            "veche-webhooks": { maxBatchTimeout: 1, maxRetries: 3, deadLetterQueue: "veche-webhooks-dlq" },
            "veche-webhooks-dlq": { maxBatchTimeout: 1 },
            "veche-pushes": { maxBatchTimeout: 1, maxRetries: 3 },
          },
          outboundService: "webhook-sink",
          serviceBindings: { WEBHOOK_SINK: "webhook-sink" },
          workers: [
            { name: "webhook-sink", modules: true, scriptPath: "./test/fixtures/webhook-sink.mjs", compatibilityDate: "2026-11-01" },
          ],
        },
      }),
    ],
    // `zod` is src/lib/zod-lean.ts, as in the deployed bundle (wrangler.toml [alias]): tests run what ships.
    resolve: { alias: [{ find: /^zod$/, replacement: fileURLToPath(new URL("./src/lib/zod-lean.ts", import.meta.url)) }] },
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**", "test/bench/**"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 20_000,
      silent: "passed-only",
    },
  };
});
