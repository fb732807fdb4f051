import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { roomStub } from "../../src/chat/access";
import {
  type TestAgency as Agency,
  call,
  callJson,
  chatList,
  expectProblem,
  historyOf,
  newAgency,
  newChat,
  openSocket,
  postText,
  type SignedIn,
  signIn,
} from "../helpers";

// Issue 15, live state: what became of a bill, a consent request or a record reaches the official chat's
// message in place (an `edited` change with its pts, on every device), revoked and expired records cannot
// be presented, and form submissions get reference numbers and file fields.

type Action = { type: string; label: string; ref: string; state?: { status: string; at: string | null }; expiresAt?: string };
type Frame = Record<string, unknown>;
const CARD = { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" };

async function officialChatId(citizen: SignedIn): Promise<string> {
  const chat = (await chatList(citizen.accessToken)).find((c) => c.type === "official");
  if (!chat) throw new Error("no official chat");
  return chat.id;
}

/** The official message whose button acts on `ref`, as history shows it. */
async function messageActing(citizen: SignedIn, ref: string) {
  const messages = (await historyOf(citizen.accessToken, await officialChatId(citizen))) as unknown as { seq: number; actions: Action[] }[];
  const found = messages.find((m) => m.actions.some((a) => a.ref === ref));
  if (!found) throw new Error(`no message acting on ${ref}`);
  return { seq: found.seq, action: found.actions.find((a) => a.ref === ref) as Action };
}

const editedActing = (ref: string) => (f: Frame) =>
  f.type === "edited" && ((f.message as { actions: Action[] }).actions ?? []).some((a) => a.ref === ref && a.state !== undefined);

async function issueBill(agency: Agency, citizen: SignedIn) {
  const { status, body } = await callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, amount: 125050, currency: "RUB", purpose: "Госпошлина", externalRef: crypto.randomUUID() },
  });
  expect(status).toBe(201);
  return body.bill.id;
}

async function issueRecord(agency: Agency, citizen: SignedIn, extra: Record<string, unknown> = {}) {
  const { status, body } = await callJson<{ record: { id: string; status: string } }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, type: "driving_licence", claims: { given_name: "Анна", category: "B" }, ...extra },
  });
  expect(status).toBe(201);
  return body.record;
}

const present = (citizen: SignedIn, recordId: string) =>
  call(`/api/v1/records/${recordId}/presentations`, { token: citizen.accessToken, body: { disclose: ["category"] } });

