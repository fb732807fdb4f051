import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attachStatements } from "../../src/forms/attachments";
import worker from "../../src/index";
import { type TestAgency as Agency, call, callJson, expectProblem, newAgency, type SignedIn, signIn } from "../helpers";

// Files attached to form submissions: only the citizen's own uploads, kept from the cleanup of unattached
// uploads, shown on the submission, and downloadable by the agency (logged), by no other agency.

type Attachment = { id: string; contentType: string; size: number; filename: string | null };
type Submission = { id: string; attachments: Attachment[] };

const SCHEMA = { type: "object", properties: { note: { type: "string" } }, additionalProperties: false };

async function publish(agency: Agency) {
  const { status, body } = await callJson<{ form: { id: string } }>("/api/v1/agency/forms", {
    token: agency.token,
    body: { key: "complaint", title: "Жалоба", schema: SCHEMA },
  });
  expect(status).toBe(201);
  return body.form.id;
}

async function upload(citizen: SignedIn, text: string, filename = "справка.txt") {
  const { status, body } = await callJson<{ media: Attachment }>(`/api/v1/media?filename=${encodeURIComponent(filename)}`, {
    method: "POST",
    token: citizen.accessToken,
    rawBody: new TextEncoder().encode(text),
    headers: { "content-type": "text/plain" },
  });
  expect(status).toBe(201);
  return body.media;
}

const submit = (citizen: SignedIn, formId: string, attachments?: unknown) =>
  callJson<{ submission: Submission }>(`/api/v1/forms/${formId}/submissions`, {
    token: citizen.accessToken,
    body: { data: { note: "см. приложение" }, ...(attachments === undefined ? {} : { attachments }) },
  });

const download = (agency: Agency | string, submissionId: string, mediaId: string) =>
  call(`/api/v1/agency/submissions/${submissionId}/attachments/${mediaId}`, { token: typeof agency === "string" ? agency : agency.token });

async function accessLog(citizen: SignedIn) {
  const { body } = await callJson<{ entries: { action: string; resource: string; actor: { id: string } }[] }>("/api/v1/me/access-log", {
    token: citizen.accessToken,
  });
  return body.entries.map((e) => `${e.actor.id} ${e.action} ${e.resource}`);
}

