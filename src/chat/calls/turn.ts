// ICE servers for a call: short-lived TURN credentials from Cloudflare Realtime TURN (docs/deploy.md,
// "Calls"), made per request from the TURN key the server holds; without a TURN key (development, tests)
// none, and nothing is fetched: two browsers on one machine or network connect directly.
import * as z from "zod";
import { ApiError } from "../../lib/errors";
import { log } from "../../lib/log";

/** How long the credentials last: a long call keeps its TURN allocation refreshed with them. */
export const TURN_TTL_SEC = 4 * 3600;
const TIMEOUT_MS = 5_000;

export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** The current API answers a list (generate-ice-servers); the older `generate` one server: both are read. */
const Answer = z.object({ iceServers: z.union([z.array(IceServer), IceServer]) });

const present = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

export const turnConfigured = (env: Env): boolean => present(env.TURN_KEY_ID) && present(env.TURN_KEY_API_TOKEN);

/**
 * Browsers block or stall on port 53 (Cloudflare's TURN docs advise leaving those URLs out for them), so
 * the `:53` URLs Cloudflare lists are dropped.
 */
function withoutPort53(server: IceServer): IceServer | null {
  const urls = (Array.isArray(server.urls) ? server.urls : [server.urls]).filter((u) => !/:53(\?|$)/.test(u));
  return urls.length > 0 ? { ...server, urls } : null;
}

export async function iceServers(env: Env): Promise<IceServer[]> {
  if (!turnConfigured(env)) return [];
  const keyId = encodeURIComponent(String(env.TURN_KEY_ID).trim());
  let res: Response;
  try {
    res = await fetch(`https://rtc.live.cloudflare.com/v1/turn/keys/${keyId}/credentials/generate-ice-servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${String(env.TURN_KEY_API_TOKEN).trim()}`, "content-type": "application/json" },
      body: JSON.stringify({ ttl: TURN_TTL_SEC }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    log.warn("TURN credentials request failed", { error: String(err) });
    throw turnUnavailable();
  }
  const servers = res.ok ? readAnswer(await res.json().catch(() => null)) : null;
  if (!servers) {
    log.warn("TURN credentials refused or unreadable", { status: res.status });
    throw turnUnavailable();
  }
  return servers;
}

/** Cloudflare's answer as the RTCIceServer list browsers take (port 53 left out); null when it is not one. */
export function readAnswer(body: unknown): IceServer[] | null {
  const parsed = Answer.safeParse(body);
  if (!parsed.success) return null;
  const list = Array.isArray(parsed.data.iceServers) ? parsed.data.iceServers : [parsed.data.iceServers];
  return list.map(withoutPort53).filter((s): s is IceServer => s !== null);
}

const turnUnavailable = () =>
  new ApiError(503, "turn_unavailable", "The relay service for calls did not answer; try again.", { headers: { "retry-after": "5" } });
