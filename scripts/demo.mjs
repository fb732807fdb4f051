// `npm run demo`: the demo agencies' credentials and the demo citizens' phones, from the state `npm start`
// seeded (the server need not be running).
import { existsSync, readFileSync } from "node:fs";
import { DEMO_CREDENTIALS, DEMO_USERS, describeAgencies } from "./seed.mjs";

const origin = `http://127.0.0.1:${process.env.PORT ?? 8787}`;

if (!existsSync(DEMO_CREDENTIALS)) {
  console.error("No demo data yet: `npm start` seeds it on its first run (an older state: rm -r .wrangler/state).");
  process.exit(1);
}
console.log(describeAgencies(origin, JSON.parse(readFileSync(DEMO_CREDENTIALS, "utf8"))));
console.log(`\nDemo citizens (sign in at ${origin}/; the code is at GET /api/v1/dev/otp?phone=…):`);
for (const u of DEMO_USERS) console.log(`  ${u.displayName}: ${u.phone}`);
