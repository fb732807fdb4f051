// Bills: the list, one bill with its payment attempts, the sandbox card form and the receipt.
import { useRef, useState } from "preact/hooks";
import { luhnValid } from "../../../bills/cards";
import { ApiError, api, randomId } from "../../lib/api";
import type { components } from "../../lib/api-schema";
import { formatDue, paymentStatusWord } from "../../lib/format";
import { formatDateTime, formatMoney, lang, t, tKey } from "../../lib/i18n";
import { href } from "../../lib/router";
import { ErrorNote, errorText, Loading, ScreenTitle, useAsync, useStore, VerifiedBadge } from "../../lib/ui";
import type { ChatList } from "../state";

export type Bill = components["schemas"]["Bill"];
type Payment = components["schemas"]["Payment"];

/** "До 1 декабря 2026 г. — через 3 дня": when, and how soon (src/web/lib/format.ts). */
export const dueText = (day: string): string => {
  const text = formatDue(day, lang());
  return text.charAt(0).toUpperCase() + text.slice(1);
};

export function BillsView({ chats }: { chats: ChatList }) {
  // A new bill (or a status change) arrives as an inbox notification: the list follows.
  const tick = useStore(chats.notifications);
  const bills = useAsync(() => api.get("/bills"), [tick]);
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("bills")}</ScreenTitle>
      {bills.loading && !bills.data && <Loading />}
      <ErrorNote error={bills.error} onRetry={bills.reload} />
      {bills.data?.bills.length === 0 && <p class="muted">{t("noBills")}</p>}
      <ul class="cards">
        {bills.data?.bills.map((b) => (
          <li key={b.id}>
            <a class="card link-card" href={href("services", "bills", b.id)}>
              <span class="row spread">
                <strong>{b.purpose}</strong>
                <span class="amount">{formatMoney(b.amount, b.currency)}</span>
              </span>
              <span class="row spread muted">
                <span>
                  {b.agency.name}
                  {b.agency.verified && <VerifiedBadge />}
                </span>
                <span class={`status status-${b.status}`}>{tKey("billStatus_", b.status)}</span>
              </span>
              {b.dueDate && b.status === "unpaid" && <span class="muted">{dueText(b.dueDate)}</span>}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function BillView({ id }: { id: string }) {
  const data = useAsync(() => api.get("/bills/{id}", { path: { id } }), [id]);
  const bill = data.data?.bill;
  const paidWith = data.data?.payments.find((p) => p.status === "succeeded");
  return (
    <div class="page">
      <ScreenTitle back={href("services", "bills")}>{bill?.purpose ?? t("bills")}</ScreenTitle>
      {data.loading && !data.data && <Loading />}
      <ErrorNote error={data.error} onRetry={data.reload} />
      {bill && (
        <>
          <section class="card bill" aria-label={t("bills")}>
            <dl class="facts">
              <dt>{t("receiptAgency")}</dt>
              <dd>
                {bill.agency.name}
                {bill.agency.verified && <VerifiedBadge />}
              </dd>
              <dt>{t("purpose")}</dt>
              <dd>{bill.purpose}</dd>
              <dt>{t("amount")}</dt>
              <dd class="amount">{formatMoney(bill.amount, bill.currency)}</dd>
            </dl>
            <p class={`status status-${bill.status}`} role="status" data-testid="bill-status">
              {tKey("billStatus_", bill.status)}
              {bill.dueDate && bill.status === "unpaid" ? ` · ${dueText(bill.dueDate)}` : ""}
            </p>
          </section>
          {bill.status === "unpaid" && <PayForm bill={bill} onPaid={data.reload} />}
          {bill.status === "paid" && paidWith && <Receipt bill={bill} payment={paidWith} />}
          {(data.data?.payments.length ?? 0) > 0 && (
            <section class="card" aria-labelledby="payments-heading">
              <h2 id="payments-heading">{t("payments")}</h2>
              <ul class="plain-list">
                {data.data?.payments.map((p) => (
                  <li key={p.id}>
                    {formatDateTime(p.createdAt)} · {p.card.brand} •••• {p.card.last4} · {paymentStatusWord(p.status, lang())}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </div>
  );
}

function PayForm({ bill, onPaid }: { bill: Bill; onPaid: () => void }) {
  const [number, setNumber] = useState("");
  const [expiry, setExpiry] = useState("");
  const [cvc, setCvc] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // One key per payment attempt: a retry after a network failure reuses it (so it cannot charge twice);
  // any answer from the server ends the attempt.
  const key = useRef(randomId());

  const pay = async (e: Event) => {
    e.preventDefault();
    const digits = number.replace(/\D/g, "");
    const m = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry.trim());
    const found: Record<string, string> = {};
    if (!luhnValid(digits)) found.number = t("cardNumberInvalid");
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 12) found.expiry = t("cardExpiryInvalid");
    if (!/^\d{3,4}$/.test(cvc)) found.cvc = t("cardCvcInvalid");
    setErrors(found);
    setError(null);
    if (Object.keys(found).length > 0 || !m) {
      document.getElementById(`card-${Object.keys(found)[0] ?? "number"}`)?.focus();
      return;
    }
    const year = Number(m[2]);
    setBusy(true);
    try {
      await api.post("/bills/{id}/pay", {
        path: { id: bill.id },
        header: { "idempotency-key": key.current },
        body: { method: "card", card: { number: digits, expMonth: Number(m[1]), expYear: year < 100 ? 2000 + year : year, cvc } },
      });
      key.current = randomId();
      onPaid();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 0)) key.current = randomId();
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (id: string, label: string, value: string, set: (v: string) => void, extra: Record<string, string>) => (
    <div class="field">
      <label for={`card-${id}`}>{label}</label>
      <input
        id={`card-${id}`}
        value={value}
        onInput={(e) => set(e.currentTarget.value)}
        aria-invalid={errors[id] ? "true" : undefined}
        aria-describedby={`card-${id}-error`}
        {...extra}
      />
      <p id={`card-${id}-error`} class="field-error">
        {errors[id]}
      </p>
    </div>
  );

  return (
    <form class="card pay" onSubmit={pay} aria-labelledby="pay-heading" noValidate>
      <h2 id="pay-heading">{t("payTitle")}</h2>
      <p class="hint">{t("sandboxNote")}</p>
      {field("number", t("cardNumber"), number, setNumber, {
        inputMode: "numeric",
        autoComplete: "cc-number",
        placeholder: "0000 0000 0000 0000",
      })}
      <div class="row">
        {field("expiry", t("cardExpiry"), expiry, setExpiry, { inputMode: "numeric", autoComplete: "cc-exp", placeholder: "12/30" })}
        {field("cvc", t("cardCvc"), cvc, setCvc, { inputMode: "numeric", autoComplete: "cc-csc", placeholder: "123" })}
      </div>
      {error ? (
        <p class="note note-error" role="alert" data-testid="pay-error">
          {errorText(error)}
        </p>
      ) : null}
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? t("paying") : t("pay", { amount: formatMoney(bill.amount, bill.currency) })}
      </button>
    </form>
  );
}

function Receipt({ bill, payment }: { bill: Bill; payment: Payment }) {
  return (
    <section class="card receipt" aria-labelledby="receipt-heading" data-testid="receipt">
      <h2 id="receipt-heading">{t("receipt")}</h2>
      <dl class="facts">
        <dt>{t("receiptAgency")}</dt>
        <dd>{bill.agency.name}</dd>
        <dt>{t("purpose")}</dt>
        <dd>{bill.purpose}</dd>
        <dt>{t("amount")}</dt>
        <dd>{formatMoney(payment.amount, payment.currency)}</dd>
        <dt>{t("receiptPaidAt")}</dt>
        <dd>{formatDateTime(payment.settledAt ?? payment.createdAt)}</dd>
        <dt>{t("receiptCard")}</dt>
        <dd>
          {payment.card.brand} •••• {payment.card.last4}
        </dd>
        <dt>{t("receiptPayment")}</dt>
        <dd class="mono">{payment.id}</dd>
      </dl>
      <div class="actions no-print">
        {bill.receiptId && (
          <a class="button secondary" href={href("services", "records", bill.receiptId)}>
            {t("receiptSigned")}
          </a>
        )}
        <button type="button" class="secondary" onClick={() => print()}>
          {t("print")}
        </button>
      </div>
    </section>
  );
}
