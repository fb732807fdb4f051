// The baseline: a minimal Node `ws` broadcast server doing the room's job without storage or auth.
// It speaks the same frames (send → ack + message to every socket of the room), so the benchmark's
// clients cannot tell it from Veche. Usage: node bench/baseline.ts --port 8790
import { parseArgs } from "node:util";
import { type WebSocket, WebSocketServer } from "ws";

const { values } = parseArgs({ options: { port: { type: "string", default: "8790" } } });
const rooms = new Map<string, { seq: number; sockets: Set<WebSocket> }>();
const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(values.port) });

wss.on("connection", (ws, req) => {
  const roomId = new URL(req.url ?? "/", "http://x").pathname;
  let room = rooms.get(roomId);
  if (!room) {
    room = { seq: 0, sockets: new Set() };
    rooms.set(roomId, room);
  }
  const r = room;
  r.sockets.add(ws);
  ws.on("close", () => r.sockets.delete(ws));
  ws.on("message", (data) => {
    let frame: { type?: unknown; clientId?: unknown; text?: unknown };
    try {
      frame = JSON.parse(String(data));
    } catch {
      ws.send(JSON.stringify({ type: "error", code: "malformed_json", detail: "not JSON" }));
      return;
    }
    if (frame.type !== "send" || typeof frame.clientId !== "string") return;
    r.seq += 1;
    ws.send(JSON.stringify({ type: "ack", clientId: frame.clientId, seq: r.seq }));
    const message = {
      id: String(r.seq),
      chatId: roomId,
      seq: r.seq,
      senderId: "baseline",
      clientId: frame.clientId,
      text: typeof frame.text === "string" ? frame.text : null,
      attachments: [],
      replyTo: null,
      forwardOf: null,
      mentions: [],
      reactions: [],
      pinned: false,
      createdAt: new Date().toISOString(),
      editedAt: null,
      deletedAt: null,
    };
    const encoded = JSON.stringify({ type: "message", message });
    for (const s of r.sockets) s.send(encoded);
  });
});

wss.on("listening", () => console.log(`ready ws://127.0.0.1:${values.port}`));
