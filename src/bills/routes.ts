import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { type Listed, ListLimit, readListed } from "../agencies/listing";
import { agencyAndCitizen, announce, getAgency } from "../agencies/store";
import { withAccessLog } from "../audit/log";
import { requireAgency, requireCitizen } from "../auth/middleware";
import { requireService } from "../lib/config";
import { sha256Hex } from "../lib/crypto";
import { ApiError, notFound, problemBody } from "../lib/errors";
import { agencySecurity, citizenSecurity, iso, isoOrNull, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { rfc3339Date } from "../lib/time";
import { formatDate, formatMoney } from "../web/lib/format";
import { dispatchWebhooks, eventStatements, webhookEvent } from "../webhooks/events";
import { luhnValid } from "./cards";
import { paymentProvider } from "./payments";
import { afterPaid, showBillOutcome } from "./receipts";

interface BillRow {
  id: string;
  agency_id: string;
  agency_name: string;
  agency_verified: number;
  agency_webhook_url: string | null;
  citizen_id: string;
  amount: number;
  currency: string;
  purpose: string;
  due_date: string | null;
  external_ref: string;
  status: "unpaid" | "paying" | "paid" | "cancelled";
  created_at: number;
  paid_at: number | null;
  receipt_id: string | null;
}

interface PaymentRow {
  id: string;
  bill_id: string;
  amount: number;
  currency: string;
  status: "succeeded" | "declined" | "pending";
  card_brand: string;
  card_last4: string;
  created_at: number;
  settled_at: number | null;
}

const BILL_SELECT = `SELECT b.*, a.name AS agency_name, a.verified AS agency_verified, a.webhook_url AS agency_webhook_url
  FROM bills b JOIN agencies a ON a.id = b.agency_id`;

/** `paying` (a charge in flight) is shown as `processing`. */
const toBill = (b: BillRow) => ({
  id: b.id,
  agency: { id: b.agency_id, name: b.agency_name, verified: b.agency_verified === 1 },
  amount: b.amount,
  currency: b.currency,
  purpose: b.purpose,
  dueDate: b.due_date,
  externalRef: b.external_ref,
  status: b.status === "paying" ? ("processing" as const) : b.status,
  createdAt: iso(b.created_at),
  paidAt: isoOrNull(b.paid_at),
  receiptId: b.receipt_id,
});

const toPayment = (p: PaymentRow) => ({
  id: p.id,
  billId: p.bill_id,
  amount: p.amount,
  currency: p.currency,
  status: p.status,
  card: { brand: p.card_brand, last4: p.card_last4 },
  createdAt: iso(p.created_at),
  settledAt: isoOrNull(p.settled_at),
});

const Bill = z
  .object({
    id: z.string(),
    agency: z.object({ id: z.string(), name: z.string(), verified: z.boolean() }),
    amount: z.number().int().openapi({ description: "Minor units (kopecks for RUB)." }),
    currency: z.string(),
    purpose: z.string(),
    dueDate: z.string().nullable().openapi({ description: "The date to pay by (YYYY-MM-DD), as the agency wrote it; null when none." }),
    externalRef: z.string(),
    status: z.enum(["unpaid", "processing", "paid", "cancelled"]),
    createdAt: z.string(),
    paidAt: z.string().nullable(),
    receiptId: z.string().nullable().openapi({ description: "Once paid: the receipt, a record (GET /api/v1/records/:id)." }),
  })
  .openapi("Bill");

const Payment = z
  .object({
    id: z.string(),
    billId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(["succeeded", "declined", "pending"]),
    card: z.object({ brand: z.string(), last4: z.string() }),
    createdAt: z.string(),
    settledAt: z.string().nullable(),
  })
  .openapi("Payment");

/** The agency's `bill.paid` event, written in the batch that marks the bill paid. */
function paidEvent(
  db: D1Database,
  bill: BillRow,
  payment: Pick<PaymentRow, "id" | "card_brand" | "card_last4" | "settled_at">,
  onlyIf?: { sql: string; params: unknown[] },
) {
  return webhookEvent(
    db,
    { id: bill.agency_id, webhook_url: bill.agency_webhook_url },
    "bill.paid",
    {
      bill: { id: bill.id, externalRef: bill.external_ref, amount: bill.amount, currency: bill.currency, purpose: bill.purpose },
      payment: {
        id: payment.id,
        amount: bill.amount,
        currency: bill.currency,
        card: { brand: payment.card_brand, last4: payment.card_last4 },
        settledAt: isoOrNull(payment.settled_at),
      },
    },
    { onlyIf },
  );
}
/** A bill as the agency that issued it lists it: with the citizen's phone. */
const AgencyBill = Bill.extend({ citizenPhone: z.string() }).openapi("AgencyBill");

async function billById(db: D1Database, id: string): Promise<BillRow | null> {
  return db.prepare(`${BILL_SELECT} WHERE b.id = ?1`).bind(id).first<BillRow>();
}

const NewBill = z
  .object({
    citizenPhone: z.string().max(40),
    amount: z.number().int().min(1).max(1_000_000_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as RUB"),
    purpose: z.string().trim().min(1).max(500),
    dueDate: rfc3339Date.optional(),
    externalRef: z.string().min(1).max(200),
  })
  .strict();

export const agencyBills = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/bills",
      operationId: "issueBill",
      tags: ["bills"],
      summary: "Issue a bill to a citizen (idempotent per externalRef)",
      description:
        "The bill is posted into the agency's official chat with the citizen, with a pay button, and the citizen's access log records it.",
      security: agencySecurity,
      middleware: requireAgency("bills"),
      request: { body: jsonBody(NewBill) },
      responses: {
        201: json(z.object({ bill: Bill }), "Issued."),
        200: json(z.object({ bill: Bill }), "A bill with this externalRef already exists: that bill."),
        ...problems([400, "validation_failed, invalid_phone"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { agency, citizenId } = await agencyAndCitizen(c.env, c.var.agency.agencyId, body.citizenPhone);
      const actor = { type: "agency" as const, id: agency.id, name: agency.name };
      const existing = await c.env.DB.prepare(`${BILL_SELECT} WHERE b.agency_id = ?1 AND b.external_ref = ?2`)
        .bind(agency.id, body.externalRef)
        .first<BillRow>();
      if (existing) {
        await withAccessLog(c.env.DB, existing.citizen_id, [{ actor, action: "read", resource: `bill:${existing.id}` }], []);
        return c.json({ bill: toBill(existing) }, 200);
      }
      const id = newId();
      const now = Date.now();
      await withAccessLog(
        c.env.DB,
        citizenId,
        [{ actor, action: "create", resource: `bill:${id}`, purpose: body.purpose }],
        [
          c.env.DB.prepare(
            `INSERT INTO bills (id, agency_id, citizen_id, amount, currency, purpose, due_date, external_ref, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'unpaid', ?9)`,
          ).bind(id, agency.id, citizenId, body.amount, body.currency, body.purpose, body.dueDate ?? null, body.externalRef, now),
        ],
      );
      const bill = await billById(c.env.DB, id);
      if (!bill) throw new Error("bill missing after insert");
      await announce(
        c.env,
        agency,
        citizenId,
        {
          clientId: `bill:${bill.id}`,
          text: `Счёт к оплате: ${bill.purpose} — ${formatMoney(bill.amount, bill.currency, "ru")}${bill.due_date ? `, оплатить до ${formatDate(bill.due_date, "ru")}` : ""}`,
          action: { type: "pay", label: "Оплатить", ref: bill.id },
        },
        { kind: "bill", billId: bill.id, status: toBill(bill).status },
      );
      return c.json({ bill: toBill(bill) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agency/bills/{id}/cancel",
      operationId: "cancelBill",
      tags: ["bills"],
      summary: "Cancel an unpaid bill the agency issued",
      security: agencySecurity,
      middleware: requireAgency("bills"),
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: json(z.object({ bill: Bill }), "Cancelled."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "bill_not_cancellable"]),
      },
    }),
    async (c) => {
      const bill = await billById(c.env.DB, c.req.valid("param").id);
      if (!bill || bill.agency_id !== c.var.agency.agencyId) throw notFound("bill");
      // Refuse before logging: the log records what an agency did, and a refused cancel did nothing.
      if (bill.status !== "unpaid")
        throw new ApiError(409, "bill_not_cancellable", `The bill is ${bill.status}; only unpaid bills can be cancelled.`);
      const actor = { type: "agency" as const, id: bill.agency_id, name: bill.agency_name };
      const { results } = await withAccessLog(
        c.env.DB,
        bill.citizen_id,
        [{ actor, action: "cancel", resource: `bill:${bill.id}` }],
        [c.env.DB.prepare("UPDATE bills SET status = 'cancelled' WHERE id = ?1 AND status = 'unpaid'").bind(bill.id)],
      );
      if ((results[0]?.meta.changes ?? 0) === 0)
        throw new ApiError(409, "bill_not_cancellable", `The bill is ${bill.status}; only unpaid bills can be cancelled.`);
      await showBillOutcome(c.env, bill.id);
      const updated = await billById(c.env.DB, bill.id);
      if (!updated) throw notFound("bill");
      return c.json({ bill: toBill(updated) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agency/bills",
      operationId: "listAgencyBills",
      tags: ["bills"],
      summary: "The bills the agency issued, newest first",
      description: "Each citizen listed gets one `read` entry (resource `bills`) in their access log, in the same batch as the read.",
      security: agencySecurity,
      middleware: requireAgency("bills"),
      request: { query: z.object({ status: Bill.shape.status.optional(), limit: ListLimit }) },
      responses: {
        200: json(z.object({ bills: z.array(AgencyBill) }), "Bills."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [403, "insufficient_scope"]),
      },
    }),
    async (c) => {
      const { status, limit } = c.req.valid("query");
      const agency = await getAgency(c.env.DB, c.var.agency.agencyId);
      if (!agency) throw notFound("agency");
      // `processing` is how `paying` is shown; the status is bound as ?2 either way (NULL: any).
      const stored = status === "processing" ? "paying" : (status ?? null);
      const { results: page } = await c.env.DB.prepare(
        "SELECT id, citizen_id FROM bills WHERE agency_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3",
      )
        .bind(agency.id, stored, limit)
        .all<Listed>();
      const rows = await readListed<BillRow & { citizen_phone: string }>(
        c.env.DB,
        { type: "agency", id: agency.id, name: agency.name },
        "bills",
        page,
        (inList) =>
          `SELECT b.*, a.name AS agency_name, a.verified AS agency_verified, u.phone AS citizen_phone
           FROM bills b JOIN agencies a ON a.id = b.agency_id JOIN users u ON u.id = b.citizen_id
           WHERE b.agency_id = ?1 AND (?2 IS NULL OR b.status = ?2) AND b.id IN ${inList}`,
        [agency.id, stored],
      );
      return c.json({ bills: rows.map((b) => ({ ...toBill(b), citizenPhone: b.citizen_phone })) }, 200);
    },
  );

const Idempotency = z.string().regex(/^[\x21-\x7e]{1,255}$/, "1 to 255 printable ASCII characters");

const PayBody = z
  .object({
    method: z.literal("card"),
    card: z
      .object({
        number: z.string().regex(/^\d{12,19}$/, "12 to 19 digits"),
        expMonth: z.number().int().min(1).max(12),
        expYear: z.number().int().min(2000).max(2100),
        cvc: z.string().regex(/^\d{3,4}$/, "3 or 4 digits"),
      })
      .strict(),
  })
  .strict();

type Stored = { status: number; body: unknown };

/**
 * What an Idempotency-Key is bound to: the bill (with its amount and currency) and the payment method, and
 * nothing derived from the card. A hash of a card number is a card number to anyone who tries the few
 * billion numbers a bank's range allows, and the CVC must never be kept in any form (PCI DSS 3.3.1), so the
 * card stays out of the fingerprint: the same key on the same bill with another card replays the first
 * answer; the same key on another bill (or with another method) is `422 idempotency_key_reused`.
 */
export function paymentFingerprint(f: { billId: string; method: string; amount: number | null; currency: string | null }): Promise<string> {
  return sha256Hex(["veche-pay-v1", f.billId, f.method, f.amount ?? "-", f.currency ?? "-"].join("\n"));
}

/**
 * Claims an idempotency key for this request (the Stripe model). Answers a stored result to replay, or null
 * when this request owns the key and must do the work. A request racing one still in flight waits for it.
 */
async function claimKey(db: D1Database, userId: string, key: string, requestHash: string): Promise<Stored | null> {
  const claimed = await db
    .prepare(
      "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING RETURNING key",
    )
    .bind(userId, key, requestHash, Date.now())
    .first();
  if (claimed) return null;
  for (let waited = 0; waited < 10_000; waited += 100) {
    const row = await db
      .prepare("SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = ?1 AND key = ?2")
      .bind(userId, key)
      .first<{ request_hash: string; status: number | null; response: string | null }>();
    if (!row) return claimKey(db, userId, key, requestHash);
    if (row.request_hash !== requestHash) {
      throw new ApiError(422, "idempotency_key_reused", "This Idempotency-Key was used for a different request.");
    }
    if (row.status !== null && row.response !== null) return { status: row.status, body: JSON.parse(row.response) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ApiError(409, "idempotency_in_progress", "A request with this Idempotency-Key is still being processed; retry shortly.", {
    headers: { "retry-after": "1" },
  });
}

type PayResult = { payment: ReturnType<typeof toPayment>; bill: ReturnType<typeof toBill> };
const StoredProblem = z.object({
  code: z.string(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A stored refusal is answered again exactly as the first time, through the one error path. */
function rethrowStored(stored: Stored): void {
  if (stored.status < 400) return;
  const p = StoredProblem.parse(stored.body);
  throw new ApiError(stored.status as ApiError["status"], p.code, p.detail, p.errors ? { errors: p.errors } : {});
}

export const citizenBills = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/bills",
      operationId: "listBills",
      tags: ["bills"],
      summary: "The caller's bills, newest first",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: { 200: json(z.object({ bills: z.array(Bill) }), "Bills."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const { results } = await c.env.DB.prepare(`${BILL_SELECT} WHERE b.citizen_id = ?1 ORDER BY b.created_at DESC LIMIT 500`)
        .bind(c.var.citizen.userId)
        .all<BillRow>();
      return c.json({ bills: results.map(toBill) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/bills/{id}",
      operationId: "getBill",
      summary: "One of the caller's bills, with its payment attempts",
      tags: ["bills"],
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: json(z.object({ bill: Bill, payments: z.array(Payment) }), "The bill and its payment attempts."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const bill = await billById(c.env.DB, c.req.valid("param").id);
      if (!bill || bill.citizen_id !== c.var.citizen.userId) throw notFound("bill");
      const { results } = await c.env.DB.prepare("SELECT * FROM payments WHERE bill_id = ?1 ORDER BY created_at")
        .bind(bill.id)
        .all<PaymentRow>();
      return c.json({ bill: toBill(bill), payments: results.map(toPayment) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/bills/{id}/pay",
      operationId: "payBill",
      tags: ["bills"],
      summary: "Pay a bill (send Idempotency-Key)",
      description:
        "The same key for the same bill and method again answers the same result and charges nothing more, whatever card is sent (the key is bound to the bill, never to card data); the same key for another bill or method answers 422. Sandbox cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000003220 stays pending until confirmed.",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        // Optional to the validator, so a missing key answers its own code (idempotency_key_required); the
        // document says what clients must do: send it.
        headers: z.object({ "idempotency-key": Idempotency.optional().openapi({ param: { required: true } }) }),
        body: jsonBody(PayBody),
      },
      responses: {
        201: json(z.object({ payment: Payment, bill: Bill }), "Paid."),
        202: json(z.object({ payment: Payment, bill: Bill }), "The charge awaits confirmation; the bill is processing."),
        ...problems(
          [400, "idempotency_key_required, invalid_card"],
          [401, "unauthorized"],
          [402, "payment_declined"],
          [404, "not_found"],
          [409, "bill_already_paid, bill_cancelled, payment_in_progress, idempotency_in_progress"],
          [422, "idempotency_key_reused"],
          [503, "service_unavailable: no payment provider is configured"],
        ),
      },
    }),
    async (c) => {
      // Before a key is claimed or the bill touched: with no provider, nothing could be charged.
      requireService(c.env, "payments");
      const key = c.req.valid("header")["idempotency-key"];
      if (!key)
        throw new ApiError(400, "idempotency_key_required", "Send an Idempotency-Key header, so a retried payment cannot charge twice.");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const userId = c.var.citizen.userId;
      const bill = await billById(c.env.DB, id);
      const owned = bill && bill.citizen_id === userId ? bill : null;
      const requestHash = await paymentFingerprint({
        billId: id,
        method: body.method,
        amount: owned?.amount ?? null,
        currency: owned?.currency ?? null,
      });
      const replay = await claimKey(c.env.DB, userId, key, requestHash);
      if (replay) {
        rethrowStored(replay);
        return c.json(replay.body as PayResult, replay.status as 201 | 202);
      }

      let outcome: Stored;
      try {
        outcome = await pay(c.env, userId, id, body.card, key);
      } catch (err) {
        if (!(err instanceof ApiError)) {
          // Nothing is known to have been charged: free the key so the client's retry can go through.
          await c.env.DB.prepare("DELETE FROM idempotency_keys WHERE user_id = ?1 AND key = ?2").bind(userId, key).run();
          throw err;
        }
        outcome = { status: err.status, body: problemBody(err.status, err.code, err.detail, err.extra.errors) };
      }
      await c.env.DB.prepare("UPDATE idempotency_keys SET status = ?3, response = ?4 WHERE user_id = ?1 AND key = ?2")
        .bind(userId, key, outcome.status, JSON.stringify(outcome.body))
        .run();
      rethrowStored(outcome);
      return c.json(outcome.body as PayResult, outcome.status as 201 | 202);
    },
  );

/**
 * One payment attempt. The bill moves unpaid → paying in one conditional UPDATE before the provider is
 * called, so two payments of one bill (other keys, other devices) cannot both charge.
 */
async function pay(env: Env, userId: string, billId: string, card: z.infer<typeof PayBody>["card"], key: string): Promise<Stored> {
  const bill = await billById(env.DB, billId);
  if (!bill || bill.citizen_id !== userId) throw notFound("bill");
  // The bill's state answers first: a paid bill is paid, whatever card is offered.
  if (bill.status === "paid") throw new ApiError(409, "bill_already_paid", "This bill is already paid.");
  if (bill.status === "cancelled") throw new ApiError(409, "bill_cancelled", "The agency cancelled this bill.");
  if (!luhnValid(card.number))
    throw new ApiError(400, "invalid_card", "The card number is not valid.", {
      errors: [{ path: "card.number", message: "check the digits" }],
    });
  const now = new Date();
  if (card.expYear < now.getUTCFullYear() || (card.expYear === now.getUTCFullYear() && card.expMonth < now.getUTCMonth() + 1)) {
    throw new ApiError(400, "invalid_card", "The card has expired.", { errors: [{ path: "card.expYear", message: "expired" }] });
  }
  const claimed = await env.DB.prepare("UPDATE bills SET status = 'paying' WHERE id = ?1 AND status = 'unpaid' RETURNING id")
    .bind(bill.id)
    .first();
  if (!claimed) {
    const current = await billById(env.DB, bill.id);
    if (current?.status === "paid") throw new ApiError(409, "bill_already_paid", "This bill is already paid.");
    if (current?.status === "cancelled") throw new ApiError(409, "bill_cancelled", "The agency cancelled this bill.");
    throw new ApiError(409, "payment_in_progress", "A payment of this bill is already being processed.");
  }
  let result: Awaited<ReturnType<ReturnType<typeof paymentProvider>["charge"]>>;
  try {
    result = await paymentProvider(env).charge({
      amount: bill.amount,
      currency: bill.currency,
      card,
      idempotencyKey: `${userId}:${key}`,
      description: bill.purpose,
    });
  } catch (err) {
    await env.DB.prepare("UPDATE bills SET status = 'unpaid' WHERE id = ?1 AND status = 'paying'").bind(bill.id).run();
    throw err;
  }
  const paymentId = newId();
  const at = Date.now();
  const billStatus = result.status === "succeeded" ? "paid" : result.status === "declined" ? "unpaid" : "paying";
  const event =
    result.status === "succeeded"
      ? paidEvent(env.DB, bill, {
          id: paymentId,
          card_brand: result.brand,
          card_last4: result.last4,
          settled_at: at,
        })
      : null;
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO payments (id, bill_id, citizen_id, amount, currency, status, provider_ref, card_brand, card_last4, created_at, settled_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`,
    ).bind(
      paymentId,
      bill.id,
      userId,
      bill.amount,
      bill.currency,
      result.status,
      result.providerRef,
      result.brand,
      result.last4,
      at,
      result.status === "succeeded" ? at : null,
    ),
    env.DB.prepare("UPDATE bills SET status = ?2, paid_at = ?3 WHERE id = ?1").bind(
      bill.id,
      billStatus,
      result.status === "succeeded" ? at : null,
    ),
    ...eventStatements(event),
  ]);
  await dispatchWebhooks(env, event);
  if (result.status === "succeeded") await afterPaid(env, bill.id);
  if (result.status === "declined") {
    throw new ApiError(402, "payment_declined", "The card was declined; the bill is still unpaid. Try another card.");
  }
  const [paid, payment] = await Promise.all([
    billById(env.DB, bill.id),
    env.DB.prepare("SELECT * FROM payments WHERE id = ?1").bind(paymentId).first<PaymentRow>(),
  ]);
  if (!paid || !payment) throw new Error("payment rows missing after insert");
  return { status: result.status === "succeeded" ? 201 : 202, body: { payment: toPayment(payment), bill: toBill(paid) } };
}

/**
 * Dev only (mounted with the other development helpers, app.ts): settles a pending sandbox charge, as the
 * provider's callback would. A function, so production ships none of it.
 */
export const devPayments = () =>
  router().openapi(
    createRoute({
      method: "post",
      path: "/dev/payments/{id}/confirm",
      operationId: "devConfirmPayment",
      security: [],
      tags: ["development"],
      summary: "Dev only: the sandbox provider confirms (or declines) a pending charge",
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        body: jsonBody(z.object({ outcome: z.enum(["succeeded", "declined"]) }).strict()),
      },
      responses: {
        200: json(z.object({ payment: Payment, bill: Bill }), "Settled."),
        ...problems([404, "not_found"], [409, "payment_not_pending"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { outcome } = c.req.valid("json");
      const payment = await c.env.DB.prepare("SELECT * FROM payments WHERE id = ?1").bind(id).first<PaymentRow>();
      if (!payment) throw notFound("payment");
      if (payment.status !== "pending") throw new ApiError(409, "payment_not_pending", `The payment is ${payment.status}.`);
      const at = Date.now();
      const pendingBill = await billById(c.env.DB, payment.bill_id);
      if (!pendingBill) throw notFound("bill");
      const event =
        outcome === "succeeded"
          ? // Written only if this confirmation is the one that settled the payment.
            paidEvent(
              c.env.DB,
              pendingBill,
              { ...payment, settled_at: at },
              {
                sql: "EXISTS (SELECT 1 FROM payments WHERE id = ? AND status = 'succeeded' AND settled_at = ?)",
                params: [id, at],
              },
            )
          : null;
      await c.env.DB.batch([
        c.env.DB.prepare("UPDATE payments SET status = ?2, settled_at = ?3 WHERE id = ?1 AND status = 'pending'").bind(id, outcome, at),
        c.env.DB.prepare("UPDATE bills SET status = ?2, paid_at = ?3 WHERE id = ?1 AND status = 'paying'").bind(
          payment.bill_id,
          outcome === "succeeded" ? "paid" : "unpaid",
          outcome === "succeeded" ? at : null,
        ),
        ...eventStatements(event),
      ]);
      await dispatchWebhooks(c.env, event);
      if (outcome === "succeeded") await afterPaid(c.env, payment.bill_id);
      const [bill, settled] = await Promise.all([
        billById(c.env.DB, payment.bill_id),
        c.env.DB.prepare("SELECT * FROM payments WHERE id = ?1").bind(id).first<PaymentRow>(),
      ]);
      if (!bill || !settled) throw notFound("payment");
      return c.json({ payment: toPayment(settled), bill: toBill(bill) }, 200);
    },
  );
