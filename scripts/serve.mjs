// Serves Veche with Miniflare directly: the same workerd runtime and bindings as `wrangler dev` (options
// come from wrangler.toml through wrangler's own translation), without wrangler dev's proxy in front of
// every request and WebSocket frame, which cost more than half the fan-out throughput
// (docs/performance.md). Usage: node scripts/serve.mjs [--port 8787] [--state .wrangler/state] [--observe-limits]
// --observe-limits: per-user limits are consulted but refuse nothing (the benchmark's senders outpace a person).
// --relays min,perRelay,fanout: big channels' relay settings (wrangler.toml RELAY_*), lowered for the benchmark.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { buildWeb, PHONE_METADATA } from "./build-web.mjs";
import { ensureDevVars } from "./dev-secrets.mjs";

/** Offline and quiet: no telemetry, no update check, no request.cf download. */
export const quietEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

/**
 * `zod` resolves to src/lib/zod-lean.ts, as wrangler.toml's [alias] makes it for deploys (only the bare
 * specifier: the module itself imports `zod/v4`).
 */
export const zodLean = {
  name: "zod-lean",
  setup(build) {
    build.onResolve({ filter: /^zod$/ }, () => ({ path: resolve("src/lib/zod-lean.ts") }));
  },
};

export async function bundle(outfile = ".wrangler/serve/index.js") {
  await build({
    entryPoints: ["src/index.ts"],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    sourcemap: "linked",
    plugins: [zodLean],
    logLevel: "warning",
  });
  return outfile;
}

/** Applies pending D1 migrations to the local database under `state`, as `wrangler d1 migrations apply` does. */
export function migrate(state) {
  const result = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...quietEnv, CI: "true" },
  });
  if (result.status !== 0) throw new Error("applying D1 migrations failed");
}

/** Without the static assets: serves the one the Worker itself reads (src/auth/phone.ts), from node_modules. */
function phoneMetadataOnly(request) {
  if (new URL(request.url).pathname !== PHONE_METADATA) return new Response(null, { status: 404 });
  const file = createRequire(import.meta.url).resolve("libphonenumber-js/metadata.mobile.json");
  return new Response(readFileSync(file), { headers: { "content-type": "application/json" } });
}

/** `--relays 100,100,16` as the RELAY_* bindings (src/chat/relay/plan.ts). */
function relaySettings(value) {
  const [min, perRelay, fanout] = value.split(",");
  if (![min, perRelay, fanout].every((v) => /^\d+$/.test(v ?? ""))) throw new Error("--relays takes min,perRelay,fanout");
  return { RELAY_MIN_MEMBERS: min, RELAY_MEMBERS_PER_RELAY: perRelay, RELAY_FANOUT: fanout };
}

/** Starts Veche on host:port with state under `state` (the layout `wrangler --persist-to` uses). */
/** `demo`: the caller seeds the demo data; /health answers 503 until it is in (src/dev/demo.ts). */
export async function serve({
  port,
  state,
  host = "127.0.0.1",
  verbose = false,
  assets = true,
  observeLimits = false,
  demo = false,
  relays = null,
}) {
  Object.assign(process.env, quietEnv);
  const secrets = ensureDevVars();
  migrate(state);
  const scriptPath = await bundle();
  if (assets) await buildWeb();
  // modulesRules describe how wrangler would bundle; ours is already one module.
  const {
    modulesRules: _rules,
    assets: assetOptions,
    ...workerOptions
  } = unstable_getMiniflareWorkerOptions("wrangler.toml").workerOptions;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...workerOptions,
      name: "veche",
      modules: true,
      scriptPath,
      bindings: {
        ...workerOptions.bindings,
        ...secrets,
        ...(observeLimits ? { LIMITS: "observe" } : {}),
        ...(demo ? { DEMO_DATA: "expected" } : {}),
        ...(relays ? relaySettings(relays) : {}),
      },
      // Locally the static assets put a router worker in front of every request and WebSocket (on Cloudflare
      // that router is the platform's); the benchmark leaves it out to measure the Worker itself, and the one
      // asset the Worker reads (the phone numbering plans) comes from a binding of its own.
      ...(assets ? { assets: assetOptions } : { serviceBindings: { ...workerOptions.serviceBindings, ASSETS: phoneMetadataOnly } }),
      host,
      port,
      resourcePersistencePath: `${state}/v3`,
      cf: false,
      // For profiling (docs/performance.md): VECHE_INSPECTOR_PORT=9229 opens workerd's V8 inspector on it.
      ...(process.env.VECHE_INSPECTOR_PORT ? { inspectorPort: Number(process.env.VECHE_INSPECTOR_PORT) } : {}),
      log: new Log(verbose ? LogLevel.INFO : LogLevel.WARN),
      // One line per request: the Worker's own (src/app.ts: request id, path without its query, status, time),
      // the line production's logs have, not Miniflare's second "GET /path 200 OK" beside it.
      logRequests: false,
    }),
  );
  const url = await mf.ready;
  return { mf, url };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      state: { type: "string" },
      verbose: { type: "boolean" },
      "no-assets": { type: "boolean" },
      "observe-limits": { type: "boolean" },
      relays: { type: "string" },
    },
  });
  const { mf, url } = await serve({
    port: Number(values.port ?? process.env.PORT ?? 8787),
    state: values.state ?? ".wrangler/state",
    verbose: values.verbose ?? false,
    assets: !values["no-assets"],
    observeLimits: values["observe-limits"] ?? false,
    relays: values.relays ?? null,
  });
  console.log(`ready ${url.href}`);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      void mf.dispose().finally(() => process.exit(0));
    });
  }
}
