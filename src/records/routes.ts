import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { type Listed, ListLimit, readListed } from "../agencies/listing";
import { agencyAndCitizen, agencyJwks, announce, getAgency, settleAction } from "../agencies/store";
import { withAccessLog } from "../audit/log";
import { requireAgency, requireCitizen } from "../auth/middleware";
import { database } from "../db";
import { ApiError, notFound } from "../lib/errors";
import type { AppEnv } from "../lib/hono";
import { agencySecurity, type CitizenAuth, citizenSecurity, iso, isoOrNull, json, jsonBody, problems, router } from "../lib/hono";
import { rfc3339Instant } from "../lib/time";
import {
  type Binding,
  bindPending,
  bindStatements,
  type CallerDevice,
  callerDevice,
  heldCredentials,
  holderDevices,
  standing,
} from "./holders";
import { issueRecord, RecordType, typeOfVct, vctOf } from "./issue";
import { Display, displayOf, negotiateLang, pick } from "./metadata";
import { encodeStatusList, newStatusList, present, SdJwtError, setStatus, verifyPresentation } from "./sdjwt";
import { metadataFor, metaKey, type RecordRow, type RecordWithAgency, recordsOfCitizen, recordById as storedRecord } from "./store";

const ClaimsObject = z.record(z.string(), z.unknown());

/** A record stops being presentable once revoked or past its expiry; nothing needs to run for that. */
const recordStatus = (r: Pick<RecordRow, "revokedAt" | "expiresAt">, now = Date.now()): "valid" | "revoked" | "expired" =>
  r.revokedAt !== null ? "revoked" : r.expiresAt !== null && r.expiresAt <= now ? "expired" : "valid";

/** What the caller's device has of a record: its own credential when bound to it, else the unbound copy. */
interface DeviceView {
  credential: string;
  binding: Binding;
}

const toRecord = ({ record: r, agency }: RecordWithAgency, claims: Record<string, unknown>, display: Display, view: DeviceView) => ({
  id: r.id,
  agency,
  type: r.type,
  vct: vctOf(r.type),
  claims,
  display,
  credential: view.credential,
  binding: view.binding,
  revoked: r.revokedAt !== null,
  status: recordStatus(r),
  createdAt: iso(r.createdAt),
  expiresAt: isoOrNull(r.expiresAt),
  revokedAt: isoOrNull(r.revokedAt),
});

/**
 * Records as the caller reads them: each with its type's display in the caller's language (one lookup for
 * all) and what the caller's device has of it (`view`).
 */
async function withDisplay(c: Context<AppEnv>, rows: readonly RecordWithAgency[], view: (record: RecordRow) => DeviceView) {
  const meta = await metadataFor(
    database(c.env.DB),
    rows.map((r) => ({ agencyId: r.agency.id, type: r.record.type })),
  );
  const lang = negotiateLang(c.req.header("accept-language"));
  return rows.map((row) => {
    const claims = ClaimsObject.parse(JSON.parse(row.record.claims));
    const display = displayOf(row.record.type, Object.keys(claims), meta.get(metaKey(row.agency.id, row.record.type)), lang);
    return toRecord(row, claims, display, view(row.record));
  });
}

async function oneWithDisplay(c: Context<AppEnv>, row: RecordWithAgency, view: (record: RecordRow) => DeviceView) {
  const [record] = await withDisplay(c, [row], view);
  if (!record) throw new Error("record lost its display");
  return record;
}

