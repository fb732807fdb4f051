// The call's short authentication code: both people see it and can compare it aloud. It is derived from the
// two DTLS certificate fingerprints the browsers put in their SDPs (RFC 8122 `a=fingerprint`), which the
// media encryption (DTLS-SRTP) is bound to. A relay in the middle — the signalling server included — has to
// swap both fingerprints for its own to read the media, and then each side computes the code from a
// different pair: the codes differ. Sorted, so caller and callee hash the same input.
// docs/protocol.md, "Calls: the authentication code".

/** 64 distinct, easily named emoji: 6 bits each; four of them carry 24 bits. */
export const SAS_EMOJI = [
  "🐶",
  "🐱",
  "🦊",
  "🐻",
  "🐼",
  "🐨",
  "🐯",
  "🦁",
  "🐮",
  "🐷",
  "🐸",
  "🐵",
  "🐔",
  "🐧",
  "🐦",
  "🦉",
  "🐴",
  "🦄",
  "🐝",
  "🦋",
  "🐌",
  "🐢",
  "🐙",
  "🐬",
  "🐳",
  "🦀",
  "🌵",
  "🌲",
  "🌻",
  "🌹",
  "🍄",
  "🌙",
  "⭐",
  "🔥",
  "🌈",
  "❄️",
  "☂️",
  "⚓",
  "🎈",
  "🎁",
  "🔑",
  "🔔",
  "📚",
  "✏️",
  "📎",
  "✂️",
  "🔨",
  "🚲",
  "🚗",
  "🚀",
  "⛵",
  "🏠",
  "⏰",
  "💡",
  "🎸",
  "🥁",
  "🎲",
  "⚽",
  "🍎",
  "🍌",
  "🍒",
  "🍇",
  "🥕",
  "🧀",
] as const;

/** Every `a=fingerprint:<alg> <hex>` of an SDP (session or media level), normalised. */
export function fingerprints(sdp: string): string[] {
  const out = new Set<string>();
  for (const m of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm))
    out.add(`${(m[1] ?? "").toLowerCase()} ${(m[2] ?? "").toUpperCase()}`);
  return [...out].sort();
}

export interface Sas {
  emoji: string[];
  digits: string;
}

/** The code for a call whose two sides' SDPs are these (order does not matter); null if one has no fingerprint. */
export async function shortAuthCode(localSdp: string, remoteSdp: string): Promise<Sas | null> {
  const local = fingerprints(localSdp);
  const remote = fingerprints(remoteSdp);
  if (local.length === 0 || remote.length === 0) return null;
  const input = ["veche-call-sas-v1", ...[local.join(","), remote.join(",")].sort()].join("\n");
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input)));
  const bits = ((hash[0] ?? 0) << 16) | ((hash[1] ?? 0) << 8) | (hash[2] ?? 0);
  const emoji = [18, 12, 6, 0].map((shift) => SAS_EMOJI[(bits >> shift) & 63] as string);
  const number = (((hash[3] ?? 0) << 16) | ((hash[4] ?? 0) << 8) | (hash[5] ?? 0)) % 1_000_000;
  return { emoji, digits: String(number).padStart(6, "0") };
}
