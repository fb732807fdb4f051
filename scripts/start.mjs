// `npm start`: the whole of Veche locally on http://127.0.0.1:8787 (or $PORT), state under .wrangler/state
// so a restart keeps it. The first run writes .dev.vars with fresh keys and seeds demo data once.
import { existsSync, writeFileSync } from "node:fs";
import { seed } from "./seed.mjs";
import { serve } from "./serve.mjs";

const STATE = ".wrangler/state";
const SEEDED = `${STATE}/veche-demo-seeded`;

const { mf, url } = await serve({ port: Number(process.env.PORT ?? 8787), state: STATE, verbose: true });
const origin = url.origin;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    void mf.dispose().finally(() => process.exit(0));
  });
}
if (!existsSync(SEEDED)) {
  await seed(origin);
  writeFileSync(SEEDED, new Date().toISOString());
  console.log("Demo data seeded.");
}
console.log(`\nVeche is running on ${origin}\n`);
