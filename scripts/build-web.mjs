// Builds the web client (src/web) into Workers static assets under dist/web: the citizen app at `/` and
// the agency console at `/agency/`, the API reference at `/api/docs`. Each page gets one hashed, minified
// script and stylesheet; the HTML is written from the page's template with those names.
// Usage: node scripts/build-web.mjs [--watch]
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const OUT = "dist/web";

/**
 * The most JavaScript a page may load before it is interactive, gzipped (docs/performance.md, "Bundle
 * size"): the citizen app's ~64 KB with room to grow, so a heavy dependency is noticed when it arrives.
 */
export const INITIAL_JS_BUDGET = 80 * 1024;

/**
 * The API reference: Scalar's standalone bundle and stylesheet, copied as they are (the Worker never
 * imports them), and its default theme written out as a stylesheet. Scalar would inject the theme in a
 * <style> element, which the Content-Security-Policy (style-src 'self') refuses; src/web/api-docs/main.ts
 * asks for no theme instead.
 */
const scalarDist = dirname(createRequire(import.meta.url).resolve("@scalar/api-reference"));
const scalarThemes = await import(pathToFileURL(createRequire(scalarDist).resolve("@scalar/themes")).href);
const SCALAR = {
  js: readFileSync(join(scalarDist, "browser/standalone.js")),
  css: [readFileSync(join(scalarDist, "style.css")), scalarThemes.getThemeStyles("default", { fonts: false })],
};

/**
 * The pages: where their entry and HTML template are, and where the HTML goes under dist/web. `vendor`: a
 * script and stylesheets loaded before the page's own, written under assets/ with a hash of their content.
 * The API reference is for developers, not part of the client, so it is outside the JavaScript budget.
 */
const PAGES = [
  { name: "app", entry: "src/web/citizen/main.tsx", template: "src/web/citizen/index.html", html: "index.html" },
  { name: "agency", entry: "src/web/agency/main.tsx", template: "src/web/agency/index.html", html: "agency/index.html" },
  // `api/docs.html` is served at /api/docs (html_handling = "auto-trailing-slash").
  { name: "docs", entry: "src/web/api-docs/main.ts", template: "src/web/api-docs/index.html", html: "api/docs.html", vendor: SCALAR },
];
const BUDGETED = PAGES.filter((p) => !p.vendor);

/** Writes dist/web/assets/<name>-<hash of the content>.<ext>; returns its URL path. */
function writeHashed(content, name, ext) {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 8).toUpperCase();
  const target = `assets/${name}-${hash}.${ext}`;
  writeFileSync(join(OUT, target), content);
  return `/${target}`;
}

/** Response headers for every asset (Workers static assets read `_headers`). */
const HEADERS = `/*
  Content-Security-Policy: default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Permissions-Policy: camera=(), microphone=(), geolocation=()
/assets/*
  Cache-Control: public, max-age=31536000, immutable
`;
/** Production is HTTPS only; the API sends the same header (src/app.ts, HSTS). Browsers ignore it over http. */
const HSTS = "  Strict-Transport-Security: max-age=31536000; includeSubDomains\n";
/** The `_headers` of a build: HSTS on every asset in production builds. */
export const headersFor = (dev) => (dev ? HEADERS : HEADERS.replace("/*\n", `/*\n${HSTS}`));

