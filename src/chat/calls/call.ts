// One-to-one calls, as a direct chat's room keeps them: one call per chat at a time, ringing → active → ended.
// Plain functions of the call's state and a client frame: what to store, whom to tell, what to refuse, and
// what the call's message records. The room (../room.ts) runs the steps: it stores, sends, rings the callee's
// inbox, arms the no-answer alarm and writes the message through its normal message path.
import * as z from "zod";
import type { CallEndReason, CallRecord, CallStateFrame, ChatType, ClientFrame, RoomFrame } from "../protocol";

/** How long a call rings before it is recorded as missed. */
export const RING_TIMEOUT_MS = 45_000;
/** A person starts at most one call per chat in this time (`rate_limited` otherwise). */
export const INVITE_INTERVAL_MS = 3_000;

/** Chat types where a call may be made: one-to-one chats (a secret chat is one too, built elsewhere). */
const CALLABLE: ReadonlySet<string> = new Set(["direct", "secret"]);
/**
 * The hook for end-to-end encrypted chats: in a secret chat the server writes no call message (the clients
 * write the call's record inside the encrypted chat, so the server never learns who called for how long
 * beyond the signalling it relays). Checked by name, as the secret chat type is added by its own branch.
 */
const CLIENT_RECORDED: ReadonlySet<string> = new Set(["secret"]);

export const callable = (type: ChatType | string): boolean => CALLABLE.has(type);
export const serverWritesCallMessage = (type: ChatType | string): boolean => !CLIENT_RECORDED.has(type);

export const StoredCall = z.object({
  callId: z.string(),
  callerId: z.string(),
  calleeId: z.string(),
  video: z.boolean(),
  state: z.enum(["ringing", "active"]),
  /** The caller's device (session): answers and candidates go to its sockets only. */
  callerSession: z.string(),
  /** The callee's device that answered; null while ringing (every device of the callee rings). */
  calleeSession: z.string().nullable(),
  /** Kept while ringing, so a callee device that connects later gets the invite. */
  offer: z.string(),
  startedAt: z.number(),
  answeredAt: z.number().nullable(),
  ringUntil: z.number(),
});
export type StoredCall = z.infer<typeof StoredCall>;

export type CallFrame = Extract<ClientFrame, { type: `call_${string}` }>;

/** Whom a frame goes to: every socket of a user in the chat, or those of one device. */
export type Target = { user: string } | { session: string };

export interface Ended {
  reason: z.infer<typeof CallEndReason>;
  record: CallRecord;
}

export type Step =
  | { ok: false; code: string; detail: string }
  | {
      ok: true;
      /** What to store (null: no call any more); undefined: unchanged. */
      call?: StoredCall | null;
      relay?: { to: Target; frame: RoomFrame }[];
      /** A new call: ring the callee's devices (its inbox), and answer busy if they are in another call. */
      ring?: boolean;
      /** The call moved: both people's sockets (and the callee's inbox, for the devices that rang) hear of it. */
      state?: CallStateFrame;
      ended?: Ended;
    };

const refuse = (code: string, detail: string): Step => ({ ok: false, code, detail });
const NO_CALL = refuse("no_such_call", "There is no such call in this chat for this device.");

export function stateFrame(
  chatId: string,
  call: Pick<StoredCall, "callId" | "callerId" | "calleeId" | "video">,
  state: CallStateFrame["state"],
  reason?: Ended["reason"],
): CallStateFrame {
  return {
    type: "call_state",
    chatId,
    callId: call.callId,
    state,
    callerId: call.callerId,
    calleeId: call.calleeId,
    video: call.video,
    ...(reason ? { reason } : {}),
  };
}

/** How a call that ends for `reason` is recorded in the chat. */
export function endCall(call: StoredCall, reason: Ended["reason"], now: number): Ended {
  const outcome: CallRecord["outcome"] =
    call.state === "active" ? "answered" : reason === "declined" ? "declined" : reason === "busy" ? "busy" : "missed";
  const durationSec = call.state === "active" && call.answeredAt !== null ? Math.max(0, Math.round((now - call.answeredAt) / 1000)) : 0;
  return { reason, record: { callId: call.callId, video: call.video, outcome, durationSec } };
}

function ended(chatId: string, call: StoredCall, reason: Ended["reason"], now: number): Step {
  return { ok: true, call: null, state: stateFrame(chatId, call, "ended", reason), ended: endCall(call, reason, now) };
}

export interface CallContext {
  chatId: string;
  type: ChatType;
  /** The chat's members (two in a direct chat). */
  members: string[];
  /** The sender may not reach the other person (a block in this direct chat). */
  blocked: boolean;
  /** Whether a device (session) still has a socket open in this chat: a call whose devices are gone is over. */
  connected(sessionId: string): boolean;
}

