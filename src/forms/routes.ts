import { createRoute, z } from "@hono/zod-openapi";
import { announce, getAgency } from "../agencies/store";
import { withAccessLog } from "../audit/log";
import { requireAgency, requireCitizen } from "../auth/middleware";
import { ApiError, fieldErrors, notFound } from "../lib/errors";
import { agencySecurity, citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { dispatchWebhooks, eventStatements, webhookEvent } from "../webhooks/events";
import { FormSchema, validate } from "./schema";

interface FormRow {
  id: string;
  agency_id: string;
  agency_name: string;
  key: string;
  version: number;
  title: string;
  schema: string;
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
}

const FORM_SELECT = "SELECT f.*, a.name AS agency_name FROM forms f JOIN agencies a ON a.id = f.agency_id";
const formById = (db: D1Database, id: string) => db.prepare(`${FORM_SELECT} WHERE f.id = ?1`).bind(id).first<FormRow>();
const submissionById = (db: D1Database, id: string) =>
  db.prepare("SELECT * FROM submissions WHERE id = ?1").bind(id).first<SubmissionRow>();

const toForm = (f: FormRow) => ({
  id: f.id,
  agency: { id: f.agency_id, name: f.agency_name },
  key: f.key,
  version: f.version,
  title: f.title,
  schema: JSON.parse(f.schema) as Record<string, unknown>,
  createdAt: iso(f.created_at),
});

const toSubmission = (s: SubmissionRow) => ({
  id: s.id,
  formId: s.form_id,
  data: JSON.parse(s.data) as Record<string, unknown>,
  status: s.status,
  comment: s.comment,
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
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Submission");

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

export const agencyForms = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/forms",
      tags: ["forms"],
      summary: "Publish a form (the same key again makes a new version)",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      request: {
        body: jsonBody(
          z
            .object({ key: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/), title: z.string().trim().min(1).max(200), schema: z.unknown() })
            .strict(),
        ),
      },
      responses: {
        201: json(z.object({ form: Form }), "Published."),
        ...problems([400, "validation_failed, unsupported_schema"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const parsed = FormSchema.safeParse(body.schema);
      if (!parsed.success) {
        throw new ApiError(400, "unsupported_schema", "The schema uses something outside the supported JSON Schema subset (docs/api.md).", {
          errors: fieldErrors(parsed.error).map((e) => ({ path: `schema${e.path ? `.${e.path}` : ""}`, message: e.message })),
        });
      }
      const agencyId = c.var.agency.agencyId;
      const id = newId();
      // The version is taken in the INSERT itself; the unique index turns a racing publish into an error, not a duplicate.
      await c.env.DB.prepare(
        `INSERT INTO forms (id, agency_id, key, version, title, schema, created_at)
         VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(version), 0) + 1 FROM forms WHERE agency_id = ?2 AND key = ?3), ?4, ?5, ?6)`,
      )
        .bind(id, agencyId, body.key, body.title, JSON.stringify(parsed.data), Date.now())
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
      tags: ["forms"],
      summary: "Submissions to the agency's forms, newest first",
      security: agencySecurity,
      middleware: requireAgency("forms"),
      responses: {
        200: json(z.object({ submissions: z.array(Submission) }), "Submissions."),
        ...problems([401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const agencyId = c.var.agency.agencyId;
      const { results } = await c.env.DB.prepare("SELECT * FROM submissions WHERE agency_id = ?1 ORDER BY created_at DESC LIMIT 500")
        .bind(agencyId)
        .all<SubmissionRow>();
      const agency = await getAgency(c.env.DB, agencyId);
      // Reading citizens' submissions is reading their data: one entry per citizen whose submissions were listed.
      for (const citizenId of new Set(results.map((s) => s.citizen_id))) {
        await withAccessLog(
          c.env.DB,
          citizenId,
          [{ actor: { type: "agency", id: agencyId, name: agency?.name ?? agencyId }, action: "read", resource: "submissions" }],
          [],
        );
      }
      return c.json({ submissions: results.map(toSubmission) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/agency/submissions/{id}",
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
        200: json(z.object({ submission: Submission }), "Changed; the citizen sees it in the official chat."),
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
          text: `Заявление «${form?.title ?? sub.form_id}»: ${STATUS_TEXT[status]}${comment ? `. ${comment}` : ""}`,
          action: { type: "view_submission", label: "Открыть", ref: sub.id },
        },
        { kind: "submission", submissionId: sub.id, status },
      );
      const updated = await submissionById(c.env.DB, sub.id);
      if (!updated) throw notFound("submission");
      return c.json({ submission: toSubmission(updated) }, 200);
    },
  );

export const citizenForms = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/forms",
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
      tags: ["forms"],
      summary: "Submit a form; validated against the exact version shown",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: Id, body: jsonBody(z.object({ data: z.record(z.string(), z.unknown()) }).strict()) },
      responses: {
        201: json(z.object({ submission: Submission }), "Submitted."),
        ...problems([401, "unauthorized"], [404, "not_found"], [422, "invalid_submission: the data fails the form's schema; see errors"]),
      },
    }),
    async (c) => {
      const form = await formById(c.env.DB, c.req.valid("param").id);
      if (!form) throw notFound("form");
      const { data } = c.req.valid("json");
      const errors = validate(FormSchema.parse(JSON.parse(form.schema)), data);
      if (errors.length > 0) throw new ApiError(422, "invalid_submission", "Some fields need correcting.", { errors });
      const id = newId();
      const now = Date.now();
      const agency = await getAgency(c.env.DB, form.agency_id);
      const event = agency
        ? webhookEvent(
            c.env.DB,
            agency,
            "submission.created",
            { submission: { id, formId: form.id, formKey: form.key, version: form.version, status: "submitted" } },
            { now },
          )
        : null;
      await c.env.DB.batch([
        c.env.DB.prepare(
          "INSERT INTO submissions (id, form_id, agency_id, citizen_id, data, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'submitted', ?6, ?6)",
        ).bind(id, form.id, form.agency_id, c.var.citizen.userId, JSON.stringify(data), now),
        ...eventStatements(event),
      ]);
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
      const { results } = await c.env.DB.prepare("SELECT * FROM submissions WHERE citizen_id = ?1 ORDER BY created_at DESC")
        .bind(c.var.citizen.userId)
        .all<SubmissionRow>();
      return c.json({ submissions: results.map(toSubmission) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/submissions/{id}",
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
  );
