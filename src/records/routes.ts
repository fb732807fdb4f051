import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { type Listed, ListLimit, readListed } from "../agencies/listing";
import { agencyAndCitizen, agencyJwks, announce, getAgency, settleAction } from "../agencies/store";
import { withAccessLog } from "../audit/log";
import { requireAgency, requireCitizen } from "../auth/middleware";
import { ApiError, notFound } from "../lib/errors";
import { agencySecurity, citizenSecurity, iso, isoOrNull, json, jsonBody, problems, router } from "../lib/hono";
import { rfc3339Instant } from "../lib/time";
import { holderKey, issueRecord, RecordType, typeOfVct, vctOf } from "./issue";
import { encodeStatusList, newStatusList, present, SdJwtError, setStatus, verifyPresentation } from "./sdjwt";

interface RecordRow {
  id: string;
  agency_id: string;
  agency_name: string;
  agency_verified: number;
  citizen_id: string;
  type: string;
  claims: string;
  credential: string;
  status_idx: number;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

const RECORD_SELECT =
  "SELECT r.*, a.name AS agency_name, a.verified AS agency_verified FROM records r JOIN agencies a ON a.id = r.agency_id";

const ClaimsObject = z.record(z.string(), z.unknown());

/** A record stops being presentable once revoked or past its expiry; nothing needs to run for that. */
const recordStatus = (r: Pick<RecordRow, "revoked_at" | "expires_at">, now = Date.now()): "valid" | "revoked" | "expired" =>
  r.revoked_at !== null ? "revoked" : r.expires_at !== null && r.expires_at <= now ? "expired" : "valid";

const toRecord = (r: RecordRow) => ({
  id: r.id,
  agency: { id: r.agency_id, name: r.agency_name, verified: r.agency_verified === 1 },
  type: r.type,
  vct: vctOf(r.type),
  claims: ClaimsObject.parse(JSON.parse(r.claims)),
  credential: r.credential,
  revoked: r.revoked_at !== null,
  status: recordStatus(r),
  createdAt: iso(r.created_at),
  expiresAt: isoOrNull(r.expires_at),
  revokedAt: isoOrNull(r.revoked_at),
});

const RecordSchema = z
  .object({
    id: z.string(),
    agency: z.object({ id: z.string(), name: z.string(), verified: z.boolean() }),
    type: z.string(),
    vct: z.string(),
    claims: z.record(z.string(), z.unknown()),
    credential: z.string().openapi({ description: "The SD-JWT VC (issuance form), signed with the agency's key." }),
    revoked: z.boolean(),
    status: z.enum(["valid", "revoked", "expired"]).openapi({
      description: "`revoked` once the agency revoked it, `expired` past its `expiresAt`: either way it can no longer be presented.",
    }),
    createdAt: z.string(),
    expiresAt: z
      .string()
      .nullable()
      .openapi({ description: "The credential's expiry (`exp`), UTC with milliseconds, or null when it has none." }),
    revokedAt: z.string().nullable(),
  })
  .openapi("Record");

/** A record as the agency that issued it lists it: without the credential, with the citizen and its status-list bit. */
const AgencyRecord = RecordSchema.omit({ credential: true })
  .extend({ citizenPhone: z.string(), statusIdx: z.number().int() })
  .openapi("AgencyRecord");

const recordById = (db: D1Database, id: string) => db.prepare(`${RECORD_SELECT} WHERE r.id = ?1`).bind(id).first<RecordRow>();

const NewRecord = z
  .object({
    citizenPhone: z.string().max(40),
    type: RecordType,
    claims: z
      .record(z.string().min(1).max(100), z.unknown())
      .refine((c) => Object.keys(c).length > 0 && Object.keys(c).length <= 100, "1 to 100 claims"),
    expiresAt: rfc3339Instant.optional().openapi({
      description: "When the record stops being valid (its `exp`): any RFC 3339 form; a full date means through the end of that day (UTC).",
    }),
  })
  .strict();

export const agencyRecords = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/records",
      operationId: "issueRecord",
      tags: ["records"],
      summary: "Issue a record to a citizen as an SD-JWT VC signed with the agency's key",
      description: "Every claim is selectively disclosable. The record is posted into the official chat with a view button and logged.",
      security: agencySecurity,
      middleware: requireAgency("records"),
      request: { body: jsonBody(NewRecord) },
      responses: {
        201: json(z.object({ record: RecordSchema }), "Issued."),
        ...problems([400, "validation_failed, invalid_phone, invalid_claims"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const expiresAt = body.expiresAt ?? null;
      if (expiresAt !== null && expiresAt <= Date.now())
        throw new ApiError(400, "validation_failed", "expiresAt must be in the future.", {
          errors: [{ path: "expiresAt", message: "in the past" }],
        });
      const { agency, citizenId } = await agencyAndCitizen(c.env, c.var.agency.agencyId, body.citizenPhone);
      const id = await issueRecord(c.env, agency, citizenId, body.type, body.claims, { expiresAt });
      const record = await recordById(c.env.DB, id);
      if (!record) throw new Error("record missing after insert");
      await announce(
        c.env,
        agency,
        citizenId,
        {
          clientId: `record:${id}`,
          text: `Выдан документ: ${body.type}`,
          action: { type: "view_record", label: "Открыть", ref: id, ...(expiresAt === null ? {} : { expiresAt: iso(expiresAt) }) },
        },
        { kind: "record", recordId: id },
      );
      return c.json({ record: toRecord(record) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/records/{id}/revoke",
      operationId: "revokeRecord",
      tags: ["records"],
      summary: "Revoke a record the agency issued (its status-list bit is set)",
      security: agencySecurity,
      middleware: requireAgency("records"),
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: json(z.object({ record: RecordSchema }), "Revoked; its message in the official chat shows it as revoked."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const record = await recordById(c.env.DB, c.req.valid("param").id);
      if (!record || record.agency_id !== c.var.agency.agencyId) throw notFound("record");
      if (record.revoked_at === null) {
        await withAccessLog(
          c.env.DB,
          record.citizen_id,
          [
            {
              actor: { type: "agency", id: record.agency_id, name: record.agency_name },
              action: "revoke",
              resource: `record:${record.id}`,
            },
          ],
          [c.env.DB.prepare("UPDATE records SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL").bind(record.id, Date.now())],
        );
      }
      const updated = await recordById(c.env.DB, record.id);
      if (!updated) throw notFound("record");
      // Again on a repeated revoke: it answers as the first did, and mends a message a failed first call left.
      await settleAction(
        c.env,
        updated.agency_id,
        updated.citizen_id,
        { type: "view_record", ref: updated.id },
        { status: "revoked", at: isoOrNull(updated.revoked_at) },
      );
      return c.json({ record: toRecord(updated) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/records",
      operationId: "listAgencyRecords",
      tags: ["records"],
      summary: "The records the agency issued, newest first (without the credentials)",
      description: "Each citizen listed gets one `read` entry (resource `records`) in their access log, in the same batch as the read.",
      security: agencySecurity,
      middleware: requireAgency("records"),
      request: { query: z.object({ type: NewRecord.shape.type.optional(), limit: ListLimit }) },
      responses: {
        200: json(z.object({ records: z.array(AgencyRecord) }), "Records."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const { type, limit } = c.req.valid("query");
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      if (!agency) throw notFound("agency");
      const { results: page } = await c.env.DB.prepare(
        "SELECT id, citizen_id FROM records WHERE agency_id = ?1 AND (?2 IS NULL OR type = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3",
      )
        .bind(agency.id, type ?? null, limit)
        .all<Listed>();
      const rows = await readListed<RecordRow & { citizen_phone: string }>(
        c.env.DB,
        { type: "agency", id: agency.id, name: agency.name },
        "records",
        page,
        (inList) =>
          `SELECT r.*, a.name AS agency_name, a.verified AS agency_verified, u.phone AS citizen_phone
           FROM records r JOIN agencies a ON a.id = r.agency_id JOIN users u ON u.id = r.citizen_id
           WHERE r.agency_id = ?1 AND r.id IN ${inList}`,
        [agency.id],
      );
      return c.json(
        {
          records: rows.map((r) => {
            const { credential: _credential, ...record } = toRecord(r);
            return { ...record, citizenPhone: r.citizen_phone, statusIdx: r.status_idx };
          }),
        },
        200,
      );
    },
  );

export const statusLists = router().openapi(
  createRoute({
    method: "get",
    path: "/agencies/{id}/status-list",
    operationId: "getStatusList",
    security: [],
    tags: ["records"],
    summary: "The agency's revocation status list (one bit per record, IETF Token Status List encoding)",
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: {
      200: json(z.object({ status_list: z.object({ bits: z.literal(1), lst: z.string() }) }), "The list."),
      ...problems([404, "not_found"]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!(await getAgency(c.env.DB, id))) throw notFound("agency");
    const { results } = await c.env.DB.prepare("SELECT status_idx, revoked_at FROM records WHERE agency_id = ?1")
      .bind(id)
      .all<{ status_idx: number; revoked_at: number | null }>();
    const size = Math.max(1024, ...results.map((r) => r.status_idx + 1));
    const bits = newStatusList(Math.ceil(size / 8) * 8);
    for (const r of results) if (r.revoked_at !== null) setStatus(bits, r.status_idx);
    c.header("cache-control", "public, max-age=60");
    return c.json({ status_list: { bits: 1 as const, lst: await encodeStatusList(bits) } }, 200);
  },
);

export const citizenRecords = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/records",
      operationId: "listRecords",
      tags: ["records"],
      summary: "The caller's records",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: { 200: json(z.object({ records: z.array(RecordSchema) }), "Records, newest first."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const { results } = await c.env.DB.prepare(`${RECORD_SELECT} WHERE r.citizen_id = ?1 ORDER BY r.created_at DESC`)
        .bind(c.var.citizen.userId)
        .all<RecordRow>();
      return c.json({ records: results.map(toRecord) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/records/{id}",
      operationId: "getRecord",
      summary: "One of the caller's records",
      tags: ["records"],
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 200: json(z.object({ record: RecordSchema }), "The record."), ...problems([401, "unauthorized"], [404, "not_found"]) },
    }),
    async (c) => {
      const record = await recordById(c.env.DB, c.req.valid("param").id);
      if (!record || record.citizen_id !== c.var.citizen.userId) throw notFound("record");
      return c.json({ record: toRecord(record) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/records/{id}/presentations",
      operationId: "createPresentation",
      tags: ["records"],
      summary: "Present a record disclosing only the chosen claims",
      description: "With audience and nonce, the presentation carries a key-binding JWT signed with the citizen's holder key.",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        body: jsonBody(
          z
            .object({
              disclose: z.array(z.string().min(1).max(100)).max(100),
              audience: z.string().min(1).max(500).optional(),
              nonce: z.string().min(1).max(200).optional(),
            })
            .strict()
            .refine((b) => (b.audience === undefined) === (b.nonce === undefined), "audience and nonce go together"),
        ),
      },
      responses: {
        201: json(z.object({ presentation: z.string() }), "The SD-JWT with only those disclosures."),
        ...problems(
          [400, "validation_failed, unknown_claim"],
          [401, "unauthorized"],
          [404, "not_found"],
          [409, "record_revoked, record_expired: the record can no longer be presented"],
        ),
      },
    }),
    async (c) => {
      const record = await recordById(c.env.DB, c.req.valid("param").id);
      if (!record || record.citizen_id !== c.var.citizen.userId) throw notFound("record");
      // A verifier would find it revoked or expired anyway; refusing here says so to the citizen, plainly.
      const status = recordStatus(record);
      if (status === "revoked") throw new ApiError(409, "record_revoked", "The agency revoked this record; it can no longer be presented.");
      if (status === "expired") throw new ApiError(409, "record_expired", "This record has expired; it can no longer be presented.");
      const body = c.req.valid("json");
      try {
        const presentation = await present(record.credential, body.disclose, {
          ...(body.audience && body.nonce
            ? {
                audience: body.audience,
                nonce: body.nonce,
                holderKey: { privateKey: (await holderKey(c.env, record.citizen_id)).privateKey },
              }
            : {}),
        });
        return c.json({ presentation }, 201);
      } catch (err) {
        if (err instanceof SdJwtError) throw new ApiError(400, err.code, err.message);
        throw err;
      }
    },
  );

const ISSUER_PATH = /^\/api\/v1\/agencies\/([0-9A-HJKMNP-TV-Z]{26})$/;

export const verification = router().openapi(
  createRoute({
    method: "post",
    path: "/verify",
    operationId: "verifyPresentation",
    security: [],
    tags: ["records"],
    summary: "Verify a presentation: signature, disclosures, expiry, revocation (and key binding when audience and nonce are given)",
    request: {
      body: jsonBody(
        z
          .object({
            presentation: z
              .string()
              .min(1)
              .max(256 * 1024),
            audience: z.string().max(500).optional(),
            nonce: z.string().max(200).optional(),
          })
          .strict(),
      ),
    },
    responses: {
      200: json(
        z.object({
          valid: z.boolean(),
          issuer: z.object({ id: z.string(), name: z.string(), verified: z.boolean() }).nullable(),
          type: z.string().nullable(),
          claims: z.record(z.string(), z.unknown()),
          revoked: z.boolean().nullable(),
          error: z.string().optional(),
        }),
        "The verdict; a tampered or forged presentation answers valid: false.",
      ),
      ...problems([400, "validation_failed"]),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const agencyOf = (iss: string) => {
      if (!iss.startsWith(c.env.ISSUER)) return null;
      return ISSUER_PATH.exec(iss.slice(c.env.ISSUER.length))?.[1] ?? null;
    };
    const result = await verifyPresentation(body.presentation, {
      jwks: async (iss) => {
        const id = agencyOf(iss);
        return id && (await getAgency(c.env.DB, id)) ? agencyJwks(c.env.DB, id) : null;
      },
      ...(body.audience ? { audience: body.audience } : {}),
      ...(body.nonce ? { nonce: body.nonce } : {}),
      isRevoked: async (status) => {
        const id = agencyOf(status.uri.replace(/\/status-list$/, ""));
        if (!id) return false;
        const row = await c.env.DB.prepare("SELECT revoked_at FROM records WHERE agency_id = ?1 AND status_idx = ?2")
          .bind(id, status.idx)
          .first<{ revoked_at: number | null }>();
        return row?.revoked_at != null;
      },
    });
    const agencyId = result.issuer ? agencyOf(result.issuer) : null;
    const agency = agencyId ? await getAgency(c.env.DB, agencyId) : null;
    const { iss: _iss, vct: _vct, iat: _iat, exp: _exp, ...claims } = result.claims ?? {};
    return c.json(
      {
        valid: result.valid,
        issuer: agency ? { id: agency.id, name: agency.name, verified: agency.verified === 1 } : null,
        type: result.vct === undefined ? null : typeOfVct(result.vct),
        claims: result.valid ? claims : {},
        revoked: result.revoked ?? null,
        ...(result.error ? { error: result.error } : {}),
      },
      200,
    );
  },
);
