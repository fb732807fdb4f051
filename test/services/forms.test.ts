import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, newAgency, type SignedIn, signIn, type TestAgency } from "../helpers";

const SCHEMA_V1 = {
  type: "object",
  properties: {
    full_name: { type: "string", title: "ФИО", minLength: 3, maxLength: 100 },
    birthdate: { type: "string", format: "date" },
    children: { type: "integer", minimum: 0, maximum: 20 },
  },
  required: ["full_name", "birthdate"],
  additionalProperties: false,
};
const SCHEMA_V2 = { ...SCHEMA_V1, required: ["full_name", "birthdate", "children"] };

interface Form {
  id: string;
  key: string;
  version: number;
}
interface Submission {
  id: string;
  status: string;
  comment: string | null;
}

const publish = (agency: TestAgency, schema: unknown, key = "benefit") =>
  callJson<{ form: Form }>("/api/v1/agency/forms", { token: agency.token, body: { key, title: "Пособие на ребёнка", schema } });
const submit = (citizen: SignedIn, formId: string, data: Record<string, unknown>) =>
  call(`/api/v1/forms/${formId}/submissions`, { token: citizen.accessToken, body: { data } });

describe("forms", () => {
  it("are published in versions, and each submission is validated against the version it names", async () => {
    const agency = await newAgency("Соцзащита (тест)");
    const anna = await signIn();
    const v1 = await publish(agency, SCHEMA_V1);
    expect(v1.status).toBe(201);
    expect(v1.body.form.version).toBe(1);
    const v2 = await publish(agency, SCHEMA_V2);
    expect(v2.body.form.version).toBe(2);
    const listed = await callJson<{ forms: Form[] }>("/api/v1/forms", { token: anna.accessToken });
    expect(listed.body.forms.filter((f) => f.key === "benefit").map((f) => f.version)).toEqual([2]);

    // Without "children": fine for version 1, refused by version 2.
    const data = { full_name: "Анна Петрова", birthdate: "1990-05-17" };
    expect((await submit(anna, v1.body.form.id, data)).status).toBe(201);
    const refused = await expectProblem(await submit(anna, v2.body.form.id, data), 422, "invalid_submission");
    expect(refused.errors).toEqual([expect.objectContaining({ path: "children" })]);
  });

  it("report every field error at once and store nothing", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { body } = await publish(agency, SCHEMA_V1);
    const problem = await expectProblem(
      await submit(anna, body.form.id, { full_name: "А", birthdate: "2026-02-30", children: 1.5, extra: true }),
      422,
      "invalid_submission",
    );
    const paths = (problem.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(["birthdate", "children", "extra", "full_name"]);
    expect((await callJson<{ submissions: unknown[] }>("/api/v1/submissions", { token: anna.accessToken })).body.submissions).toEqual([]);
  });

  it("refuse schemas outside the supported subset", async () => {
    const agency = await newAgency();
    await expectProblem(
      await call("/api/v1/agency/forms", {
        token: agency.token,
        body: { key: "x", title: "x", schema: { type: "object", properties: { a: { oneOf: [] } } } },
      }),
      400,
      "unsupported_schema",
    );
    await expectProblem(
      await call("/api/v1/agency/forms", { token: agency.token, body: { key: "x", title: "x", schema: { type: "string" } } }),
      400,
      "unsupported_schema",
    );
  });

  it("refuse at publishing, with 422 unsafe_pattern, patterns only a backtracking engine can run", async () => {
    const agency = await newAgency();
    for (const pattern of ["^(a)\\1$", "^(?=.*\\d).+$", "(?<!x)y"]) {
      const schema = { type: "object", properties: { code: { type: "string", pattern } } };
      const problem = await expectProblem(
        await call("/api/v1/agency/forms", { token: agency.token, body: { key: "unsafe", title: "x", schema } }),
        422,
        "unsafe_pattern",
      );
      expect(problem.errors).toEqual([expect.objectContaining({ path: "schema.properties.code.pattern" })]);
    }
    const listed = await callJson<{ forms: Form[] }>("/api/v1/agency/forms?key=unsafe", { token: agency.token });
    expect(listed.body.forms).toEqual([]);
  });

  it("validate catastrophic patterns in linear time: adversarial submissions answer, refused or accepted correctly", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const patterns = { a: "^(a|a)+$", w: "^(\\w+\\s?)+$", l: "^([a-z]+[0-9]?)+$" };
    const schema = {
      type: "object",
      properties: Object.fromEntries(Object.entries(patterns).map(([k, pattern]) => [k, { type: "string", maxLength: 10_000, pattern }])),
      additionalProperties: false,
    };
    const published = await publish(agency, schema, "redos");
    expect(published.status).toBe(201);
    const formId = published.body.form.id;
    // Before, each of these held the isolate for more than 20 s at 30 characters (and forever at 10,000); now a few ms.
    for (const n of [30, 10_000]) {
      const bad = {
        a: `${"a".repeat(n - 1)}!`,
        w: `${"ab ".repeat(Math.floor(n / 3) - 1)}ab!`,
        l: `${"ab1".repeat(Math.floor(n / 3) - 1)}!`,
      };
      const problem = await expectProblem(await submit(anna, formId, bad), 422, "invalid_submission");
      expect((problem.errors as { path: string; message: string }[]).map((e) => [e.path, e.message]).sort()).toEqual([
        ["a", "Неверный формат"],
        ["l", "Неверный формат"],
        ["w", "Неверный формат"],
      ]);
      const good = { a: "a".repeat(n), w: `${"ab ".repeat(Math.floor(n / 3) - 1)}ab`, l: "ab1".repeat(Math.floor(n / 3)) };
      expect((await submit(anna, formId, good)).status).toBe(201);
    }
    // Longer than maxLength: refused for its length, and the pattern never runs on it.
    const tooLong = await expectProblem(await submit(anna, formId, { a: `${"a".repeat(10_001)}!` }), 422, "invalid_submission");
    expect(tooLong.errors).toEqual([{ path: "a", message: "Не больше 10000 символов" }]);
  });

  it("published before patterns had to be linear still answer: such a field fails, and nothing runs it", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const id = crypto.randomUUID();
    const schema = {
      type: "object",
      properties: { code: { type: "string", pattern: "^(?=.*\\d)(a|a)+\\d$" }, name: { type: "string", minLength: 2 } },
    };
    await env.DB.prepare(
      "INSERT INTO forms (id, agency_id, key, version, title, schema, prefill, created_at) VALUES (?1, ?2, 'old', 1, 'Старая форма', ?3, NULL, ?4)",
    )
      .bind(id, agency.agency.id, JSON.stringify(schema), Date.now())
      .run();
    const problem = await expectProblem(await submit(anna, id, { code: `${"a".repeat(30)}!`, name: "А" }), 422, "invalid_submission");
    expect(problem.errors).toEqual([
      { path: "code", message: "Поле нельзя проверить: ведомству нужно обновить форму" },
      { path: "name", message: "Не меньше 2 символов" },
    ]);
    expect((await submit(anna, id, { name: "Анна" })).status).toBe(201);
  });

  it("move through review to a decision, told to the citizen in the official chat and logged", async () => {
    const agency = await newAgency("МФЦ (тест)");
    const other = await newAgency("Другое ведомство");
    const anna = await signIn();
    const boris = await signIn();
    const { body } = await publish(agency, SCHEMA_V1);
    const sub = (await (await submit(anna, body.form.id, { full_name: "Анна Петрова", birthdate: "1990-05-17" })).json()) as {
      submission: Submission;
    };
    const id = sub.submission.id;
    expect(sub.submission.status).toBe("submitted");
    await expectProblem(await call(`/api/v1/submissions/${id}`, { token: boris.accessToken }), 404, "not_found");
    await expectProblem(
      await call(`/api/v1/agency/submissions/${id}`, { method: "PATCH", token: other.token, body: { status: "in_review" } }),
      404,
      "not_found",
    );

    const listed = await callJson<{ submissions: (Submission & { citizenPhone: string })[] }>("/api/v1/agency/submissions", {
      token: agency.token,
    });
    expect(listed.body.submissions.map((s) => [s.id, s.citizenPhone])).toEqual([[id, anna.phone]]);
    const patch = (status: string, comment?: string) =>
      callJson<{ submission: Submission }>(`/api/v1/agency/submissions/${id}`, {
        method: "PATCH",
        token: agency.token,
        body: { status, ...(comment ? { comment } : {}) },
      });
    expect((await patch("in_review")).body.submission.status).toBe("in_review");
    expect((await patch("approved", "Пособие назначено с 1 декабря")).body.submission).toMatchObject({
      status: "approved",
      comment: "Пособие назначено с 1 декабря",
    });
    await expectProblem(
      await call(`/api/v1/agency/submissions/${id}`, { method: "PATCH", token: agency.token, body: { status: "rejected" } }),
      409,
      "invalid_transition",
    );

    const mine = await callJson<{ submission: Submission }>(`/api/v1/submissions/${id}`, { token: anna.accessToken });
    expect(mine.body.submission.status).toBe("approved");
    const chats = await callJson<{ chats: { type: string; title: string; lastMessage: { text: string; actions: unknown[] } }[] }>(
      "/api/v1/chats",
      { token: anna.accessToken },
    );
    const official = chats.body.chats.find((c) => c.type === "official" && c.title === "МФЦ (тест)");
    expect(official?.lastMessage.text).toContain("одобрено");
    expect(official?.lastMessage.actions).toEqual([{ type: "view_submission", label: "Открыть", ref: id }]);
    const log = await callJson<{ entries: { action: string; resource: string }[] }>("/api/v1/me/access-log", { token: anna.accessToken });
    expect(log.body.entries.map((e) => `${e.action} ${e.resource}`)).toEqual([
      "read submissions",
      `update submission:${id}`,
      `update submission:${id}`,
    ]);
  });
});

