// A load-generator thread: holds many client sockets, paces senders, and measures what arrives.
// Frames are scanned with indexOf, not JSON.parse, so the generator stays cheap next to the server.
import { parentPort } from "node:worker_threads";
import WebSocket from "ws";
import { newHistogram, record } from "./histogram.ts";

if (!parentPort) throw new Error("clients.ts runs as a worker thread");
const port = parentPort;

interface Sock {
  ws: WebSocket;
  group: number;
  /** Which message indexes of its group's sender this socket has received (for loss and duplicates). */
  seen: Uint8Array;
  received: number;
  duplicates: number;
  sender: boolean;
  /** Whether this socket's deliveries are measured (receivers; in a busy group, writers too). */
  receiver: boolean;
  /** A sender's index among its group's senders: its message n has index slot × count + n. */
  slot: number;
  acks: Map<string, number>;
}

const sockets: Sock[] = [];
let deliveryLatency = newHistogram();
let ackLatency = newHistogram();
let runId = "";
let lastDeliveryAt = 0;
const now = () => performance.timeOrigin + performance.now();

const TEXT_MARK = '"text":"bench|';

const ACK_MARK = '{"type":"ack","clientId":"';

/** Handles one WebSocket message: a frame, or (from sockets that take batches) a JSON array of frames. */
function onFrame(s: Sock, data: string): void {
  for (let at = data.indexOf(ACK_MARK); at >= 0; at = data.indexOf(ACK_MARK, at + 1)) {
    const start = at + ACK_MARK.length;
    const clientId = data.slice(start, data.indexOf('"', start));
    const sentAt = s.acks.get(clientId);
    if (sentAt !== undefined) {
      record(ackLatency, now() - sentAt);
      s.acks.delete(clientId);
    }
  }
  if (!s.receiver) return;
  for (let at = data.indexOf(TEXT_MARK); at >= 0; at = data.indexOf(TEXT_MARK, at + 1)) {
    const start = at + TEXT_MARK.length;
    const [id, index, sentAt] = data.slice(start, data.indexOf('"', start)).split("|");
    if (id !== runId) continue;
    const i = Number(index);
    lastDeliveryAt = now();
    record(deliveryLatency, lastDeliveryAt - Number(sentAt));
    s.received += 1;
    if (i < s.seen.length) {
      if (s.seen[i]) s.duplicates += 1;
      else s.seen[i] = 1;
    }
  }
}

interface Spec {
  url: string;
  headers: Record<string, string>;
  group: number;
  sender: boolean;
  receiver?: boolean;
  slot?: number;
}

function open(o: Spec): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.url, { headers: o.headers, perMessageDeflate: false });
    const s: Sock = {
      ws,
      group: o.group,
      seen: new Uint8Array(0),
      received: 0,
      duplicates: 0,
      sender: o.sender,
      receiver: o.receiver ?? !o.sender,
      slot: o.slot ?? 0,
      acks: new Map(),
    };
    ws.on("message", (d) => onFrame(s, String(d)));
    ws.once("open", () => {
      sockets.push(s);
      resolve();
    });
    ws.once("error", reject);
  });
}

/**
 * Sends `count` messages from each sender socket at `rate` per second each, spread evenly in phase.
 * Returns how many messages each group got (a group may have several senders).
 */
async function pace(rate: number, count: number): Promise<Record<number, number>> {
  const senders = sockets.filter((s) => s.sender);
  const sent: Record<number, number> = {};
  const own = senders.map(() => 0);
  const start = now();
  const interval = 1000 / rate;
  const next = senders.map((_, k) => start + (k / senders.length) * interval);
  const done = () => own.every((n) => n >= count);
  while (!done()) {
    const t = now();
    senders.forEach((s, k) => {
      const n = own[k] ?? 0;
      if (n < count && t >= (next[k] ?? 0)) {
        const index = s.slot * count + n;
        const clientId = `${runId}-${s.group}-${index}`;
        s.acks.set(clientId, now());
        s.ws.send(JSON.stringify({ type: "send", clientId, text: `bench|${runId}|${index}|${now()}` }));
        own[k] = n + 1;
        sent[s.group] = (sent[s.group] ?? 0) + 1;
        next[k] = (next[k] ?? 0) + interval;
      }
    });
    const wait = Math.max(0, Math.min(...next) - now());
    await new Promise((r) => setTimeout(r, Math.min(wait, 5)));
  }
  return sent;
}

/** Sends `total` messages from the first sender as fast as acks allow, `window` in flight. */
async function fill(total: number, window: number): Promise<void> {
  const s = sockets.find((x) => x.sender);
  if (!s) throw new Error("no sender");
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < total && sent - acked < window) {
        s.ws.send(
          JSON.stringify({
            type: "send",
            clientId: `fill-${runId}-${sent}`,
            text: `filler message number ${sent} with some words to index`,
          }),
        );
        sent += 1;
      }
    };
    s.ws.on("message", (d) => {
      if (String(d).startsWith(ACK_MARK)) {
        acked += 1;
        if (acked === total) resolve();
        else pump();
      }
    });
    pump();
  });
}

port.on("message", async (msg: { cmd: string; [k: string]: unknown }) => {
  try {
    switch (msg.cmd) {
      case "open": {
        const list = msg.sockets as Spec[];
        for (let i = 0; i < list.length; i += 50) {
          await Promise.all(list.slice(i, i + 50).map((o) => open(o)));
        }
        port.postMessage({ ok: true, opened: sockets.length });
        break;
      }
      case "reset": {
        runId = msg.runId as string;
        deliveryLatency = newHistogram();
        ackLatency = newHistogram();
        for (const s of sockets) {
          s.seen = new Uint8Array(msg.expected as number);
          s.received = 0;
          s.duplicates = 0;
          s.acks.clear();
        }
        port.postMessage({ ok: true });
        break;
      }
      case "pace":
        port.postMessage({ ok: true, sent: await pace(msg.rate as number, msg.count as number) });
        break;
      case "fill":
        await fill(msg.total as number, msg.window as number);
        port.postMessage({ ok: true });
        break;
      case "collect": {
        const groups: Record<number, { sockets: number; unique: number; duplicates: number }> = {};
        for (const s of sockets) {
          if (!s.receiver) continue;
          const g = groups[s.group] ?? { sockets: 0, unique: 0, duplicates: 0 };
          groups[s.group] = g;
          g.sockets += 1;
          g.unique += s.seen.reduce((a, b) => a + b, 0);
          g.duplicates += s.duplicates;
        }
        port.postMessage({
          ok: true,
          groups,
          deliveryLatency,
          ackLatency,
          lastDeliveryAt,
          elu: performance.eventLoopUtilization().utilization,
        });
        break;
      }
      case "close":
        for (const s of sockets) s.ws.close();
        sockets.length = 0;
        port.postMessage({ ok: true });
        break;
      default:
        port.postMessage({ ok: false, error: `unknown command ${msg.cmd}` });
    }
  } catch (err) {
    port.postMessage({ ok: false, error: String(err) });
  }
});
