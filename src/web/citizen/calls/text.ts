// How a call message reads, from where the reader stands: "Исходящий звонок, 2:31", "Пропущенный звонок".
import type { ChatMessage } from "../../../chat/protocol";
import { t } from "../../lib/i18n";

/** 0:05, 2:31, 1:02:03. */
export function formatDuration(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function callText(m: Pick<ChatMessage, "call" | "senderId">, me: string): string {
  const call = m.call;
  if (!call) return "";
  const outgoing = m.senderId === me;
  switch (call.outcome) {
    case "answered": {
      const label = outgoing ? t(call.video ? "callOutgoingVideo" : "callOutgoing") : t(call.video ? "callIncomingVideo" : "callIncoming");
      return `${label}, ${formatDuration(call.durationSec)}`;
    }
    case "declined":
      return t(outgoing ? "callDeclinedByPeer" : "callDeclinedByMe");
    case "busy":
      return t(outgoing ? "callPeerBusy" : "callMissed");
    case "missed":
      return t(outgoing ? "callNoAnswer" : "callMissed");
  }
}
