// `npm run bench -- --channel-scale` (or `node bench/channel-scale.ts`): the work per post of a channel with
// 1,000 / 10,000 / 100,000 / 1,000,000 subscribers and ≥ 100 relays, measured inside workerd on a bulk fixture
// (test/scale/channel-scale.scale.ts says what it holds and leaves out). Writes bench/results/<date>-channel-scale.json.
// CHANNEL_SCALE_SIZES=1000,10000 measures other sizes.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";

export function channelScale(): void {
  const started = Date.now();
  const run = spawnSync("npx", ["vitest", "run", "-c", "vitest.scale.config.ts", "--silent=false"], {
    encoding: "utf8",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = `${run.stdout}\n${run.stderr}`;
  const line = out.split("\n").find((l) => l.includes("CHANNEL_SCALE ["));
  if (!line) {
    console.error(out.slice(-4000));
    throw new Error("the channel-scale run reported no table");
  }
  const rows = JSON.parse(line.slice(line.indexOf("["))) as Record<string, unknown>[];
  const report = {
    date: new Date().toISOString(),
    durationSec: Math.round((Date.now() - started) / 1000),
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version },
    passed: run.status === 0,
    rows,
  };
  mkdirSync("bench/results", { recursive: true });
  const name = `bench/results/${report.date.slice(0, 19).replaceAll(":", "-")}-channel-scale.json`;
  writeFileSync(name, `${JSON.stringify(report, null, 2)}\n`);
  const cols = [
    "subscribers",
    "relays",
    "roomCallsPerPost",
    "relayBatchesPerPost",
    "roomSqlStatementsPerPost",
    "roomSqlRowsReadPerPost",
    "roomSqlRowsWrittenPerPost",
    "pushPlanningRuns",
    "pushPlanningRowsReadPerPost",
    "msPerPost",
    "postToLastDeliveryP99Ms",
    "httpPostP50Ms",
  ];
  console.log(cols.join("\t"));
  for (const r of rows) console.log(cols.map((c) => String(r[c])).join("\t"));
  console.log(`\nWrote ${name} in ${report.durationSec} s${report.passed ? "" : " (the run's assertions failed: see the table)"}`);
}

if (import.meta.url === `file://${process.argv[1]}`) channelScale();
