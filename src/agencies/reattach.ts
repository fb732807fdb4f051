// Reattaching a released account's service data (docs/operations.md, "Reassigned numbers"). A number dormant
// past DORMANT_AFTER_MS signs in as a new person; if that person is in fact the previous holder, an agency that
// has checked their identity (in person, with a passport) moves its own data back to them. Only its own: an
// agency can vouch for the citizen it served, not for what other agencies hold.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { withAccessLogs } from "../audit/log";
import { requireAgency } from "../auth/middleware";
import { normalizePhone } from "../auth/phone";
import { ApiError, notFound } from "../lib/errors";
import { agencySecurity, json, jsonBody, problems, router } from "../lib/hono";
import { getAgency } from "./store";

const Reattached = z
  .object({
    bills: z.number().int(),
    payments: z.number().int(),
    consents: z.number().int(),
    submissions: z.number().int(),
    recordsToReissue: z
      .number()
      .int()
      .openapi({ description: "Records stay with the previous account: each is bound to its holder key. Issue them again." }),
  })
  .openapi("Reattached");

const NOTHING = { bills: 0, payments: 0, consents: 0, submissions: 0, recordsToReissue: 0 };

export const agencyIdentity = router().openapi(
  createRoute({
    method: "post",
    path: "/agency/identity-confirmations",
    operationId: "confirmIdentity",
    tags: ["agencies"],
    summary: "Confirm that the number's current holder is its previous holder, and move this agency's data to them",
    description:
      "For a number that signed in as a new person after being dormant. The agency states it verified the identity (`purpose` says how); its bills (with payments), consents and submissions on the most recently released account of that number move to the current holder, and both access logs record it. The same answer shape whether or not there was anything to move.",
    security: agencySecurity,
    middleware: requireAgency(),
    request: {
      body: jsonBody(
        z
          .object({
            citizenPhone: z.string().max(40),
            purpose: z.string().trim().min(1).max(500).openapi({ example: "Личность подтверждена по паспорту в МФЦ" }),
          })
          .strict(),
      ),
    },
    responses: {
      200: json(z.object({ reattached: Reattached }), "What moved to the current holder."),
      ...problems([400, "validation_failed, invalid_phone"], [401, "unauthorized"]),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const phone = await normalizePhone(c.env, body.citizenPhone);
    if (!phone)
      throw new ApiError(400, "invalid_phone", "citizenPhone is not a phone number.", {
        errors: [{ path: "citizenPhone", message: "not a phone number" }],
      });
    const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
    if (!agency) throw notFound("agency");
    const db = c.env.DB;
    const current = await db.prepare("SELECT id FROM users WHERE phone = ?1").bind(phone).first<{ id: string }>();
    const previous = await db
      .prepare("SELECT id FROM users WHERE former_phone = ?1 AND released_at IS NOT NULL ORDER BY released_at DESC LIMIT 1")
      .bind(phone)
      .first<{ id: string }>();
    // Nobody to move to, or from: the same answer as "nothing of yours there", so this reveals nothing either.
    if (!current || !previous) return c.json({ reattached: NOTHING }, 200);

    const actor = { type: "agency" as const, id: agency.id, name: agency.name };
    const move = (sql: string) => db.prepare(sql).bind(current.id, previous.id, agency.id);
    const { results } = await withAccessLogs(
      db,
      [
        { citizenId: previous.id, entries: [{ actor, action: "reattach", resource: `account:${current.id}`, purpose: body.purpose }] },
        { citizenId: current.id, entries: [{ actor, action: "reattach", resource: `account:${previous.id}`, purpose: body.purpose }] },
      ],
      [
        move(
          "UPDATE payments SET citizen_id = ?1 WHERE citizen_id = ?2 AND bill_id IN (SELECT id FROM bills WHERE agency_id = ?3 AND citizen_id = ?2)",
        ),
        move("UPDATE bills SET citizen_id = ?1 WHERE citizen_id = ?2 AND agency_id = ?3"),
        move("UPDATE consents SET citizen_id = ?1 WHERE citizen_id = ?2 AND agency_id = ?3"),
        move("UPDATE submissions SET citizen_id = ?1 WHERE citizen_id = ?2 AND agency_id = ?3"),
        db.prepare("SELECT COUNT(*) AS n FROM records WHERE citizen_id = ?1 AND agency_id = ?2").bind(previous.id, agency.id),
      ],
    );
    const changes = (i: number) => results[i]?.meta.changes ?? 0;
    const records = (results[4]?.results[0] as { n?: number } | undefined)?.n ?? 0;
    return c.json(
      {
        reattached: {
          payments: changes(0),
          bills: changes(1),
          consents: changes(2),
          submissions: changes(3),
          recordsToReissue: records,
        },
      },
      200,
    );
  },
);
