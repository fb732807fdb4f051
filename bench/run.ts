// `npm run bench [-- --quick] [-- --only=fanout,saturation,channel,rooms,busy,http,growth,media,memory] [-- --channel-scale]`
// Starts the real local server (scripts/serve.mjs: workerd through Miniflare, as `npm start` does) and a
// bare Node `ws` broadcast server as the baseline, drives both with the same clients from worker threads,
// and writes bench/results/<date>.json and .svg (docs/performance.md explains the figures).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { channelScale } from "./channel-scale.ts";
import { renderChart } from "./chart.ts";
import { merge, newHistogram, quantile } from "./histogram.ts";

const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, only: { type: "string" }, "channel-scale": { type: "boolean", default: false } },
});
const QUICK = args.quick;
const ONLY = args.only ? new Set(args.only.split(",")) : null;
const want = (s: string) => !ONLY || ONLY.has(s);

const CFG = QUICK
  ? {
      sockets: 1000,
      fanoutSec: 5,
      rates: [10, 100],
      satRates: [100, 300, 900],
      satSec: 3,
      rooms: 100,
      roomsSec: 5,
      busyWriters: 100,
      busyReaders: 200,
      busySec: 5,
      httpSec: 3,
      growth: 10_000,
      growthSec: 5,
      idleSec: 5,
      channelUsers: 500,
      channelSec: 10,
    }
  : {
      sockets: 1000,
      fanoutSec: 30,
      rates: [10, 100],
      satRates: [25, 50, 100, 200, 400, 800, 1600],
      satSec: 5,
      rooms: 500,
      roomsSec: 10,
      busyWriters: 100,
      busyReaders: 200,
      busySec: 10,
      httpSec: 10,
      growth: 100_000,
      growthSec: 10,
      idleSec: 15,
      channelUsers: 500,
      channelSec: 30,
    };
const THREADS = 2;
const VECHE_PORT = 8791;
const BASELINE_PORT = 8792;
const FLOOR_PORT = 8795;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : null);

/** Wall time per step of the run (setup included), so a slow benchmark shows where its minutes went. */
const phasesSec: Record<string, number> = {};
let phase: { name: string; at: number } | null = null;
const benchStart = now();
/** Starts a step: logs it with the time since the start and closes the previous one. */
function step(name: string): void {
  const t = now();
  if (phase) phasesSec[phase.name] = round((phasesSec[phase.name] ?? 0) + (t - phase.at) / 1000) ?? 0;
  phase = { name, at: t };
  console.log(`[${Math.round((t - benchStart) / 1000)} s] ${name}`);
}

// ---------- processes ----------

function startProcess(cmd: string, argv: string[], readyPattern: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" } });
    let out = "";
    const onData = (d: Buffer) => {
      out += d;
      if (readyPattern.test(out)) resolve(child);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (d: Buffer) => {
      out += d;
    });
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}: ${out}`)));
  });
}

/** The workerd process serving Veche: a descendant of the serve script. */
function workerdPid(root: number): number {
  const table = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm: comm ?? "" }));
  const descendants = new Set([root]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of table) {
      if (descendants.has(p.ppid) && !descendants.has(p.pid)) {
        descendants.add(p.pid);
        changed = true;
      }
    }
  }
  const w = table.find((p) => descendants.has(p.pid) && p.comm.startsWith("workerd"));
  if (!w) throw new Error("workerd process not found");
  return w.pid;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const CLK_TCK = 100;
/** CPU seconds (user + system) a process has used. */
function cpuSec(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

// ---------- client threads ----------

interface Reply {
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

class Thread {
  private readonly worker = new Worker(new URL("./clients.ts", import.meta.url));
  private pending: ((r: Reply) => void) | null = null;
  constructor() {
    this.worker.on("message", (r: Reply) => this.pending?.(r));
  }
  request(msg: Record<string, unknown>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending = (r) => (r.ok ? resolve(r) : reject(new Error(r.error)));
      this.worker.postMessage(msg);
    });
  }
  terminate() {
    return this.worker.terminate();
  }
}

/** The thread that holds the senders. */
function lead(threads: Thread[]): Thread {
  const t = threads[0];
  if (!t) throw new Error("no client threads");
  return t;
}

interface SocketSpec {
  url: string;
  headers: Record<string, string>;
  group: number;
  sender: boolean;
  /** Whether its deliveries are measured; by default every socket but the senders. */
  receiver?: boolean;
  /** A sender's index among its group's senders (groups with several senders). */
  slot?: number;
}

/** Opens sockets spread over the threads; senders go to thread 0, which also paces them. */
async function openAll(threads: Thread[], specs: SocketSpec[]): Promise<void> {
  const parts: SocketSpec[][] = threads.map(() => []);
  let k = 0;
  for (const s of specs) {
    if (s.sender) parts[0]?.push(s);
    else parts[k++ % threads.length]?.push(s);
  }
  await Promise.all(threads.map((t, i) => t.request({ cmd: "open", sockets: parts[i] })));
}

interface RunResult {
  sent: number;
  receivers: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  deliveriesPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  ackP50: number;
  ackP99: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
}

let runCounter = 0;

/**
 * One paced run: every sender sends `rate`/s for `seconds`; waits for delivery to finish, then measures.
 * `slots`: the most senders any one group has.
 */
async function run(threads: Thread[], serverPid: number, rate: number, seconds: number, slots = 1): Promise<RunResult> {
  const count = Math.max(1, Math.round(rate * seconds));
  const runId = `r${++runCounter}`;
  await Promise.all(threads.map((t) => t.request({ cmd: "reset", runId, expected: count * slots })));
  const cpu0 = process.cpuUsage();
  const server0 = cpuSec(serverPid);
  const t0 = now();
  const { sent } = (await lead(threads).request({ cmd: "pace", rate, count })) as unknown as { sent: Record<string, number> };
  // Drain: wait until everything expected arrived, or nothing new arrived for 3 s.
  let collected: Reply[] = [];
  let lastTotal = -1;
  let stableSince = now();
  for (;;) {
    collected = await Promise.all(threads.map((t) => t.request({ cmd: "collect" })));
    const groups = mergeGroups(collected);
    const total = Object.values(groups).reduce((a, g) => a + g.unique, 0);
    const expected = Object.entries(groups).reduce((a, [g, v]) => a + v.sockets * (sent[g] ?? 0), 0);
    if (total >= expected) break;
    if (total !== lastTotal) {
      lastTotal = total;
      stableSince = now();
    } else if (now() - stableSince > 3000) break;
    await sleep(100);
  }
  const groups = mergeGroups(collected);
  const lastDeliveryAt = Math.max(...collected.map((c) => c.lastDeliveryAt as number));
  const hist = newHistogram();
  const acks = newHistogram();
  for (const c of collected) {
    merge(hist, c.deliveryLatency as Uint32Array);
    merge(acks, c.ackLatency as Uint32Array);
  }
  const receivers = Object.values(groups).reduce((a, g) => a + g.sockets, 0);
  const expected = Object.entries(groups).reduce((a, [g, v]) => a + v.sockets * (sent[g] ?? 0), 0);
  const delivered = Object.values(groups).reduce((a, g) => a + g.unique, 0);
  const wall = (Math.max(lastDeliveryAt, t0 + 1) - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    sent: Object.values(sent).reduce((a, b) => a + b, 0),
    receivers,
    expected,
    delivered,
    lost: expected - delivered,
    duplicated: Object.values(groups).reduce((a, g) => a + g.duplicates, 0),
    deliveriesPerSec: delivered / wall,
    p50: quantile(hist, 0.5),
    p95: quantile(hist, 0.95),
    p99: quantile(hist, 0.99),
    ackP50: quantile(acks, 0.5),
    ackP99: quantile(acks, 0.99),
    serverCpuPct: (100 * (cpuSec(serverPid) - server0)) / wall,
    loadgenCpuPct: (100 * (cpu.user + cpu.system)) / 1e6 / wall,
  };
}

/**
 * A short unrecorded run after connecting, so neither server is measured with cold code paths. Scenarios
 * with many senders warm up at their own rate (two messages each) rather than 20 per sender in a second.
 */
async function warmUp(threads: Thread[], serverPid: number, rate = 20, seconds = 1, slots = 1): Promise<void> {
  await run(threads, serverPid, rate, seconds, slots);
}

function mergeGroups(replies: Reply[]): Record<string, { sockets: number; unique: number; duplicates: number }> {
  const out: Record<string, { sockets: number; unique: number; duplicates: number }> = {};
  for (const r of replies) {
    for (const [g, v] of Object.entries(r.groups as Record<string, { sockets: number; unique: number; duplicates: number }>)) {
      const o = out[g] ?? { sockets: 0, unique: 0, duplicates: 0 };
      out[g] = o;
      o.sockets += v.sockets;
      o.unique += v.unique;
      o.duplicates += v.duplicates;
    }
  }
  return out;
}

async function closeAll(threads: Thread[]) {
  await Promise.all(threads.map((t) => t.request({ cmd: "close" })));
}

// ---------- Veche API ----------

const ORIGIN = `http://127.0.0.1:${VECHE_PORT}`;
const WS_ORIGIN = `ws://127.0.0.1:${VECHE_PORT}`;

