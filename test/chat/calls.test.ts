import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readAnswer } from "../../src/chat/calls/turn";
import { fingerprints, shortAuthCode } from "../../src/web/citizen/calls/sas";
import { call, callJson, expectProblem, historyOf, newChat, openSocket, type SignedIn, signIn, type TestSocket } from "../helpers";
import { commit, secretChat, withDevice } from "./secret-support";

const OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\na=fingerprint:sha-256 AA:BB\r\n";
const ANSWER = "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\na=fingerprint:sha-256 CC:DD\r\n";
const CANDIDATE = { candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 };

const room = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const newCallId = () => crypto.randomUUID();

interface CallMessage {
  seq: number;
  senderId: string;
  text: string | null;
  call?: { callId: string; video: boolean; outcome: string; durationSec: number };
}

async function directChat(a: SignedIn, b: SignedIn): Promise<string> {
  return (await newChat(a.accessToken, { type: "direct", userId: b.user.id })).id;
}

const roomSocket = (chatId: string, who: SignedIn) => openSocket(`/api/v1/chats/${chatId}/ws`, { token: who.accessToken });
const inboxSocket = (who: SignedIn) => openSocket("/api/v1/inbox/ws", { token: who.accessToken });
const frameOf = (s: TestSocket, type: string, callId: string, extra: (f: Record<string, unknown>) => boolean = () => true) =>
  s.next((f) => f.type === type && f.callId === callId && extra(f));
const ended = (s: TestSocket, callId: string) => frameOf(s, "call_state", callId, (f) => f.state === "ended");
const errorFrame = (s: TestSocket, code: string, from = 0) => s.next((f) => f.type === "error" && f.code === code, 5000, from);

