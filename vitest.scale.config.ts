// The channel-scale measurement (bench/channel-scale.ts, docs/performance.md "Channels of any size"): the tests'
// runtime and bindings, with the deployment's relay settings, running only test/scale/*.scale.ts.
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { devSecrets } from "./scripts/dev-secrets.mjs";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const secrets = devSecrets("test-1");
  for (const [name, value] of Object.entries(secrets)) process.env[name] ??= value;
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ...secrets,
            TEST_MIGRATIONS: migrations,
            // The sizes to measure, e.g. CHANNEL_SCALE_SIZES=1000,10000 (the default: 1,000 to 1,000,000).
            CHANNEL_SCALE_SIZES: process.env.CHANNEL_SCALE_SIZES ?? "1000,10000,100000,1000000",
          },
        },
      }),
    ],
    resolve: { alias: [{ find: /^zod$/, replacement: fileURLToPath(new URL("./src/lib/zod-lean.ts", import.meta.url)) }] },
    test: {
      include: ["test/scale/**/*.scale.ts"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 900_000,
      hookTimeout: 120_000,
    },
  };
});
