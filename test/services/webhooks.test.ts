import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { httpFailureClass, shownFailure } from "../../src/webhooks/deliver";
import { sweepWebhooks } from "../../src/webhooks/events";
import { type TestAgency as Agency, call, callJson, expectProblem, newAgency, type SignedIn, signIn } from "../helpers";

// Webhooks leave through the queue to a stand-in agency endpoint (test/fixtures/webhook-sink.mjs), a real
// HTTP endpoint in the same workerd; the queue's retries and dead-letter queue are the real ones, with
// shorter waits (vitest.config.ts).

interface Received {
  at: number;
  headers: Record<string, string>;
  body: string;
}

interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

const box = () => `box-${crypto.randomUUID()}`;
const hookUrl = (name: string, query = "") => `https://agency.example/hooks/${name}${query}`;

async function received(name: string): Promise<Received[]> {
  return (await env.WEBHOOK_SINK.fetch(`http://sink/boxes/${name}`)).json<Received[]>();
}

/** Waits until the box holds at least n requests. */
async function waitForRequests(name: string, n: number, timeout = 15_000): Promise<Received[]> {
  return vi.waitFor(
    async () => {
      const got = await received(name);
      expect(got.length).toBeGreaterThanOrEqual(n);
      return got;
    },
    { timeout, interval: 100 },
  );
}

async function deliveries(agency: Agency): Promise<Delivery[]> {
  const res = await callJson<{ deliveries: Delivery[] }>("/api/v1/agency/webhook-deliveries", { token: agency.token, method: "GET" });
  expect(res.status).toBe(200);
  return res.body.deliveries;
}

async function waitForDelivery(agency: Agency, id: string, status: Delivery["status"], timeout = 15_000): Promise<Delivery> {
  return vi.waitFor(
    async () => {
      const d = (await deliveries(agency)).find((x) => x.id === id);
      expect(d?.status).toBe(status);
      return d as Delivery;
    },
    { timeout, interval: 100 },
  );
}

