// Issue 11, model test: random sequences of sends, edits, deletes, reactions, reads, member adds and removes,
// disconnects, reconnects with ?pts= and room evictions by three clients. Each client keeps its own model of
// the chat built only from the change frames it received, and checks each frame is the next pts. At the end
// every client's model equals what the server shows over HTTP: history, members, read markers, the chat list.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, callJson, type MessageView, openSocket, postText, type SignedIn, signInMany, type TestSocket } from "../helpers";
import { chatOf, currentPts, type Frame, fullHistory, isChange, ok, type SyncChat, sendOver } from "./sync-support";

interface ModelMessage {
  text: string | null;
  deleted: boolean;
  pinned: boolean;
  reactions: Map<string, Set<string>>;
}
interface Model {
  pts: number;
  title: string | null;
  messages: Map<number, ModelMessage>;
  reads: Map<string, number>;
  members: Map<string, string>;
}
interface Client {
  user: SignedIn;
  model: Model;
  socket: TestSocket | null;
  /** How many of the current socket's frames the model has taken in. */
  applied: number;
  errors: Frame[];
}

/** Evicts a Durable Object if it is running (one that is not, hibernating or never woken, has nothing to lose). */
async function evict(stub: DurableObjectStub): Promise<void> {
  try {
    await evictDurableObject(stub);
  } catch (err) {
    if (!/not currently running/.test(String(err))) throw err;
  }
}

const EMOJI = ["👍", "❤️"];

function reactionsOf(list: { emoji: string; userIds: string[] }[]): Map<string, Set<string>> {
  return new Map(list.filter((r) => r.userIds.length > 0).map((r) => [r.emoji, new Set(r.userIds)]));
}

/** Applies one received frame to a client's model; every change must carry the next pts. */
function apply(c: Client, f: Frame): void {
  if (f.type === "error") c.errors.push(f);
  if (f.type === "too_long") throw new Error(`unexpected too_long in a short sequence: ${JSON.stringify(f)}`);
  if (!isChange(f)) return;
  const m = c.model;
  if (f.pts !== m.pts + 1) throw new Error(`${c.user.user.id} expected pts ${m.pts + 1}, got ${JSON.stringify(f)}`);
  m.pts = f.pts as number;
  const seq = f.seq as number;
  switch (f.type) {
    case "message": {
      const msg = f.message as MessageView;
      m.messages.set(msg.seq, {
        text: msg.text,
        deleted: msg.deletedAt !== null,
        pinned: msg.pinned,
        reactions: reactionsOf(msg.reactions),
      });
      m.reads.set(msg.senderId, Math.max(m.reads.get(msg.senderId) ?? 0, msg.seq));
      break;
    }
    case "edited": {
      const msg = f.message as MessageView;
      const known = m.messages.get(msg.seq);
      if (!known) throw new Error(`edit of unknown message ${msg.seq}`);
      known.text = msg.text;
      break;
    }
    case "deleted": {
      const known = m.messages.get(seq);
      if (!known) throw new Error(`delete of unknown message ${seq}`);
      known.deleted = true;
      known.text = null;
      break;
    }
    case "reaction": {
      const known = m.messages.get(seq);
      if (!known) throw new Error(`reaction on unknown message ${seq}`);
      const users = known.reactions.get(f.emoji as string) ?? new Set<string>();
      if (f.on) users.add(f.userId as string);
      else users.delete(f.userId as string);
      if (users.size > 0) known.reactions.set(f.emoji as string, users);
      else known.reactions.delete(f.emoji as string);
      break;
    }
    case "pinned": {
      const known = m.messages.get(seq);
      if (!known) throw new Error(`pin of unknown message ${seq}`);
      known.pinned = f.on as boolean;
      break;
    }
    case "chat_updated":
      m.title = f.title as string | null;
      break;
    case "read":
      m.reads.set(f.userId as string, Math.max(m.reads.get(f.userId as string) ?? 0, seq));
      break;
    case "member":
      if (f.action === "joined" || f.action === "role_changed") m.members.set(f.userId as string, f.role as string);
      else m.members.delete(f.userId as string);
      break;
  }
}

