// Reports: a citizen tells the operator about a message, a chat or a person. They go to the operator's review
// queue in D1 (docs/operations.md, "Reports"); they also count towards the reported person's trust (trust.ts).
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { requireMember, roomStub } from "../chat/access";
import { database } from "../db";
import { reports } from "../db/schema";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { hit } from "../lib/rate-limit";
import { getUser } from "../users/store";

export const REPORT_REASONS = ["spam", "abuse", "violence", "illegal", "other"] as const;

/** Reports per reporter per hour: enough for anyone flagging what they see, too few to flood the queue. */
const REPORT_LIMIT = { name: "reports:user", max: 30, windowMs: 60 * 60 * 1000 };

const Id = z.string().min(1).max(64);
const NewReport = z
  .object({
    reason: z.enum(REPORT_REASONS),
    comment: z.string().trim().max(1000).optional(),
    chatId: Id.optional(),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    userId: Id.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.seq !== undefined && r.chatId === undefined)
      ctx.addIssue({ code: "custom", path: ["chatId"], message: "a message is named by chatId and seq" });
    if (r.chatId === undefined && r.userId === undefined)
      ctx.addIssue({ code: "custom", path: ["userId"], message: "name a message (chatId and seq), a chat (chatId) or a person (userId)" });
  });

const Report = z
  .object({
    id: z.string(),
    reason: z.enum(REPORT_REASONS),
    comment: z.string().nullable(),
    chatId: z.string().nullable(),
    seq: z.number().int().nullable(),
    userId: z.string().nullable().openapi({ description: "The reported person: the one named, or the reported message's sender." }),
    status: z.enum(["open", "actioned", "dismissed"]),
    createdAt: z.string(),
  })
  .openapi("Report");

export const reportRoutes = router().openapi(
  createRoute({
    method: "post",
    path: "/reports",
    operationId: "createReport",
    tags: ["privacy"],
    summary: "Report a message, a chat or a person to the operator",
    description:
      "A message is named by `chatId` and `seq` (the caller must be a member of that chat); the operator sees the message as it was when reported. Reviewed as docs/operations.md describes.",
    security: citizenSecurity,
    middleware: [requireCitizen] as const,
    request: { body: jsonBody(NewReport) },
    responses: {
      201: json(z.object({ report: Report }), "Stored in the operator's review queue."),
      ...problems(
        [400, "validation_failed; invalid_peer: reporting oneself"],
        [401, "unauthorized"],
        [404, "not_found: no such chat (or not a member), message or user"],
        [429, "rate_limited"],
      ),
    },
  }),
  async (c) => {
    const me = c.var.citizen.userId;
    const body = c.req.valid("json");
    let userId = body.userId ?? null;
    let message: string | null = null;
    if (body.chatId !== undefined) {
      await requireMember(c, body.chatId);
      if (body.seq !== undefined) {
        const found = await roomStub(c.env, body.chatId).getMessage(body.chatId, me, body.seq);
        if (!found.ok) throw notFound("message");
        const sender = found.value.senderId;
        if (userId !== null && userId !== sender) {
          throw new ApiError(400, "validation_failed", "The report names someone other than the message's sender.", {
            errors: [{ path: "userId", message: "must be the sender of the reported message, or left out" }],
          });
        }
        userId = sender;
        message = JSON.stringify(found.value);
      }
    }
    if (userId === me) throw new ApiError(400, "invalid_peer", "You cannot report yourself.");
    // An agency's message names the agency as its sender: that is no user to look up.
    if (userId !== null && body.seq === undefined && !(await getUser(database(c.env.DB), userId))) throw notFound("user");
    await hit(c.env.DB, REPORT_LIMIT, me);
    const now = Date.now();
    const row = {
      id: newId(now),
      reporterId: me,
      reason: body.reason,
      comment: body.comment || null,
      chatId: body.chatId ?? null,
      seq: body.seq ?? null,
      userId,
      message,
      status: "open" as const,
      createdAt: now,
    };
    await database(c.env.DB).insert(reports).values(row);
    const report = { id: row.id, reason: row.reason, comment: row.comment, chatId: row.chatId, seq: row.seq, userId, status: row.status };
    return c.json({ report: { ...report, createdAt: iso(now) } }, 201);
  },
);
