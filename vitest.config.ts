import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { devSecrets } from "./scripts/dev-secrets.mjs";

// Tests run inside workerd with the real D1, Durable Object, R2 and Queue bindings from wrangler.toml.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { ...devSecrets("test-1"), TEST_MIGRATIONS: migrations },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**", "test/bench/**"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 20_000,
      silent: "passed-only",
    },
  };
});
