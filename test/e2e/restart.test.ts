// Issue 11: the real local server (scripts/serve.mjs) killed with SIGKILL right after acknowledging messages,
// then started again on the same state directory: every acknowledged message is there with its seq, chat
// lists and change numbers are right, and catching up with ?pts= still works. Plain Node, local traffic only.
// The setup (two runs of the server, the kill between them) is in beforeAll; each test checks one promise.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { api, type Citizen, citizen, eventually, uniquePhone } from "./harness.ts";

type Frame = Record<string, unknown>;
interface ChatSummary {
  id: string;
  pts: number;
  lastSeq: number;
  unreadCount: number;
  readSeq: number;
  lastMessage: { seq: number } | null;
}

const ROOT = resolve(import.meta.dirname, "../..");

interface Running {
  child: ChildProcess;
  origin: string;
}

/** Starts `node` running serve({ port, state }) in a process group of its own (workerd is its child). */
async function startProcess(state: string): Promise<Running> {
  const serveUrl = pathToFileURL(join(ROOT, "scripts/serve.mjs")).href;
  // The web client is not needed here: the API, sockets and storage are the whole server otherwise.
  const script = `const { serve } = await import(${JSON.stringify(serveUrl)});
const { url } = await serve({ port: 0, state: process.env.VECHE_STATE, assets: false });
console.log("ready " + url.origin);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, VECHE_STATE: state },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d) => {
    err += String(d);
  });
  const origin = await new Promise<string>((resolveOrigin, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 150 s: ${out}\n${err}`)), 150_000);
    child.stdout?.on("data", (d) => {
      out += String(d);
      const m = /ready (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveOrigin(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}\n${err}`));
    });
  });
  await eventually(async () => (await fetch(`${origin}/health`).catch(() => null))?.ok, 30_000);
  return { child, origin };
}

/** SIGKILL to the whole process group: node and the workerd it started die at once, as in a crash. */
async function kill(r: Running): Promise<void> {
  const pid = r.child.pid;
  if (pid === undefined || r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((done) => r.child.once("exit", done));
  process.kill(-pid, "SIGKILL");
  await exited;
  await eventually(
    async () =>
      await fetch(`${r.origin}/health`).then(
        () => false,
        () => true,
      ),
    10_000,
  );
}

interface Socket {
  ws: WebSocket;
  frames: Frame[];
  next(match: (f: Frame) => boolean, ms?: number): Promise<Frame>;
}

async function openSocket(origin: string, path: string, token: string): Promise<Socket> {
  const { ticket } = await api<{ ticket: string }>(origin, "/api/v1/ws-tickets", { token, body: {} });
  const sep = path.includes("?") ? "&" : "?";
  const ws = new WebSocket(`${origin.replace(/^http/, "ws")}${path}${sep}ticket=${encodeURIComponent(ticket)}`);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.addEventListener("message", (e) => {
    const parsed = JSON.parse(String(e.data));
    frames.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    for (const w of waiters) w();
  });
  await new Promise<void>((done, fail) => {
    ws.addEventListener("open", () => done(), { once: true });
    ws.addEventListener("error", () => fail(new Error(`socket to ${path} failed`)), { once: true });
  });
  return {
    ws,
    frames,
    next(match, ms = 10_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const found = frames.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            done(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(frames.slice(-5))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Sends over a room socket and waits for every ack; returns clientId → { seq, pts }. */
async function sendAll(s: Socket, clientIds: string[]): Promise<Map<string, { seq: number; pts: number }>> {
  for (const clientId of clientIds) s.ws.send(JSON.stringify({ type: "send", clientId, text: `текст ${clientId}` }));
  const acks = new Map<string, { seq: number; pts: number }>();
  for (const clientId of clientIds) {
    const ack = await s.next((f) => (f.type === "ack" || f.type === "error") && f.clientId === clientId);
    expect(ack).toMatchObject({ type: "ack", clientId });
    acks.set(clientId, { seq: ack.seq as number, pts: ack.pts as number });
  }
  return acks;
}

const CHANGE = new Set(["message", "edited", "deleted", "reaction", "pinned", "read", "member", "chat_updated"]);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Changes before the kill: 30 + 10 messages, a read marker, a reaction; then 2 + 5 messages.
const CHANGES = 30 + 10 + 2 + 2 + 5;

let state: string;
let server: Running | undefined;
let origin: string;
let anna: Citizen;
let boris: Citizen;
let carol: Citizen;
let chat: ChatSummary;
let p0: number;
let now: number;
const seqOf = new Map<string, number>();
const listBefore = new Map<string, { chats: ChatSummary[]; pts: number }>();

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), "veche-restart-"));
  server = await startProcess(state);
  origin = server.origin;
  [anna, boris, carol] = (await Promise.all([
    citizen(origin, uniquePhone()),
    citizen(origin, uniquePhone()),
    citizen(origin, uniquePhone()),
  ])) as [Citizen, Citizen, Citizen];
  ({ chat } = await api<{ chat: ChatSummary }>(origin, "/api/v1/chats", {
    token: anna.accessToken,
    body: { type: "group", title: "Перезапуск", memberIds: [boris.id, carol.id] },
  }));
  p0 = chat.pts;

  // Phase 1: 30 over a socket, 10 over HTTP, a read marker and a reaction; then the summaries settle.
  const sa = await openSocket(origin, `/api/v1/chats/${chat.id}/ws`, anna.accessToken);
  for (const [id, a] of await sendAll(
    sa,
    range(1, 30).map((k) => `a${k}`),
  ))
    seqOf.set(id, a.seq);
  for (let k = 1; k <= 10; k++) {
    const { message } = await api<{ message: { seq: number } }>(origin, `/api/v1/chats/${chat.id}/messages`, {
      token: boris.accessToken,
      body: { clientId: `b${k}`, text: `текст b${k}` },
    });
    seqOf.set(`b${k}`, message.seq);
  }
  await api(origin, `/api/v1/chats/${chat.id}/read`, { token: carol.accessToken, body: { seq: 3 } });
  await api(origin, `/api/v1/chats/${chat.id}/messages/1/reactions/${encodeURIComponent("👍")}`, {
    method: "PUT",
    token: boris.accessToken,
  });
  await new Promise((r) => setTimeout(r, 2500));
  for (const u of [anna, boris, carol]) listBefore.set(u.id, await api(origin, "/api/v1/chats", { token: u.accessToken }));

  // Phase 2: two more over HTTP, then five over the socket, and the kill as soon as the last ack is in (the
  // summaries of those five, pushed to the inboxes within a second, may still be on their way).
  for (let k = 11; k <= 12; k++) {
    const { message } = await api<{ message: { seq: number } }>(origin, `/api/v1/chats/${chat.id}/messages`, {
      token: boris.accessToken,
      body: { clientId: `b${k}`, text: `текст b${k}` },
    });
    seqOf.set(`b${k}`, message.seq);
  }
  const more = await sendAll(
    sa,
    range(31, 35).map((k) => `a${k}`),
  );
  for (const [id, a] of more) seqOf.set(id, a.seq);
  await kill(server);
  server = undefined;
  expect([...seqOf.values()].sort((x, y) => x - y)).toEqual(range(1, 47));

  sa.ws.close();
  server = await startProcess(state);
  origin = server.origin;
  now = p0 + CHANGES;
}, 420_000);

afterAll(async () => {
  if (server) await kill(server);
  rmSync(state, { recursive: true, force: true });
});

test("every acknowledged message is there after the restart, with the seq it was acknowledged with", async () => {
  const history: { seq: number; clientId: string; senderId: string }[] = [];
  for (;;) {
    const { messages } = await api<{ messages: typeof history }>(
      origin,
      `/api/v1/chats/${chat.id}/messages?after=${history.at(-1)?.seq ?? 0}&limit=200`,
      { token: carol.accessToken },
    );
    history.push(...messages);
    if (messages.length < 200) break;
  }
  expect(history.map((m) => m.seq)).toEqual(range(1, 47));
  for (const m of history) expect(seqOf.get(m.clientId), m.clientId).toBe(m.seq);
});

test("the chat's pts counts every change once, and each member's chat list is exact again", async () => {
  const current = await api<{ pts: number }>(origin, `/api/v1/chats/${chat.id}/changes?pts=${p0}&limit=1`, { token: carol.accessToken });
  expect(current.pts).toBe(now);
  const expected = new Map([
    [anna.id, { readSeq: 47, unreadCount: 0 }],
    [boris.id, { readSeq: 42, unreadCount: 5 }],
    [carol.id, { readSeq: 3, unreadCount: 44 }],
  ]);
  for (const u of [anna, boris, carol]) {
    const want = { id: chat.id, lastSeq: 47, pts: now, lastMessage: expect.objectContaining({ seq: 47 }), ...expected.get(u.id) };
    // A summary push cut short by the kill may take a moment after the restart: up to 10 s.
    let list = await api<{ chats: ChatSummary[]; pts: number }>(origin, "/api/v1/chats", { token: u.accessToken });
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const c = list.chats.find((x) => x.id === chat.id);
      if (c?.lastSeq === 47 && c.unreadCount === want.unreadCount) break;
      await new Promise((r) => setTimeout(r, 200));
      list = await api(origin, "/api/v1/chats", { token: u.accessToken });
    }
    expect(list.chats.find((x) => x.id === chat.id)).toMatchObject(want);
    expect(list.pts).toBeGreaterThanOrEqual(listBefore.get(u.id)?.pts ?? 0);
  }
});

test("a device catches its chat list up from the user pts it had before the kill", async () => {
  const carolBefore = listBefore.get(carol.id)?.pts ?? 0;
  const carolNow = await api<{ chats: ChatSummary[]; pts: number }>(origin, "/api/v1/chats", { token: carol.accessToken });
  expect(carolNow.pts).toBeGreaterThan(carolBefore);
  const updates = await api<{ chats: ChatSummary[]; removed: string[]; pts: number; tooLong: boolean }>(
    origin,
    `/api/v1/updates?pts=${carolBefore}`,
    { token: carol.accessToken },
  );
  expect(updates).toMatchObject({ pts: carolNow.pts, tooLong: false, removed: [] });
  expect(updates.chats).toEqual(carolNow.chats);
  const inbox = await openSocket(origin, `/api/v1/inbox/ws?pts=${carolBefore}`, carol.accessToken);
  await inbox.next((f) => f.pts === carolNow.pts);
  expect(inbox.frames.filter((f) => f.type === "chat").map((f) => f.chat)).toEqual(carolNow.chats);
  inbox.ws.close();
});

test("catching up from any pts works over HTTP and the socket, then live with the next seq and pts", async () => {
  const { changes, pts, tooLong } = await api<{ changes: Frame[]; pts: number; tooLong: boolean }>(
    origin,
    `/api/v1/chats/${chat.id}/changes?pts=${p0}&limit=1000`,
    { token: carol.accessToken },
  );
  expect({ pts, tooLong }).toEqual({ pts: now, tooLong: false });
  expect(changes.map((f) => f.pts)).toEqual(range(p0 + 1, now));
  expect(changes.filter((f) => f.type === "message").map((f) => (f.message as { seq: number }).seq)).toEqual(range(1, 47));
  const sc = await openSocket(origin, `/api/v1/chats/${chat.id}/ws?pts=${p0}`, carol.accessToken);
  await sc.next((f) => f.pts === now);
  expect(sc.frames.filter((f) => CHANGE.has(f.type as string))).toEqual(changes);
  const sa = await openSocket(origin, `/api/v1/chats/${chat.id}/ws`, anna.accessToken);
  const after = await sendAll(sa, ["after-restart"]);
  expect(after.get("after-restart")).toEqual({ seq: 48, pts: now + 1 });
  await sc.next((f) => f.type === "message" && f.pts === now + 1);
  const mid = await openSocket(origin, `/api/v1/chats/${chat.id}/ws?pts=${now - 3}`, boris.accessToken);
  await mid.next((f) => f.pts === now + 1);
  expect(mid.frames.filter((f) => CHANGE.has(f.type as string)).map((f) => f.pts)).toEqual(range(now - 2, now + 1));
  for (const s of [sa, sc, mid]) s.ws.close();
});
