// Per-user limits on the message path: sends (across all of a person's chats) and reactions. Counted by
// Cloudflare's rate-limiting binding (wrangler.toml `[[ratelimits]]`), which keeps its counters in the
// runtime, not in any storage of ours: a limited send costs no D1 statement and no Durable Object write.
// Chat creation, member adds and uploads write D1 anyway and use the D1 limiter (src/lib/rate-limit.ts).
import { tooManyRequests } from "../lib/errors";
import { errorFields, log } from "../lib/log";
import { limitsEnforced } from "../lib/rate-limit";

/**
 * The numbers in wrangler.toml, here for Retry-After and the docs (docs/api.md, "Limits"). With windows of
 * 10 s, 140 a window lets a channel admin post 10 a second (100 a window) and a person write one a second
 * (10 a window) without ever being refused, while 300 in 5 s is refused: 5 s spans at most two windows, so
 * one of them would have to take at least 150.
 */
export const SEND_LIMIT = { limit: 140, periodSec: 10 } as const;
export const REACTION_LIMIT = { limit: 60, periodSec: 10 } as const;
/** The same window for people with reduced and restricted trust (×0.5, ×0.2; still above a message a second). */
export const SEND_LIMIT_REDUCED = 70;
export const SEND_LIMIT_RESTRICTED = 28;

export interface LimitRefusal {
  ok: false;
  status: 429;
  code: "rate_limited";
  detail: string;
  /** Whole seconds until the window that refused is over. */
  retryAfter: number;
}

/**
 * Seconds until the current window ends. The binding answers only yes or no; the local runtime's windows are
 * fixed and aligned to the clock (Cloudflare does not document the alignment in production). A retry refused
 * again (another location's counter, or more sends meanwhile) carries its own, new wait.
 */
export function secondsLeftInWindow(periodSec: number, now = Date.now()): number {
  const periodMs = periodSec * 1000;
  return Math.max(1, Math.ceil((periodMs - (now % periodMs)) / 1000));
}

async function allowed(binding: RateLimit, key: string, what: string): Promise<boolean> {
  try {
    return (await binding.limit({ key })).success;
  } catch (err) {
    // The limiter is a safety net: if it fails, messaging goes on rather than stopping for everyone.
    log.warn("rate limiter failed; allowing", { what, ...errorFields(err) });
    return true;
  }
}

/**
 * Counts one send by this user and answers null when it may be stored, or the refusal. The room starts this
 * as the send arrives and awaits it in its queue, so the check overlaps the sends ahead of it.
 */
export async function checkSend(env: Env, userId: string, trust?: "reduced" | "restricted"): Promise<LimitRefusal | null> {
  // People many others blocked or reported lately get a fraction of the budget (src/safety/trust.ts).
  const binding = trust === "restricted" ? env.SEND_LIMITER_RESTRICTED : trust === "reduced" ? env.SEND_LIMITER_REDUCED : env.SEND_LIMITER;
  const limit = trust === "restricted" ? SEND_LIMIT_RESTRICTED : trust === "reduced" ? SEND_LIMIT_REDUCED : SEND_LIMIT.limit;
  if ((await allowed(binding, userId, "send")) || !limitsEnforced(env)) return null;
  return {
    ok: false,
    status: 429,
    code: "rate_limited",
    detail: `You are sending faster than a person can: at most ${limit} messages every ${SEND_LIMIT.periodSec} seconds across your chats.`,
    retryAfter: secondsLeftInWindow(SEND_LIMIT.periodSec),
  };
}

/** Counts one reaction change by this user; throws 429 rate_limited with Retry-After past the limit. */
export async function limitReaction(env: Env, userId: string): Promise<void> {
  if ((await allowed(env.REACTION_LIMITER, userId, "reaction")) || !limitsEnforced(env)) return;
  throw tooManyRequests(
    secondsLeftInWindow(REACTION_LIMIT.periodSec),
    "rate_limited",
    `At most ${REACTION_LIMIT.limit} reactions every ${REACTION_LIMIT.periodSec} seconds.`,
  );
}

/**
 * How many sends one person makes in one room within a window before the room waits for the limiter's answer
 * before storing. Below it the check still counts every send but runs alongside the store, off the message's
 * latency (locally the binding is a hop of a few milliseconds; a person writing at conversational speed
 * never waits for it); a refusal it brings back refuses the person's next sends in this room at once.
 */
export const UNAWAITED_PER_ROOM = 10;

interface Seen {
  window: number;
  count: number;
  refused: LimitRefusal | null;
  refusedUntil: number;
}

/** A room's view of its senders' limits: the fast path above, and refusals remembered until their window ends. */
export class SendGate {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly env: Env) {}

  /** The refusal to answer, or null; awaited by the room before it stores the send. */
  check(userId: string, trust?: "reduced" | "restricted", now = Date.now()): Promise<LimitRefusal | null> {
    const window = Math.floor(now / (SEND_LIMIT.periodSec * 1000));
    let s = this.seen.get(userId);
    if (!s || s.window !== window) {
      if (this.seen.size > 1_000) this.prune(window);
      s = { window, count: 0, refused: s?.refused ?? null, refusedUntil: s?.refusedUntil ?? 0 };
      this.seen.set(userId, s);
    }
    s.count += 1;
    if (s.refused && s.refusedUntil > now) {
      // Still counted, so the window's answer stays the limiter's; refused here without waiting for it.
      void checkSend(this.env, userId, trust);
      return Promise.resolve({ ...s.refused, retryAfter: secondsLeftInWindow(SEND_LIMIT.periodSec, now) });
    }
    const verdict = checkSend(this.env, userId, trust).then((refusal) => {
      const entry = this.seen.get(userId);
      if (refusal && entry) {
        entry.refused = refusal;
        // Until the end of the window that refused, not a rounded-up wait past it: the retry the refusal
        // asked for lands in the next window and must be let through.
        entry.refusedUntil = (window + 1) * SEND_LIMIT.periodSec * 1000;
      }
      return refusal;
    });
    return s.count <= UNAWAITED_PER_ROOM ? Promise.resolve(null) : verdict;
  }

  private prune(window: number): void {
    for (const [userId, s] of this.seen) if (s.window < window && s.refusedUntil < Date.now()) this.seen.delete(userId);
  }
}
