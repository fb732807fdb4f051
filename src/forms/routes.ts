import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { type Listed, ListLimit, readListed } from "../agencies/listing";
import { announce, getAgency } from "../agencies/store";
import { withAccessLog } from "../audit/log";
import { requireAgency, requireCitizen } from "../auth/middleware";
import { ApiError, fieldErrors, notFound } from "../lib/errors";
import { agencySecurity, citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { contentDisposition, type MediaRow } from "../media/store";
import { dispatchWebhooks, eventStatements, webhookEvent } from "../webhooks/events";
import {
  ATTACHMENTS_COLUMN,
  AttachmentIds,
  attachStatements,
  checkOwnMedia,
  MAX_SUBMISSION_ATTACHMENTS,
  parseAttachments,
  SubmissionAttachment,
} from "./attachments";
import { checkPrefill, Prefill, parsePrefill, prefillFromRecords } from "./prefill";
import { FormSchema, fileFields, isUnsafePatternIssue, storedFormSchema, validate } from "./schema";
import { insertSubmission, referenceIntoEvent, showReference } from "./store";

interface FormRow {
  id: string;
  agency_id: string;
  agency_name: string;
  agency_webhook_url: string | null;
  key: string;
  version: number;
  title: string;
  schema: string;
  prefill: string | null;
  created_at: number;
}

interface SubmissionRow {
  id: string;
  form_id: string;
  agency_id: string;
  citizen_id: string;
  data: string;
  status: "submitted" | "in_review" | "approved" | "rejected";
  comment: string | null;
  created_at: number;
  updated_at: number;
  reference: string | null;
  /** ATTACHMENTS_COLUMN */
  attachments: string | null;
}

const FORM_SELECT =
  "SELECT f.*, a.name AS agency_name, a.webhook_url AS agency_webhook_url FROM forms f JOIN agencies a ON a.id = f.agency_id";
const formById = (db: D1Database, id: string) => db.prepare(`${FORM_SELECT} WHERE f.id = ?1`).bind(id).first<FormRow>();
const SUBMISSION_SELECT = `SELECT s.*, ${ATTACHMENTS_COLUMN} FROM submissions s`;
const submissionById = (db: D1Database, id: string) => db.prepare(`${SUBMISSION_SELECT} WHERE s.id = ?1`).bind(id).first<SubmissionRow>();
/** What the agency sees also names the citizen (by phone, as agencies address citizens). */
const AGENCY_SUBMISSION_SELECT = `SELECT s.*, ${ATTACHMENTS_COLUMN}, u.phone AS citizen_phone, f.key AS form_key, f.title AS form_title, f.version AS form_version
  FROM submissions s JOIN users u ON u.id = s.citizen_id JOIN forms f ON f.id = s.form_id`;
type AgencySubmissionRow = SubmissionRow & { citizen_phone: string; form_key: string; form_title: string; form_version: number };
const toAgencySubmission = (s: AgencySubmissionRow) => ({
  ...toSubmission(s),
  citizenPhone: s.citizen_phone,
  form: { id: s.form_id, key: s.form_key, title: s.form_title, version: s.form_version },
});

const toForm = (f: FormRow) => ({
  id: f.id,
  agency: { id: f.agency_id, name: f.agency_name },
  key: f.key,
  version: f.version,
  title: f.title,
  schema: JSON.parse(f.schema) as Record<string, unknown>,
  prefill: parsePrefill(f.prefill),
  createdAt: iso(f.created_at),
});

const toSubmission = (s: SubmissionRow) => ({
  id: s.id,
  formId: s.form_id,
  data: JSON.parse(s.data) as Record<string, unknown>,
  status: s.status,
  comment: s.comment,
  reference: s.reference,
  attachments: parseAttachments(s.attachments),
  createdAt: iso(s.created_at),
  updatedAt: iso(s.updated_at),
});

const Form = z
  .object({
    id: z.string(),
    agency: z.object({ id: z.string(), name: z.string() }),
    key: z.string(),
    version: z.number().int(),
    title: z.string(),
    schema: z.record(z.string(), z.unknown()),
    prefill: Prefill.nullable(),
    createdAt: z.string(),
  })
  .openapi("Form");

const Submission = z
  .object({
    id: z.string(),
    formId: z.string(),
    data: z.record(z.string(), z.unknown()),
    status: z.enum(["submitted", "in_review", "approved", "rejected"]),
    comment: z.string().nullable(),
    reference: z.string().nullable().openapi({
      description:
        'The human reference number, unique per agency and consecutive within a (UTC) year: "2026-000123", shown as "№ 2026-000123".',
    }),
    attachments: z.array(SubmissionAttachment),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Submission");

const AgencySubmission = Submission.extend({
  citizenPhone: z.string(),
  form: z.object({ id: z.string(), key: z.string(), title: z.string(), version: z.number().int() }),
}).openapi("AgencySubmission");
const SubmissionStatus = z.enum(["submitted", "in_review", "approved", "rejected"]);

/** Which status may follow which: a decided submission stays decided. */
const NEXT: Record<SubmissionRow["status"], SubmissionRow["status"][]> = {
  submitted: ["in_review", "approved", "rejected"],
  in_review: ["approved", "rejected"],
  approved: [],
  rejected: [],
};
const STATUS_TEXT: Record<SubmissionRow["status"], string> = {
  submitted: "получено",
  in_review: "на рассмотрении",
  approved: "одобрено",
  rejected: "отклонено",
};

const Id = z.object({ id: z.string().min(1).max(64) });
const FormKey = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/);

export const agencyForms = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/forms",
      operationId: "publishForm",
      tags: ["forms"],
      summary: "Publish a form (the same key again makes a new version)",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: {
        body: jsonBody(
          z
            .object({
              key: FormKey,
              title: z.string().trim().min(1).max(200),
              schema: z.unknown(),
              prefill: Prefill.optional(),
            })
            .strict(),
        ),
      },
      responses: {
        201: json(z.object({ form: Form }), "Published."),
        ...problems(
          [400, "validation_failed, unsupported_schema"],
          [401, "unauthorized"],
          [403, "insufficient_scope"],
          [
            422,
            "invalid_form: the prefill map names a field the schema lacks or cannot fill; unsafe_pattern: a pattern needs a backtracking engine (backreferences, lookaround); see errors",
          ],
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const parsed = FormSchema.safeParse(body.schema);
      if (!parsed.success && parsed.error.issues.some(isUnsafePatternIssue)) {
        throw new ApiError(
          422,
          "unsafe_pattern",
          "A pattern cannot be evaluated in linear time (backreferences, lookaround); see errors.",
          {
            errors: fieldErrors(parsed.error).map((e) => ({ path: `schema${e.path ? `.${e.path}` : ""}`, message: e.message })),
          },
        );
      }
      if (!parsed.success) {
        throw new ApiError(400, "unsupported_schema", "The schema uses something outside the supported JSON Schema subset (docs/api.md).", {
          errors: fieldErrors(parsed.error).map((e) => ({ path: `schema${e.path ? `.${e.path}` : ""}`, message: e.message })),
        });
      }
      const prefillErrors = body.prefill ? checkPrefill(parsed.data, body.prefill) : [];
      if (prefillErrors.length > 0)
        throw new ApiError(422, "invalid_form", "The prefill map does not fit the schema.", { errors: prefillErrors });
      const prefill = body.prefill && Object.keys(body.prefill).length > 0 ? JSON.stringify(body.prefill) : null;
      const agencyId = c.var.agency.agencyId;
      const id = newId();
      // The version is taken in the INSERT itself; the unique index turns a racing publish into an error, not a duplicate.
      await c.env.DB.prepare(
        `INSERT INTO forms (id, agency_id, key, version, title, schema, prefill, created_at)
         VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(version), 0) + 1 FROM forms WHERE agency_id = ?2 AND key = ?3), ?4, ?5, ?6, ?7)`,
      )
        .bind(id, agencyId, body.key, body.title, JSON.stringify(parsed.data), prefill, Date.now())
        .run();
      const form = await formById(c.env.DB, id);
      if (!form) throw new Error("form missing after insert");
      return c.json({ form: toForm(form) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/submissions",
      operationId: "listAgencySubmissions",
      tags: ["forms"],
      summary: "Submissions to the agency's forms, newest first",
      description: "Each citizen listed gets one `read` entry (resource `submissions`) in their access log, in the same batch as the read.",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: { query: z.object({ limit: ListLimit, status: SubmissionStatus.optional() }) },
      responses: {
        200: json(z.object({ submissions: z.array(AgencySubmission) }), "Submissions."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      if (!agency) throw notFound("agency");
      const { limit, status } = c.req.valid("query");
      const { results: page } = await c.env.DB.prepare(
        "SELECT id, citizen_id FROM submissions WHERE agency_id = ?1 AND (?3 IS NULL OR status = ?3) ORDER BY created_at DESC, id DESC LIMIT ?2",
      )
        .bind(agency.id, limit, status ?? null)
        .all<Listed>();
      const rows = await readListed<AgencySubmissionRow>(
        c.env.DB,
        { type: "agency", id: agency.id, name: agency.name },
        "submissions",
        page,
        (inList) => `${AGENCY_SUBMISSION_SELECT} WHERE s.agency_id = ?1 AND s.id IN ${inList}`,
        [agency.id],
      );
      return c.json({ submissions: rows.map(toAgencySubmission) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/submissions/{id}",
      operationId: "getAgencySubmission",
      tags: ["forms"],
      summary: "One submission to the agency's forms",
      description: "Logged in the citizen's access log (`read`, `submission:<id>`) in the same batch as the read.",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: { params: Id },
      responses: {
        200: json(z.object({ submission: AgencySubmission }), "The submission."),
        ...problems([401, "unauthorized"], [403, "insufficient_scope"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      const owner = await c.env.DB.prepare("SELECT citizen_id FROM submissions WHERE id = ?1 AND agency_id = ?2")
        .bind(id, c.var.agency.agencyId)
        .first<{ citizen_id: string }>();
      if (!agency || !owner) throw notFound("submission");
      const { results } = await withAccessLog(
        c.env.DB,
        owner.citizen_id,
        [{ actor: { type: "agency", id: agency.id, name: agency.name }, action: "read", resource: `submission:${id}` }],
        [c.env.DB.prepare(`${AGENCY_SUBMISSION_SELECT} WHERE s.id = ?1 AND s.agency_id = ?2`).bind(id, agency.id)],
      );
      const row = results[0]?.results[0] as AgencySubmissionRow | undefined;
      if (!row) throw notFound("submission");
      return c.json({ submission: toAgencySubmission(row) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/agency/submissions/{id}",
      operationId: "reviewSubmission",
      tags: ["forms"],
      summary: "Move a submission along: in_review, then approved or rejected (with a comment)",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: {
        params: Id,
        body: jsonBody(
          z.object({ status: z.enum(["in_review", "approved", "rejected"]), comment: z.string().trim().max(2000).optional() }).strict(),
        ),
      },
      responses: {
        200: json(z.object({ submission: AgencySubmission }), "Changed; the citizen sees it in the official chat."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "invalid_transition"]),
      },
    }),
    async (c) => {
      const { status, comment } = c.req.valid("json");
      const sub = await submissionById(c.env.DB, c.req.valid("param").id);
      if (!sub || sub.agency_id !== c.var.agency.agencyId) throw notFound("submission");
      if (!NEXT[sub.status].includes(status))
        throw new ApiError(409, "invalid_transition", `A ${sub.status} submission cannot become ${status}.`);
      const agency = await getAgency(c.env.DB, sub.agency_id);
      if (!agency) throw notFound("agency");
      const now = Date.now();
      const event = webhookEvent(
        c.env.DB,
        agency,
        "submission.updated",
        { submission: { id: sub.id, formId: sub.form_id, status, previousStatus: sub.status, comment: comment ?? null } },
        {
          now,
          onlyIf: {
            sql: "EXISTS (SELECT 1 FROM submissions WHERE id = ? AND status = ? AND updated_at = ?)",
            params: [sub.id, status, now],
          },
        },
      );
      const { results } = await withAccessLog(
        c.env.DB,
        sub.citizen_id,
        [
          {
            actor: { type: "agency", id: agency.id, name: agency.name },
            action: "update",
            resource: `submission:${sub.id}`,
            purpose: status,
          },
        ],
        [
          c.env.DB.prepare(
            "UPDATE submissions SET status = ?2, comment = COALESCE(?3, comment), updated_at = ?4 WHERE id = ?1 AND status = ?5",
          ).bind(sub.id, status, comment ?? null, now, sub.status),
          ...eventStatements(event),
        ],
      );
      if ((results[0]?.meta.changes ?? 0) === 0)
        throw new ApiError(409, "invalid_transition", "The submission changed meanwhile; reload it.");
      await dispatchWebhooks(c.env, event);
      const form = await formById(c.env.DB, sub.form_id);
      await announce(
        c.env,
        agency,
        sub.citizen_id,
        {
          clientId: `submission:${sub.id}:${status}`,
          text: `Заявление «${form?.title ?? sub.form_id}»${sub.reference ? ` ${showReference(sub.reference)}` : ""}: ${STATUS_TEXT[status]}${comment ? `. ${comment}` : ""}`,
          action: { type: "view_submission", label: "Открыть", ref: sub.id },
        },
        { kind: "submission", submissionId: sub.id, status },
      );
      const updated = await c.env.DB.prepare(`${AGENCY_SUBMISSION_SELECT} WHERE s.id = ?1`).bind(sub.id).first<AgencySubmissionRow>();
      if (!updated) throw notFound("submission");
      return c.json({ submission: toAgencySubmission(updated) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/forms",
      operationId: "listAgencyForms",
      tags: ["forms"],
      summary: "Every version of the agency's forms, newest first",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: { query: z.object({ key: FormKey.optional(), limit: ListLimit }) },
      responses: {
        200: json(z.object({ forms: z.array(Form) }), "Forms."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const { key, limit } = c.req.valid("query");
      const { results } = await c.env.DB.prepare(
        `${FORM_SELECT} WHERE f.agency_id = ?1 AND (?2 IS NULL OR f.key = ?2) ORDER BY f.created_at DESC, f.version DESC LIMIT ?3`,
      )
        .bind(c.var.agency.agencyId, key ?? null, limit)
        .all<FormRow>();
      return c.json({ forms: results.map(toForm) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/submissions/{id}/attachments/{mediaId}",
      operationId: "downloadSubmissionAttachment",
      tags: ["forms"],
      summary: "Download a file attached to a submission (logged in the citizen's access log)",
      description:
        "Served as a download (`Content-Disposition: attachment`) with the type it was uploaded with. Each download appends a `read` entry (resource `submission:<id>`) to the citizen's access log.",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: { params: Id.extend({ mediaId: z.string().min(1).max(64) }) },
      responses: {
        200: { description: "The bytes." },
        ...problems(
          [401, "unauthorized"],
          [403, "insufficient_scope"],
          [404, "not_found: no such submission of this agency, or no such file on it"],
        ),
      },
    }),
    async (c) => {
      const { id, mediaId } = c.req.valid("param");
      const sub = await submissionById(c.env.DB, id);
      if (!sub || sub.agency_id !== c.var.agency.agencyId) throw notFound("submission");
      const media = await c.env.DB.prepare(
        "SELECT m.* FROM submission_attachments sa JOIN media m ON m.id = sa.media_id WHERE sa.submission_id = ?1 AND sa.media_id = ?2",
      )
        .bind(sub.id, mediaId)
        .first<MediaRow>();
      if (!media) throw notFound("attachment");
      const agency = await getAgency(c.env.DB, sub.agency_id);
      if (!agency) throw notFound("agency");
      // Logged before the bytes are fetched: a download that then fails is over-stated, never a read unlogged.
      await withAccessLog(
        c.env.DB,
        sub.citizen_id,
        [{ actor: { type: "agency", id: agency.id, name: agency.name }, action: "read", resource: `submission:${sub.id}` }],
        [],
      );
      const object = await c.env.MEDIA.get(media.id);
      if (!object) throw notFound("attachment");
      return new Response(object.body, {
        status: 200,
        headers: {
          "content-type": media.content_type,
          "content-length": String(object.size),
          "content-disposition": contentDisposition(media, "attachment"),
          "x-content-type-options": "nosniff",
          "content-security-policy": "default-src 'none'; sandbox",
          "cache-control": "private, no-store",
        },
      });
    },
  );

export const citizenForms = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/forms",
      operationId: "listForms",
      tags: ["forms"],
      summary: "Published forms (the latest version of each)",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: { 200: json(z.object({ forms: z.array(Form) }), "Forms."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const { results } = await c.env.DB.prepare(
        `${FORM_SELECT} WHERE f.version = (SELECT MAX(version) FROM forms g WHERE g.agency_id = f.agency_id AND g.key = f.key) ORDER BY a.name, f.title`,
      ).all<FormRow>();
      return c.json({ forms: results.map(toForm) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/forms/{id}",
      operationId: "getForm",
      tags: ["forms"],
      summary: "One form version with its schema",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: Id },
      responses: { 200: json(z.object({ form: Form }), "The form."), ...problems([401, "unauthorized"], [404, "not_found"]) },
    }),
    async (c) => {
      const form = await formById(c.env.DB, c.req.valid("param").id);
      if (!form) throw notFound("form");
      return c.json({ form: toForm(form) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/forms/{id}/submissions",
      operationId: "submitForm",
      tags: ["forms"],
      summary: "Submit a form; validated against the exact version shown",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: {
        params: Id,
        body: jsonBody(z.object({ data: z.record(z.string(), z.unknown()), attachments: AttachmentIds.optional() }).strict()),
      },
      responses: {
        201: json(z.object({ submission: Submission }), "Submitted."),
        ...problems(
          [400, "validation_failed; unknown_media: an attachment is not the caller's upload, see errors"],
          [401, "unauthorized"],
          [404, "not_found"],
          [422, "invalid_submission: the data fails the form's schema; see errors"],
        ),
      },
    }),
    async (c) => {
      const form = await formById(c.env.DB, c.req.valid("param").id);
      if (!form) throw notFound("form");
      const { data, attachments = [] } = c.req.valid("json");
      const schema = storedFormSchema(form.schema);
      const errors = validate(schema, data);
      if (errors.length > 0) throw new ApiError(422, "invalid_submission", "Some fields need correcting.", { errors });
      // A file field's value is an upload of the caller's, attached with the submission like the others.
      const files = fileFields(schema, data);
      await checkOwnMedia(c.env.DB, c.var.citizen.userId, attachments);
      await checkOwnMedia(
        c.env.DB,
        c.var.citizen.userId,
        files.map((f) => f.id),
        (i) => files[i]?.path ?? "",
      );
      const attached = [...new Set([...attachments, ...files.map((f) => f.id)])];
      if (attached.length > MAX_SUBMISSION_ATTACHMENTS)
        throw new ApiError(400, "validation_failed", `A submission carries at most ${MAX_SUBMISSION_ATTACHMENTS} files.`, {
          errors: [{ path: "attachments", message: `at most ${MAX_SUBMISSION_ATTACHMENTS} files in all` }],
        });
      const id = newId();
      const now = Date.now();
      const event = webhookEvent(
        c.env.DB,
        { id: form.agency_id, webhook_url: form.agency_webhook_url },
        "submission.created",
        { submission: { id, formId: form.id, formKey: form.key, version: form.version, status: "submitted" } },
        { now },
      );
      try {
        await c.env.DB.batch([
          ...insertSubmission(c.env.DB, {
            id,
            formId: form.id,
            agencyId: form.agency_id,
            citizenId: c.var.citizen.userId,
            data: JSON.stringify(data),
            createdAt: now,
          }),
          ...attachStatements(c.env.DB, id, attached, now),
          ...eventStatements(event),
          ...(event ? [referenceIntoEvent(c.env.DB, event.id, id)] : []),
        ]);
      } catch (err) {
        // The cleanup of unattached uploads removed one in between: the foreign key failed the whole batch.
        await checkOwnMedia(c.env.DB, c.var.citizen.userId, attached);
        throw err;
      }
      await dispatchWebhooks(c.env, event);
      const sub = await submissionById(c.env.DB, id);
      if (!sub) throw new Error("submission missing after insert");
      return c.json({ submission: toSubmission(sub) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/submissions",
      operationId: "listSubmissions",
      tags: ["forms"],
      summary: "The caller's submissions",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: {
        200: json(z.object({ submissions: z.array(Submission) }), "Submissions, newest first."),
        ...problems([401, "unauthorized"]),
      },
    }),
    async (c) => {
      const { results } = await c.env.DB.prepare(`${SUBMISSION_SELECT} WHERE s.citizen_id = ?1 ORDER BY s.created_at DESC`)
        .bind(c.var.citizen.userId)
        .all<SubmissionRow>();
      return c.json({ submissions: results.map(toSubmission) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/submissions/{id}",
      operationId: "getSubmission",
      summary: "One of the caller's submissions",
      tags: ["forms"],
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: Id },
      responses: {
        200: json(z.object({ submission: Submission }), "The submission."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const sub = await submissionById(c.env.DB, c.req.valid("param").id);
      if (!sub || sub.citizen_id !== c.var.citizen.userId) throw notFound("submission");
      return c.json({ submission: toSubmission(sub) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/forms/{id}/prefill",
      operationId: "prefillForm",
      tags: ["forms"],
      summary: "Fill a form from the caller's own records (the citizen's explicit request; nothing is sent to the agency)",
      description:
        "Answers values for the fields the form's `prefill` map names, each from the caller's newest unrevoked, unexpired record of that type, and only values that satisfy the field's schema. The agency sees nothing of this: it receives only what the citizen then submits.",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: Id, body: jsonBody(z.object({}).strict()) },
      responses: {
        200: json(
          z.object({
            data: z.record(z.string(), z.unknown()),
            sources: z.array(
              z.object({
                field: z.string(),
                recordId: z.string(),
                issuer: z.object({ id: z.string(), name: z.string() }),
                type: z.string(),
                claim: z.string(),
              }),
            ),
          }),
          "The values found, and which record each came from.",
        ),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const form = await formById(c.env.DB, c.req.valid("param").id);
      if (!form) throw notFound("form");
      const prefill = parsePrefill(form.prefill);
      if (!prefill) return c.json({ data: {}, sources: [] }, 200);
      const schema = storedFormSchema(form.schema);
      return c.json(await prefillFromRecords(c.env.DB, c.var.citizen.userId, schema, prefill), 200);
    },
  );
