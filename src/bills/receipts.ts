// What follows a paid bill: a receipt issued to the citizen as a record signed by the agency (so it can
// be shown and verified like any other record), the agency's `bill.paid` webhook (written with the
// payment itself, src/bills/routes.ts), and a message in the official chat with a button to the receipt.

import { announce, getAgency, settleAction } from "../agencies/store";
import { database } from "../db";
import { iso } from "../lib/hono";
import { log } from "../lib/log";
import { issueRecord } from "../records/issue";
import { formatMoney } from "../web/lib/format";
import { billState } from "./store";

export const RECEIPT_TYPE = "payment_receipt";

interface PaidBill {
  id: string;
  agency_id: string;
  citizen_id: string;
  amount: number;
  currency: string;
  purpose: string;
  external_ref: string;
  paid_at: number | null;
  receipt_id: string | null;
}

interface PaidPayment {
  id: string;
  card_brand: string;
  card_last4: string;
}

/**
 * Issues the bill's receipt unless it has one; answers the receipt's record id, or null when the bill is
 * not paid. Safe to call again (the hourly sweep does, for receipts a crash left unissued).
 */
export async function issueReceipt(env: Env, billId: string): Promise<string | null> {
  const bill = await env.DB.prepare("SELECT * FROM bills WHERE id = ?1 AND status = 'paid'").bind(billId).first<PaidBill>();
  if (!bill) return null;
  if (bill.receipt_id) return bill.receipt_id;
  const payment = await env.DB.prepare(
    "SELECT id, card_brand, card_last4 FROM payments WHERE bill_id = ?1 AND status = 'succeeded' LIMIT 1",
  )
    .bind(bill.id)
    .first<PaidPayment>();
  const agency = await getAgency(env.DB, bill.agency_id);
  if (!payment || !agency) return null;
  const receiptId = await issueRecord(
    env,
    agency,
    bill.citizen_id,
    RECEIPT_TYPE,
    {
      billId: bill.id,
      paymentId: payment.id,
      purpose: bill.purpose,
      amount: bill.amount,
      currency: bill.currency,
      externalRef: bill.external_ref,
      paidAt: iso(bill.paid_at ?? Date.now()),
      card: `${payment.card_brand} •••• ${payment.card_last4}`,
    },
    {
      purpose: "receipt",
      // The record commits only if it is the bill's receipt: a concurrent issue adds nothing.
      with: (recordId) => [env.DB.prepare("UPDATE bills SET receipt_id = ?2 WHERE id = ?1 AND receipt_id IS NULL").bind(bill.id, recordId)],
    },
  );
  const settled = await env.DB.prepare("SELECT receipt_id FROM bills WHERE id = ?1").bind(bill.id).first<{ receipt_id: string | null }>();
  const id = settled?.receipt_id ?? receiptId;
  await announce(
    env,
    agency,
    bill.citizen_id,
    {
      clientId: `bill:${bill.id}:paid`,
      text: `Оплачено ${formatMoney(bill.amount, bill.currency, "ru")}: ${bill.purpose}. Квитанция сохранена в документах.`,
      action: { type: "view_record", label: "Квитанция", ref: id },
    },
    { kind: "bill", billId: bill.id, status: "paid", receiptId: id },
  );
  return id;
}

/**
 * A paid or cancelled bill's message in the official chat stops offering to pay it: its pay button shows
 * the outcome instead (paid, with the date), on every device.
 */
export async function showBillOutcome(env: Env, billId: string): Promise<void> {
  const bill = await billState(database(env.DB), billId);
  if (!bill || (bill.status !== "paid" && bill.status !== "cancelled")) return;
  await settleAction(
    env,
    bill.agencyId,
    bill.citizenId,
    { type: "pay", ref: bill.id },
    { status: bill.status, at: bill.paidAt === null ? null : iso(bill.paidAt) },
  );
}

/** After a payment succeeded: the receipt, logged rather than thrown (the payment stands; the sweep retries). */
export async function afterPaid(env: Env, billId: string): Promise<string | null> {
  await showBillOutcome(env, billId);
  try {
    return await issueReceipt(env, billId);
  } catch (err) {
    log.error("receipt issue failed; the sweep will retry", { billId, error: String(err) });
    return null;
  }
}

/** Paid bills without a receipt (a crash between payment and receipt): issue them now. */
export async function sweepReceipts(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id FROM bills WHERE status = 'paid' AND receipt_id IS NULL AND paid_at < ?1 ORDER BY paid_at LIMIT 100",
  )
    .bind(now - 5 * 60_000)
    .all<{ id: string }>();
  let issued = 0;
  for (const { id } of results) if (await afterPaid(env, id)) issued++;
  return issued;
}
