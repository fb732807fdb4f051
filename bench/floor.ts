// The runtime's floor: the baseline's job (send → ack + the message to every socket of the room, no auth)
// done by a Durable Object per room with hibernating WebSockets and one SQLite row per message (what "nothing
// acknowledged is lost" costs at the least), on the same workerd and Miniflare as Veche. Veche's figures over
// this one say what our code costs; this one's over the Node baseline says what the runtime costs before any
// of our code runs. Usage: node bench/floor.ts --port 8795 --state <dir>
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";

const { values } = parseArgs({ options: { port: { type: "string", default: "8795" }, state: { type: "string" } } });

// The Worker and its Durable Object, as plain JavaScript: the same frames as bench/baseline.ts.
const script = `
export class Room {
  constructor(ctx) {
    this.ctx = ctx;
    this.seq = 0;
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS m (seq INTEGER PRIMARY KEY, body TEXT)");
  }
  async fetch(request) {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
  webSocketMessage(ws, data) {
    let frame;
    try { frame = JSON.parse(String(data)); } catch { return; }
    if (frame.type !== "send" || typeof frame.clientId !== "string") return;
    this.seq += 1;
    this.ctx.storage.sql.exec("INSERT INTO m (seq, body) VALUES (?, ?)", this.seq, String(data));
    ws.send(JSON.stringify({ type: "ack", clientId: frame.clientId, seq: this.seq }));
    const message = {
      id: String(this.seq), chatId: "floor", seq: this.seq, senderId: "floor", clientId: frame.clientId,
      text: typeof frame.text === "string" ? frame.text : null, attachments: [], replyTo: null, forwardOf: null,
      mentions: [], reactions: [], pinned: false, createdAt: new Date().toISOString(), editedAt: null, deletedAt: null,
    };
    const encoded = JSON.stringify({ type: "message", message });
    for (const s of this.ctx.getWebSockets()) s.send(encoded);
  }
  webSocketClose(ws, code) { try { ws.close(code, "bye"); } catch {} }
}
export default {
  fetch(request, env) {
    const room = new URL(request.url).pathname;
    return env.ROOM.get(env.ROOM.idFromName(room)).fetch(request);
  },
};
`;

const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    script,
    compatibilityDate: "2026-11-01",
    durableObjects: { ROOM: { className: "Room", useSQLite: true } },
    ...(values.state ? { durableObjectsPersist: values.state } : {}),
    host: "127.0.0.1",
    port: Number(values.port),
    cf: false,
    log: new Log(LogLevel.WARN),
  }),
);
const url = await mf.ready;
console.log(`ready ${url.href}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void mf.dispose().finally(() => process.exit(0)));
