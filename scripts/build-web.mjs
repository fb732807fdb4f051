// Builds the web client (src/web) into Workers static assets under dist/web: the citizen app at `/` and
// the agency console at `/agency/`, the API reference at `/api/docs`. Each page gets one hashed, minified
// script and stylesheet; the HTML is written from the page's template with those names. The citizen app
// also gets its service worker (/sw.js, with the list of the shell's files written in), its web manifest
// and its icons (PNGs drawn here).
// Usage: node scripts/build-web.mjs [--watch]
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { crc32, deflateSync, gzipSync } from "node:zlib";
import { build } from "esbuild";

const OUT = "dist/web";
const require = createRequire(import.meta.url);
/** The asset src/auth/phone.ts reads (PHONE_METADATA_PATH there). */
export const PHONE_METADATA = "/_data/phone-metadata.json";

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
const scalarDist = dirname(require.resolve("@scalar/api-reference"));
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

/**
 * zod without its JSON Schema generator, in every web bundle (docs/performance.md, "Bundle size"). The
 * schemas the citizen app parses server frames with are zod's classic ones (src/chat/protocol.ts, shared
 * with the Worker, which needs them classic for @hono/zod-openapi), and zod/v4/classic/schemas.js
 * imports the generator for `.toJSONSchema()` and `["~standard"].jsonSchema`: every schema's constructor
 * keeps a closure over its JSON Schema processor, so the bundler kept all of it (5.6 KB gzipped) though
 * no page converts a schema. Imported from that file, `core/to-json-schema.js` and
 * `core/json-schema-processors.js` are stand-ins with the same exports: the generators throw when called
 * (the `create…Method` factories return one that does), and `aggregateChecks`, behind getters such as
 * `.minLength` and `.format`, is zod's own. Parsing never reaches either module.
 */