describe("the agency's view of a submission", () => {
  it("names the form and the citizen, filters by status, and logs every read of one", async () => {
    const agency = await newAgency("Соцзащита (просмотр)");
    const other = await newAgency("Чужое ведомство");
    const anna = await signIn();
    const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
    const form = (await publish(agency, schema, "view-test")).body.form;
    const first = (await (await submit(anna, form.id, { name: "Анна" })).json()) as { submission: Submission };
    const second = (await (await submit(anna, form.id, { name: "Анна П." })).json()) as { submission: Submission };
    await call(`/api/v1/agency/submissions/${second.submission.id}`, {
      method: "PATCH",
      token: agency.token,
      body: { status: "in_review" },
    });

    const one = await callJson<{ submission: Submission & { citizenPhone: string; form: Record<string, unknown> } }>(
      `/api/v1/agency/submissions/${first.submission.id}`,
      { token: agency.token },
    );
    expect(one.status).toBe(200);
    expect(one.body.submission).toMatchObject({
      id: first.submission.id,
      citizenPhone: anna.phone,
      data: { name: "Анна" },
      form: { id: form.id, key: "view-test", title: "Пособие на ребёнка", version: 1 },
    });
    const inReview = await callJson<{ submissions: Submission[] }>("/api/v1/agency/submissions?status=in_review", { token: agency.token });
    expect(inReview.body.submissions.map((s) => s.id)).toEqual([second.submission.id]);
    await expectProblem(await call("/api/v1/agency/submissions?status=lost", { token: agency.token }), 400, "validation_failed");
    await expectProblem(await call(`/api/v1/agency/submissions/${first.submission.id}`, { token: other.token }), 404, "not_found");
    await expectProblem(await call(`/api/v1/agency/submissions/${first.submission.id}`, { token: anna.accessToken }), 401, "invalid_token");

    const log = await callJson<{ entries: { actor: { id: string }; action: string; resource: string }[] }>("/api/v1/me/access-log", {
      token: anna.accessToken,
    });
    const reads = log.body.entries.filter((e) => e.action === "read").map((e) => [e.actor.id, e.resource]);
    expect(reads).toContainEqual([agency.agency.id, `submission:${first.submission.id}`]);
    expect(reads).toContainEqual([agency.agency.id, "submissions"]);
    // The refused read by another agency left no entry.
    expect(log.body.entries.some((e) => e.actor.id === other.agency.id)).toBe(false);
  });
});