describe("submission attachments", () => {
  it("are the citizen's own uploads, in order, on every view of the submission", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const formId = await publish(agency);
    const [scan, letter] = [await upload(anna, "скан паспорта"), await upload(anna, "письмо", "letter.txt")];
    const { status, body } = await submit(anna, formId, [letter.id, scan.id, letter.id]);
    expect(status).toBe(201);
    const expected = [letter, scan].map((m) => ({ id: m.id, contentType: "text/plain", size: m.size, filename: m.filename }));
    expect(body.submission.attachments).toEqual(expected);
    const id = body.submission.id;

    const mine = await callJson<{ submission: Submission }>(`/api/v1/submissions/${id}`, { token: anna.accessToken });
    expect(mine.body.submission.attachments).toEqual(expected);
    const list = await callJson<{ submissions: Submission[] }>("/api/v1/submissions", { token: anna.accessToken });
    expect(list.body.submissions.find((s) => s.id === id)?.attachments).toEqual(expected);
    const agencyList = await callJson<{ submissions: Submission[] }>("/api/v1/agency/submissions", { token: agency.token });
    expect(agencyList.body.submissions.map((s) => [s.id, s.attachments])).toEqual([[id, expected]]);
    const patched = await callJson<{ submission: Submission }>(`/api/v1/agency/submissions/${id}`, {
      method: "PATCH",
      token: agency.token,
      body: { status: "in_review" },
    });
    expect(patched.body.submission.attachments).toEqual(expected);
    // Without attachments: an empty list.
    expect((await submit(anna, formId)).body.submission.attachments).toEqual([]);
    // The uploader still reads her own file through the media endpoint.
    const own = await call(`/api/v1/media/${scan.id}`, { token: anna.accessToken });
    expect(new TextDecoder().decode(await own.arrayBuffer())).toBe("скан паспорта");
  });

  it("refuses media the caller did not upload, or that does not exist, with 400 unknown_media (as in messages) and stores nothing", async () => {
    const agency = await newAgency();
    const [anna, boris] = [await signIn(), await signIn()];
    const formId = await publish(agency);
    const own = await upload(anna, "моё");
    const borisFile = await upload(boris, "чужое");
    const problem = await expectProblem(
      await call(`/api/v1/forms/${formId}/submissions`, {
        token: anna.accessToken,
        body: { data: { note: "x" }, attachments: [own.id, borisFile.id, "01NOSUCHMEDIA0000000000000"] },
      }),
      400,
      "unknown_media",
    );
    expect(problem.errors).toEqual([
      { path: "attachments.1", message: expect.stringContaining(borisFile.id) },
      { path: "attachments.2", message: expect.stringContaining("01NOSUCHMEDIA0000000000000") },
    ]);
    expect((await callJson<{ submissions: unknown[] }>("/api/v1/submissions", { token: anna.accessToken })).body.submissions).toEqual([]);
    const attachedAt = await env.DB.prepare("SELECT attached_at FROM media WHERE id = ?1")
      .bind(own.id)
      .first<{ attached_at: number | null }>();
    expect(attachedAt?.attached_at).toBeNull();

    const eleven = await Promise.all(Array.from({ length: 11 }, (_, i) => upload(anna, `файл ${i}`)));
    await expectProblem(
      await call(`/api/v1/forms/${formId}/submissions`, {
        token: anna.accessToken,
        body: { data: { note: "x" }, attachments: eleven.map((m) => m.id) },
      }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await call(`/api/v1/forms/${formId}/submissions`, { token: anna.accessToken, body: { data: { note: "x" }, attachments: "nope" } }),
      400,
      "validation_failed",
    );
    // Bad data is reported before attachments are looked at.
    await expectProblem(
      await call(`/api/v1/forms/${formId}/submissions`, {
        token: anna.accessToken,
        body: { data: { note: 1 }, attachments: [borisFile.id] },
      }),
      422,
      "invalid_submission",
    );
  });

  it("are downloaded by the submission's agency as attachments, each download logged; to anyone else they do not exist", async () => {
    const [agency, other] = [await newAgency("МФЦ (вложения)"), await newAgency()];
    const anna = await signIn();
    const formId = await publish(agency);
    const scan = await upload(anna, "скан паспорта", "паспорт 1.txt");
    const spare = await upload(anna, "не приложено");
    const first = (await submit(anna, formId, [scan.id])).body.submission.id;
    const second = (await submit(anna, formId)).body.submission.id;
    const before = await accessLog(anna);

    const res = await download(agency, first, scan.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="_______ 1.txt"; filename*=UTF-8''${encodeURIComponent("паспорт 1.txt")}`,
    );
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toBe("скан паспорта");
    expect(await accessLog(anna)).toEqual([...before, `${agency.agency.id} read submission:${first}`]);

    // Another agency, media not on that submission, an unknown submission: 404, and nothing logged.
    await expectProblem(await download(other, first, scan.id), 404, "not_found");
    await expectProblem(await download(agency, second, scan.id), 404, "not_found");
    await expectProblem(await download(agency, first, spare.id), 404, "not_found");
    await expectProblem(await download(agency, "01NOSUCHSUBMISSION00000000", scan.id), 404, "not_found");
    expect(await accessLog(anna)).toHaveLength(before.length + 1);

    const formsOnly = await env.DB.prepare("UPDATE agencies SET scopes = 'bills records' WHERE id = ?1").bind(agency.agency.id).run();
    expect(formsOnly.meta.changes).toBe(1);
    const token = await callJson<{ accessToken: string }>("/api/v1/agency/token", {
      body: { clientId: agency.clientId, clientSecret: agency.clientSecret },
    });
    await expectProblem(await download(token.body.accessToken, first, scan.id), 403, "insufficient_scope");
    await expectProblem(
      await call(`/api/v1/agency/submissions/${first}/attachments/${scan.id}`, { token: anna.accessToken }),
      401,
      "invalid_token",
    );
  });

  it("are kept by the hourly cleanup of unattached uploads", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const formId = await publish(agency);
    const [kept, dropped] = [await upload(anna, "приложено"), await upload(anna, "забыто")];
    const id = (await submit(anna, formId, [kept.id])).body.submission.id;
    // Marked attached, as a message's media is: the cleanup skips it rather than trip over the foreign key.
    const row = await env.DB.prepare("SELECT attached_at FROM media WHERE id = ?1").bind(kept.id).first<{ attached_at: number | null }>();
    expect(row?.attached_at).toEqual(expect.any(Number));
    await env.DB.prepare("UPDATE media SET created_at = ?1 WHERE id IN (?2, ?3)")
      .bind(Date.now() - 25 * 3600_000, kept.id, dropped.id)
      .run();

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await env.MEDIA.head(dropped.id)).toBeNull();
    expect(await env.MEDIA.head(kept.id)).not.toBeNull();
    expect(await (await download(agency, id, kept.id)).text()).toBe("приложено");
    expect(
      (await callJson<{ submission: Submission }>(`/api/v1/submissions/${id}`, { token: anna.accessToken })).body.submission.attachments,
    ).toEqual([expect.objectContaining({ id: kept.id })]);
  });

  it("cannot point at media the cleanup removed meanwhile: the foreign key fails the whole submission", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const formId = await publish(agency);
    const id = crypto.randomUUID();
    const now = Date.now();
    await expect(
      env.DB.batch([
        env.DB.prepare(
          "INSERT INTO submissions (id, form_id, agency_id, citizen_id, data, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, '{}', 'submitted', ?5, ?5)",
        ).bind(id, formId, agency.agency.id, anna.user.id, now),
        ...attachStatements(env.DB, id, ["01GONEMEDIA000000000000000"], now),
      ]),
    ).rejects.toThrow(/FOREIGN KEY/i);
    expect(await env.DB.prepare("SELECT id FROM submissions WHERE id = ?1").bind(id).first()).toBeNull();
  });
});