export async function buildWeb({ dev = process.env.ENVIRONMENT !== "production", quiet = false } = {}) {
  rmSync(OUT, { recursive: true, force: true });
  const result = await build({
    entryPoints: Object.fromEntries(PAGES.map((p) => [p.name, p.entry])),
    outdir: join(OUT, "assets"),
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    splitting: true,
    chunkNames: "chunk-[hash]",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: "linked",
    metafile: true,
    define: { "import.meta.env.DEV": JSON.stringify(dev) },
    logLevel: "warning",
  });
  const outputs = Object.entries(result.metafile.outputs);
  for (const page of PAGES) {
    const js = outputs.find(([file, o]) => o.entryPoint === page.entry && file.endsWith(".js"))?.[0];
    if (!js) throw new Error(`no script built for ${page.entry}`);
    // CSS imported from the entry is bundled into one file that the entry's output names.
    const css = result.metafile.outputs[js]?.cssBundle;
    const url = (file) => `/${file.slice(OUT.length + 1)}`;
    const styles = [...(page.vendor?.css ?? []).map((c) => writeHashed(c, `${page.name}-vendor`, "css")), css && url(css)].filter(Boolean);
    // A classic script runs before every module script, so the vendor's global is there for the page's.
    const scripts = [page.vendor && `<script src="${writeHashed(page.vendor.js, `${page.name}-vendor`, "js")}"></script>`];
    const html = readFileSync(page.template, "utf8")
      .replace("<!--STYLE-->", styles.map((href) => `<link rel="stylesheet" href="${href}">`).join(""))
      .replace("<!--SCRIPT-->", [...scripts, `<script type="module" src="${url(js)}"></script>`].filter(Boolean).join(""));
    const target = join(OUT, page.html);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, html);
  }
  writeFileSync(join(OUT, "_headers"), headersFor(dev));
  // Both pages link it; without it every page load asked for a favicon and got a 404.
  copyFileSync("src/web/favicon.svg", join(OUT, "favicon.svg"));
  checkBudget(result.metafile, { quiet });
  return result.metafile;
}

/**
 * Initial JavaScript per page: its entry script and every chunk it imports statically (what the browser
 * must fetch before the page runs), gzipped at level 9. Chunks behind dynamic import() load on demand and
 * are counted separately. Pages with a vendor bundle (the API reference) are not the client: not counted.
 */
export function measureWeb(metafile) {
  const outputs = metafile.outputs;
  const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
  const pages = {};
  const initialFiles = new Set();
  for (const page of BUDGETED) {
    const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint === page.entry && f.endsWith(".js"));
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imp of outputs[file]?.imports ?? []) if (imp.kind === "import-statement") visit(imp.path);
    };
    visit(entry);
    let total = 0;
    for (const file of seen) {
      total += gz(file);
      initialFiles.add(file);
    }
    pages[page.name] = { initialJsGzip: total, files: seen.size };
  }
  const unbudgeted = new Set(PAGES.filter((p) => p.vendor).map((p) => p.entry));
  const lazy = Object.keys(outputs).filter((f) => f.endsWith(".js") && !initialFiles.has(f) && !unbudgeted.has(outputs[f].entryPoint));
  return { pages, onDemand: { jsGzip: lazy.reduce((sum, f) => sum + gz(f), 0), chunks: lazy.length } };
}

/** Prints measureWeb's figures; throws when a page is over budget, so the build (and `npm test`) fails. */
export function checkBudget(metafile, { quiet = false } = {}) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const { pages, onDemand } = measureWeb(metafile);
  const report = Object.entries(pages).map(
    ([name, p]) => `  ${name.padEnd(8)} initial JS ${kb(p.initialJsGzip).padStart(9)} gzipped (${p.files} file${p.files === 1 ? "" : "s"})`,
  );
  report.push(`  on demand  ${kb(onDemand.jsGzip).padStart(9)} gzipped in ${onDemand.chunks} chunk${onDemand.chunks === 1 ? "" : "s"}`);
  if (!quiet) console.log(`Web client (budget ${kb(INITIAL_JS_BUDGET)} initial JS per page):\n${report.join("\n")}`);
  const over = Object.entries(pages).filter(([, p]) => p.initialJsGzip > INITIAL_JS_BUDGET);
  if (over.length > 0) {
    throw new Error(
      `initial JavaScript over the ${kb(INITIAL_JS_BUDGET)} budget: ${over.map(([n, p]) => `${n}: ${kb(p.initialJsGzip)}`).join(", ")}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildWeb();
}
