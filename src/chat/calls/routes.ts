import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../../auth/middleware";
import { requireService } from "../../lib/config";
import { citizenSecurity, json, problems, router } from "../../lib/hono";
import { hitUser, type Limit } from "../../lib/rate-limit";
import { IceServer, iceServers, TURN_TTL_SEC, turnConfigured } from "./turn";

/** Each answer costs a call to Cloudflare's TURN API: a person makes far fewer calls than this. */
const ICE_LIMIT: Limit = { name: "calls:ice", max: 60, windowMs: 3600_000 };

export const callRoutes = router().openapi(
  createRoute({
    method: "post",
    path: "/calls/ice-servers",
    operationId: "getIceServers",
    tags: ["chats"],
    summary: "ICE servers for a call",
    description: `RTCIceServer objects for the caller's RTCPeerConnection: in production STUN and TURN from Cloudflare Realtime TURN, with credentials made for this request that last ${TURN_TTL_SEC / 3600} hours. Where no TURN is configured (development) the list is empty. Signalling runs over the chat's room socket (docs/protocol.md, "Calls").`,
    security: citizenSecurity,
    middleware: [requireCitizen] as const,
    responses: {
      200: json(z.object({ iceServers: z.array(IceServer.openapi("IceServer")) }), "The ICE servers to use now."),
      ...problems(
        [401, "unauthorized"],
        [429, "rate_limited"],
        [503, "service_unavailable: no TURN key is configured; turn_unavailable: Cloudflare's TURN API did not answer"],
      ),
    },
  }),
  async (c) => {
    requireService(c.env, "calls");
    if (turnConfigured(c.env)) await hitUser(c.env, ICE_LIMIT, c.var.citizen.userId);
    c.header("cache-control", "no-store");
    return c.json({ iceServers: await iceServers(c.env) }, 200);
  },
);
