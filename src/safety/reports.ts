// Reports: a citizen tells the operator about a message, a chat or a person. They go to the operator's review
// queue in D1 (docs/operations.md, "Reports"); they also count towards the reported person's trust (trust.ts).
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { requireMember, roomStub, unwrap } from "../chat/access";
import { MAX_CIPHERTEXT_BYTES } from "../chat/protocol";
import { database } from "../db";
import { reports } from "../db/schema";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { hit } from "../lib/rate-limit";
import { getUser } from "../users/store";
import { verifyFranking } from "./franking";

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
    plaintext: z
      .string()
      .max(Math.ceil((MAX_CIPHERTEXT_BYTES * 4) / 3))
      .regex(/^[A-Za-z0-9_-]*$/, "base64url without padding")
      .optional()
      .openapi({ description: "A secret-chat message: the decrypted MLS plaintext, base64url (docs/protocol.md, Reporting)." }),
    frankingKey: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, "base64url of 32 bytes")
      .optional()
      .openapi({ description: "The franking key found inside that plaintext, base64url." }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.plaintext === undefined) !== (r.frankingKey === undefined))
      ctx.addIssue({
        code: "custom",
        path: [r.plaintext === undefined ? "plaintext" : "frankingKey"],
        message: "plaintext and frankingKey go together",
      });
    if (r.plaintext !== undefined && r.seq === undefined)
      ctx.addIssue({ code: "custom", path: ["seq"], message: "a franked report names the message (chatId and seq)" });
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
    franked: z
      .boolean()
      .optional()
      .openapi({ description: "A secret-chat message whose plaintext was verified against the sender's commitment." }),
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
        [
          400,
          "validation_failed; invalid_peer: reporting oneself; franking_mismatch: a plaintext or key the sender did not commit to (nothing stored); not_secret: plaintext for a message that is not a secret chat's",
        ],
        [401, "unauthorized"],
        [404, "not_found: no such chat (or not a member), message or user"],
        [409, "not_franked: a secret-chat message without a franking commitment (or deleted): report it without plaintext"],
        [429, "rate_limited"],
      ),
    },
  }),
  async (c) => {
    const me = c.var.citizen.userId;
    const body = c.req.valid("json");
    let userId = body.userId ?? null;
    let message: string | null = null;
    let franked = false;
    if (body.chatId !== undefined) {
      const membership = await requireMember(c, body.chatId);
      if (body.plaintext !== undefined && membership.type !== "secret")
        throw new ApiError(
          400,
          "not_secret",
          "Only secret-chat messages are reported with their plaintext; the operator reads others as stored.",
        );
      if (body.seq !== undefined) {
        const found = await roomStub(c.env, body.chatId).getMessage(body.chatId, me, body.seq);
        if (!found.ok) throw notFound("message");
        const sender = found.value.senderId;
        let shown: Record<string, unknown> = found.value;
        if (membership.type === "secret") {
          // The operator never gets ciphertext: a secret message is reported as its metadata, and with a
          // plaintext only when that plaintext is proven to be what the sender sent (src/safety/franking.ts).
          const { ciphertext: _c, to: _t, devices: _d, ...meta } = found.value;
          shown = meta;
          if (body.plaintext !== undefined && body.frankingKey !== undefined) {
            const record = unwrap(await roomStub(c.env, body.chatId).frankingOf(body.chatId, me, body.seq));
            if (!record)
              throw new ApiError(409, "not_franked", "This message carries no franking commitment any more; report it without plaintext.");
            const bytes = await verifyFranking(c.env.FRANKING_KEY, record, body.plaintext, body.frankingKey);
            shown = { ...meta, plaintext: body.plaintext, plaintextText: new TextDecoder().decode(bytes), franked: true };
            franked = true;
          }
        }
        if (userId !== null && userId !== sender) {
          throw new ApiError(400, "validation_failed", "The report names someone other than the message's sender.", {
            errors: [{ path: "userId", message: "must be the sender of the reported message, or left out" }],
          });
        }
        userId = sender;
        message = JSON.stringify(shown);
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
    const report = {
      id: row.id,
      reason: row.reason,
      comment: row.comment,
      chatId: row.chatId,
      seq: row.seq,
      userId,
      status: row.status,
      ...(franked ? { franked } : {}),
    };
    return c.json({ report: { ...report, createdAt: iso(now) } }, 201);
  },
);
