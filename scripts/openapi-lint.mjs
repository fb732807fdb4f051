// Lints the OpenAPI document production serves with Redocly's recommended rules (redocly.yaml): the Worker
// as `npm start` bundles it, in workerd, with ENVIRONMENT=production (so without the dev-only routes) and
// throwaway keys; its /api/openapi.json is written to .wrangler/openapi/openapi.json and linted there.
// Fails on any error. Usage: node scripts/openapi-lint.mjs (npm run lint:openapi)
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { devSecrets } from "./dev-secrets.mjs";
import { bundle, quietEnv } from "./serve.mjs";

const OUT = ".wrangler/openapi";

/** The document production serves, as served (its `servers` entry is production's origin). */
export async function productionDocument() {
  Object.assign(process.env, quietEnv);
  const scriptPath = await bundle(`${OUT}/worker/index.js`);
  const {
    modulesRules: _rules,
    assets: _assets,
    ...workerOptions
  } = unstable_getMiniflareWorkerOptions("wrangler.toml", "production").workerOptions;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...workerOptions,
      modules: true,
      scriptPath,
      bindings: { ...workerOptions.bindings, ...devSecrets("openapi-lint") },
      cf: false,
      log: new Log(LogLevel.WARN),
    }),
  );
  try {
    const res = await mf.dispatchFetch(`${workerOptions.bindings.ISSUER}/api/openapi.json`);
    if (res.status !== 200) throw new Error(`/api/openapi.json answered ${res.status}: ${await res.text()}`);
    return await res.json();
  } finally {
    await mf.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const doc = await productionDocument();
  mkdirSync(OUT, { recursive: true });
  const file = `${OUT}/openapi.json`;
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  const result = spawnSync("npx", ["redocly", "lint", file, "--format", "stylish"], {
    stdio: "inherit",
    env: { ...quietEnv, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
  process.exit(result.status ?? 1);
}