async function api<T>(path: string, opts: { token?: string; body?: unknown; method?: string } = {}, origin = ORIGIN): Promise<T> {
  const res = await fetch(origin + path, {
    method: opts.method ?? (opts.body ? "POST" : "GET"),
    headers: { "content-type": "application/json", ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface User {
  id: string;
  token: string;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping their order. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Signs in `n` users (phones offset…offset+n-1), 32 at a time. */
async function users(n: number, offset: number): Promise<User[]> {
  const out: User[] = [];
  for (let i = 0; i < n; i += 32) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(32, n - i) }, (_, j) =>
        api<{ accessToken: string; user: { id: string } }>("/api/v1/dev/sessions", {
          body: { phone: `+7950${String(offset + i + j).padStart(7, "0")}`, deviceName: "bench" },
        }),
      ),
    );
    out.push(...batch.map((b) => ({ id: b.user.id, token: b.accessToken })));
  }
  return out;
}

async function group(owner: User, members: User[], title: string, type: "group" | "channel" = "group"): Promise<string> {
  const { chat } = await api<{ chat: { id: string } }>("/api/v1/chats", {
    token: owner.token,
    body: { type, title, memberIds: members.slice(0, 200).map((m) => m.id) },
  });
  // One call per member (there is no bulk add), 10 in flight. Each add waits for the room's push to every
  // member's inbox; 50 in flight was no faster (2026-12-01: 420 s against 372 s for 1,001 members).
  await pool(members.slice(200), 10, (m) => api(`/api/v1/chats/${chat.id}/members`, { token: owner.token, body: { userId: m.id } }));
  return chat.id;
}

/** Veche sockets take batched frames (`?batch=1`), as the web client does; `batch: false` measures without. */
const vecheSocket = (chatId: string, u: User, groupNo: number, sender = false, batch = true): SocketSpec => ({
  url: `${WS_ORIGIN}/api/v1/chats/${chatId}/ws${batch ? "?batch=1" : ""}`,
  headers: { authorization: `Bearer ${u.token}` },
  group: groupNo,
  sender,
});
const baselineSocket = (room: string, groupNo: number, sender = false): SocketSpec => ({
  url: `ws://127.0.0.1:${BASELINE_PORT}/rooms/${room}`,
  headers: {},
  group: groupNo,
  sender,
});
/** A user's inbox socket (their chat list and notifications), as the web client keeps open. */
const inboxSocket = (u: User, groupNo: number): SocketSpec => ({
  url: `${WS_ORIGIN}/api/v1/inbox/ws`,
  headers: { authorization: `Bearer ${u.token}` },
  group: groupNo,
  sender: false,
});
/** The runtime floor (bench/floor.ts): the baseline's frames from a Durable Object per room on workerd. */
const floorSocket = (room: string, groupNo: number, sender = false): SocketSpec => ({
  ...baselineSocket(room, groupNo, sender),
  url: `ws://127.0.0.1:${FLOOR_PORT}/rooms/${room}`,
});
type Target = "veche" | "baseline" | "floor";
/** The same room's socket on each server: Veche's chat, or the baseline's or the floor's room of that name. */
const socketFor = (target: Target, chatId: string, u: User, room: string, groupNo: number, sender = false): SocketSpec =>
  target === "veche"
    ? vecheSocket(chatId, u, groupNo, sender)
    : target === "baseline"
      ? baselineSocket(room, groupNo, sender)
      : floorSocket(room, groupNo, sender);

/** D1 statements the server has run since it started (dev route), or null where the server has no such route. */
async function d1Statements(): Promise<number | null> {
  try {
    const res = await fetch(`${ORIGIN}/api/v1/dev/d1-statements`);
    if (!res.ok) return null;
    const body = (await res.json()) as { statements?: unknown };
    return typeof body.statements === "number" ? body.statements : null;
  } catch {
    return null;
  }
}

/** D1 statements per message over a window; "not available" when the server cannot count them. */
const perMessage = (before: number | null, after: number | null, messages: number) =>
  before === null || after === null || messages === 0 ? "not available" : round((after - before) / messages, 3);

/**
 * A measured run with the server's D1 statements counted around it. The counter is read after a pause
 * on both sides, so the room's summary pushes (coalesced to one a second) of the warm-up fall before the
 * window and those of the run inside it.
 */
async function measured(
  threads: Thread[],
  serverPid: number,
  rate: number,
  seconds: number,
  slots: number,
  countD1: boolean,
): Promise<{ r: RunResult; d1: Record<string, unknown> }> {
  if (!countD1) return { r: await run(threads, serverPid, rate, seconds, slots), d1: {} };
  await sleep(2000);
  const before = await d1Statements();
  const r = await run(threads, serverPid, rate, seconds, slots);
  await sleep(2000);
  const after = await d1Statements();
  return {
    r,
    d1: {
      d1Statements: before === null || after === null ? "not available" : after - before,
      // The server's running count around the window (setup's statements show it counts at all).
      d1Counter: { before, after },
      d1StatementsPerMessage: perMessage(before, after, r.sent),
    },
  };
}

// ---------- scenarios ----------

const summary = (r: RunResult) => ({
  sent: r.sent,
  receivers: r.receivers,
  deliveriesPerSec: round(r.deliveriesPerSec, 0),
  p50Ms: round(r.p50),
  p95Ms: round(r.p95),
  p99Ms: round(r.p99),
  lost: r.lost,
  duplicated: r.duplicated,
  serverCpuPct: round(r.serverCpuPct, 0),
  loadgenCpuPct: round(r.loadgenCpuPct, 0),
});

async function main() {
  const started = Date.now();
  // Veche's storage on tmpfs where there is one: this VM's disk flushes made identical runs' p99 differ 20-fold
  // (16–340 ms), which measured the disk, not the design. BENCH_STATE_DIR=/tmp measures with them.
  const stateRoot = process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
  const state = mkdtempSync(join(stateRoot, "veche-bench-"));
  console.log(`Veche benchmark${QUICK ? " (quick)" : ""}: starting servers…`);
  const veche = await startProcess(
    process.execPath,
    // Channels of more than 100 members use relays, one per 100 members: the channel scenario's 501 get 6.
    ["scripts/serve.mjs", "--port", String(VECHE_PORT), "--state", state, "--no-assets", "--observe-limits", "--relays", "100,100,16"],
    /ready /,
  );
  const baseline = await startProcess(process.execPath, ["bench/baseline.ts", "--port", String(BASELINE_PORT)], /ready /);
  const floor = await startProcess(
    process.execPath,
    ["bench/floor.ts", "--port", String(FLOOR_PORT), "--state", join(state, "floor")],
    /ready /,
  );
  const vechePid = workerdPid(veche.pid ?? 0);
  const baselinePid = baseline.pid ?? 0;
  const floorPid = workerdPid(floor.pid ?? 0);
  const threads = Array.from({ length: THREADS }, () => new Thread());
  const results: Results = {};
  let failure: string | null = null;
  const pid: Record<Target, number> = { veche: vechePid, baseline: baselinePid, floor: floorPid };

  try {
    // Fan-out needs 1,001 people; the busy group the first 300 of them; growth and media a few.
    step("setup: signing in");
    const t0 = now();
    const people = await users(
      want("fanout") || want("saturation")
        ? Math.max(CFG.sockets, CFG.channelUsers) + 1
        : want("channel")
          ? CFG.channelUsers + 1
          : want("busy")
            ? CFG.busyWriters + CFG.busyReaders
            : 6,
      0,
    );
    console.log(`  signed in ${people.length} users in ${round((now() - t0) / 1000)} s`);
    const [owner, ...members] = people as [User, ...User[]];
    let fanoutChat = "";
    if (want("fanout") || want("saturation")) {
      step(`setup: fan-out group of ${members.length + 1}`);
      fanoutChat = await group(owner, members, "fan-out");
    }

    // 1 and 2: one room, 1,000 sockets.
    if (want("fanout") || want("saturation")) {
      for (const target of ["veche", "baseline", "floor"] as const) {
        // The floor only for the fixed rates: it says what 1,000 sends a message cost workerd itself.
        if (target === "floor" && !want("fanout")) continue;
        step(`fan-out: ${target}`);
        const specs = [
          socketFor(target, fanoutChat, owner, "fanout", 0, true),
          ...members.slice(0, CFG.sockets).map((m) => socketFor(target, fanoutChat, m, "fanout", 0)),
        ];
        await openAll(threads, specs);
        await warmUp(threads, pid[target]);
        if (want("fanout")) {
          for (const rate of CFG.rates) results[`fanout_${rate}_${target}`] = summary(await run(threads, pid[target], rate, CFG.fanoutSec));
        }
        if (want("saturation") && target !== "floor") {
          const steps = [];
          for (const rate of CFG.satRates) {
            const r = await run(threads, pid[target], rate, CFG.satSec);
            steps.push({ rate, ...summary(r) });
            console.log(`  ${rate} msg/s → ${Math.round(r.deliveriesPerSec)} deliveries/s, p99 ${round(r.p99)} ms, lost ${r.lost}`);
            if (r.p99 > 500 || r.lost > 0) break;
          }
          const ok = steps.filter((s) => (s.p99Ms ?? Infinity) < 500 && s.lost === 0);
          results[`saturation_${target}`] = { steps, deliveriesPerSec: Math.max(0, ...ok.map((s) => s.deliveriesPerSec ?? 0)) };
        }
        await closeAll(threads);
      }
      if (want("fanout")) {
        // The same room and rate for clients that take one frame per WebSocket message.
        const rate = CFG.rates.at(-1) ?? 100;
        step("fan-out: veche, unbatched clients");
        await openAll(threads, [
          vecheSocket(fanoutChat, owner, 0, true, false),
          ...members.slice(0, CFG.sockets).map((m) => vecheSocket(fanoutChat, m, 0, false, false)),
        ]);
        await warmUp(threads, pid.veche);
        results[`fanout_${rate}_veche_unbatched`] = summary(await run(threads, pid.veche, rate, CFG.fanoutSec));
        await closeAll(threads);
      }
    }

    // 2b: a channel of 500 subscribers with 4 devices each (2,000 sockets) at 10 posts/s: on Veche the
    // subscribers' sockets are on the channel's relays (6 of them, with --relays above), the owner's on the room.
    if (want("channel")) {
      const subs = members.slice(0, CFG.channelUsers);
      step(`setup: channel of ${subs.length + 1}`);
      const t0 = now();
      const channelChat = await group(owner, subs, "channel", "channel");
      const setupSec = round((now() - t0) / 1000);
      // Full runs also measure the same 2,000 sockets on one room (a group of the same people: no relays), so
      // the relays' own cost shows beside the per-send cost both pay.
      const sameOnRoom = QUICK ? null : await group(owner, subs, "channel on the room");
      for (const target of ["veche", "baseline", ...(sameOnRoom ? (["room"] as const) : [])] as const) {
        step(`channel: ${target}`);
        const on: Target = target === "room" ? "veche" : target;
        const chatId = target === "room" && sameOnRoom ? sameOnRoom : channelChat;
        const specs = [
          socketFor(on, chatId, owner, "channel", 0, true),
          ...subs.flatMap((u) => [0, 1, 2, 3].map(() => socketFor(on, chatId, u, "channel", 0))),
        ];
        await openAll(threads, specs);
        await warmUp(threads, pid[on], 10, 1);
        const r = await run(threads, pid[on], 10, CFG.channelSec);
        results[target === "room" ? "channel_veche_room" : `channel_${target}`] = {
          subscribers: subs.length,
          socketsPerSubscriber: 4,
          ...summary(r),
          ...(target === "veche" ? { relays: Math.ceil((subs.length + 1) / 100), setupSec } : {}),
        };
        console.log(`  p99 ${round(r.p99)} ms, lost ${r.lost}, dup ${r.duplicated}`);
        await closeAll(threads);
      }
      ratio(results, "channel");
    }

    // 3: many rooms, each of 4 different people (as real traffic is); one of them sends 1 msg/s.
    if (want("rooms")) {
      step(`many rooms: signing in ${CFG.rooms * 4} users, creating ${CFG.rooms} groups`);
      const t0 = now();
      const roomPeople = await users(CFG.rooms * 4, 100_000);
      const t1 = now();
      const rooms = Array.from({ length: CFG.rooms }, (_, g) => roomPeople.slice(g * 4, g * 4 + 4) as [User, User, User, User]);
      const chats = await pool(rooms, 32, (four, g) => group(four[0], four.slice(1), `room ${g}`));
      const t2 = now();
      const setup = { signInSec: round((t1 - t0) / 1000), groupsSec: round((t2 - t1) / 1000) };
      console.log(`  setup: sign-in ${setup.signInSec} s, groups ${setup.groupsSec} s`);
      for (const target of ["veche", "baseline", "floor"] as const) {
        step(`many rooms: ${target}`);
        const specs = chats.flatMap((chatId, g) => (rooms[g] ?? []).map((u, k) => socketFor(target, chatId, u, `room-${g}`, g, k === 0)));
        await openAll(threads, specs);
        await warmUp(threads, pid[target], 1, 2);
        const { r, d1 } = await measured(threads, pid[target], 1, CFG.roomsSec, 1, target === "veche");
        results[`rooms_${target}`] = {
          rooms: CFG.rooms,
          membersPerRoom: 4,
          distinctUsers: target === "veche" ? roomPeople.length : undefined,
          messagesPerSec: round(r.sent / CFG.roomsSec, 0),
          ...summary(r),
          ...d1,
          ...(target === "veche" ? { setup } : {}),
        };
        console.log(
          `  p99 ${round(r.p99)} ms, lost ${r.lost}, dup ${r.duplicated}${d1.d1StatementsPerMessage !== undefined ? `, D1/msg ${d1.d1StatementsPerMessage}` : ""}`,
        );
        await closeAll(threads);
      }
      ratio(results, "rooms");

      // The same, with every member's app open as the web client keeps it: an inbox socket each, which
      // their chat-list summaries are pushed to (members with no device online get no pushes).
      step("many rooms: veche, every app open");
      await openAll(threads, [
        ...chats.flatMap((chatId, g) => (rooms[g] ?? []).map((u, k) => vecheSocket(chatId, u, g, k === 0))),
        ...roomPeople.map((u, i): SocketSpec => ({ ...inboxSocket(u, Math.floor(i / 4)), receiver: false })),
      ]);
      await warmUp(threads, pid.veche, 1, 2);
      const app = await measured(threads, pid.veche, 1, CFG.roomsSec, 1, true);
      results.rooms_veche_apps = { ...summary(app.r), ...app.d1 };
      const b = results.rooms_baseline;
      if (b) results.rooms_veche_apps.p99Ratio = round(num(results.rooms_veche_apps.p99Ms) / num(b.p99Ms), 2);
      console.log(`  p99 ${round(app.r.p99)} ms, lost ${app.r.lost}, dup ${app.r.duplicated}`);
      await closeAll(threads);
    }

    // 3b: a busy group: 100 members writing 1 msg/s each (staggered), 200 more reading; all 300 receive.
    if (want("busy")) {
      const size = CFG.busyWriters + CFG.busyReaders;
      const members = people.slice(0, size);
      if (members.length < size) throw new Error("not enough users for the busy group");
      const [busyOwner, ...rest] = members as [User, ...User[]];
      step(`setup: busy group of ${size}`);
      const t0 = now();
      const busyChat = await group(busyOwner, rest, "busy");
      const setupSec = round((now() - t0) / 1000);
      for (const target of ["veche", "baseline", "floor"] as const) {
        step(`busy group: ${target}`);
        const specs = members.map((u, i): SocketSpec => {
          const writer = i < CFG.busyWriters;
          const spec = socketFor(target, busyChat, u, "busy", 0, writer);
          return { ...spec, receiver: true, slot: writer ? i : undefined };
        });
        await openAll(threads, specs);
        await warmUp(threads, pid[target], 1, 2, CFG.busyWriters);
        const { r, d1 } = await measured(threads, pid[target], 1, CFG.busySec, CFG.busyWriters, target === "veche");
        results[`busy_${target}`] = {
          members: size,
          writers: CFG.busyWriters,
          messagesPerSec: round(r.sent / CFG.busySec, 0),
          ...summary(r),
          ...d1,
          ...(target === "veche" ? { setupSec } : {}),
        };
        console.log(
          `  p99 ${round(r.p99)} ms, lost ${r.lost}, dup ${r.duplicated}${d1.d1StatementsPerMessage !== undefined ? `, D1/msg ${d1.d1StatementsPerMessage}` : ""}`,
        );
        await closeAll(threads);
      }
      ratio(results, "busy");
    }

    // 4: HTTP.
    if (want("http")) {
      step("http");
      // A user of its own, in exactly 20 chats, whatever other scenarios ran.
      const [me, u2, u3] = (await users(3, 200_000)) as [User, User, User];
      const chatId = await group(me, [u2, u3], "http");
      for (let i = 0; i < 19; i++) await group(me, [u2], `http ${i}`);
      let n = 0;
      const cases = {
        health: { url: `${ORIGIN}/health` },
        listChats: { url: `${ORIGIN}/api/v1/chats`, headers: { authorization: `Bearer ${me.token}` } },
        postMessage: {
          url: `${ORIGIN}/api/v1/chats/${chatId}/messages`,
          requests: [
            {
              method: "POST" as const,
              headers: { authorization: `Bearer ${me.token}`, "content-type": "application/json" },
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                body: JSON.stringify({ clientId: `ac-${++n}`, text: `autocannon ${n}` }),
              }),
            },
          ],
        },
      };
      for (const [name, opts] of Object.entries(cases)) {
        const server0 = cpuSec(vechePid);
        const d1Before = name === "postMessage" ? await d1Statements() : null;
        const r = await autocannon({ ...(opts as autocannon.Options), connections: 10, duration: CFG.httpSec });
        const health = num(results.http_health?.requestsPerSec);
        results[`http_${name}`] = {
          requestsPerSec: round(r.requests.average, 0),
          ratioToHealth: round(r.requests.average / health, 3),
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
          serverCpuPct: round((100 * (cpuSec(vechePid) - server0)) / CFG.httpSec, 0),
          ...(name === "postMessage"
            ? { d1StatementsPerMessage: perMessage(d1Before, await sleep(2000).then(d1Statements), r["2xx"]) }
            : {}),
        };
      }
    }

    // 5: growth.
    if (want("growth")) {
      step(`growth: filling a room with ${CFG.growth} messages`);
      const [a, b] = people.slice(4, 6) as [User, User];
      const empty = await group(a, [b], "empty");
      const full = await group(a, [b], "full");
      await openAll(threads, [vecheSocket(full, a, 0, true)]);
      const fill0 = now();
      await lead(threads).request({ cmd: "fill", total: CFG.growth, window: 100 });
      const fillSec = (now() - fill0) / 1000;
      await closeAll(threads);
      const sendLatency: Record<string, unknown> = {};
      for (const [name, chatId] of [
        ["empty", empty],
        ["full", full],
      ] as const) {
        await openAll(threads, [vecheSocket(chatId, a, 0, true), vecheSocket(chatId, b, 0)]);
        const r = await run(threads, vechePid, 10, CFG.growthSec);
        sendLatency[name] = { ackP50Ms: round(r.ackP50), ackP99Ms: round(r.ackP99), deliveryP99Ms: round(r.p99) };
        await closeAll(threads);
      }
      const page = async (q: string) => {
        const times: number[] = [];
        for (let i = 0; i < 50; i++) {
          const t = now();
          await api(`/api/v1/chats/${full}/messages?${q}`, { token: a.token });
          times.push(now() - t);
        }
        times.sort((x, y) => x - y);
        return { p50Ms: round(times[24] ?? Number.NaN), p99Ms: round(times[49] ?? Number.NaN) };
      };
      results.growth = {
        stored: CFG.growth,
        fillMessagesPerSec: round(CFG.growth / fillSec, 0),
        sendLatency,
        history: {
          latest: await page("limit=50"),
          deep: await page(`before=${Math.floor(CFG.growth / 2)}&limit=50`),
          start: await page("after=0&limit=50"),
        },
      };
    }

    // 7: media: a 50 MiB file through /media beside a plain R2 put/get of the same bytes.
    if (want("media")) {
      step("media");
      const size = 50 * 1024 * 1024;
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
      // An MP4 signature, so the upload goes through the same type check a real video does.
      bytes.set([
        0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0, 0x69, 0x73, 0x6f, 0x6d, 0x69, 0x73, 0x6f, 0x32,
      ]);
      const auth = { authorization: `Bearer ${owner.token}` };
      const timed = async (fn: () => Promise<void>) => {
        const t = now();
        await fn();
        return (now() - t) / 1000;
      };
      const mibps = (sec: number) => round(size / 2 ** 20 / sec, 0);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
      const times = { vecheUp: [] as number[], vecheDown: [] as number[], r2Up: [] as number[], r2Down: [] as number[] };
      for (let k = 0; k < (QUICK ? 2 : 3); k++) {
        let mediaId = "";
        times.vecheUp.push(
          await timed(async () => {
            const res = await fetch(`${ORIGIN}/api/v1/media`, {
              method: "POST",
              headers: { ...auth, "content-type": "video/mp4" },
              body: bytes,
            });
            if (res.status !== 201) throw new Error(`media upload: ${res.status} ${await res.text()}`);
            mediaId = ((await res.json()) as { media: { id: string } }).media.id;
          }),
        );
        times.vecheDown.push(
          await timed(async () => {
            const res = await fetch(`${ORIGIN}/api/v1/media/${mediaId}`, { headers: auth });
            if ((await res.arrayBuffer()).byteLength !== size) throw new Error("media download: wrong length");
          }),
        );
        times.r2Up.push(
          await timed(async () => {
            const res = await fetch(`${ORIGIN}/api/v1/dev/r2/bench-${k}`, { method: "PUT", body: bytes });
            if (res.status !== 204) throw new Error(`r2 put: ${res.status}`);
          }),
        );
        times.r2Down.push(
          await timed(async () => {
            const res = await fetch(`${ORIGIN}/api/v1/dev/r2/bench-${k}`);
            if ((await res.arrayBuffer()).byteLength !== size) throw new Error("r2 get: wrong length");
          }),
        );
      }
      results.media = {
        fileMiB: 50,
        uploadMiBps: mibps(median(times.vecheUp)),
        downloadMiBps: mibps(median(times.vecheDown)),
        plainR2PutMiBps: mibps(median(times.r2Up)),
        plainR2GetMiBps: mibps(median(times.r2Down)),
      };
    }

    // 6: memory per 1,000 idle sockets, each server fresh so earlier scenarios' memory does not blur it.
    if (want("memory")) {
      for (const target of ["veche", "baseline"] as const) {
        step(`memory: ${target}`);
        const port = target === "veche" ? VECHE_PORT + 2 : BASELINE_PORT + 2;
        const memState = mkdtempSync(join(os.tmpdir(), "veche-bench-mem-"));
        const server =
          target === "veche"
            ? await startProcess(
                process.execPath,
                ["scripts/serve.mjs", "--port", String(port), "--state", memState, "--no-assets", "--observe-limits"],
                /ready /,
              )
            : await startProcess(process.execPath, ["bench/baseline.ts", "--port", String(port)], /ready /);
        try {
          const serverPid = target === "veche" ? workerdPid(server.pid ?? 0) : (server.pid ?? 0);
          let specs: SocketSpec[];
          if (target === "veche") {
            const origin = `http://127.0.0.1:${port}`;
            const one = await api<{ accessToken: string }>("/api/v1/dev/sessions", { body: { phone: "+79509999999" } }, origin);
            const { chat } = await api<{ chat: { id: string } }>(
              "/api/v1/chats",
              { token: one.accessToken, body: { type: "group", title: "idle" } },
              origin,
            );
            specs = Array.from({ length: 1000 }, () => ({
              url: `ws://127.0.0.1:${port}/api/v1/chats/${chat.id}/ws?batch=1`,
              headers: { authorization: `Bearer ${one.accessToken}` },
              group: 0,
              sender: false,
            }));
          } else {
            specs = Array.from({ length: 1000 }, () => ({
              url: `ws://127.0.0.1:${port}/rooms/idle`,
              headers: {},
              group: 0,
              sender: false,
            }));
          }
          await sleep(3000);
          const before = rssMiB(serverPid);
          await openAll(threads, specs);
          // Long enough for workerd to evict the idle room, leaving only its hibernated sockets.
          await sleep(CFG.idleSec * 1000);
          const after = rssMiB(serverPid);
          results[`memory_${target}`] = {
            sockets: specs.length,
            idleSec: CFG.idleSec,
            rssBeforeMiB: round(before),
            rssAfterMiB: round(after),
            perThousandMiB: round(((after - before) * 1000) / specs.length),
          };
          await closeAll(threads);
        } finally {
          server.kill("SIGTERM");
          rmSync(memState, { recursive: true, force: true });
        }
      }
    }
  } catch (err) {
    // Keep what was measured; the report says what failed, and the exit code too.
    console.error(err);
    failure = String(err instanceof Error ? err.message : err).slice(0, 2000);
  } finally {
    step("done");
    await Promise.all(threads.map((t) => t.terminate()));
    veche.kill("SIGTERM");
    baseline.kill("SIGTERM");
    floor.kill("SIGTERM");
    rmSync(state, { recursive: true, force: true });
  }

  const report = {
    date: new Date().toISOString(),
    quick: QUICK,
    config: CFG,
    machine: machine(),
    durationSec: round((Date.now() - started) / 1000, 0),
    phasesSec,
    results,
    targets: targets(results),
    ...(failure ? { failure } : {}),
  };
  mkdirSync("bench/results", { recursive: true });
  const stamp = report.date.slice(0, 19).replaceAll(":", "-");
  const name = `bench/results/${stamp}${QUICK ? "-quick" : ""}`;
  writeFileSync(`${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${name}.svg`, renderChart(report));
  // The README shows the latest complete full run; quick runs (CI) leave it alone.
  if (!QUICK && !ONLY && !failure) {
    writeFileSync("bench/results/latest.json", `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync("bench/results/latest.svg", renderChart(report));
  }
  printTable(report);
  console.log(`\nWrote ${name}.json and ${name}.svg in ${report.durationSec} s`);
  if (failure) {
    console.error(`The benchmark did not finish: ${failure}`);
    process.exit(1);
  }
}

function machine() {
  const pkg = (name: string) => JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")).version as string;
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    workerd: pkg("workerd"),
    miniflare: pkg("miniflare"),
    wrangler: pkg("wrangler"),
    ws: pkg("ws"),
    commit,
    loadGenerator: `${THREADS} worker threads in one process (CPU reported per run)`,
  };
}

type Results = Record<string, Record<string, unknown> | undefined>;

const num = (v: unknown) => (typeof v === "number" ? v : Number.NaN);

/** Adds `p99Ratio` (Veche's p99 over the baseline's, same run) to a scenario's Veche result. */
function ratio(r: Results, scenario: string) {
  const v = r[`${scenario}_veche`];
  const b = r[`${scenario}_baseline`];
  const f = r[`${scenario}_floor`];
  if (v && b) v.p99Ratio = round(num(v.p99Ms) / num(b.p99Ms), 2);
  if (v && f) v.p99RatioToFloor = round(num(v.p99Ms) / num(f.p99Ms), 2);
  if (f && b) f.p99Ratio = round(num(f.p99Ms) / num(b.p99Ms), 2);
}

function targets(r: Results) {
  const out = [];
  const f = r.fanout_10_veche;
  const fb = r.fanout_10_baseline;
  if (f && fb) {
    const ratio = num(f.p99Ms) / num(fb.p99Ms);
    out.push({
      name: "fan-out at 10 msg/s: room p99 ≤ 2× baseline, 0 lost, 0 duplicated",
      value: `${round(ratio, 2)}× (lost ${f.lost}, dup ${f.duplicated})`,
      met: ratio <= 2 && f.lost === 0 && f.duplicated === 0,
    });
  }
  const s = r.saturation_veche;
  const sb = r.saturation_baseline;
  if (s && sb) {
    const name = "saturation: room ≥ 50% of baseline deliveries/s";
    if (num(sb.deliveriesPerSec) === 0) {
      // The baseline missed the p99 ≤ 500 ms bar at its lowest rate: it has no sustainable figure to divide by.
      const room = num(s.deliveriesPerSec);
      out.push({ name, value: `baseline sustained no step; room ${Math.round(room)}/s`, met: room > 0 });
    } else {
      const ratio = num(s.deliveriesPerSec) / num(sb.deliveriesPerSec);
      out.push({ name, value: `${round(ratio * 100, 0)}%`, met: ratio >= 0.5 });
    }
  }
  const ch = r.channel_veche;
  const chb = r.channel_baseline;
  if (ch && chb) {
    const p99Ratio = num(ch.p99Ms) / num(chb.p99Ms);
    out.push({
      name: `channel through relays (${CFG.channelUsers} subscribers × 4 sockets, 10 posts/s): p99 ≤ 2× baseline, 0 lost, 0 duplicated`,
      value: `${round(p99Ratio, 2)}× (${ch.p99Ms} vs ${chb.p99Ms} ms; lost ${ch.lost}, dup ${ch.duplicated})`,
      met: p99Ratio <= 2 && ch.lost === 0 && ch.duplicated === 0,
    });
  }
  for (const [key, label] of [
    ["rooms", `many rooms (${CFG.rooms} × 4 different people, 1 msg/s each)`],
    ["busy", `busy group (${CFG.busyWriters} writers at 1 msg/s, ${CFG.busyReaders} more readers)`],
  ] as const) {
    const v = r[`${key}_veche`];
    const b = r[`${key}_baseline`];
    if (!v || !b) continue;
    const p99Ratio = num(v.p99Ms) / num(b.p99Ms);
    out.push({
      name: `${label}: p99 ≤ 2× baseline, 0 lost, 0 duplicated`,
      value: `${round(p99Ratio, 2)}× (${v.p99Ms} vs ${b.p99Ms} ms; lost ${v.lost}, dup ${v.duplicated})`,
      met: p99Ratio <= 2 && v.lost === 0 && v.duplicated === 0,
    });
  }
  for (const [key, label] of [
    ["rooms_veche", "many rooms"],
    ["busy_veche", "busy group"],
    ["http_postMessage", "HTTP POST /messages"],
  ] as const) {
    const per = r[key]?.d1StatementsPerMessage;
    if (per === undefined) continue;
    // null: the server cannot count its statements (no dev route), so the target is neither met nor missed.
    out.push({ name: `D1 statements per message, ${label}: 0`, value: String(per), met: typeof per === "number" ? per === 0 : null });
  }
  const g = r.growth as { sendLatency?: Record<string, { ackP99Ms: number }> } | undefined;
  if (g?.sendLatency?.full && g.sendLatency.empty) {
    const ratio = g.sendLatency.full.ackP99Ms / g.sendLatency.empty.ackP99Ms;
    out.push({ name: `growth: send p99 with ${CFG.growth} stored ≤ 1.2× empty`, value: `${round(ratio, 2)}×`, met: ratio <= 1.2 });
  }
  return out;
}

function printTable(report: {
  results: Results;
  targets: { name: string; value: string; met: boolean | null }[];
  machine: Record<string, unknown>;
}) {
  const r = report.results;
  const rows: string[][] = [["scenario", "veche", "baseline", "ratio"]];
  const pair = (label: string, a: unknown, b: unknown) => {
    const x = typeof a === "number" ? a : Number.NaN;
    const y = typeof b === "number" ? b : Number.NaN;
    rows.push([label, String(a ?? "–"), String(b ?? "–"), Number.isFinite(x / y) ? `${round(x / y, 2)}` : "–"]);
  };
  for (const rate of CFG.rates) {
    const v = r[`fanout_${rate}_veche`];
    const b = r[`fanout_${rate}_baseline`];
    if (!v || !b) continue;
    pair(`fan-out ${rate} msg/s deliveries/s`, v.deliveriesPerSec, b.deliveriesPerSec);
    pair(`fan-out ${rate} msg/s p50 ms`, v.p50Ms, b.p50Ms);
    pair(`fan-out ${rate} msg/s p99 ms`, v.p99Ms, b.p99Ms);
    const f = r[`fanout_${rate}_floor`];
    if (f) pair(`fan-out ${rate} msg/s workerd floor p99 ms (vs baseline)`, f.p99Ms, b.p99Ms);
    pair(`fan-out ${rate} msg/s lost/dup`, `${v.lost}/${v.duplicated}`, `${b.lost}/${b.duplicated}`);
    const u = r[`fanout_${rate}_veche_unbatched`];
    if (u) rows.push([`fan-out ${rate} msg/s unbatched clients: deliveries/s, p99 ms`, `${u.deliveriesPerSec}, ${u.p99Ms}`, "", ""]);
  }
  if (r.saturation_veche && r.saturation_baseline)
    pair("saturation deliveries/s", r.saturation_veche.deliveriesPerSec, r.saturation_baseline.deliveriesPerSec);
  const cv = r.channel_veche;
  const cb = r.channel_baseline;
  if (cv && cb) {
    pair("channel 2,000 sockets 10 posts/s deliveries/s", cv.deliveriesPerSec, cb.deliveriesPerSec);
    pair("channel p50 ms", cv.p50Ms, cb.p50Ms);
    pair("channel p99 ms", cv.p99Ms, cb.p99Ms);
    pair("channel lost/dup", `${cv.lost}/${cv.duplicated}`, `${cb.lost}/${cb.duplicated}`);
    pair("channel server CPU %", cv.serverCpuPct, cb.serverCpuPct);
    const cr = r.channel_veche_room;
    if (cr) pair("the same sockets on one room (no relays): p99 ms, vs through relays", cr.p99Ms, cv.p99Ms);
  }
  for (const [key, label] of [
    ["rooms", `${CFG.rooms} rooms × 4 people`],
    ["busy", `busy group ${CFG.busyWriters}w+${CFG.busyReaders}r`],
  ] as const) {
    const v = r[`${key}_veche`];
    const b = r[`${key}_baseline`];
    if (!v || !b) continue;
    pair(`${label}: messages/s`, v.messagesPerSec, b.messagesPerSec);
    pair(`${label}: deliveries/s`, v.deliveriesPerSec, b.deliveriesPerSec);
    pair(`${label}: p50 ms`, v.p50Ms, b.p50Ms);
    pair(`${label}: p99 ms`, v.p99Ms, b.p99Ms);
    pair(`${label}: lost/dup`, `${v.lost}/${v.duplicated}`, `${b.lost}/${b.duplicated}`);
    pair(`${label}: server CPU %`, v.serverCpuPct, b.serverCpuPct);
    const apps = r[`${key}_veche_apps`];
    if (apps) pair(`${label}: p99 ms with every app open (inbox sockets)`, apps.p99Ms, b.p99Ms);
    const f = r[`${key}_floor`];
    if (f) {
      pair(`${label}: workerd floor p50 ms (vs baseline)`, f.p50Ms, b.p50Ms);
      pair(`${label}: workerd floor p99 ms (vs baseline)`, f.p99Ms, b.p99Ms);
      pair(`${label}: Veche p99 ms vs the floor's`, v.p99Ms, f.p99Ms);
      pair(`${label}: workerd floor CPU % (vs baseline)`, f.serverCpuPct, b.serverCpuPct);
    }
    if (v.d1StatementsPerMessage !== undefined) rows.push([`${label}: D1 statements/message`, String(v.d1StatementsPerMessage), "", ""]);
  }
  for (const name of ["health", "listChats", "postMessage"]) {
    const h = r[`http_${name}`];
    if (!h) continue;
    const d1 = h.d1StatementsPerMessage !== undefined ? `, D1/msg ${h.d1StatementsPerMessage}` : "";
    rows.push([
      `HTTP ${name} req/s, p50/p99 ms${d1}`,
      `${h.requestsPerSec}, ${h.p50Ms}/${h.p99Ms}`,
      "/health",
      String(h.ratioToHealth ?? "–"),
    ]);
  }
  const g = r.growth as
    | { sendLatency: Record<string, { ackP99Ms: number }>; history: Record<string, { p50Ms: number; p99Ms: number }> }
    | undefined;
  if (g) {
    rows.push(["send ack p99 ms: empty / full", `${g.sendLatency.empty?.ackP99Ms} / ${g.sendLatency.full?.ackP99Ms}`, "", ""]);
    rows.push([
      "history p99 ms: latest / deep / start",
      `${g.history.latest?.p99Ms} / ${g.history.deep?.p99Ms} / ${g.history.start?.p99Ms}`,
      "",
      "",
    ]);
  }
  if (r.memory_veche && r.memory_baseline)
    pair("MiB per 1,000 idle sockets", r.memory_veche.perThousandMiB, r.memory_baseline.perThousandMiB);
  if (r.media) {
    pair("media 50 MiB upload MiB/s (vs plain R2)", r.media.uploadMiBps, r.media.plainR2PutMiBps);
    pair("media 50 MiB download MiB/s (vs plain R2)", r.media.downloadMiBps, r.media.plainR2GetMiBps);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  console.log("");
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "));
  console.log("");
  for (const t of report.targets) console.log(`${t.met === null ? "n/a    " : t.met ? "met    " : "NOT met"}  ${t.name}: ${t.value}`);
  console.log(`\n${JSON.stringify(report.machine)}`);
}

// `--channel-scale`: the channel table alone (bench/channel-scale.ts), inside workerd, no servers.
if (args["channel-scale"]) channelScale();
else await main();
process.exit(0);
