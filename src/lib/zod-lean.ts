// What the Worker's bundles resolve the bare `zod` to (wrangler.toml [alias]; scripts/serve.mjs and
// vitest.config.ts do the same, so tests and local runs use what ships): zod itself, less what only a
// use of zod's whole namespace as a value kept in the bundle (docs/performance.md, "Bundle size").
//
// @hono/zod-openapi does `import { z } from "zod"` and calls `extendZodWithOpenApi(z)` (which adds
// `.openapi()` to `z.ZodType.prototype`), so with zod's own `z` the bundler had to keep every export of
// zod's namespace: ~40 translations of the error messages (~360 KB unminified), `z.compile`, the JSON
// Schema importer. That is all `z` is used for there, so here `z` is that one class; a module's own exports
// take precedence over its `export *`. Our code imports `* as z from "zod"`, whose members the bundler
// resolves one by one; importing `z` from @hono/zod-openapi would get this object (biome.json forbids it,
// and every test would fail at load).
import { ZodType } from "zod/v4";
import en from "zod/v4/locales/en.js";
import * as core from "./zod-lean-core";

export * from "zod/v4";
export { core };
/** English only: the messages we show are our own. */
export const locales = { en };
export const z = { ZodType };
