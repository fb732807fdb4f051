import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { type Listed, ListLimit, readListed } from "../agencies/listing";
import { agencyAndCitizen, announce, getAgency, settleAction } from "../agencies/store";
import { withAccessLog } from "../audit/log";
import { requireAgency, requireCitizen } from "../auth/middleware";
import { normalizePhone } from "../auth/phone";
import { database } from "../db";
import { ApiError, notFound } from "../lib/errors";
import { agencySecurity, citizenSecurity, iso, isoOrNull, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { rfc3339Instant } from "../lib/time";
import { Display, displayOf, negotiateLang } from "../records/metadata";
import { metadataFor, metaKey, recordTypeName } from "../records/store";
import { isConsentScope } from "../records/type";
import { consentScopeWords, formatDate } from "../web/lib/format";
import { dispatchWebhooks, eventStatements, webhookEvent } from "../webhooks/events";
import { decideStatement } from "./store";

/** Chat texts are one text for every reader: their dates are Moscow's, as the agencies' own notices are. */
const CHAT_TIME_ZONE = "Europe/Moscow";

interface ConsentRow {
  id: string;
  agency_id: string;
  agency_name: string;
  citizen_id: string;
  scope: string;
  purpose: string;
  expires_at: number;
  status: "requested" | "approved" | "denied" | "revoked";
  created_at: number;
  decided_at: number | null;
}

const CONSENT_SELECT = "SELECT c.*, a.name AS agency_name FROM consents c JOIN agencies a ON a.id = c.agency_id";

/** An approved consent past its time shows as expired; nothing needs to run for it to stop working. */
const effectiveStatus = (c: ConsentRow, now = Date.now()): ConsentRow["status"] | "expired" =>
  c.status === "approved" && c.expires_at <= now ? "expired" : c.status;

const toConsent = (c: ConsentRow) => ({
  id: c.id,
  agency: { id: c.agency_id, name: c.agency_name },
  scope: c.scope,
  purpose: c.purpose,
  expiresAt: iso(c.expires_at),
  status: effectiveStatus(c),
  createdAt: iso(c.created_at),
  decidedAt: isoOrNull(c.decided_at),
});

const Consent = z
  .object({
    id: z.string(),
    agency: z.object({ id: z.string(), name: z.string() }),
    scope: z.string(),
    purpose: z.string(),
    expiresAt: z.string().openapi({ description: "When the consent ends, UTC with milliseconds (2026-12-31T12:00:00.000Z)." }),
    status: z.enum(["requested", "approved", "denied", "revoked", "expired"]),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .openapi("Consent");

/** A consent request as the agency that asked lists it: with the citizen's phone. */
const AgencyConsent = Consent.extend({ citizenPhone: z.string() }).openapi("AgencyConsent");

/** The status a consent shows (`effectiveStatus`), in SQL, for filtering lists; ?3 is now. */
const SHOWN_STATUS = "(CASE WHEN c.status = 'approved' AND c.expires_at <= ?3 THEN 'expired' ELSE c.status END)";

// A record type is the agency's own name (RecordType), so the scope's type part is any such name.
const Scope = z.string().max(200).refine(isConsentScope, { message: '"records" or "records:<type>", the type as the agency issues it' });
const consentById = (db: D1Database, id: string) => db.prepare(`${CONSENT_SELECT} WHERE c.id = ?1`).bind(id).first<ConsentRow>();

export const agencyConsents = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/consent-requests",
      operationId: "requestConsent",
      tags: ["consents"],
      summary: "Ask a citizen for consent to read records other agencies issued",
      security: agencySecurity,
      middleware: requireAgency("consents"),
      request: {
        body: jsonBody(
          z
            .object({
              citizenPhone: z.string().max(40),
              scope: Scope,
              purpose: z.string().trim().min(1).max(500),
              expiresAt: rfc3339Instant,
            })
            .strict(),
        ),
      },
      responses: {
        201: json(z.object({ consent: Consent }), "Requested; the citizen sees it in the official chat."),
        ...problems([400, "validation_failed, invalid_phone"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const expiresAt = body.expiresAt;
      if (expiresAt <= Date.now())
        throw new ApiError(400, "validation_failed", "expiresAt must be in the future.", {
          errors: [{ path: "expiresAt", message: "in the past" }],
        });
      const { agency, citizenId } = await agencyAndCitizen(c.env, c.var.agency.agencyId, body.citizenPhone);
      const id = newId();
      await withAccessLog(
        c.env.DB,
        citizenId,
        [
          {
            actor: { type: "agency", id: agency.id, name: agency.name },
            action: "request",
            resource: `consent:${id}`,
            purpose: body.purpose,
          },
        ],
        [
          c.env.DB.prepare(
            "INSERT INTO consents (id, agency_id, citizen_id, scope, purpose, expires_at, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'requested', ?7)",
          ).bind(id, agency.id, citizenId, body.scope, body.purpose, expiresAt, Date.now()),
        ],
      );
      const typeName = body.scope.startsWith("records:") ? await recordTypeName(database(c.env.DB), body.scope.slice(8), "ru") : undefined;
      await announce(
        c.env,
        agency,
        citizenId,
        {
          clientId: `consent:${id}`,
          text: `Запрос доступа: ${consentScopeWords(body.scope, "ru", () => typeName)}. Цель: ${body.purpose}. До ${formatDate(new Date(expiresAt).toISOString(), "ru", CHAT_TIME_ZONE)}.`,
          action: { type: "review_consent", label: "Рассмотреть", ref: id, expiresAt: iso(expiresAt) },
        },
        { kind: "consent_request", consentId: id },
      );
      const consent = await consentById(c.env.DB, id);
      if (!consent) throw new Error("consent missing after insert");
      return c.json({ consent: toConsent(consent) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/citizens/{phone}/records",
      operationId: "readCitizenRecords",
      tags: ["consents"],
      summary: "Read a citizen's records: the agency's own, plus others' under an approved consent; every read is logged",
      security: agencySecurity,
      middleware: requireAgency("records"),
      request: { params: z.object({ phone: z.string().max(40) }), query: z.object({ purpose: z.string().trim().min(1).max(500) }) },
      responses: {
        200: json(
          z.object({
            records: z.array(
              z.object({
                id: z.string(),
                agencyId: z.string(),
                type: z.string(),
                agencyName: z.string().openapi({ description: "The issuing agency's name." }),
                claims: z.record(z.string(), z.unknown()),
                revoked: z.boolean(),
                expiresAt: z.string().nullable(),
                status: z.enum(["valid", "revoked", "expired"]),
                display: Display.openapi({
                  description: "The issuer's name for the type and labels for the claims, in the caller's language (Accept-Language).",
                }),
              }),
            ),
          }),
          "The records this agency may read; an empty list, the same answer, for a number nobody registered.",
        ),
        ...problems([400, "validation_failed, invalid_phone"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const phone = await normalizePhone(c.env, c.req.valid("param").phone);
      if (!phone) throw new ApiError(400, "invalid_phone", "That is not a phone number.");
      const { purpose } = c.req.valid("query");
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      if (!agency) throw notFound("agency");
      const citizen = await c.env.DB.prepare("SELECT id FROM users WHERE phone = ?1").bind(phone).first<{ id: string }>();
      // An unknown number answers exactly as a known one with nothing this agency may read: a 404 here
      // would tell any agency, consent or not, who is registered. There is no citizen to log a read for.
      if (!citizen) return c.json({ records: [] }, 200);
      const now = Date.now();
      // One statement decides what may be read, and it runs in the same batch as the log entry: no read
      // without its entry, and no entry for a read that did not happen.
      const select = c.env.DB.prepare(
        `SELECT r.id, r.agency_id, a.name AS agency_name, r.type, r.claims, r.revoked_at, r.expires_at
         FROM records r JOIN agencies a ON a.id = r.agency_id
         WHERE r.citizen_id = ?1 AND (r.agency_id = ?2 OR EXISTS (
           SELECT 1 FROM consents k WHERE k.citizen_id = ?1 AND k.agency_id = ?2 AND k.status = 'approved' AND k.expires_at > ?3
             AND (k.scope = 'records' OR k.scope = 'records:' || r.type)))
         ORDER BY r.created_at`,
      ).bind(citizen.id, agency.id, now);
      const { results } = await withAccessLog(
        c.env.DB,
        citizen.id,
        [{ actor: { type: "agency", id: agency.id, name: agency.name }, action: "read", resource: "records", purpose }],
        [select],
      );
      const rows = (results[0]?.results ?? []) as {
        id: string;
        agency_id: string;
        agency_name: string;
        type: string;
        claims: string;
        revoked_at: number | null;
        expires_at: number | null;
      }[];
      // Labels are the issuer's (public record types), read after the logged read: they are not the citizen's data.
      const meta = await metadataFor(
        database(c.env.DB),
        rows.map((r) => ({ agencyId: r.agency_id, type: r.type })),
      );
      const lang = negotiateLang(c.req.header("accept-language"));
      return c.json(
        {
          records: rows.map((r) => {
            const claims = JSON.parse(r.claims) as Record<string, unknown>;
            return {
              id: r.id,
              agencyId: r.agency_id,
              agencyName: r.agency_name,
              type: r.type,
              claims,
              display: displayOf(r.type, Object.keys(claims), meta.get(metaKey(r.agency_id, r.type)), lang),
              revoked: r.revoked_at !== null,
              expiresAt: isoOrNull(r.expires_at),
              status:
                r.revoked_at !== null
                  ? ("revoked" as const)
                  : r.expires_at !== null && r.expires_at <= now
                    ? ("expired" as const)
                    : ("valid" as const),
            };
          }),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/consent-requests",
      operationId: "listConsentRequests",
      tags: ["consents"],
      summary: "The consents the agency asked citizens for, newest first, with their status",
      description:
        "An approved consent past its `expiresAt` shows as `expired`. Each citizen listed gets one `read` entry (resource `consents`) in their access log, in the same batch as the read.",
      security: agencySecurity,
      middleware: requireAgency("consents"),
      request: { query: z.object({ status: Consent.shape.status.optional(), limit: ListLimit }) },
      responses: {
        200: json(z.object({ consentRequests: z.array(AgencyConsent) }), "Consent requests."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const { status, limit } = c.req.valid("query");
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      if (!agency) throw notFound("agency");
      const now = Date.now();
      const { results: page } = await c.env.DB.prepare(
        `SELECT c.id, c.citizen_id FROM consents c WHERE c.agency_id = ?1 AND (?2 IS NULL OR ${SHOWN_STATUS} = ?2)
         ORDER BY c.created_at DESC, c.id DESC LIMIT ?4`,
      )
        .bind(agency.id, status ?? null, now, limit)
        .all<Listed>();
      const rows = await readListed<ConsentRow & { citizen_phone: string }>(
        c.env.DB,
        { type: "agency", id: agency.id, name: agency.name },
        "consents",
        page,
        (inList) =>
          `SELECT c.*, a.name AS agency_name, u.phone AS citizen_phone
           FROM consents c JOIN agencies a ON a.id = c.agency_id JOIN users u ON u.id = c.citizen_id
           WHERE c.agency_id = ?1 AND (?2 IS NULL OR ${SHOWN_STATUS} = ?2) AND c.id IN ${inList}`,
        [agency.id, status ?? null, now],
      );
      return c.json(
        { consentRequests: rows.map((r) => ({ ...toConsent(r), status: effectiveStatus(r, now), citizenPhone: r.citizen_phone })) },
        200,
      );
    },
  );

async function decide(env: Env, userId: string, id: string, from: ConsentRow["status"], to: ConsentRow["status"]) {
  const row = await consentById(env.DB, id);
  if (!row || row.citizen_id !== userId) throw notFound("consent");
  const now = Date.now();
  const agency = await getAgency(env.DB, row.agency_id);
  const event = agency
    ? webhookEvent(
        env.DB,
        agency,
        "consent.updated",
        { consent: { id, status: to, previousStatus: from, scope: row.scope, purpose: row.purpose } },
        { now, onlyIf: { sql: "EXISTS (SELECT 1 FROM consents WHERE id = ? AND status = ? AND decided_at = ?)", params: [id, to, now] } },
      )
    : null;
  const [changed] = await env.DB.batch([decideStatement(env.DB, { id, citizenId: userId, from, to, at: now }), ...eventStatements(event)]);
  if ((changed?.meta.changes ?? 0) === 0)
    throw new ApiError(409, `consent_not_${from}`, `The consent is ${effectiveStatus(row)}, not ${from}.`);
  await dispatchWebhooks(env, event);
  // The request's message in the official chat shows the decision in place of its review button.
  if (to === "approved" || to === "denied" || to === "revoked")
    await settleAction(env, row.agency_id, userId, { type: "review_consent", ref: id }, { status: to, at: iso(now) });
  const updated = await consentById(env.DB, id);
  if (!updated) throw notFound("consent");
  return toConsent(updated);
}

const ConsentId = z.object({ id: z.string().min(1).max(64) });

export const citizenConsents = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/consents",
      operationId: "listConsents",
      tags: ["consents"],
      summary: "The caller's consents and requests",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: { 200: json(z.object({ consents: z.array(Consent) }), "Consents, newest first."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const { results } = await c.env.DB.prepare(`${CONSENT_SELECT} WHERE c.citizen_id = ?1 ORDER BY c.created_at DESC`)
        .bind(c.var.citizen.userId)
        .all<ConsentRow>();
      return c.json({ consents: results.map(toConsent) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/consents/{id}/approve",
      operationId: "approveConsent",
      summary: "Approve an agency's consent request",
      tags: ["consents"],
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: ConsentId },
      responses: {
        200: json(z.object({ consent: Consent }), "Approved until its expiry."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "consent_not_requested"]),
      },
    }),
    async (c) => c.json({ consent: await decide(c.env, c.var.citizen.userId, c.req.valid("param").id, "requested", "approved") }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/consents/{id}/deny",
      operationId: "denyConsent",
      summary: "Deny an agency's consent request",
      tags: ["consents"],
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: ConsentId },
      responses: {
        200: json(z.object({ consent: Consent }), "Denied."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "consent_not_requested"]),
      },
    }),
    async (c) => c.json({ consent: await decide(c.env, c.var.citizen.userId, c.req.valid("param").id, "requested", "denied") }, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/consents/{id}",
      operationId: "revokeConsent",
      tags: ["consents"],
      summary: "Revoke an approved consent; the agency's next read no longer sees others' records",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: ConsentId },
      responses: {
        200: json(z.object({ consent: Consent }), "Revoked."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "consent_not_approved"]),
      },
    }),
    async (c) => c.json({ consent: await decide(c.env, c.var.citizen.userId, c.req.valid("param").id, "approved", "revoked") }, 200),
  );
