// Issue 13, fan-out: a big channel's subscribers' sockets are held by relay objects, which get one call per batch
// from the room (or their parent relay) and send every change to their sockets once, in pts order, whatever is
// evicted. vitest.config.ts lowers the thresholds: channels of more than 20 members have one relay per 6 members,
// and the room calls 2 of them, each forwarding to 2 more.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RelayFanout } from "../../src/chat/relay/fanout";
import { relayIndex } from "../../src/chat/relay/plan";
import { call, callJson, expectProblem, newChat, openSocket, postText, type SignedIn, signIn, type TestSocket } from "../helpers";
import { allChangesSince, changesOf, currentPts, type Frame, ok, ptsOf, range, sendBurst, untilPts } from "./sync-support";

const roomOf = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const relayOf = (chatId: string, index: number) => env.CHAT_RELAY.get(env.CHAT_RELAY.idFromName(`${chatId}#${index}`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Evicts a relay from memory (its sockets stay connected, hibernated); woken first, since only a running one can be. */
async function evictRelay(chatId: string, index: number): Promise<void> {
  await relayOf(chatId, index).socketCount();
  await evictDurableObject(relayOf(chatId, index));
}

/** The room's relay counters (src/chat/relay/fanout.ts), read inside the object. */
const fanoutOf = (chatId: string) =>
  runInDurableObject(roomOf(chatId), (room: unknown) => {
    const { calls, batches } = (room as { relays: RelayFanout }).relays;
    return { calls, batches, count: (room as { relays: RelayFanout }).relays.count() };
  });
const socketsOn = (chatId: string, index: number) => relayOf(chatId, index).socketCount();

/** A channel of an owner and `n` subscribers (24 members in all: 4 relays). */
async function bigChannel(n = 23): Promise<{ chatId: string; owner: SignedIn; subs: SignedIn[]; pts: number }> {
  const [owner, ...subs] = await Promise.all(Array.from({ length: n + 1 }, () => signIn()));
  if (!owner) throw new Error("no owner");
  const chat = await newChat(owner.accessToken, { type: "channel", title: "Городские новости", memberIds: subs.map((s) => s.user.id) });
  return { chatId: chat.id, owner, subs, pts: await currentPts(owner.accessToken, chat.id) };
}

const openAll = (chatId: string, subs: SignedIn[], pts: number) =>
  Promise.all(subs.map((s, i) => openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}${i % 2 ? "&batch=1" : ""}`, { token: s.accessToken })));

/** Every socket received exactly the changes after `from` up to `to`, once each and in order. */
async function expectExactly(sockets: TestSocket[], from: number, to: number): Promise<void> {
  for (const s of sockets) await untilPts(s, to, 15_000);
  await sleep(100);
  for (const s of sockets) expect(ptsOf(changesOf(s, from))).toEqual(range(from + 1, to));
}

describe("relays", () => {
  it("spread a big channel's subscribers over several relays, and each gets every post once, in order", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const sockets = await openAll(chatId, subs, pts);
    const expected = new Map<number, number>();
    for (const s of subs) {
      const i = relayIndex(chatId, s.user.id, 4);
      expected.set(i, (expected.get(i) ?? 0) + 1);
    }
    expect(expected.size).toBeGreaterThanOrEqual(3);
    for (const [index, n] of expected) expect(await socketsOn(chatId, index)).toBe(n);
    // The owner's socket stays on the room: it posts and gets its acks there.
    const own = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: owner.accessToken });
    await sendBurst(
      own,
      range(1, 30).map((k) => `p${k}`),
    );
    await expectExactly([...sockets, own], pts, pts + 30);
    const texts = (s: TestSocket) => changesOf(s, pts).map((f) => (f.message as { text: string }).text);
    for (const s of sockets) expect(texts(s)).toEqual(range(1, 30).map((k) => `p${k}`));
    // Batched sockets got arrays; the others one frame per message.
    expect(sockets[0]?.raw.every((r) => !r.startsWith("["))).toBe(true);
    for (const s of [...sockets, own]) s.close();
  });

  it("cost the room one call per first-level relay per batch, however many subscribers", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const sockets = await openAll(chatId, subs, pts);
    const before = await fanoutOf(chatId);
    expect(before.count).toBe(4);
    for (let k = 1; k <= 10; k++) await postText(owner.accessToken, chatId, `пост ${k}`);
    await expectExactly(sockets, pts, pts + 10);
    const after = await fanoutOf(chatId);
    const batches = after.batches - before.batches;
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(10);
    // Two first-level relays (RELAY_FANOUT = 2), not 23 subscribers' sockets nor 4 relays.
    expect(after.calls - before.calls).toBe(2 * batches);
    // Relays 2 and 3 got the same batches through relay 0.
    const second = await runInDurableObject(relayOf(chatId, 3), (relay: unknown) => (relay as { batches: number }).batches);
    expect(second).toBeGreaterThanOrEqual(batches);
    for (const s of sockets) s.close();
  });

  it("catch a subscriber up with ?pts= (and ?after=) through a relay, then go live without gaps or duplicates", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const [sub, other] = subs as [SignedIn, SignedIn];
    for (let k = 1; k <= 5; k++) await postText(owner.accessToken, chatId, `до ${k}`);
    await ok(callJson(`/api/v1/chats/${chatId}/messages/2`, { method: "PATCH", token: owner.accessToken, body: { text: "правка" } }), 200);
    expect((await call(`/api/v1/chats/${chatId}/messages/3`, { method: "DELETE", token: owner.accessToken })).status).toBe(204);
    const s = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}&batch=1`, { token: sub.accessToken });
    const byAfter = await openSocket(`/api/v1/chats/${chatId}/ws?after=1`, { token: other.accessToken });
    await untilPts(s, pts + 7);
    // The replay is the change log as /changes answers it (the deleted message's frames carry its tombstone).
    expect(changesOf(s, pts)).toEqual((await allChangesSince(sub.accessToken, chatId, pts)).changes);
    await postText(owner.accessToken, chatId, "после");
    await expectExactly([s], pts, pts + 8);
    // ?after= replays messages 2…5 in their current state, then live ones.
    await untilPts(byAfter, pts + 8);
    const seqs = byAfter.frames.filter((f) => f.type === "message").map((f) => (f.message as { seq: number }).seq);
    expect(seqs).toEqual([2, 3, 4, 5, 6]);
    s.close();
    byAfter.close();
  });

  it("lose nothing and duplicate nothing when relays are evicted mid-stream", { timeout: 60_000 }, async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const sockets = await openAll(chatId, subs, pts);
    const own = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: owner.accessToken });
    const burst = sendBurst(
      own,
      range(1, 40).map((k) => `e${k}`),
    );
    await own.next((f) => f.type === "ack" && f.clientId === "e10", 10_000);
    // A first-level relay and one below it, while posts keep coming.
    await evictRelay(chatId, 0);
    await evictRelay(chatId, 2);
    await own.next((f) => f.type === "ack" && f.clientId === "e25", 10_000);
    await evictRelay(chatId, 1);
    await evictRelay(chatId, 3);
    await burst;
    await expectExactly(sockets, pts, pts + 40);
    // And once more, with nothing in flight: the next post reaches everyone after the relays wake.
    for (const i of [0, 1, 2, 3]) await evictRelay(chatId, i);
    await postText(owner.accessToken, chatId, "после выселения");
    await expectExactly(sockets, pts, pts + 41);
    for (const s of [...sockets, own]) s.close();
  });

  it("fill a gap from the room's change log when batches never reached them, before sending anything newer", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const sockets = await openAll(chatId, subs, pts);
    await postText(owner.accessToken, chatId, "первый");
    await expectExactly(sockets, pts, pts + 1);
    // The room's calls to its relays are dropped for three posts, as if each call was lost on the way.
    const drop = (on: boolean) =>
      runInDurableObject(roomOf(chatId), (room: unknown) => {
        // `call` is the fanout's private sender of one relay call.
        const fanout = (room as { relays: { realCall?: unknown; call: unknown } }).relays;
        fanout.realCall ??= fanout.call;
        fanout.call = on ? () => undefined : fanout.realCall;
      });
    await drop(true);
    for (const text of ["второй", "третий", "четвёртый"]) await postText(owner.accessToken, chatId, text);
    await sleep(200);
    for (const s of sockets) expect(ptsOf(changesOf(s, pts))).toEqual([pts + 1]);
    await drop(false);
    await postText(owner.accessToken, chatId, "пятый");
    await expectExactly(sockets, pts, pts + 5);
    for (const s of sockets) s.close();
  });

  it("lose nothing for a subscriber whose socket moves to another relay when the channel grows", { timeout: 60_000 }, async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    // 24 members: 4 relays; 7 more make 31: 6 relays. Someone whose relay changes with that:
    const mover = subs.find((s) => relayIndex(chatId, s.user.id, 4) !== relayIndex(chatId, s.user.id, 6));
    const stayer = subs.find((s) => s !== mover);
    if (!mover || !stayer) throw new Error("no subscriber changes relay");
    let moving = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: mover.accessToken });
    const staying = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: stayer.accessToken });
    for (let k = 1; k <= 3; k++) await postText(owner.accessToken, chatId, `раз ${k}`);
    await untilPts(moving, pts + 3);
    const seen: Frame[] = [...changesOf(moving, pts)];
    const newcomers = await Promise.all(Array.from({ length: 7 }, () => signIn()));
    for (const n of newcomers)
      await ok(callJson(`/api/v1/chats/${chatId}/members`, { token: owner.accessToken, body: { userId: n.user.id } }), [200, 201]);
    expect((await fanoutOf(chatId)).count).toBe(6);
    // Posts while the mover is away, then they reconnect from the last pts they saw, now to the other relay.
    moving.close();
    await moving.closed;
    for (let k = 1; k <= 3; k++) await postText(owner.accessToken, chatId, `два ${k}`);
    const last = (seen.at(-1)?.pts as number | undefined) ?? pts;
    moving = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${last}&batch=1`, { token: mover.accessToken });
    expect(await socketsOn(chatId, relayIndex(chatId, mover.user.id, 6))).toBeGreaterThanOrEqual(1);
    await postText(owner.accessToken, chatId, "три");
    await untilPts(moving, pts + 7);
    seen.push(...changesOf(moving, last));
    expect(ptsOf(seen)).toEqual(range(pts + 1, pts + 7));
    // The socket that stayed on its old relay (still in the tree: relays are never taken away) has it all too.
    await expectExactly([staying], pts, pts + 7);
    moving.close();
    staying.close();
  });

  it("refuse non-members before the upgrade, and close a removed subscriber's relay socket", async () => {
    const { chatId, owner, subs, pts } = await bigChannel();
    const outsider = await signIn();
    await expectProblem(
      await call(`/api/v1/chats/${chatId}/ws`, { token: outsider.accessToken, headers: { upgrade: "websocket" } }),
      404,
      "not_found",
    );
    const sub = subs[0] as SignedIn;
    const s = await openSocket(`/api/v1/chats/${chatId}/ws?pts=${pts}`, { token: sub.accessToken });
    expect(await socketsOn(chatId, relayIndex(chatId, sub.user.id, 4))).toBe(1);
    expect((await call(`/api/v1/chats/${chatId}/members/${sub.user.id}`, { method: "DELETE", token: owner.accessToken })).status).toBe(204);
    expect((await s.closed).code).toBe(4003);
    await expectProblem(
      await call(`/api/v1/chats/${chatId}/ws`, { token: sub.accessToken, headers: { upgrade: "websocket" } }),
      404,
      "not_found",
    );
    // A subscriber's send through a relay is refused as the room would (only owners and admins post).
    const other = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: (subs[1] as SignedIn).accessToken });
    other.send({ type: "send", clientId: "nope", text: "можно?" });
    expect(await other.next((f) => f.type === "error")).toMatchObject({ code: "not_allowed", clientId: "nope" });
    // Signing the device out closes its socket on the relay, as on a room.
    expect((await call("/api/v1/auth/logout", { method: "POST", token: (subs[1] as SignedIn).accessToken })).status).toBe(204);
    expect((await other.closed).code).toBe(4001);
  });
});