/** The call message the room wrote for `callId`, as a member reads the chat's history. */
async function callMessage(token: string, chatId: string, callId: string): Promise<CallMessage> {
  for (let i = 0; i < 50; i++) {
    const found = ((await historyOf(token, chatId)) as unknown as CallMessage[]).find((m) => m.call?.callId === callId);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no call message");
}

describe("calls: signalling in a direct chat", () => {
  it("rings every device of the callee, relays answer and candidates between the two devices in the call, and records it", async () => {
    const anna = await signIn();
    const boris = await signIn();
    const borisPhone = await signIn(boris.phone, "second device");
    const chatId = await directChat(anna, boris);
    const [annaRoom, borisRoom, borisInbox, phoneInbox] = await Promise.all([
      roomSocket(chatId, anna),
      roomSocket(chatId, boris),
      inboxSocket(boris),
      inboxSocket(borisPhone),
    ]);
    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: true, sdp: OFFER });

    // Every device of Boris rings: the open chat gets the offer, each inbox the incoming call.
    const invite = await frameOf(borisRoom, "call_invite", callId);
    expect(invite).toMatchObject({ callerId: anna.user.id, video: true, sdp: OFFER });
    for (const inbox of [borisInbox, phoneInbox])
      expect(await frameOf(inbox, "call_incoming", callId)).toMatchObject({ chatId, callerId: anna.user.id, video: true });
    // A device that opens the chat while it rings gets the offer too.
    const phoneRoom = await roomSocket(chatId, borisPhone);
    expect(await frameOf(phoneRoom, "call_invite", callId)).toMatchObject({ sdp: OFFER });
    await frameOf(annaRoom, "call_state", callId, (f) => f.state === "ringing");
    // Candidates gathered while it rings reach the callee's devices.
    annaRoom.send({ type: "call_ice", callId, candidate: CANDIDATE });
    expect(await frameOf(borisRoom, "call_ice", callId)).toMatchObject({ candidate: CANDIDATE });

    borisRoom.send({ type: "call_answer", callId, sdp: ANSWER });
    expect(await frameOf(annaRoom, "call_answer", callId)).toMatchObject({ sdp: ANSWER });
    // The other device stops ringing: its inbox and its room socket hear the call was answered.
    await frameOf(phoneInbox, "call_state", callId, (f) => f.state === "active");
    await frameOf(phoneRoom, "call_state", callId, (f) => f.state === "active");
    // The other device may not answer or take part any more.
    const mark = phoneRoom.frames.length;
    phoneRoom.send({ type: "call_answer", callId, sdp: ANSWER });
    await errorFrame(phoneRoom, "call_answered", mark);
    phoneRoom.send({ type: "call_ice", callId, candidate: CANDIDATE });
    await errorFrame(phoneRoom, "no_such_call", mark);

    // From now on candidates and media states go between the two devices in the call only.
    const phoneBefore = phoneRoom.frames.filter((f) => f.type === "call_ice").length;
    annaRoom.send({ type: "call_ice", callId, candidate: { ...CANDIDATE, candidate: `${CANDIDATE.candidate} 2` } });
    await borisRoom.next((f) => f.type === "call_ice" && (f.candidate as { candidate: string }).candidate.endsWith(" 2"));
    borisRoom.send({ type: "call_ice", callId, candidate: null });
    expect(await frameOf(annaRoom, "call_ice", callId)).toMatchObject({ candidate: null });
    borisRoom.send({ type: "call_media", callId, audio: false, video: true });
    expect(await frameOf(annaRoom, "call_media", callId)).toMatchObject({ userId: boris.user.id, audio: false, video: true });
    expect(phoneRoom.frames.filter((f) => f.type === "call_ice").length).toBe(phoneBefore);

    borisRoom.send({ type: "call_hangup", callId });
    for (const s of [annaRoom, borisRoom, phoneRoom]) expect(await ended(s, callId)).toMatchObject({ reason: "hangup" });
    // The call's message: written by the room, with a seq and a pts, sent like any message, listed in the chat.
    const live = await annaRoom.next((f) => f.type === "message" && (f.message as CallMessage).call?.callId === callId);
    expect(live.pts).toEqual(expect.any(Number));
    const message = await callMessage(boris.accessToken, chatId, callId);
    expect(message).toMatchObject({ senderId: anna.user.id, text: null, call: { callId, video: true, outcome: "answered" } });
    expect(message.call?.durationSec).toBeGreaterThanOrEqual(0);
    // The chat lists show it as the last message (a socket-started change reaches them within a push round).
    await expect
      .poll(
        async () => {
          const { body } = await callJson<{ chats: { id: string; lastMessage: CallMessage | null }[] }>("/api/v1/chats", {
            token: boris.accessToken,
          });
          return body.chats.find((c) => c.id === chatId)?.lastMessage?.call?.outcome;
        },
        { timeout: 5000 },
      )
      .toBe("answered");
    // A call's message is the room's record: it cannot be edited into something else.
    const edit = await call(`/api/v1/chats/${chatId}/messages/${message.seq}`, {
      method: "PATCH",
      token: anna.accessToken,
      body: { text: "never called" },
    });
    await expectProblem(edit, 403, "not_allowed");
    for (const s of [annaRoom, borisRoom, phoneRoom, borisInbox, phoneInbox]) s.close();
  });

  it("refuses calls outside direct chats, frames for calls one is not in, and a second call in the same chat", async () => {
    const anna = await signIn();
    const boris = await signIn();
    const vera = await signIn();
    const group = await newChat(anna.accessToken, { type: "group", title: "no calls here", memberIds: [boris.user.id] });
    const groupSocket = await roomSocket(group.id, anna);
    groupSocket.send({ type: "call_invite", callId: newCallId(), video: false, sdp: OFFER });
    await errorFrame(groupSocket, "call_not_allowed");

    const chatId = await directChat(anna, boris);
    // Someone outside the chat cannot even open its socket.
    const outside = await call(`/api/v1/chats/${chatId}/ws`, { token: vera.accessToken, headers: { upgrade: "websocket" } });
    expect(outside.status).toBe(404);
    const annaRoom = await roomSocket(chatId, anna);
    const borisRoom = await roomSocket(chatId, boris);
    annaRoom.send({ type: "call_answer", callId: newCallId(), sdp: ANSWER });
    await errorFrame(annaRoom, "no_such_call");
    annaRoom.send({ type: "call_invite", callId: "x", video: false, sdp: OFFER });
    await errorFrame(annaRoom, "invalid_frame");

    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: false, sdp: OFFER });
    await frameOf(borisRoom, "call_invite", callId);
    // The caller cannot answer or decline their own call.
    let mark = annaRoom.frames.length;
    annaRoom.send({ type: "call_answer", callId, sdp: ANSWER });
    await errorFrame(annaRoom, "no_such_call", mark);
    // One call per chat: a second one, from either side, is refused while the first rings.
    mark = borisRoom.frames.length;
    borisRoom.send({ type: "call_invite", callId: newCallId(), video: true, sdp: OFFER });
    await errorFrame(borisRoom, "call_in_progress", mark);
    annaRoom.send({ type: "call_hangup", callId });
    expect(await ended(borisRoom, callId)).toMatchObject({ reason: "cancelled" });
    expect((await callMessage(anna.accessToken, chatId, callId)).call?.outcome).toBe("missed");

    // Blocked: no calls to the one who blocked.
    expect((await call(`/api/v1/blocks/${anna.user.id}`, { method: "PUT", token: boris.accessToken })).status).toBeLessThan(300);
    mark = annaRoom.frames.length;
    annaRoom.send({ type: "call_invite", callId: newCallId(), video: false, sdp: OFFER });
    await errorFrame(annaRoom, "blocked", mark);
    for (const s of [groupSocket, annaRoom, borisRoom]) s.close();
  });

  it("a declined call ends on both sides and is recorded as declined", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chatId = await directChat(anna, boris);
    const [annaRoom, borisRoom] = [await roomSocket(chatId, anna), await roomSocket(chatId, boris)];
    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: false, sdp: OFFER });
    await frameOf(borisRoom, "call_invite", callId);
    borisRoom.send({ type: "call_decline", callId });
    expect(await ended(annaRoom, callId)).toMatchObject({ reason: "declined" });
    expect(await callMessage(anna.accessToken, chatId, callId)).toMatchObject({
      senderId: anna.user.id,
      call: { outcome: "declined", durationSec: 0, video: false },
    });
    annaRoom.close();
    borisRoom.close();
  });

  it("a callee already in a call is busy: the second caller hears so, and the call is recorded as busy", async () => {
    const [anna, boris, vera] = [await signIn(), await signIn(), await signIn()];
    const first = await directChat(anna, boris);
    const second = await directChat(vera, boris);
    const [annaRoom, borisRoom, veraRoom] = [await roomSocket(first, anna), await roomSocket(first, boris), await roomSocket(second, vera)];
    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: false, sdp: OFFER });
    await frameOf(borisRoom, "call_invite", callId);
    borisRoom.send({ type: "call_answer", callId, sdp: ANSWER });
    await frameOf(annaRoom, "call_answer", callId);

    const busyId = newCallId();
    veraRoom.send({ type: "call_invite", callId: busyId, video: true, sdp: OFFER });
    expect(await ended(veraRoom, busyId)).toMatchObject({ reason: "busy" });
    expect((await callMessage(vera.accessToken, second, busyId)).call?.outcome).toBe("busy");

    // Once the first call ends Boris is free again: Vera's next call rings (after a few seconds: calling
    // again at once is refused, so nobody can make another's devices ring in a loop).
    annaRoom.send({ type: "call_hangup", callId });
    await ended(borisRoom, callId);
    const againId = newCallId();
    const borisInbox = await inboxSocket(boris);
    const mark = veraRoom.frames.length;
    veraRoom.send({ type: "call_invite", callId: againId, video: true, sdp: OFFER });
    const refused = await errorFrame(veraRoom, "rate_limited", mark);
    expect(refused.retryAfter).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Number(refused.retryAfter) * 1000));
    veraRoom.send({ type: "call_invite", callId: againId, video: true, sdp: OFFER });
    await frameOf(borisInbox, "call_incoming", againId);
    // The callee's device that is in another call can say busy itself.
    const borisSecond = await roomSocket(second, boris);
    await frameOf(borisSecond, "call_invite", againId);
    borisSecond.send({ type: "call_busy", callId: againId });
    expect(await ended(veraRoom, againId)).toMatchObject({ reason: "busy" });
    for (const s of [annaRoom, borisRoom, veraRoom, borisInbox, borisSecond]) s.close();
  });

  it("a call nobody answers ends by the room's alarm and is recorded as missed", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chatId = await directChat(anna, boris);
    const [annaRoom, borisInbox] = [await roomSocket(chatId, anna), await inboxSocket(boris)];
    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: true, sdp: OFFER });
    await frameOf(borisInbox, "call_incoming", callId);
    await frameOf(annaRoom, "call_state", callId, (f) => f.state === "ringing");
    // A device that opens the app while it rings (from the call's push, say) rings too.
    const later = await inboxSocket(boris);
    expect(await frameOf(later, "call_incoming", callId)).toMatchObject({ chatId, callerId: anna.user.id, video: true });
    later.close();
    // The alarm before the ring's time leaves it ringing.
    await runDurableObjectAlarm(room(chatId));
    expect(annaRoom.frames.some((f) => f.type === "call_state" && f.state === "ended")).toBe(false);
    // Past the ring's time (moved back rather than waited for), the alarm ends it.
    await runInDurableObject(room(chatId), (_instance: unknown, state) => {
      state.storage.sql.exec("UPDATE meta SET value = json_set(value, '$.ringUntil', 0) WHERE key = 'call'");
      return state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(room(chatId))).toBe(true);
    expect(await ended(annaRoom, callId)).toMatchObject({ reason: "no_answer" });
    // Boris's devices stop ringing.
    expect(await ended(borisInbox, callId)).toMatchObject({ reason: "no_answer" });
    expect(await callMessage(boris.accessToken, chatId, callId)).toMatchObject({
      senderId: anna.user.id,
      text: null,
      call: { outcome: "missed", video: true, durationSec: 0 },
    });
    annaRoom.close();
    borisInbox.close();
  });

  it("a caller whose device leaves while it rings cancels the call", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chatId = await directChat(anna, boris);
    const [annaRoom, borisRoom] = [await roomSocket(chatId, anna), await roomSocket(chatId, boris)];
    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: false, sdp: OFFER });
    await frameOf(borisRoom, "call_invite", callId);
    annaRoom.close();
    expect(await ended(borisRoom, callId)).toMatchObject({ reason: "cancelled" });
    expect((await callMessage(boris.accessToken, chatId, callId)).call?.outcome).toBe("missed");
    borisRoom.close();
  });

  it("in a secret chat relays the same signalling but writes no call message (the clients record it, encrypted)", async () => {
    const [anna, boris] = [await withDevice(), await withDevice()];
    const chatId = await secretChat(anna.s, boris.s);
    const [annaRoom, borisRoom] = [await roomSocket(chatId, anna.s), await roomSocket(chatId, boris.s)];
    const callId = newCallId();
    annaRoom.send({ type: "call_invite", callId, video: false, sdp: OFFER });
    expect(await frameOf(borisRoom, "call_invite", callId)).toMatchObject({ callerId: anna.s.user.id, sdp: OFFER });
    borisRoom.send({ type: "call_answer", callId, sdp: ANSWER });
    expect(await frameOf(annaRoom, "call_answer", callId)).toMatchObject({ sdp: ANSWER });
    annaRoom.send({ type: "call_hangup", callId });
    for (const s of [annaRoom, borisRoom]) expect(await ended(s, callId)).toMatchObject({ reason: "hangup" });
    // A message sent after the call ends comes after anything the room wrote for it. (Two things keep the room
    // from writing one: `serverWritesCallMessage`, and behind it the secret chat's ciphertext-only rule.)
    const after = await commit(anna.s.accessToken, chatId, 0, [anna.deviceId, boris.deviceId]);
    const history = (await historyOf(boris.s.accessToken, chatId)) as unknown as CallMessage[];
    expect(history.map((m) => m.seq)).toContain(after.seq);
    expect(history.some((m) => m.call !== undefined)).toBe(false);
    expect(annaRoom.frames.some((f) => f.type === "message" && (f.message as CallMessage).call !== undefined)).toBe(false);
    annaRoom.close();
    borisRoom.close();
  });
});