function absorb(c: Client): void {
  if (!c.socket) return;
  const frames = c.socket.frames;
  while (c.applied < frames.length) apply(c, frames[c.applied++] as Frame);
}

/** What a model shows of the messages, in the same shape as what history shows. */
function viewOf(messages: Map<number, ModelMessage>) {
  return [...messages.entries()]
    .sort(([a], [b]) => a - b)
    .map(([seq, m]) => ({
      seq,
      text: m.text,
      deleted: m.deleted,
      pinned: m.deleted ? false : m.pinned,
      reactions: m.deleted ? [] : [...m.reactions.entries()].map(([emoji, users]) => [emoji, [...users].sort()]).sort(),
    }));
}
function viewOfHistory(history: MessageView[]) {
  return history.map((m) => ({
    seq: m.seq,
    text: m.deletedAt ? null : m.text,
    deleted: m.deletedAt !== null,
    pinned: m.deletedAt ? false : m.pinned,
    reactions: m.deletedAt
      ? []
      : m.reactions
          .filter((r) => r.userIds.length > 0)
          .map((r) => [r.emoji, [...r.userIds].sort()])
          .sort(),
  }));
}

type Cmd =
  | { kind: "send"; who: number }
  | { kind: "burst"; who: number; n: number }
  | { kind: "pin"; pick: number }
  | { kind: "title" }
  | { kind: "role"; x: number }
  | { kind: "evictInbox"; who: number }
  | { kind: "edit"; who: number; pick: number }
  | { kind: "delete"; who: number; pick: number }
  | { kind: "react"; who: number; pick: number; emoji: number }
  | { kind: "read"; who: number }
  | { kind: "add"; x: number }
  | { kind: "remove"; x: number }
  | { kind: "drop"; who: number }
  | { kind: "reconnect"; who: number }
  | { kind: "evict" }
  | { kind: "together"; picks: number[] };

const who = fc.integer({ min: 0, max: 2 });
const pick = fc.nat(20);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: who.map((w) => ({ kind: "send" as const, who: w })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("burst" as const), who, n: fc.integer({ min: 2, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pin" as const), pick }) },
  { weight: 1, arbitrary: fc.constant({ kind: "title" as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }).map((x) => ({ kind: "role" as const, x })) },
  { weight: 1, arbitrary: who.map((w) => ({ kind: "evictInbox" as const, who: w })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("edit" as const), who, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), who, pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("react" as const), who, pick, emoji: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: who.map((w) => ({ kind: "read" as const, who: w })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }).map((x) => ({ kind: "add" as const, x })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }).map((x) => ({ kind: "remove" as const, x })) },
  { weight: 2, arbitrary: who.map((w) => ({ kind: "drop" as const, who: w })) },
  { weight: 2, arbitrary: who.map((w) => ({ kind: "reconnect" as const, who: w })) },
  { weight: 1, arbitrary: fc.constant({ kind: "evict" as const }) },
  { weight: 2, arbitrary: fc.array(pick, { minLength: 3, maxLength: 3 }).map((picks) => ({ kind: "together" as const, picks })) },
);

