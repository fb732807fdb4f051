// `npm start`: the whole of Veche locally on http://127.0.0.1:8787 (or $PORT), state under .wrangler/state
// so a restart keeps it. The first run writes .dev.vars with fresh keys and seeds demo data once; every run
// shows the demo agencies' credentials (kept in .wrangler/state, like the data they sign in to).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { DEMO_CREDENTIALS, describeAgencies, seed } from "./seed.mjs";
import { serve } from "./serve.mjs";

const STATE = ".wrangler/state";
const SEEDED = `${STATE}/veche-demo-seeded`;

// The demo is expected: /health answers 503 until it is in (src/dev/demo.ts).
const { mf, url } = await serve({ port: Number(process.env.PORT ?? 8787), state: STATE, verbose: true, demo: true });
const origin = url.origin;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    void mf.dispose().finally(() => process.exit(0));
  });
}
if (!existsSync(SEEDED)) {
  const { agencies } = await seed(origin);
  writeFileSync(DEMO_CREDENTIALS, `${JSON.stringify(agencies, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(SEEDED, new Date().toISOString());
  console.log("Demo data seeded.");
}
console.log(`\nVeche is running on ${origin}\n`);
if (existsSync(DEMO_CREDENTIALS)) console.log(`${describeAgencies(origin, JSON.parse(readFileSync(DEMO_CREDENTIALS, "utf8")))}\n`);
else console.log("The demo agencies' credentials were shown only when this state was seeded; rm -r .wrangler/state to seed again.\n");