describe("calls: POST /api/v1/calls/ice-servers", () => {
  it("needs a signed-in citizen, and answers no servers where no TURN is configured", async () => {
    await expectProblem(await call("/api/v1/calls/ice-servers", { method: "POST" }), 401, "unauthorized");
    const anna = await signIn();
    const res = await callJson<{ iceServers: unknown[] }>("/api/v1/calls/ice-servers", { method: "POST", token: anna.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ iceServers: [] });
  });
});

describe("calls: Cloudflare's TURN answer", () => {
  it("is passed on as RTCIceServer objects without the port 53 URLs browsers block, in either of its shapes", () => {
    const turn = {
      urls: [
        "turn:turn.cloudflare.com:3478?transport=udp",
        "turn:turn.cloudflare.com:53?transport=udp",
        "turns:turn.cloudflare.com:443?transport=tcp",
      ],
      username: "u",
      credential: "c",
    };
    const stun = { urls: ["stun:stun.cloudflare.com:3478", "stun:stun.cloudflare.com:53"] };
    expect(readAnswer({ iceServers: [stun, turn] })).toEqual([
      { urls: ["stun:stun.cloudflare.com:3478"] },
      {
        urls: ["turn:turn.cloudflare.com:3478?transport=udp", "turns:turn.cloudflare.com:443?transport=tcp"],
        username: "u",
        credential: "c",
      },
    ]);
    expect(readAnswer({ iceServers: turn })).toHaveLength(1);
    expect(readAnswer({ error: "unauthorized" })).toBeNull();
  });
});

describe("calls: the short authentication code", () => {
  const sdp = (fp: string) => `v=0\r\na=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 ${fp}\r\n`;
  const alice = sdp("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
  const bob = sdp("10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE");
  const mallory = sdp("FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00");

  it("is the same on both sides, and differs when someone in the middle swaps a fingerprint", async () => {
    expect(fingerprints(alice)).toEqual([`sha-256 ${alice.match(/sha-256 (\S+)/)?.[1]}`]);
    const callerSees = await shortAuthCode(alice, bob);
    const calleeSees = await shortAuthCode(bob, alice);
    expect(callerSees).toEqual(calleeSees);
    expect(callerSees?.emoji).toHaveLength(4);
    expect(callerSees?.digits).toMatch(/^\d{6}$/);
    // A relay that terminates DTLS shows each side its own certificate instead of the other's.
    expect(await shortAuthCode(alice, mallory)).not.toEqual(callerSees);
    expect(await shortAuthCode("v=0\r\n", bob)).toBeNull();
  });
});
