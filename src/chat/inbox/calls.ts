// A user's part in calls, as their inbox keeps it: the call they are in now (so a second caller hears
// "busy"), and what a ringing call's Web Push carries (who calls, voice or video; no SDP, which stays on
// the room socket).
import * as z from "zod";
import type { PushPayload } from "../../push/send";
import type { CallIncomingFrame } from "../protocol";

/** The call the user is in (ringing or answered), until its room says it ended. */
export const HeldCall = z.object({ chatId: z.string(), callId: z.string() });
export type HeldCall = z.infer<typeof HeldCall>;

export interface CallClaim {
  chatId: string;
  callId: string;
  /** For the callee: ring every device. */
  ring?: { callerId: string; callerName: string | null; video: boolean };
}

export function callPayload(frame: CallIncomingFrame): PushPayload {
  return { type: "call", chatId: frame.chatId, callId: frame.callId, callerName: frame.callerName, video: frame.video };
}
