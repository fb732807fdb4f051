// A user's part in calls, as their inbox keeps it: the call they are in now (so a second caller hears
// "busy"), and what a ringing call's Web Push carries (who calls, voice or video; no SDP, which stays on
// the room socket).
import * as z from "zod";
import type { PushPayload } from "../../push/send";
import type { CallIncomingFrame } from "../protocol";

/**
 * The call the user is in (ringing or answered), until its room says it ended. While it rings for them,
 * `ring` says who calls and until when: a device that connects meanwhile rings too (the app opened from
 * the call's push, say).
 */
export const HeldCall = z.object({
  chatId: z.string(),
  callId: z.string(),
  ring: z.object({ callerId: z.string(), callerName: z.string().nullable(), video: z.boolean(), until: z.number() }).optional(),
});
export type HeldCall = z.infer<typeof HeldCall>;

export interface CallClaim {
  chatId: string;
  callId: string;
  /** For the callee: ring every device. */
  ring?: { callerId: string; callerName: string | null; video: boolean };
}

/** How long a held ring is replayed to devices that connect: the room's ring time, and a little more. */
export const RING_REPLAY_MS = 50_000;

/** The `call_incoming` frame for a device that connects while the call still rings, if it does. */
export function ringingFrame(held: HeldCall | null, now: number): CallIncomingFrame | null {
  if (!held?.ring || now > held.ring.until) return null;
  const { callerId, callerName, video } = held.ring;
  return { type: "call_incoming", chatId: held.chatId, callId: held.callId, callerId, callerName, video };
}

export function callPayload(frame: CallIncomingFrame): PushPayload {
  return { type: "call", chatId: frame.chatId, callId: frame.callId, callerName: frame.callerName, video: frame.video };
}
