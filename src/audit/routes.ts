import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { citizenSecurity, json, problems, router } from "../lib/hono";
import { listEntries } from "./log";

const Entry = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.object({ type: z.string(), id: z.string(), name: z.string() }),
    action: z.string(),
    resource: z.string(),
    purpose: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi("AccessLogEntry");

export const accessLog = router().openapi(
  createRoute({
    method: "get",
    path: "/me/access-log",
    operationId: "getAccessLog",
    tags: ["access log"],
    summary: "Every read or change of your data by anyone else, hash-chained",
    description:
      'hash = hex(SHA-256(prevHash + "\\n" + JCS(entry without hash))); the first prevHash is 64 zeros; head is the last hash. Page with ?after=<seq>.',
    security: citizenSecurity,
    middleware: requireCitizen,
    request: {
      query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
    },
    responses: {
      200: json(z.object({ entries: z.array(Entry), head: z.string() }), "Entries in order, and the chain's head."),
      ...problems([401, "unauthorized"]),
    },
  }),
  async (c) => c.json(await listEntries(c.env.DB, c.var.citizen.userId, c.req.valid("query")), 200),
);
