// Builds the web client (src/web) into Workers static assets under dist/web: the citizen app at `/` and
// the agency console at `/agency/`. Each page gets one hashed, minified script and stylesheet; the HTML
// is written from the page's template with those names. Usage: node scripts/build-web.mjs [--watch]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const OUT = "dist/web";

/** The pages: where their entry and HTML template are, and where the HTML goes under dist/web. */
const PAGES = [
  { name: "app", entry: "src/web/citizen/main.tsx", template: "src/web/citizen/index.html", html: "index.html" },
  { name: "agency", entry: "src/web/agency/main.tsx", template: "src/web/agency/index.html", html: "agency/index.html" },
];

/** Response headers for every asset (Workers static assets read `_headers`). */
const HEADERS = `/*
  Content-Security-Policy: default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Permissions-Policy: camera=(), microphone=(), geolocation=()
/assets/*
  Cache-Control: public, max-age=31536000, immutable
`;

export async function buildWeb({ dev = process.env.ENVIRONMENT !== "production" } = {}) {
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
    const [js, output] = outputs.find(([file, o]) => o.entryPoint === page.entry && file.endsWith(".js")) ?? [];
    if (!js || !output) throw new Error(`no script built for ${page.entry}`);
    // CSS imported from the entry is bundled into one file that the script's output names (no entryPoint of its own).
    const css = output.cssBundle;
    const url = (file) => `/${file.slice(OUT.length + 1)}`;
    const html = readFileSync(page.template, "utf8")
      .replace("<!--STYLE-->", css ? `<link rel="stylesheet" href="${url(css)}">` : "")
      .replace("<!--SCRIPT-->", `<script type="module" src="${url(js)}"></script>`);
    const target = join(OUT, page.html);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, html);
  }
  writeFileSync(join(OUT, "_headers"), HEADERS);
  return result.metafile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildWeb();
}