describe("sync model", () => {
  it("every client's model, built from the frames it received across reconnects, equals the server's state", {
    timeout: 120_000,
  }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 6, maxLength: 30 }), async (cmds) => {
        run += 1;
        const people = await signInMany(5);
        const users = people.slice(0, 3);
        const extras = people.slice(3);
        const owner = users[0] as SignedIn;
        const created = await ok(
          callJson<{ chat: SyncChat }>("/api/v1/chats", {
            token: owner.accessToken,
            body: { type: "group", title: `model ${run}`, memberIds: users.slice(1).map((u) => u.user.id) },
          }),
          201,
        );
        const chatId = created.chat.id;
        const start = { pts: await currentPts(owner.accessToken, chatId) };
        const members = await ok(
          callJson<{ members: { userId: string; role: string; readSeq: number }[] }>(`/api/v1/chats/${chatId}/members`, {
            token: owner.accessToken,
          }),
          200,
        );
        const clients: Client[] = users.map((user) => ({
          user,
          model: {
            pts: start.pts,
            title: `model ${run}`,
            messages: new Map(),
            reads: new Map(members.members.map((m) => [m.userId, m.readSeq])),
            members: new Map(members.members.map((m) => [m.userId, m.role])),
          },
          socket: null,
          applied: 0,
          errors: [],
        }));
        const connect = async (c: Client) => {
          // The second client takes batches (?batch=1), the others one frame per message.
          const batch = c === clients[1] ? "&batch=1" : "";
          c.socket = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${c.model.pts}${batch}`, { token: c.user.accessToken });
          c.applied = 0;
        };
        const drop = async (c: Client) => {
          if (!c.socket) return;
          c.socket.close();
          await c.socket.closed;
          absorb(c);
          c.socket = null;
        };
        // What the runner knows, to pick valid operations.
        const sent: { seq: number; by: number; deleted: boolean; pinned: boolean; reactions: Set<string> }[] = [];
        const extraIn = [false, false];
        const extraAdmin = [false, false];
        let counter = 0;
        for (const c of clients) await connect(c);

        for (const step of cmds) {
          for (const c of clients) absorb(c);
          switch (step.kind) {
            case "send": {
              const c = clients[step.who] as Client;
              const clientId = `c${step.who}-${counter++}`;
              const text = `${step.who} говорит ${counter}`;
              const seq = c.socket
                ? ((await sendOver(c.socket, clientId, text)).seq as number)
                : (await postText(c.user.accessToken, chatId, text, clientId)).seq;
              sent.push({ seq, by: step.who, deleted: false, pinned: false, reactions: new Set() });
              break;
            }
            case "together": {
              // All three at once: the first sends, the second reacts, the third reads (each over its socket if open).
              const [c0, c1, c2] = clients as [Client, Client, Client];
              const live = sent.filter((m) => !m.deleted);
              const target = live[(step.picks[1] ?? 0) % Math.max(1, live.length)];
              const key = `1:${EMOJI[0]}`;
              const on = target ? !target.reactions.has(key) : false;
              const clientId = `c0-${counter++}`;
              const upTo = sent.length;
              const [seq] = await Promise.all([
                c0.socket
                  ? sendOver(c0.socket, clientId, `вместе ${counter}`).then((a) => a.seq as number)
                  : postText(c0.user.accessToken, chatId, `вместе ${counter}`, clientId).then((m) => m.seq),
                target
                  ? call(`/api/v1/chats/${chatId}/messages/${target.seq}/reactions/${encodeURIComponent(EMOJI[0] as string)}`, {
                      method: on ? "PUT" : "DELETE",
                      token: c1.user.accessToken,
                    }).then((r) => expect(r.status).toBe(204))
                  : Promise.resolve(),
                c2.socket
                  ? Promise.resolve(c2.socket.send({ type: "read", seq: upTo }))
                  : call(`/api/v1/chats/${chatId}/read`, { token: c2.user.accessToken, body: { seq: upTo } }).then((r) =>
                      expect(r.status).toBe(204),
                    ),
              ]);
              if (target) {
                if (on) target.reactions.add(key);
                else target.reactions.delete(key);
              }
              sent.push({ seq, by: 0, deleted: false, pinned: false, reactions: new Set() });
              break;
            }
            case "burst": {
              // Several sends at once over the socket (or at once over HTTP when offline), acks in any order.
              const c = clients[step.who] as Client;
              const ids = Array.from({ length: step.n }, () => `c${step.who}-${counter++}`);
              const seqs = new Map<string, number>();
              if (c.socket) {
                const s = c.socket;
                const from = s.frames.length;
                for (const id of ids) s.send({ type: "send", clientId: id, text: `пачка ${id}` });
                for (const id of ids) {
                  const ack = await s.next((f) => (f.type === "ack" || f.type === "error") && f.clientId === id, 10_000, from);
                  expect(ack).toMatchObject({ type: "ack" });
                  seqs.set(id, ack.seq as number);
                }
              } else {
                const posted = await Promise.all(ids.map((id) => postText(c.user.accessToken, chatId, `пачка ${id}`, id)));
                for (const [i, m] of posted.entries()) seqs.set(ids[i] as string, m.seq);
              }
              for (const seq of [...seqs.values()].sort((x, y) => x - y))
                sent.push({ seq, by: step.who, deleted: false, pinned: false, reactions: new Set() });
              break;
            }
            case "pin": {
              const live = sent.filter((m) => !m.deleted);
              const target = live[step.pick % Math.max(1, live.length)];
              if (!target) break;
              const res = await call(`/api/v1/chats/${chatId}/messages/${target.seq}/pin`, {
                method: target.pinned ? "DELETE" : "PUT",
                token: owner.accessToken,
              });
              expect(res.status).toBe(204);
              target.pinned = !target.pinned;
              break;
            }
            case "title":
              await ok(
                callJson(`/api/v1/chats/${chatId}`, {
                  method: "PATCH",
                  token: owner.accessToken,
                  body: { title: `название ${counter++}` },
                }),
                200,
              );
              break;
            case "role": {
              if (!extraIn[step.x]) break;
              const x = extras[step.x] as SignedIn;
              const role = extraAdmin[step.x] ? "member" : "admin";
              await ok(
                callJson(`/api/v1/chats/${chatId}/members/${x.user.id}`, { method: "PATCH", token: owner.accessToken, body: { role } }),
                200,
              );
              extraAdmin[step.x] = !extraAdmin[step.x];
              break;
            }
            case "evictInbox": {
              const id = env.INBOX.idFromName((clients[step.who] as Client).user.user.id);
              await evict(env.INBOX.get(id));
              break;
            }
            case "edit":
            case "delete": {
              const mine = sent.filter((m) => m.by === step.who && !m.deleted);
              const target = mine[step.pick % Math.max(1, mine.length)];
              if (!target) break;
              const path = `/api/v1/chats/${chatId}/messages/${target.seq}`;
              const token = (clients[step.who] as Client).user.accessToken;
              if (step.kind === "edit") await ok(callJson(path, { method: "PATCH", token, body: { text: `правка ${counter++}` } }), 200);
              else {
                expect((await call(path, { method: "DELETE", token })).status).toBe(204);
                target.deleted = true;
              }
              break;
            }
            case "react": {
              const live = sent.filter((m) => !m.deleted);
              const target = live[step.pick % Math.max(1, live.length)];
              if (!target) break;
              const emoji = EMOJI[step.emoji] as string;
              const key = `${step.who}:${emoji}`;
              const on = !target.reactions.has(key);
              const res = await call(`/api/v1/chats/${chatId}/messages/${target.seq}/reactions/${encodeURIComponent(emoji)}`, {
                method: on ? "PUT" : "DELETE",
                token: (clients[step.who] as Client).user.accessToken,
              });
              expect(res.status).toBe(204);
              if (on) target.reactions.add(key);
              else target.reactions.delete(key);
              break;
            }
            case "read": {
              const c = clients[step.who] as Client;
              const seq = sent.length;
              if (c.socket) c.socket.send({ type: "read", seq });
              else expect((await call(`/api/v1/chats/${chatId}/read`, { token: c.user.accessToken, body: { seq } })).status).toBe(204);
              break;
            }
            case "add":
            case "remove": {
              const x = extras[step.x] as SignedIn;
              if (step.kind === "add" && !extraIn[step.x]) {
                await ok(callJson(`/api/v1/chats/${chatId}/members`, { token: owner.accessToken, body: { userId: x.user.id } }), 201);
                extraIn[step.x] = true;
                extraAdmin[step.x] = false;
              } else if (step.kind === "remove" && extraIn[step.x]) {
                const res = await call(`/api/v1/chats/${chatId}/members/${x.user.id}`, { method: "DELETE", token: owner.accessToken });
                expect(res.status).toBe(204);
                extraIn[step.x] = false;
              }
              break;
            }
            case "drop":
              await drop(clients[step.who] as Client);
              break;
            case "reconnect": {
              const c = clients[step.who] as Client;
              if (!c.socket) await connect(c);
              break;
            }
            case "evict":
              await evict(env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId)));
              break;
          }
        }

        // Everyone comes back and catches up to the chat's current pts.
        for (const c of clients) if (!c.socket) await connect(c);
        // A read frame sent just before may still be on its way: wait until the chat's pts stops moving.
        let now = await currentPts(owner.accessToken, chatId);
        for (;;) {
          for (const c of clients) {
            if (c.model.pts < now) await (c.socket as TestSocket).next((f) => isChange(f) && f.pts === now, 10_000);
            absorb(c);
            expect(c.model.pts).toBe(now);
          }
          await new Promise((r) => setTimeout(r, 100));
          const again = await currentPts(owner.accessToken, chatId);
          if (again === now) break;
          now = again;
        }
        for (const c of clients) expect(c.errors).toEqual([]);

        const history = viewOfHistory(await fullHistory(owner.accessToken, chatId));
        expect(history.map((m) => m.seq)).toEqual(sent.map((m) => m.seq).sort((x, y) => x - y));
        const serverMembers = await ok(
          callJson<{ members: { userId: string; role: string; readSeq: number }[] }>(`/api/v1/chats/${chatId}/members`, {
            token: owner.accessToken,
          }),
          200,
        );
        const roles = new Map(serverMembers.members.map((m) => [m.userId, m.role]));
        const lastSeq = sent.length;
        for (const c of clients) {
          expect(viewOf(c.model.messages)).toEqual(history);
          expect(new Map([...c.model.members].sort())).toEqual(new Map([...roles].sort()));
          for (const u of users) {
            const server = serverMembers.members.find((m) => m.userId === u.user.id);
            expect(c.model.reads.get(u.user.id) ?? 0, `read marker of ${u.user.id}`).toBe(server?.readSeq);
          }
          // Chat summaries follow the room within 2 s of the last change.
          const readSeq = c.model.reads.get(c.user.user.id) ?? 0;
          await expect
            .poll(() => chatOf(c.user.accessToken, chatId), { timeout: 2000, interval: 50 })
            .toMatchObject({ lastSeq, readSeq, unreadCount: lastSeq - readSeq, memberCount: c.model.members.size });
          const mine = await chatOf(c.user.accessToken, chatId);
          expect(mine.title).toBe(c.model.title);
          // A chat object's pts is the chat's as of its summary: a reaction, say, moves the chat's pts but not the summary.
          expect(mine.pts).toBeLessThanOrEqual(now);
          const listed = await ok(callJson<{ chats: SyncChat[] }>("/api/v1/chats", { token: c.user.accessToken }), 200);
          const { pts: listedPts, ...listedRest } = listed.chats.find((x) => x.id === chatId) as SyncChat;
          const { pts: _minePts, ...mineRest } = mine;
          expect(listedRest).toEqual(mineRest);
          expect(listedPts).toBeLessThanOrEqual(now);
        }
        for (const c of clients) c.socket?.close();
      }),
      // Few, short runs: each step goes through the real Worker and rooms. Shrinking stops after 90 s in all.
      { numRuns: 15, interruptAfterTimeLimit: 90_000 },
    );
  });
});