/** The contract's signature, recomputed here independently of the server's code. */
async function expectSigned(request: Received, secret: string): Promise<void> {
  const header = request.headers["veche-signature"] ?? "";
  const match = header.match(/^t=(\d+),v1=([0-9a-f]{64})$/);
  expect(match, header).not.toBeNull();
  const [, t, v1] = match as RegExpMatchArray;
  expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(120);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${request.body}`));
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  expect(v1).toBe(hex);
}

const CARD = { method: "card", card: { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } };

async function issueAndPay(agency: Agency, citizen: SignedIn, card = CARD) {
  const bill = await callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, amount: 150000, currency: "RUB", purpose: "Штраф ГИБДД", externalRef: crypto.randomUUID() },
  });
  expect(bill.status).toBe(201);
  const paid = await callJson<{ bill: { id: string; status: string; receiptId: string | null }; payment: { id: string } }>(
    `/api/v1/bills/${bill.body.bill.id}/pay`,
    { token: citizen.accessToken, body: card, headers: { "idempotency-key": crypto.randomUUID() } },
  );
  return { billId: bill.body.bill.id, paid };
}

describe("webhooks", () => {
  it("tell the agency a bill was paid, signed as the contract says, once", async () => {
    const name = box();
    const agency = await newAgency("ГИБДД (webhooks)", { webhookUrl: hookUrl(name) });
    const anna = await signIn();
    const { billId, paid } = await issueAndPay(agency, anna);
    expect(paid.status).toBe(201);

    const [request] = await waitForRequests(name, 1);
    await expectSigned(request as Received, agency.webhookSecret);
    const event = JSON.parse((request as Received).body);
    expect(event).toMatchObject({
      type: "bill.paid",
      agencyId: agency.agency.id,
      data: {
        bill: { id: billId, amount: 150000, currency: "RUB" },
        payment: { id: paid.body.payment.id, amount: 150000, card: { brand: "visa", last4: "4242" } },
      },
    });
    expect(request?.headers["veche-event-id"]).toBe(event.id);
    expect(request?.headers["content-type"]).toBe("application/json");
    // Card numbers never leave Veche: only brand and last four digits.
    expect((request as Received).body).not.toContain("4242424242424242");

    const delivered = await waitForDelivery(agency, event.id, "delivered");
    expect(delivered).toMatchObject({ type: "bill.paid", attempts: 1, lastStatus: 200, lastError: null });
    // Nothing more arrives for it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(name)).toHaveLength(1);
  });

  it("are retried with backoff until the endpoint answers 2xx, each attempt the same event freshly signed", async () => {
    const name = box();
    const agency = await newAgency("Налоговая (webhooks)", { webhookUrl: hookUrl(name, "?fail=2") });
    const anna = await signIn();
    const { paid } = await issueAndPay(agency, anna);
    // The endpoint being down does not hold up the citizen.
    expect(paid.status).toBe(201);

    const requests = await waitForRequests(name, 3, 20_000);
    const ids = new Set(requests.map((r) => JSON.parse(r.body).id));
    expect(ids.size).toBe(1);
    for (const r of requests) await expectSigned(r, agency.webhookSecret);
    // Backoff: each wait is longer than the one before it.
    const [a, b, c] = requests.map((r) => r.at) as [number, number, number];
    expect(c - b).toBeGreaterThan(b - a);
    const delivery = await waitForDelivery(agency, [...ids][0] as string, "delivered");
    expect(delivery).toMatchObject({ attempts: 3, lastStatus: 200 });
  }, 30_000);

  it("that keep failing are dead-lettered as failed, and the agency can deliver them again by hand", async () => {
    const down = box();
    const agency = await newAgency("ЖКХ (webhooks)", { webhookUrl: hookUrl(down, "?status=500") });
    const anna = await signIn();
    const { paid } = await issueAndPay(agency, anna);
    expect(paid.status).toBe(201);
    const [first] = await waitForRequests(down, 1);
    const eventId = JSON.parse((first as Received).body).id as string;
    const failed = await waitForDelivery(agency, eventId, "failed", 25_000);
    expect(failed.lastStatus).toBe(500);
    expect(failed.lastError).toBe("http_5xx");
    expect(failed.attempts).toBeGreaterThanOrEqual(2);

    // The agency fixes its endpoint and redelivers.
    const up = box();
    const patched = await callJson<{ agency: { webhookUrl: string } }>("/api/v1/agency/me", {
      token: agency.token,
      method: "PATCH",
      body: { webhookUrl: hookUrl(up) },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.agency.webhookUrl).toBe(hookUrl(up));
    const retried = await call(`/api/v1/agency/webhook-deliveries/${eventId}/retry`, { token: agency.token, body: {} });
    expect(retried.status).toBe(202);
    const [again] = await waitForRequests(up, 1);
    expect(JSON.parse((again as Received).body).id).toBe(eventId);
    await waitForDelivery(agency, eventId, "delivered");
    await expectProblem(
      await call(`/api/v1/agency/webhook-deliveries/${eventId}/retry`, { token: agency.token, body: {} }),
      409,
      "already_delivered",
    );
    // Another agency cannot see or redeliver it.
    const other = await newAgency("Чужое ведомство");
    expect((await deliveries(other)).map((d) => d.id)).not.toContain(eventId);
    await expectProblem(
      await call(`/api/v1/agency/webhook-deliveries/${eventId}/retry`, { token: other.token, body: {} }),
      404,
      "not_found",
    );
  }, 60_000);

  it("report submissions and their review, and consent decisions", async () => {
    const name = box();
    const agency = await newAgency("Соцзащита (webhooks)", { webhookUrl: hookUrl(name) });
    const anna = await signIn();
    const form = await callJson<{ form: { id: string } }>("/api/v1/agency/forms", {
      token: agency.token,
      body: { key: "benefit", title: "Пособие", schema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
    });
    const sub = await callJson<{ submission: { id: string; reference: string } }>(`/api/v1/forms/${form.body.form.id}/submissions`, {
      token: anna.accessToken,
      body: { data: { name: "Анна" } },
    });
    expect(sub.status).toBe(201);
    const review = await call(`/api/v1/agency/submissions/${sub.body.submission.id}`, {
      token: agency.token,
      method: "PATCH",
      body: { status: "in_review" },
    });
    expect(review.status).toBe(200);
    // A refused transition changes nothing, so it reports nothing.
    await expectProblem(
      await call(`/api/v1/agency/submissions/${sub.body.submission.id}`, {
        token: agency.token,
        method: "PATCH",
        body: { status: "in_review" },
      }),
      409,
      "invalid_transition",
    );
    const consent = await callJson<{ consent: { id: string } }>("/api/v1/agency/consent-requests", {
      token: agency.token,
      body: {
        citizenPhone: anna.phone,
        scope: "records",
        purpose: "Проверка права на пособие",
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      },
    });
    expect((await call(`/api/v1/consents/${consent.body.consent.id}/approve`, { token: anna.accessToken, body: {} })).status).toBe(200);

    const requests = await waitForRequests(name, 3);
    const events = requests.map((r) => JSON.parse(r.body));
    const byType = (type: string) => events.filter((e) => e.type === type);
    expect(byType("submission.created")).toEqual([
      // With the reference number the citizen sees, taken in the submission's own batch.
      expect.objectContaining({
        data: {
          submission: expect.objectContaining({
            id: sub.body.submission.id,
            status: "submitted",
            reference: sub.body.submission.reference,
          }),
        },
      }),
    ]);
    expect(byType("submission.updated")).toEqual([
      expect.objectContaining({
        data: { submission: expect.objectContaining({ id: sub.body.submission.id, status: "in_review", previousStatus: "submitted" }) },
      }),
    ]);
    expect(byType("consent.updated")).toEqual([
      expect.objectContaining({ data: { consent: expect.objectContaining({ id: consent.body.consent.id, status: "approved" }) } }),
    ]);
    // Events carry ids, never the citizen's form data.
    expect(requests.map((r) => r.body).join("")).not.toContain("Анна");
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(name)).toHaveLength(3);
  });

  it("are not recorded for an agency without a webhook URL, and a lost queue message is sent again by the sweep", async () => {
    const quiet = await newAgency("Без вебхуков");
    const anna = await signIn();
    expect((await issueAndPay(quiet, anna)).paid.status).toBe(201);
    expect(await deliveries(quiet)).toEqual([]);

    // An event committed with its change, whose queue message never went out (a failed send).
    const name = box();
    const agency = await newAgency("Потерянное сообщение", { webhookUrl: hookUrl(name) });
    const id = `evt_lost_${crypto.randomUUID()}`;
    const longAgo = Date.now() - 3600_000;
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, agency_id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (?1, ?2, 'bill.paid', ?3, 'pending', 0, ?4, ?4)",
    )
      .bind(id, agency.agency.id, JSON.stringify({ id, type: "bill.paid", data: {} }), longAgo)
      .run();
    expect(await sweepWebhooks(env)).toBeGreaterThanOrEqual(1);
    const [request] = await waitForRequests(name, 1);
    expect(JSON.parse((request as Received).body).id).toBe(id);
    await waitForDelivery(agency, id, "delivered");
  });

  it("go only to URLs an agency may set, and only agencies see deliveries", async () => {
    const agency = await newAgency();
    const me = await callJson<{ agency: { id: string; webhookUrl: string | null; scopes: string[] } }>("/api/v1/agency/me", {
      token: agency.token,
      method: "GET",
    });
    expect(me.body.agency).toMatchObject({ id: agency.agency.id, webhookUrl: null, scopes: ["bills", "forms", "records", "consents"] });
    for (const webhookUrl of ["ftp://agency.example/hook", "https://user:pass@agency.example/hook", "not a url", 42]) {
      await expectProblem(
        await call("/api/v1/agency/me", { token: agency.token, method: "PATCH", body: { webhookUrl } }),
        400,
        "validation_failed",
      );
    }
    // Internal addresses and local names, in any notation: refused at validation, nothing stored.
    for (const webhookUrl of [
      "https://127.0.0.1/hook",
      "https://2130706433/hook",
      "https://0x7f000001/hook",
      "https://0177.0.0.1/hook",
      "https://127.1/hook",
      "https://[::ffff:127.0.0.1]/hook",
      "https://[::1]/hook",
      "https://169.254.169.254/latest/meta-data/",
      "https://10.0.0.1/hook",
      "https://172.16.5.4/hook",
      "https://192.168.0.1/hook",
      "https://100.64.0.1/hook",
      "https://0.0.0.0/hook",
      "https://[fd00::1]/hook",
      "https://[fe80::1]/hook",
      "https://localhost/hook",
      "https://hooks.localhost/hook",
      "http://127.0.0.2:8787/hook",
    ]) {
      const refused = await expectProblem(
        await call("/api/v1/agency/me", { token: agency.token, method: "PATCH", body: { webhookUrl } }),
        400,
        "invalid_webhook_url",
      );
      expect(refused.errors).toEqual([expect.objectContaining({ path: "webhookUrl" })]);
      await expectProblem(await call("/api/v1/dev/agencies", { body: { name: "Внутреннее", webhookUrl } }), 400, "invalid_webhook_url");
    }
    const stored = await env.DB.prepare("SELECT webhook_url FROM agencies WHERE id = ?1")
      .bind(agency.agency.id)
      .first<{ webhook_url: string | null }>();
    expect(stored?.webhook_url).toBeNull();
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM agencies WHERE name = 'Внутреннее'").first<{ n: number }>())?.n).toBe(0);
    // Development also allows the loopback address 127.0.0.1, on any port, for local receivers.
    const local = await callJson<{ agency: { webhookUrl: string } }>("/api/v1/agency/me", {
      token: agency.token,
      method: "PATCH",
      body: { webhookUrl: "http://127.0.0.1:8787/api/v1/dev/webhook-sink" },
    });
    expect(local.status).toBe(200);
    expect(local.body.agency.webhookUrl).toBe("http://127.0.0.1:8787/api/v1/dev/webhook-sink");
    const cleared = await callJson<{ agency: { webhookUrl: string | null } }>("/api/v1/agency/me", {
      token: agency.token,
      method: "PATCH",
      body: { webhookUrl: null },
    });
    expect(cleared.body.agency.webhookUrl).toBeNull();
    const citizen = await signIn();
    await expectProblem(await call("/api/v1/agency/webhook-deliveries", { token: citizen.accessToken }), 401, "invalid_token");
    await expectProblem(await call("/api/v1/agency/webhook-deliveries"), 401, "unauthorized");
    await expectProblem(await call("/api/v1/agency/webhook-deliveries?status=lost", { token: agency.token }), 400, "validation_failed");
  });
});

describe("webhook failures", () => {
  it("shown to the agency name a class of failure; a URL stored before the rules is refused at sending, and nothing is sent", async () => {
    const name = box();
    const agency = await newAgency("Старый адрес (webhooks)");
    // As if stored before the address rules existed: written straight into the table.
    await env.DB.prepare("UPDATE agencies SET webhook_url = ?2 WHERE id = ?1")
      .bind(agency.agency.id, `https://169.254.169.254/hooks/${name}`)
      .run();
    const anna = await signIn();
    const { paid } = await issueAndPay(agency, anna);
    expect(paid.status).toBe(201);
    const failed = await vi.waitFor(
      async () => {
        const [d] = await deliveries(agency);
        expect(d?.attempts).toBeGreaterThanOrEqual(1);
        return d as Delivery;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(failed).toMatchObject({ lastStatus: null, lastError: "url_refused" });
    expect(await received(name)).toEqual([]);
  });

  it("classify what was stored before the classes existed, without its network detail", () => {
    expect(shownFailure("HTTP 503")).toBe("http_5xx");
    expect(shownFailure("HTTP 404")).toBe("http_4xx");
    expect(shownFailure("HTTP 302")).toBe("redirect_refused");
    expect(shownFailure("no answer within 10 s")).toBe("timeout");
    expect(shownFailure("TypeError: Network connection lost: connect ECONNREFUSED 10.1.2.3:443")).toBe("connection_failed");
    expect(shownFailure("http_5xx")).toBe("http_5xx");
    expect(shownFailure(null)).toBeNull();
    expect(httpFailureClass(307)).toBe("redirect_refused");
    expect(httpFailureClass(429)).toBe("http_4xx");
  });
});