describe("live state of official messages", () => {
  it("a paid bill's message shows it paid, with the date, instead of its pay button, as an edited change with its pts", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const billId = await issueBill(agency, anna);
    const before = await messageActing(anna, billId);
    expect(before.action).toEqual({ type: "pay", label: "Оплатить", ref: billId });
    const socket = await openSocket(`/api/v1/chats/${await officialChatId(anna)}/ws`, { token: anna.accessToken });
    const paid = await callJson<{ bill: { paidAt: string } }>(`/api/v1/bills/${billId}/pay`, {
      token: anna.accessToken,
      headers: { "idempotency-key": crypto.randomUUID() },
      body: { method: "card", card: CARD },
    });
    expect(paid.status).toBe(201);
    const frame = await socket.next(editedActing(billId));
    expect(typeof frame.pts).toBe("number");
    const edited = frame.message as { seq: number; actions: Action[]; editedAt: string | null };
    expect(edited.seq).toBe(before.seq);
    expect(edited.actions).toEqual([{ type: "pay", label: "Оплатить", ref: billId, state: { status: "paid", at: paid.body.bill.paidAt } }]);
    // The agency's words stay as written: a state change is not an edit of the text.
    expect(edited.editedAt).toBeNull();
    expect((await messageActing(anna, billId)).action.state).toEqual({ status: "paid", at: paid.body.bill.paidAt });
    socket.close();
  });

  it("a cancelled bill's message shows it cancelled", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const billId = await issueBill(agency, anna);
    expect((await call(`/api/v1/agency/bills/${billId}/cancel`, { method: "POST", token: agency.token })).status).toBe(200);
    expect((await messageActing(anna, billId)).action.state).toEqual({ status: "cancelled", at: null });
  });

  it("a consent request's message shows the decision (approved, then revoked; denied) instead of its review button", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const ask = async () => {
      const { status, body } = await callJson<{ consent: { id: string; expiresAt: string } }>("/api/v1/agency/consent-requests", {
        token: agency.token,
        body: {
          citizenPhone: anna.phone,
          scope: "records",
          purpose: "Проверка",
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      });
      expect(status).toBe(201);
      return body.consent;
    };
    const first = await ask();
    expect((await messageActing(anna, first.id)).action).toEqual({
      type: "review_consent",
      label: "Рассмотреть",
      ref: first.id,
      expiresAt: first.expiresAt,
    });
    const socket = await openSocket(`/api/v1/chats/${await officialChatId(anna)}/ws`, { token: anna.accessToken });
    const approved = await callJson<{ consent: { decidedAt: string } }>(`/api/v1/consents/${first.id}/approve`, {
      method: "POST",
      token: anna.accessToken,
    });
    expect(approved.status).toBe(200);
    const frame = await socket.next(editedActing(first.id));
    expect((frame.message as { actions: Action[] }).actions[0]?.state).toEqual({ status: "approved", at: approved.body.consent.decidedAt });
    socket.close();
    expect((await call(`/api/v1/consents/${first.id}`, { method: "DELETE", token: anna.accessToken })).status).toBe(200);
    expect((await messageActing(anna, first.id)).action.state?.status).toBe("revoked");

    const second = await ask();
    expect((await call(`/api/v1/consents/${second.id}/deny`, { method: "POST", token: anna.accessToken })).status).toBe(200);
    expect((await messageActing(anna, second.id)).action.state?.status).toBe("denied");
    // A refused decision changes nothing in the chat.
    expect((await call(`/api/v1/consents/${second.id}/approve`, { method: "POST", token: anna.accessToken })).status).toBe(409);
    expect((await messageActing(anna, second.id)).action.state?.status).toBe("denied");
  });

  it("a revoked record is marked in its message, list and page, and its presentation is refused with record_revoked", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const record = await issueRecord(agency, anna);
    expect(record.status).toBe("valid");
    expect((await present(anna, record.id)).status).toBe(201);
    const socket = await openSocket(`/api/v1/chats/${await officialChatId(anna)}/ws`, { token: anna.accessToken });
    const revoked = await callJson<{ record: { revokedAt: string; status: string } }>(`/api/v1/agency/records/${record.id}/revoke`, {
      method: "POST",
      token: agency.token,
    });
    expect(revoked.body.record.status).toBe("revoked");
    const frame = await socket.next(editedActing(record.id));
    expect((frame.message as { actions: Action[] }).actions[0]?.state).toEqual({ status: "revoked", at: revoked.body.record.revokedAt });
    socket.close();
    const list = await callJson<{ records: { id: string; status: string }[] }>("/api/v1/records", { token: anna.accessToken });
    expect(list.body.records.find((r) => r.id === record.id)?.status).toBe("revoked");
    const page = await callJson<{ record: { status: string } }>(`/api/v1/records/${record.id}`, { token: anna.accessToken });
    expect(page.body.record.status).toBe("revoked");
    await expectProblem(await present(anna, record.id), 409, "record_revoked");
    // Revoking again answers the same and changes the message no further.
    const seqBefore = (await messageActing(anna, record.id)).seq;
    expect((await call(`/api/v1/agency/records/${record.id}/revoke`, { method: "POST", token: agency.token })).status).toBe(200);
    expect((await messageActing(anna, record.id)).seq).toBe(seqBefore);
  });

  it("a device that was away catches up on the change by its pts, over HTTP, as the live socket saw it", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const record = await issueRecord(agency, anna);
    const chatId = await officialChatId(anna);
    const before = await callJson<{ chat: { pts: number } }>(`/api/v1/chats/${chatId}`, { token: anna.accessToken });
    const live = await openSocket(`/api/v1/chats/${chatId}/ws`, { token: anna.accessToken });
    expect((await call(`/api/v1/agency/records/${record.id}/revoke`, { method: "POST", token: agency.token })).status).toBe(200);
    const seen = await live.next(editedActing(record.id));
    live.close();
    const caught = await callJson<{ changes: Frame[]; pts: number }>(`/api/v1/chats/${chatId}/changes?pts=${before.body.chat.pts}`, {
      token: anna.accessToken,
    });
    expect(caught.status).toBe(200);
    expect(caught.body.changes).toEqual([seen]);
    expect(caught.body.pts).toBe(seen.pts);
  });

  it("only official chats take a button state, and only on the named sender's buttons", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const billId = await issueBill(agency, anna);
    const chatId = await officialChatId(anna);
    // Another sender's id (not the agency that posted it) changes nothing.
    const other = await roomStub(env, chatId).setActionState(chatId, "someone-else", "pay", billId, { status: "paid", at: null });
    expect(other).toEqual({ ok: true, value: [] });
    expect((await messageActing(anna, billId)).action.state).toBeUndefined();
    const group = await newChat(anna.accessToken, { type: "group", title: "Семья" });
    await postText(anna.accessToken, group.id, "привет");
    const refused = await roomStub(env, group.id).setActionState(group.id, anna.user.id, "pay", billId, { status: "paid", at: null });
    expect(refused).toMatchObject({ ok: false, status: 403 });
  });

  it("an expired record shows as expired, its message carries the expiry, and its presentation is refused with record_expired", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const record = await issueRecord(agency, anna, { expiresAt });
    expect((await messageActing(anna, record.id)).action.expiresAt).toBe(expiresAt);
    expect((await present(anna, record.id)).status).toBe(201);
    // Time passes: the record's expiry is now behind us (nothing runs at that moment; the server compares).
    await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1")
      .bind(record.id, Date.now() - 1000)
      .run();
    const page = await callJson<{ record: { status: string } }>(`/api/v1/records/${record.id}`, { token: anna.accessToken });
    expect(page.body.record.status).toBe("expired");
    await expectProblem(await present(anna, record.id), 409, "record_expired");
  });
});

