// `npm run size` (and `npm run check`): the Worker as `wrangler deploy --env production` would upload it
// (wrangler's own bundling, minified, through --dry-run) and the web client's production build, gzipped at
// level 9; fails when either is over its budget (docs/performance.md, "Bundle size").
// Usage: node scripts/bundle-size.mjs [--record]   (--record also writes bench/results/bundle-size.json)
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildWeb, INITIAL_JS_BUDGET, measureWeb } from "./build-web.mjs";
import { quietEnv } from "./serve.mjs";

/** The most the deployed Worker may weigh, gzipped (issue 19; docs/performance.md says what each part weighs). */
export const WORKER_BUDGET = 200 * 1024;

const OUT = ".wrangler/bundle-size";
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** The deploy bundle's bytes: every module wrangler would upload, raw and gzipped. */
function workerSize() {
  rmSync(OUT, { recursive: true, force: true });
  const result = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--env", "production", "--outdir", OUT], {
    stdio: ["ignore", "ignore", "inherit"],
    env: quietEnv,
  });
  if (result.status !== 0) throw new Error("wrangler deploy --dry-run failed");
  // Source maps and wrangler's README are not uploaded as code.
  const modules = readdirSync(OUT).filter((f) => /\.(m?js|wasm)$/.test(f));
  let raw = 0;
  let gzip = 0;
  for (const file of modules) {
    const bytes = readFileSync(join(OUT, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { modules, raw, gzip };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  Object.assign(process.env, quietEnv);
  // The web client as production serves it; the dry run also needs its assets directory.
  const web = measureWeb(await buildWeb({ dev: false, quiet: true }));
  const worker = workerSize();
  const figures = {
    worker: { rawBytes: worker.raw, gzipBytes: worker.gzip, budgetGzipBytes: WORKER_BUDGET },
    web: {
      initialJsGzipBytes: Object.fromEntries(Object.entries(web.pages).map(([name, p]) => [name, p.initialJsGzip])),
      onDemandJsGzipBytes: web.onDemand.jsGzip,
      serviceWorkerJsGzipBytes: web.serviceWorker.jsGzip,
      budgetInitialJsGzipBytes: INITIAL_JS_BUDGET,
    },
  };
  console.log(`Worker      ${kb(worker.gzip).padStart(9)} gzipped (${kb(worker.raw)} minified; budget ${kb(WORKER_BUDGET)})`);
  for (const [name, p] of Object.entries(web.pages)) {
    console.log(`Web ${name.padEnd(7)} ${kb(p.initialJsGzip).padStart(9)} gzipped initial JS (budget ${kb(INITIAL_JS_BUDGET)})`);
  }
  console.log(`Web lazy    ${kb(web.onDemand.jsGzip).padStart(9)} gzipped on demand`);
  // Installed in the background after the page runs: no page's initial JavaScript, so outside the budget.
  console.log(`Web sw.js   ${kb(web.serviceWorker.jsGzip).padStart(9)} gzipped service worker`);
  if (process.argv.includes("--record")) {
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/bundle-size.json", `${JSON.stringify(figures, null, 2)}\n`);
  }
  const over = [];
  if (worker.gzip > WORKER_BUDGET) over.push(`the Worker is ${kb(worker.gzip)}, over its ${kb(WORKER_BUDGET)} budget`);
  for (const [name, p] of Object.entries(web.pages)) {
    if (p.initialJsGzip > INITIAL_JS_BUDGET) over.push(`${name}'s initial JS is ${kb(p.initialJsGzip)}, over ${kb(INITIAL_JS_BUDGET)}`);
  }
  if (over.length > 0) {
    console.error(over.join("\n"));
    process.exit(1);
  }
}
