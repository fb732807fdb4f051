import { useState } from "preact/hooks";
import { api, request } from "../api";
import { formatDateTime, formatDay, formatMoney, parseAmount, randomRef, serverFieldErrors, unclaimedFieldErrors } from "../format";
import { t } from "../i18n";
import type { Bill, BillStatus } from "../types";
import {
  Badge,
  ConfirmDialog,
  ErrorAlert,
  Field,
  ListState,
  PageTitle,
  RefreshButton,
  StatusNote,
  TableWrap,
  type Tone,
  useLoader,
} from "../ui";
import { mergeById, replaceById } from "./lists";

const STATUSES: BillStatus[] = ["unpaid", "processing", "paid", "cancelled"];
const TONES: Record<BillStatus, Tone> = { unpaid: "warn", processing: "info", paid: "ok", cancelled: "neutral" };
const CURRENCIES = ["RUB", "USD", "EUR"];
const FIELDS = ["citizenPhone", "amount", "currency", "purpose", "dueDate", "externalRef"];

export function BillStatusBadge(props: { status: BillStatus }) {
  return <Badge tone={TONES[props.status]}>{t(`bill.${props.status}`)}</Badge>;
}

function IssueBill(props: { onIssued: (bill: Bill) => void }) {
  const [phone, setPhone] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("RUB");
  const [purpose, setPurpose] = useState("");
  const [dueDate, setDueDate] = useState("");
  const [externalRef, setExternalRef] = useState(() => randomRef("bill"));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const minor = parseAmount(amount);
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (minor === null) problems.amount = t("bills.amountInvalid");
    if (!purpose.trim()) problems.purpose = t("signin.required");
    if (!externalRef.trim()) problems.externalRef = t("signin.required");
    setLocal(problems);
    setNote(null);
    if (Object.keys(problems).length > 0 || minor === null) return;
    setBusy(true);
    setError(null);
    try {
      const { status, data } = await request<{ bill: Bill }>("POST", "/agency/bills", {
        citizenPhone: phone.trim(),
        amount: minor,
        currency,
        purpose: purpose.trim(),
        ...(dueDate ? { dueDate } : {}),
        externalRef: externalRef.trim(),
      });
      props.onIssued({ citizenPhone: phone.trim(), ...data.bill });
      setNote(status === 200 ? t("bills.existed") : t("bills.issued"));
      if (status === 201) {
        setAmount("");
        setPurpose("");
        setDueDate("");
        setExternalRef(randomRef("bill"));
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const errorsOf = (name: string) => [...(local[name] ? [local[name]] : []), ...serverFieldErrors(error, name)];

  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="issue-bill">
      <h2 id="issue-bill">{t("bills.issue")}</h2>
      <ErrorAlert error={error} extra={unclaimedFieldErrors(error, FIELDS)} />
      <div class="grid">
        <Field label={t("common.phone")} hint={t("common.phoneHint")} errors={errorsOf("citizenPhone")}>
          {(c) => (
            <input
              {...c}
              name="citizenPhone"
              type="tel"
              autocomplete="off"
              value={phone}
              onInput={(e) => setPhone(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="field-pair">
          <Field label={t("bills.amount")} hint={t("bills.amountHint")} errors={errorsOf("amount")}>
            {(c) => (
              <input
                {...c}
                name="amount"
                inputMode="decimal"
                autocomplete="off"
                value={amount}
                onInput={(e) => setAmount(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label={t("bills.currency")} errors={errorsOf("currency")} class="field-narrow">
            {(c) => (
              <select {...c} name="currency" value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
                {CURRENCIES.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <Field label={t("bills.purpose")} errors={errorsOf("purpose")} class="span-2">
          {(c) => <input {...c} name="purpose" maxLength={500} value={purpose} onInput={(e) => setPurpose(e.currentTarget.value)} />}
        </Field>
        <Field label={t("bills.dueDate")} optional errors={errorsOf("dueDate")}>
          {(c) => <input {...c} name="dueDate" type="date" value={dueDate} onInput={(e) => setDueDate(e.currentTarget.value)} />}
        </Field>
        <Field label={t("bills.externalRef")} hint={t("bills.externalRefHint")} errors={errorsOf("externalRef")}>
          {(c) => (
            <div class="input-with-button">
              <input
                {...c}
                name="externalRef"
                maxLength={200}
                autocomplete="off"
                value={externalRef}
                onInput={(e) => setExternalRef(e.currentTarget.value)}
              />
              <button type="button" class="button button-small" onClick={() => setExternalRef(randomRef("bill"))}>
                {t("bills.newRef")}
              </button>
            </div>
          )}
        </Field>
      </div>
      <div class="actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t("common.busy") : t("bills.submit")}
        </button>
      </div>
      <StatusNote text={note} />
    </form>
  );
}

export function BillsPage() {
  const [status, setStatus] = useState<BillStatus | "">("");
  const loaded = useLoader(
    async () => (await api.get<{ bills: Bill[] }>(`/agency/bills${status ? `?status=${status}` : ""}`)).bills,
    [status],
  );
  const [local, setLocal] = useState<Bill[]>([]);
  const [cancelling, setCancelling] = useState<Bill | null>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const bills = mergeById(local, loaded.data ?? []).filter((b) => !status || b.status === status);

  const issued = (bill: Bill) => {
    setLocal((list) => replaceById(list, bill, true));
  };

  const cancel = async () => {
    if (!cancelling) return;
    setBusy(true);
    setCancelError(null);
    try {
      const { bill } = await api.post<{ bill: Bill }>(`/agency/bills/${encodeURIComponent(cancelling.id)}/cancel`);
      const updated = { ...cancelling, ...bill };
      setLocal((list) => replaceById(list, updated, false));
      loaded.setData((list) => replaceById(list ?? [], updated, false));
      setCancelling(null);
      setNote(t("bills.cancelled"));
    } catch (err) {
      setCancelError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>{t("bills.title")}</PageTitle>
      <IssueBill onIssued={issued} />
      <section class="card" aria-labelledby="bills-list">
        <div class="section-head">
          <h2 id="bills-list">{t("bills.list")}</h2>
          <div class="toolbar">
            <label class="inline-label">
              {t("common.status")}
              <select value={status} onChange={(e) => setStatus(e.currentTarget.value as BillStatus | "")}>
                <option value="">{t("common.all")}</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {t(`bill.${s}`)}
                  </option>
                ))}
              </select>
            </label>
            <RefreshButton onClick={() => void loaded.reload()} busy={loaded.loading} />
          </div>
        </div>
        <StatusNote text={note} />
        <ListState loaded={loaded} count={bills.length} />
        {bills.length > 0 ? (
          <TableWrap label={t("bills.list")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("common.created")}</th>
                  <th scope="col">{t("bills.col.purpose")}</th>
                  <th scope="col">{t("bills.col.citizen")}</th>
                  <th scope="col" class="num">
                    {t("bills.col.amount")}
                  </th>
                  <th scope="col">{t("bills.col.due")}</th>
                  <th scope="col">{t("bills.col.ref")}</th>
                  <th scope="col">{t("common.status")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {bills.map((bill) => (
                  <tr key={bill.id} data-id={bill.id}>
                    <td>{formatDateTime(bill.createdAt)}</td>
                    <td>{bill.purpose}</td>
                    <td class="nowrap">{bill.citizenPhone ?? t("common.dash")}</td>
                    <td class="num nowrap">{formatMoney(bill.amount, bill.currency)}</td>
                    <td class="nowrap">{formatDay(bill.dueDate)}</td>
                    <td class="mono">{bill.externalRef}</td>
                    <td>
                      <BillStatusBadge status={bill.status} />
                    </td>
                    <td>
                      {bill.status === "unpaid" ? (
                        <button
                          type="button"
                          class="button button-small button-danger"
                          aria-label={t("bills.cancelLabel", { purpose: bill.purpose })}
                          onClick={() => {
                            setCancelError(null);
                            setNote(null);
                            setCancelling(bill);
                          }}
                        >
                          {t("bills.cancel")}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
      <ConfirmDialog
        open={cancelling !== null}
        title={t("bills.cancelTitle")}
        question={
          cancelling
            ? t("bills.cancelQuestion", { purpose: cancelling.purpose, amount: formatMoney(cancelling.amount, cancelling.currency) })
            : ""
        }
        confirmLabel={t("bills.cancelConfirm")}
        busy={busy}
        error={cancelError}
        onConfirm={() => void cancel()}
        onClose={() => setCancelling(null)}
      />
    </>
  );
}