describe("receipts", () => {
  it("are issued for a paid bill as a record signed by the agency, which verifies", async () => {
    const agency = await newAgency("ГИБДД (квитанции)");
    const anna = await signIn();
    const { billId, paid } = await issueAndPay(agency, anna);
    expect(paid.status).toBe(201);
    const receiptId = paid.body.bill.receiptId;
    expect(receiptId).toEqual(expect.any(String));
    const record = await callJson<{ record: { id: string; type: string; claims: Record<string, unknown>; agency: { id: string } } }>(
      `/api/v1/records/${receiptId}`,
      { token: anna.accessToken, method: "GET" },
    );
    expect(record.body.record).toMatchObject({
      type: "payment_receipt",
      agency: { id: agency.agency.id },
      claims: { billId, paymentId: paid.body.payment.id, amount: 150000, currency: "RUB", purpose: "Штраф ГИБДД", card: "visa •••• 4242" },
    });
    const presentation = await callJson<{ presentation: string }>(`/api/v1/records/${receiptId}/presentations`, {
      token: anna.accessToken,
      body: { disclose: ["amount", "purpose", "paidAt"] },
    });
    const verified = await callJson<{ valid: boolean; claims: Record<string, unknown>; revoked: boolean }>("/api/v1/verify", {
      body: { presentation: presentation.body.presentation },
    });
    expect(verified.body).toMatchObject({ valid: true, revoked: false, claims: { amount: 150000, purpose: "Штраф ГИБДД" } });
    expect(verified.body.claims).not.toHaveProperty("card");
    // The bill names its receipt, and paying again (refused) issues no second one.
    const again = await call(`/api/v1/bills/${billId}/pay`, {
      token: anna.accessToken,
      body: CARD,
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    await expectProblem(again, 409, "bill_already_paid");
    const bill = await callJson<{ bill: { receiptId: string } }>(`/api/v1/bills/${billId}`, { token: anna.accessToken, method: "GET" });
    expect(bill.body.bill.receiptId).toBe(receiptId);
    const receipts = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM records WHERE citizen_id = (SELECT citizen_id FROM bills WHERE id = ?1) AND type = 'payment_receipt'",
    )
      .bind(billId)
      .first<{ n: number }>();
    expect(receipts?.n).toBe(1);
  });

  it("follow a payment confirmed later, and a declined one gets none", async () => {
    const agency = await newAgency("Налоговая (квитанции)");
    const anna = await signIn();
    const pending = await issueAndPay(agency, anna, { ...CARD, card: { ...CARD.card, number: "4000000000003220" } });
    expect(pending.paid.status).toBe(202);
    expect(pending.paid.body.bill.receiptId).toBeNull();
    const confirmed = await callJson<{ bill: { status: string; receiptId: string | null } }>(
      `/api/v1/dev/payments/${pending.paid.body.payment.id}/confirm`,
      { body: { outcome: "succeeded" } },
    );
    expect(confirmed.body.bill).toMatchObject({ status: "paid", receiptId: expect.any(String) });

    const declined = await issueAndPay(agency, anna, { ...CARD, card: { ...CARD.card, number: "4000000000000002" } });
    expect(declined.paid.status).toBe(402);
    const bill = await callJson<{ bill: { status: string; receiptId: string | null } }>(`/api/v1/bills/${declined.billId}`, {
      token: anna.accessToken,
      method: "GET",
    });
    expect(bill.body.bill).toMatchObject({ status: "unpaid", receiptId: null });
  });
});

describe("the development webhook receiver", () => {
  it("accepts what Veche signed for the agency and refuses anything else", async () => {
    const agency = await newAgency("Демо-приёмник");
    const body = JSON.stringify({ id: "evt_demo", type: "bill.paid", agencyId: agency.agency.id, data: {} });
    const sign = async (secret: string, t: number, text = body) => {
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]);
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${text}`)));
      return `t=${t},v1=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const post = (signature: string, text = body) =>
      call("/api/v1/dev/webhook-sink", { rawBody: text, headers: { "content-type": "application/json", "veche-signature": signature } });
    expect((await post(await sign(agency.webhookSecret, now))).status).toBe(204);
    await expectProblem(await post(await sign("wrong secret", now)), 401, "invalid_signature");
    await expectProblem(await post(await sign(agency.webhookSecret, now - 3600)), 401, "invalid_signature");
    await expectProblem(
      await post(await sign(agency.webhookSecret, now), body.replace("bill.paid", "bill.paidX")),
      401,
      "invalid_signature",
    );
  });
});