const RecordSchema = z
  .object({
    id: z.string(),
    agency: z.object({ id: z.string(), name: z.string(), verified: z.boolean() }),
    type: z.string(),
    vct: z.string(),
    claims: z.record(z.string(), z.unknown()),
    display: Display.openapi({
      description:
        "The type's name and claim labels in the caller's language (Accept-Language, Russian by default), from the agency's record type; raw names without one.",
    }),
    credential: z.string().openapi({
      description:
        "The SD-JWT VC (issuance form), signed with the agency's key. For a citizen: the copy bound to the calling device's holder key (`cnf.jwk`) when `binding` is `device`, so the device can append a key-binding JWT; otherwise a copy bound to no key, presentable without key binding only.",
    }),
    binding: z.enum(["device", "pending", "other_device", "none"]).openapi({
      description:
        "How the calling device stands with the record: `device` bound to its holder key; `pending` no device held it yet (it binds when this device publishes a holder key); `other_device` only the citizen's other devices hold it (ask for a transfer, POST /records/transfers); `none` no active device holds it (the issuing agency can re-issue). For the issuing agency: `device` when bound to at least one of the citizen's devices, else `pending`.",
    }),
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
const AgencyRecord = RecordSchema.omit({ credential: true, binding: true })
  .extend({ citizenPhone: z.string(), statusIdx: z.number().int() })
  .openapi("AgencyRecord");

/** The issuing agency's view: the unbound copy (it signed it anyway), and whether any device holds the record. */
const agencyView = (r: RecordRow): DeviceView => ({ credential: r.credential, binding: r.boundAt === null ? "pending" : "device" });

const recordById = (env: Env, id: string) => storedRecord(database(env.DB), id);

/** A raw row of the agency's list (snake_case SQL) in the store's shape. */
interface ListedRow {
  id: string;
  agency_id: string;
  agency_name: string;
  agency_verified: number;
  citizen_id: string;
  citizen_phone: string;
  type: string;
  claims: string;
  credential: string;
  status_idx: number;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  bound_at: number | null;
}
const fromListed = (r: ListedRow): RecordWithAgency => ({
  record: {
    id: r.id,
    agencyId: r.agency_id,
    citizenId: r.citizen_id,
    type: r.type,
    claims: r.claims,
    credential: r.credential,
    statusIdx: r.status_idx,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    boundAt: r.bound_at,
  },
  agency: { id: r.agency_id, name: r.agency_name, verified: r.agency_verified === 1 },
});

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
      const record = await recordById(c.env, id);
      if (!record) throw new Error("record missing after insert");
      // The chat speaks Russian (it is one text for every reader); the answer speaks the agency's language.
      const [meta] = (await metadataFor(database(c.env.DB), [{ agencyId: agency.id, type: body.type }])).values();
      await announce(
        c.env,
        agency,
        citizenId,
        {
          clientId: `record:${id}`,
          // A type its agency never described has no name for people: its code is not one.
          text: meta ? `Выдан документ: ${pick(meta.name, "ru")}` : "Выдан новый документ",
          action: { type: "view_record", label: "Открыть", ref: id, ...(expiresAt === null ? {} : { expiresAt: iso(expiresAt) }) },
        },
        { kind: "record", recordId: id },
      );
      return c.json({ record: await oneWithDisplay(c, record, agencyView) }, 201);
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
      const found = await recordById(c.env, c.req.valid("param").id);
      if (!found || found.record.agencyId !== c.var.agency.agencyId) throw notFound("record");
      const { record, agency } = found;
      if (record.revokedAt === null) {
        await withAccessLog(
          c.env.DB,
          record.citizenId,
          [
            {
              actor: { type: "agency", id: agency.id, name: agency.name },
              action: "revoke",
              resource: `record:${record.id}`,
            },
          ],
          [c.env.DB.prepare("UPDATE records SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL").bind(record.id, Date.now())],
        );
      }
      const updated = await recordById(c.env, record.id);
      if (!updated) throw notFound("record");
      // Again on a repeated revoke: it answers as the first did, and mends a message a failed first call left.
      await settleAction(
        c.env,
        updated.agency.id,
        updated.record.citizenId,
        { type: "view_record", ref: updated.record.id },
        { status: "revoked", at: isoOrNull(updated.record.revokedAt) },
      );
      return c.json({ record: await oneWithDisplay(c, updated, agencyView) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/records/{id}/reissue",
      operationId: "reissueRecord",
      tags: ["records"],
      summary: "Re-issue a record to the citizen's current devices (a new or lost device)",
      description:
        "For a citizen who lost the devices holding a record, or has a new one, once the agency has confirmed who they are by its own means. The record (same claims, expiry and status-list bit) is signed again for each device the citizen has now, each bound to that device's holder key; copies held by devices no longer signed in are gone already. With no device yet, the record binds to the first device that publishes a holder key. Logged in the citizen's access log (`reissue`).",
      security: agencySecurity,
      middleware: requireAgency("records"),
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: json(
          z.object({
            record: RecordSchema,
            devices: z.number().int().openapi({ description: "How many devices the record is bound to now." }),
          }),
          "Re-issued.",
        ),
        ...problems([401, "unauthorized"], [403, "insufficient_scope"], [404, "not_found"], [409, "record_revoked"]),
      },
    }),
    async (c) => {
      const found = await recordById(c.env, c.req.valid("param").id);
      if (!found || found.record.agencyId !== c.var.agency.agencyId) throw notFound("record");
      const { record, agency } = found;
      if (record.revokedAt !== null) throw new ApiError(409, "record_revoked", "A revoked record is not re-issued; issue a new one.");
      const devices = await holderDevices(c.env, record.citizenId);
      const now = Date.now();
      await withAccessLog(
        c.env.DB,
        record.citizenId,
        [{ actor: { type: "agency", id: agency.id, name: agency.name }, action: "reissue", resource: `record:${record.id}` }],
        [
          // Without devices the record waits for the first one, as a never-bound record does.
          ...(devices.length === 0 ? [c.env.DB.prepare("UPDATE records SET bound_at = NULL WHERE id = ?1").bind(record.id)] : []),
          ...(await bindStatements(c.env, record.citizenId, [record], devices, now)),
        ],
      );
      const updated = await recordById(c.env, record.id);
      if (!updated) throw notFound("record");
      return c.json({ record: await oneWithDisplay(c, updated, agencyView), devices: devices.length }, 200);
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
      const rows = await readListed<ListedRow>(
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
      const shown = await withDisplay(c, rows.map(fromListed), agencyView);
      return c.json(
        {
          records: rows.map((r, i) => {
            const listed = shown[i];
            if (!listed) throw new Error("listed record lost");
            const { credential: _credential, binding: _binding, ...record } = listed;
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

/**
 * The caller's device, once the citizen's never-bound records are bound to their holder devices: a device that
 * has just published its first holder key gets them on its first read.
 */
async function citizenDevice(env: Env, citizen: CitizenAuth): Promise<CallerDevice | null> {
  await bindPending(env, citizen.userId);
  return callerDevice(env, citizen.sessionId);
}

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
      const device = await citizenDevice(c.env, c.var.citizen);
      const rows = await recordsOfCitizen(database(c.env.DB), c.var.citizen.userId);
      const held = await heldCredentials(c.env, c.var.citizen.userId);
      return c.json({ records: await withDisplay(c, rows, (r) => standing(r, held, device)) }, 200);
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
      const device = await citizenDevice(c.env, c.var.citizen);
      const found = await recordById(c.env, c.req.valid("param").id);
      if (!found || found.record.citizenId !== c.var.citizen.userId) throw notFound("record");
      const held = await heldCredentials(c.env, found.record.citizenId, found.record.id);
      return c.json({ record: await oneWithDisplay(c, found, (r) => standing(r, held, device)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/records/{id}/presentations",
      operationId: "createPresentation",
      tags: ["records"],
      summary: "Present a record disclosing only the chosen claims",
      description:
        "Never with key binding: the server holds no holder private key. The answer is the SD-JWT ending in `~`, from the credential bound to the calling device when it has one (`binding: device`); that device appends the key-binding JWT (typ kb+jwt; iat, aud, nonce, sd_hash) signed with its own holder key. `audience` and `nonce` are accepted for older clients and change nothing.",
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
        201: json(z.object({ presentation: z.string() }), "The SD-JWT with only those disclosures, without key binding."),
        ...problems(
          [400, "validation_failed, unknown_claim"],
          [401, "unauthorized"],
          [404, "not_found"],
          [409, "record_revoked, record_expired: the record can no longer be presented"],
        ),
      },
    }),
    async (c) => {
      const device = await citizenDevice(c.env, c.var.citizen);
      const found = await recordById(c.env, c.req.valid("param").id);
      if (!found || found.record.citizenId !== c.var.citizen.userId) throw notFound("record");
      const { record } = found;
      // A verifier would find it revoked or expired anyway; refusing here says so to the citizen, plainly.
      const status = recordStatus(record);
      if (status === "revoked") throw new ApiError(409, "record_revoked", "The agency revoked this record; it can no longer be presented.");
      if (status === "expired") throw new ApiError(409, "record_expired", "This record has expired; it can no longer be presented.");
      const body = c.req.valid("json");
      const held = await heldCredentials(c.env, record.citizenId, record.id);
      try {
        const presentation = await present(standing(record, held, device).credential, body.disclose);
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
          // A union, not .nullable(): on a named schema that generates allOf [ref, null], which reads as "both".
          display: z.union([Display, z.null()]).openapi({
            description:
              "The type's name and the disclosed claims' labels in the caller's language, from the issuer's record type (raw names without one); null when the issuer is unknown.",
          }),
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
    const type = result.vct === undefined ? null : typeOfVct(result.vct);
    const shown = result.valid ? claims : {};
    let display: Display | null = null;
    if (agency && type !== null) {
      const meta = await metadataFor(database(c.env.DB), [{ agencyId: agency.id, type }]);
      display = displayOf(type, Object.keys(shown), meta.get(metaKey(agency.id, type)), negotiateLang(c.req.header("accept-language")));
    }
    return c.json(
      {
        valid: result.valid,
        issuer: agency ? { id: agency.id, name: agency.name, verified: agency.verified === 1 } : null,
        type,
        claims: shown,
        revoked: result.revoked ?? null,
        display,
        ...(result.error ? { error: result.error } : {}),
      },
      200,
    );
  },
);
