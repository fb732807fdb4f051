// How a big channel's subscribers are spread over relay objects (docs/architecture.md, "Relays"): how many
// relays a channel has, which one a subscriber's sockets go to, and the tree the room's batches travel down.
// Plain functions of numbers, shared by the room, the relays and the Worker, so all three agree.

/** Channels with more members than this send their subscribers' sockets to relays (tests lower it). */
export const RELAY_MIN_MEMBERS = 1_000;
/** One relay per this many members: ~10% of them online with two devices is 2,000 sockets a relay. */
export const RELAY_MEMBERS_PER_RELAY = 10_000;
/** The room calls at most this many relays per batch; each relay forwards to at most this many children. */
export const RELAY_FANOUT = 16;

export interface RelayConfig {
  minMembers: number;
  membersPerRelay: number;
  fanout: number;
}

/** A positive integer setting from a binding, or the default when unset or not a positive integer. */
const setting = (value: unknown, fallback: number): number => {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
};

/** The deployment's settings (wrangler.toml [vars]); tests and the benchmark lower them for small channels. */
export function relayConfig(env: Env): RelayConfig {
  return {
    minMembers: setting(env.RELAY_MIN_MEMBERS, RELAY_MIN_MEMBERS),
    membersPerRelay: setting(env.RELAY_MEMBERS_PER_RELAY, RELAY_MEMBERS_PER_RELAY),
    fanout: setting(env.RELAY_FANOUT, RELAY_FANOUT),
  };
}

/** How many relays a chat of this type and size needs: none for groups and small channels. */
export function relaysFor(config: RelayConfig, type: string, members: number): number {
  if (type !== "channel" || members <= config.minMembers) return 0;
  return Math.max(1, Math.ceil(members / config.membersPerRelay));
}

/**
 * The relay a subscriber's sockets go to among `count`: a hash of chat and user, so all of one user's devices
 * meet on one relay and users spread evenly. FNV-1a (32 bits): cheap, stable across isolates and versions.
 */
export function relayIndex(chatId: string, userId: string, count: number): number {
  let h = 0x811c9dc5;
  const key = `${chatId}\n${userId}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/**
 * The tree: relays 0…count-1 as a `fanout`-ary heap under the room. The room calls relays 0…fanout-1; relay i
 * forwards to (i+1)·fanout … (i+1)·fanout+fanout-1. Depth is log_fanout(count): 3 levels reach 4,368 relays at 16.
 */
export function firstLevel(count: number, fanout: number): number[] {
  return Array.from({ length: Math.min(count, fanout) }, (_, i) => i);
}

export function childrenOf(index: number, count: number, fanout: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < fanout; j++) {
    const child = (index + 1) * fanout + j;
    if (child >= count) break;
    out.push(child);
  }
  return out;
}

/** What a room (or a parent relay) hands a relay: the chat's frames up to `upTo`, consecutive in pts. */
export interface RelayBatch {
  chatId: string;
  /** The pts of the last frame; the first is upTo − frames.length + 1. No frames: "you should be at upTo". */
  upTo: number;
  /** Encoded change frames, as the change log stored them. */
  frames: string[];
  /** Live-only frames (a channel's views), sent to the sockets as they are: no pts, never replayed. */
  live?: string[];
  /** The channel's relay count and fanout when the batch left the room, so every level builds the same tree. */
  count: number;
  fanout: number;
}