/** One client frame about a call from `from` (a user on one device). */
export function step(
  current: StoredCall | null,
  ctx: CallContext,
  from: { userId: string; sessionId: string },
  frame: CallFrame,
  now: number,
): Step {
  if (!callable(ctx.type)) return refuse("call_not_allowed", "Calls are one-to-one, in direct chats.");
  if (frame.type === "call_invite") {
    if (ctx.blocked) return refuse("blocked", "This person does not accept calls from you.");
    const calleeId = ctx.members.find((m) => m !== from.userId);
    if (!calleeId) return refuse("call_not_allowed", "There is nobody else in this chat to call.");
    if (current) {
      // A retried invite (the caller's socket reconnected) changes nothing.
      if (current.callId === frame.callId && current.callerId === from.userId) return { ok: true };
      const stale = !ctx.connected(current.callerSession) && (current.calleeSession === null || !ctx.connected(current.calleeSession));
      if (!stale) return refuse("call_in_progress", "There is already a call in this chat.");
    }
    const call: StoredCall = {
      callId: frame.callId,
      callerId: from.userId,
      calleeId,
      video: frame.video,
      state: "ringing",
      callerSession: from.sessionId,
      calleeSession: null,
      offer: frame.sdp,
      startedAt: now,
      answeredAt: null,
      ringUntil: now + RING_TIMEOUT_MS,
    };
    return { ok: true, call, ring: true };
  }
  if (!current || current.callId !== frame.callId) return NO_CALL;
  const isCaller = from.userId === current.callerId && from.sessionId === current.callerSession;
  const isCallee = from.userId === current.calleeId && (current.calleeSession === null || current.calleeSession === from.sessionId);
  switch (frame.type) {
    case "call_answer": {
      if (from.userId !== current.calleeId) return NO_CALL;
      if (current.state === "active")
        return current.calleeSession === from.sessionId
          ? { ok: true }
          : refuse("call_answered", "The call was answered on another device.");
      const call: StoredCall = { ...current, state: "active", calleeSession: from.sessionId, answeredAt: now, offer: "" };
      return {
        ok: true,
        call,
        relay: [{ to: { session: current.callerSession }, frame: { type: "call_answer", callId: current.callId, sdp: frame.sdp } }],
        state: stateFrame(ctx.chatId, call, "active"),
      };
    }
    case "call_ice":
    case "call_media": {
      if (!isCaller && !isCallee) return NO_CALL;
      // While it rings, the caller's candidates go to every device of the callee (the one that answers uses them).
      const to: Target = isCaller
        ? current.calleeSession === null
          ? { user: current.calleeId }
          : { session: current.calleeSession }
        : { session: current.callerSession };
      const out: RoomFrame =
        frame.type === "call_ice"
          ? { type: "call_ice", callId: current.callId, candidate: frame.candidate }
          : { type: "call_media", callId: current.callId, userId: from.userId, audio: frame.audio, video: frame.video };
      return { ok: true, relay: [{ to, frame: out }] };
    }
    case "call_decline":
    case "call_busy":
      if (from.userId !== current.calleeId || current.state !== "ringing") return NO_CALL;
      return ended(ctx.chatId, current, frame.type === "call_busy" ? "busy" : "declined", now);
    case "call_hangup":
      if (current.state === "ringing") {
        if (isCaller) return ended(ctx.chatId, current, "cancelled", now);
        // The callee hanging up a call that still rings declines it.
        if (from.userId === current.calleeId) return ended(ctx.chatId, current, "declined", now);
        return NO_CALL;
      }
      if (!isCaller && !isCallee) return NO_CALL;
      return ended(ctx.chatId, current, "hangup", now);
    default: {
      const unhandled: never = frame;
      return unhandled;
    }
  }
}

/** The room's alarm: a call that rang past its time is missed. */
export function timeout(current: StoredCall | null, chatId: string, now: number): Step | null {
  if (current?.state !== "ringing" || now < current.ringUntil) return null;
  return ended(chatId, current, "no_answer", now);
}

/**
 * A device's last socket in the chat closed: a call it was in is over (a caller that went away while it rang
 * cancelled it; either side leaving an answered call hung up). The callee's devices that only rang do not end it.
 */
export function deviceGone(current: StoredCall | null, chatId: string, sessionId: string, now: number): Step | null {
  if (!current) return null;
  if (current.callerSession === sessionId) return ended(chatId, current, current.state === "ringing" ? "cancelled" : "hangup", now);
  if (current.state === "active" && current.calleeSession === sessionId) return ended(chatId, current, "hangup", now);
  return null;
}

/** The device a room socket belongs to, from its hibernation tags (src/chat/hub.ts `sessionTag`). */
export function sessionOfTags(tags: string[]): string | null {
  const tag = tags.find((t) => t.startsWith("session:"));
  return tag ? tag.slice("session:".length) : null;
}