const FORM_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", title: "Имя" },
    scan: { type: "string", format: "file", title: "Скан паспорта" },
  },
  required: ["name", "scan"],
  additionalProperties: false,
};

async function publishForm(agency: Agency, schema: unknown = FORM_SCHEMA) {
  const { status, body } = await callJson<{ form: { id: string } }>("/api/v1/agency/forms", {
    token: agency.token,
    body: { key: `f${crypto.randomUUID().slice(0, 8)}`, title: "Заявление", schema },
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.form.id;
}

async function upload(citizen: SignedIn, text: string) {
  const { status, body } = await callJson<{ media: { id: string; size: number } }>("/api/v1/media?filename=scan.txt", {
    method: "POST",
    token: citizen.accessToken,
    rawBody: new TextEncoder().encode(text),
    headers: { "content-type": "text/plain" },
  });
  expect(status).toBe(201);
  return body.media;
}

type Submitted = { id: string; reference: string | null; attachments: { id: string }[] };
const submit = (citizen: SignedIn, formId: string, data: Record<string, unknown>) =>
  callJson<{ submission: Submitted }>(`/api/v1/forms/${formId}/submissions`, { token: citizen.accessToken, body: { data } });

describe("form submissions", () => {
  it("get reference numbers per agency, consecutive and distinct even when submitted at once", async () => {
    const agency = await newAgency();
    const other = await newAgency();
    const schema = { type: "object", properties: { name: { type: "string" } }, additionalProperties: false };
    const [formId, otherFormId] = [await publishForm(agency, schema), await publishForm(other, schema)];
    const citizens = await Promise.all([signIn(), signIn(), signIn()]);
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => submit(citizens[i % 3] as SignedIn, formId, { name: `Заявитель ${i}` })),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    const year = new Date().getUTCFullYear();
    const references = results.map((r) => r.body.submission.reference).sort();
    expect(references).toEqual(Array.from({ length: 24 }, (_, i) => `${year}-${String(i + 1).padStart(6, "0")}`));
    // Each agency counts its own.
    expect((await submit(citizens[0] as SignedIn, otherFormId, { name: "Анна" })).body.submission.reference).toBe(`${year}-000001`);
    // A refused submission takes no number.
    expect((await submit(citizens[0] as SignedIn, formId, { name: 5 })).status).toBe(422);
    expect((await submit(citizens[0] as SignedIn, formId, { name: "Ещё" })).body.submission.reference).toBe(`${year}-000025`);
  });

  it("show the reference number to the citizen, the agency and in the official chat's status message", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const formId = await publishForm(agency, { type: "object", properties: { name: { type: "string" } }, additionalProperties: false });
    const { body } = await submit(anna, formId, { name: "Анна" });
    const reference = body.submission.reference;
    expect(reference).toMatch(/^\d{4}-\d{6}$/);
    const mine = await callJson<{ submission: Submitted }>(`/api/v1/submissions/${body.submission.id}`, { token: anna.accessToken });
    expect(mine.body.submission.reference).toBe(reference);
    const theirs = await callJson<{ submissions: Submitted[] }>("/api/v1/agency/submissions", { token: agency.token });
    expect(theirs.body.submissions.find((s) => s.id === body.submission.id)?.reference).toBe(reference);
    const reviewed = await call(`/api/v1/agency/submissions/${body.submission.id}`, {
      method: "PATCH",
      token: agency.token,
      body: { status: "in_review" },
    });
    expect(reviewed.status).toBe(200);
    const official = (await chatList(anna.accessToken)).find((c) => c.type === "official");
    expect(official?.lastMessage?.text).toContain(`№ ${reference}`);
  });

  it("take the citizen's upload in a file field and attach it; someone else's upload is refused at the field", async () => {
    const agency = await newAgency();
    const [anna, boris] = [await signIn(), await signIn()];
    const formId = await publishForm(agency);
    const scan = await upload(anna, "скан паспорта");
    const { status, body } = await submit(anna, formId, { name: "Анна", scan: scan.id });
    expect(status).toBe(201);
    expect(body.submission.attachments.map((a) => a.id)).toEqual([scan.id]);
    // The agency downloads it through the submission.
    const file = await call(`/api/v1/agency/submissions/${body.submission.id}/attachments/${scan.id}`, { token: agency.token });
    expect(file.status).toBe(200);
    expect(await file.text()).toBe("скан паспорта");

    const borisScan = await upload(boris, "чужой файл");
    const refused = await expectProblem(
      await call(`/api/v1/forms/${formId}/submissions`, { token: anna.accessToken, body: { data: { name: "Анна", scan: borisScan.id } } }),
      400,
      "unknown_media",
    );
    expect(refused.errors).toEqual([{ path: "scan", message: expect.any(String) }]);
    // A missing file is a field to fill, in the citizen's words.
    const missing = await submit(anna, formId, { name: "Анна" });
    expect(missing.status).toBe(422);
  });
});
