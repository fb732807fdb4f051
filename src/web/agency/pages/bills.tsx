import { useState } from "preact/hooks";
import type { AnswerOf } from "../../lib/api-call";
import { api, authorizedJson } from "../api";
import { formatDateTime, formatDay, formatMoney, parseAmount, randomRef } from "../format";
import { t } from "../i18n";
import type { Bill, BillStatus } from "../types";
import {
  Badge,
  ConfirmDialog,
  Field,
  ListCard,
  ListTable,
  PageTitle,
  StatusFilter,
  StatusNote,
  TextField,
  type Tone,
  useAction,
  useLoader,
} from "../ui";
import { mergeById, replaceById } from "./lists";
import { FormCard, PhoneField, useForm } from "./parts";

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
  const form = useForm();

  const submit = async (event: Event) => {
    event.preventDefault();
    const minor = parseAmount(amount);
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (minor === null) problems.amount = t("bills.amountInvalid");
    if (!purpose.trim()) problems.purpose = t("signin.required");
    if (!externalRef.trim()) problems.externalRef = t("signin.required");
    if (!form.check(problems) || minor === null) return;
    await form.run(async () => {
      const { status, data } = await authorizedJson<AnswerOf<"/agency/bills", "post">>("POST", "/agency/bills", {
        citizenPhone: phone.trim(),
        amount: minor,
        currency,
        purpose: purpose.trim(),
        ...(dueDate ? { dueDate } : {}),
        externalRef: externalRef.trim(),
      });
      props.onIssued({ citizenPhone: phone.trim(), ...data.bill });
      form.setNote(status === 200 ? t("bills.existed") : t("bills.issued"));
      if (status === 201) {
        setAmount("");
        setPurpose("");
        setDueDate("");
        setExternalRef(randomRef("bill"));
      }
    });
  };

  return (
    <FormCard id="issue-bill" title={t("bills.issue")} form={form} fields={FIELDS} submitLabel={t("bills.submit")} onSubmit={submit}>
      <div class="grid">
        <PhoneField value={phone} errors={form.errorsOf("citizenPhone")} onValue={setPhone} />
        <div class="field-pair">
          <TextField
            label={t("bills.amount")}
            hint={t("bills.amountHint")}
            errors={form.errorsOf("amount")}
            name="amount"
            inputMode="decimal"
            autocomplete="off"
            value={amount}
            onValue={setAmount}
          />
          <Field label={t("bills.currency")} errors={form.errorsOf("currency")} class="field-narrow">
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
        <TextField
          label={t("bills.purpose")}
          errors={form.errorsOf("purpose")}
          class="span-2"
          name="purpose"
          maxLength={500}
          value={purpose}
          onValue={setPurpose}
        />
        <TextField
          label={t("bills.dueDate")}
          optional
          errors={form.errorsOf("dueDate")}
          name="dueDate"
          type="date"
          value={dueDate}
          onValue={setDueDate}
        />
        <Field label={t("bills.externalRef")} hint={t("bills.externalRefHint")} errors={form.errorsOf("externalRef")}>
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
    </FormCard>
  );
}

export function BillsPage() {
  const [status, setStatus] = useState<BillStatus | "">("");
  const loaded = useLoader<Bill[]>(
    async () => (await api.get("/agency/bills", { query: { status: status || undefined } })).bills,
    [status],
  );
  const [local, setLocal] = useState<Bill[]>([]);
  const [cancelling, setCancelling] = useState<Bill | null>(null);
  const cancelAction = useAction();

  const bills = mergeById(local, loaded.data ?? []).filter((b) => !status || b.status === status);

  const issued = (bill: Bill) => {
    setLocal((list) => replaceById(list, bill, true));
  };

  const cancel = async () => {
    if (!cancelling) return;
    await cancelAction.run(async () => {
      const { bill } = await api.post("/agency/bills/{id}/cancel", { path: { id: cancelling.id } });
      const updated = { ...cancelling, ...bill };
      setLocal((list) => replaceById(list, updated, false));
      loaded.setData((list) => replaceById(list ?? [], updated, false));
      setCancelling(null);
      cancelAction.setNote(t("bills.cancelled"));
    });
  };

  return (
    <>
      <PageTitle>{t("bills.title")}</PageTitle>
      <IssueBill onIssued={issued} />
      <ListCard
        id="bills-list"
        title={t("bills.list")}
        loaded={loaded}
        toolbar={
          <StatusFilter label={t("common.status")} value={status} statuses={STATUSES} name={(s) => t(`bill.${s}`)} onChange={setStatus} />
        }
      >
        <StatusNote text={cancelAction.note} />
        <ListTable
          loaded={loaded}
          label={t("bills.list")}
          columns={[
            t("common.created"),
            t("bills.col.purpose"),
            t("bills.col.citizen"),
            { label: t("bills.col.amount"), num: true },
            t("bills.col.due"),
            t("bills.col.ref"),
            t("common.status"),
            t("common.actions"),
          ]}
          items={bills}
          cells={(bill) => (
            <>
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
                      cancelAction.setError(null);
                      cancelAction.setNote(null);
                      setCancelling(bill);
                    }}
                  >
                    {t("bills.cancel")}
                  </button>
                ) : null}
              </td>
            </>
          )}
        />
      </ListCard>
      <ConfirmDialog
        open={cancelling !== null}
        title={t("bills.cancelTitle")}
        question={
          cancelling
            ? t("bills.cancelQuestion", { purpose: cancelling.purpose, amount: formatMoney(cancelling.amount, cancelling.currency) })
            : ""
        }
        confirmLabel={t("bills.cancelConfirm")}
        busy={cancelAction.busy}
        error={cancelAction.error}
        onConfirm={() => void cancel()}
        onClose={() => setCancelling(null)}
      />
    </>
  );
}