const ZOD_CLASSIC_SCHEMAS = join("zod", "v4", "classic", "schemas.js");
const JSON_SCHEMA_MODULES = /[\\/](to-json-schema|json-schema-processors)\.js$/;
const zodWithoutJsonSchema = {
  name: "zod-without-json-schema",
  setup(build) {
    build.onResolve({ filter: JSON_SCHEMA_MODULES }, (args) =>
      args.importer.endsWith(ZOD_CLASSIC_SCHEMAS)
        ? { path: join(args.resolveDir, args.path), namespace: "zod-without-json-schema" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-without-json-schema" }, async (args) => {
      const names = Object.keys(await import(pathToFileURL(args.path).href));
      const stand = (name) =>
        name === "aggregateChecks"
          ? `export { aggregateChecks } from ${JSON.stringify(args.path)};`
          : `export const ${name} = ${name.startsWith("create") ? "() => unavailable" : "unavailable"};`;
      const contents = [
        `const unavailable = () => { throw new Error("zod's JSON Schema generator (${basename(args.path)}) is left out of the web client: scripts/build-web.mjs"); };`,
        ...names.map(stand),
      ].join("\n");
      return { contents, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

/** Writes dist/web/assets/<name>-<hash of the content>.<ext>; returns its URL path. */
function writeHashed(content, name, ext) {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 8).toUpperCase();
  const target = `assets/${name}-${hash}.${ext}`;
  writeFileSync(join(OUT, target), content);
  return `/${target}`;
}

/**
 * Response headers for every asset (Workers static assets read `_headers`). The service worker and the
 * manifest come from 'self', which default-src (and so worker-src and manifest-src) allows. The camera is
 * allowed for the app's own pages only: the verifier (#/verify) scans Digital ID codes with it. /sw.js is
 * revalidated every time, so a new build's worker (and with it the new shell) is found on the next visit.
 * The microphone and camera are this origin's only (voice messages, calls, scanning a QR code), never a frame's.
 */
const HEADERS = `/*
  Content-Security-Policy: default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Permissions-Policy: camera=(self), microphone=(self), geolocation=()
/assets/*
  Cache-Control: public, max-age=31536000, immutable
/sw.js
  Cache-Control: no-cache
/manifest.webmanifest
  Content-Type: application/manifest+json
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
    plugins: [zodWithoutJsonSchema],
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
  // Not for the web client: the Worker's phone numbering plans (src/auth/phone.ts), data kept out of its bundle.
  mkdirSync(dirname(join(OUT, PHONE_METADATA.slice(1))), { recursive: true });
  copyFileSync(require.resolve("libphonenumber-js/metadata.mobile.json"), join(OUT, PHONE_METADATA.slice(1)));
  const icons = writeIcons();
  writeFileSync(join(OUT, "manifest.webmanifest"), `${JSON.stringify(MANIFEST, null, 2)}\n`);
  await buildServiceWorker(result.metafile, ["/favicon.svg", "/manifest.webmanifest", ...icons], dev);
  checkBudget(result.metafile, { quiet });
  return result.metafile;
}

/** The app's brand colour (the favicon's), also the browser's theme colour for the installed app. */
const THEME = "#0b57d0";

/** The web manifest: what an installed app is called, opens at and shows as its icon. */
const MANIFEST = {
  name: "Вече",
  short_name: "Вече",
  description: "Мессенджер и госуслуги",
  lang: "ru",
  start_url: "/#/chats",
  scope: "/",
  display: "standalone",
  background_color: "#ffffff",
  theme_color: THEME,
  icons: [
    { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
    { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
    { src: "/icons/maskable-192.png", sizes: "192x192", type: "image/png", purpose: "maskable" },
    { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
  ],
};

/** An RGBA PNG from a function of the pixel's centre in [0,1)² to [r, g, b, a]. */
function pngOf(size, paint) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const raw = Buffer.alloc((size * 4 + 1) * size);
  // 4×4 samples a pixel, so edges are smooth.
  const S = 4;
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1);
    for (let x = 0; x < size; x++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const [r, g, b, a] = paint((x + (sx + 0.5) / S) / size, (y + (sy + 0.5) / S) / size);
          acc[0] += r * a;
          acc[1] += g * a;
          acc[2] += b * a;
          acc[3] += a;
        }
      }
      const i = row + 1 + x * 4;
      const alpha = acc[3] / (S * S);
      for (let c = 0; c < 3; c++) raw[i + c] = acc[3] > 0 ? Math.round(acc[c] / acc[3]) : 0;
      raw[i + 3] = Math.round(alpha * 255);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Inside a rounded rectangle [x0,x1]×[y0,y1] with corner radius r. */
function inRoundRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/**
 * The favicon's speech bubble (src/web/favicon.svg, on its 64-unit grid), scaled by `k` about the centre:
 * "bubble" (white), "line" (its two text lines), or null outside.
 */
function bubbleAt(u, v, k) {
  const x = 32 + (u * 64 - 32) / k;
  const y = 32 + (v * 64 - 32) / k;
  if ((x >= 22 && x <= 42 && y >= 21 && y <= 25) || (x >= 22 && x <= 36 && y >= 29 && y <= 33)) return "line";
  if (inRoundRect(x, y, 14, 12, 50, 42, 6)) return "bubble";
  // The tail: the triangle (18,42)–(28,42)–(18,51).
  if (x >= 18 && y >= 42 && y <= 51 && (x - 18) / 10 + (y - 42) / 9 <= 1) return "bubble";
  return null;
}

const hex = (h) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));

/** The app's icons under icons/: for browsers ("any", rounded), for launchers that mask them, and a badge. */
function writeIcons() {
  mkdirSync(join(OUT, "icons"), { recursive: true });
  const blue = [...hex(THEME), 1];
  const white = [255, 255, 255, 1];
  const clear = [0, 0, 0, 0];
  const written = [];
  const write = (name, size, paint) => {
    writeFileSync(join(OUT, "icons", name), pngOf(size, paint));
    written.push(`/icons/${name}`);
  };
  for (const size of [192, 512]) {
    // As the favicon: a rounded square.
    write(`icon-${size}.png`, size, (u, v) => {
      if (!inRoundRect(u, v, 0, 0, 1, 1, 14 / 64)) return clear;
      const part = bubbleAt(u, v, 1);
      return part === "bubble" ? white : blue;
    });
    // Full bleed, the bubble inside the central circle of 80% a launcher may cut the icon to.
    write(`maskable-${size}.png`, size, (u, v) => (bubbleAt(u, v, 0.8) === "bubble" ? white : blue));
  }
  // Status-bar badges are drawn from the alpha channel only: a white bubble on nothing.
  write("badge-96.png", 96, (u, v) => (bubbleAt(u, v, 1.15) === "bubble" ? white : clear));
  return written;
}

/**
 * The citizen app's shell: its page, its script with every chunk it may load (the service screens too, so
 * they open offline), its stylesheets. The agency console and the API reference are not in it.
 */
function shellOf(metafile) {
  const outputs = metafile.outputs;
  const page = PAGES[0];
  const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint === page.entry && f.endsWith(".js"));
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file) || !outputs[file]) return;
    seen.add(file);
    const css = outputs[file].cssBundle;
    if (css) seen.add(css);
    for (const imp of outputs[file].imports ?? []) if (imp.kind === "import-statement" || imp.kind === "dynamic-import") visit(imp.path);
  };
  visit(entry);
  return ["/", ...[...seen].map((f) => `/${f.slice(OUT.length + 1)}`).sort()];
}

/** dist/web/sw.js: src/web/sw/sw.ts with the shell's URLs and a cache name that changes with them. */
async function buildServiceWorker(metafile, extra, dev) {
  const shell = [...shellOf(metafile), ...extra];
  // The hashed names change with their content; the unhashed files are hashed here.
  const version = createHash("sha256");
  for (const url of shell) {
    version.update(url);
    if (!url.startsWith("/assets/")) version.update(readFileSync(join(OUT, url === "/" ? PAGES[0].html : url.slice(1))));
  }
  await build({
    entryPoints: ["src/web/sw/sw.ts"],
    outfile: join(OUT, "sw.js"),
    bundle: true,
    // A classic script: every browser with service workers runs one (module workers are newer).
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    define: {
      __VECHE_SHELL__: JSON.stringify(shell),
      __VECHE_VERSION__: JSON.stringify(version.digest("hex").slice(0, 12)),
      "import.meta.env.DEV": JSON.stringify(dev),
    },
    plugins: [zodWithoutJsonSchema],
    logLevel: "warning",
  });
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
  // The service worker is no page's initial JavaScript: it installs in the background after the page runs.
  const sw = join(OUT, "sw.js");
  return {
    pages,
    onDemand: { jsGzip: lazy.reduce((sum, f) => sum + gz(f), 0), chunks: lazy.length },
    serviceWorker: { jsGzip: existsSync(sw) ? gz(sw) : 0 },
  };
}

/** Prints measureWeb's figures; throws when a page is over budget, so the build (and `npm test`) fails. */
export function checkBudget(metafile, { quiet = false } = {}) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const { pages, onDemand, serviceWorker } = measureWeb(metafile);
  const report = Object.entries(pages).map(
    ([name, p]) => `  ${name.padEnd(8)} initial JS ${kb(p.initialJsGzip).padStart(9)} gzipped (${p.files} file${p.files === 1 ? "" : "s"})`,
  );
  report.push(`  on demand  ${kb(onDemand.jsGzip).padStart(9)} gzipped in ${onDemand.chunks} chunk${onDemand.chunks === 1 ? "" : "s"}`);
  report.push(`  service worker ${kb(serviceWorker.jsGzip).padStart(9)} gzipped (installed after the page runs)`);
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
