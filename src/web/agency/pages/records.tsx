import { useState } from "preact/hooks";
import { isRecordType } from "../../../records/type";
import { claimRows } from "../../lib/format";
import { api } from "../api";
import { dayOf, endOfDay, formatDateTime } from "../format";
import { currentLang, t } from "../i18n";
import type { AgencyRecord } from "../types";
import {
  Badge,
  ConfirmDialog,
  Field,
  FieldErrors,
  ListCard,
  ListTable,
  PageTitle,
  StatusNote,
  TextField,
  useAction,
  useLoader,
} from "../ui";
import { mergeById, replaceById } from "./lists";
import { FormCard, PhoneField, RemoveRowButton, useForm } from "./parts";

const KINDS = ["text", "number", "boolean", "json"] as const;
type Kind = (typeof KINDS)[number];
const FIELDS = ["citizenPhone", "type", "claims", "expiresAt"];

interface ClaimRow {
  uid: number;
  name: string;
  kind: Kind;
  value: string;
}

let nextUid = 1;
const newClaim = (): ClaimRow => ({ uid: nextUid++, name: "", kind: "text", value: "" });

/** The typed value of a claim row, or undefined when the text does not fit its kind. */
function claimValue(row: ClaimRow): unknown {
  switch (row.kind) {
    case "text":
      return row.value;
    case "number": {
      const text = row.value.replace(/\s/g, "").replace(",", ".");
      const n = Number(text);
      return text !== "" && Number.isFinite(n) ? n : undefined;
    }
    case "boolean":
      return row.value === "true";
    case "json":
      try {
        return JSON.parse(row.value) as unknown;
      } catch {
        return undefined;
      }
  }
}

/** "Имя: Анна; Дата рождения: 17 мая 1990 г.": labels from the record type, values as people read them. */
function claimsSummary(r: AgencyRecord): string {
  if (!r.claims) return t("common.dash");
  return claimRows(r.claims, r.display, currentLang())
    .map((row) => `${row.label}: ${row.value}`)
    .join("; ");
}

const typeName = (r: AgencyRecord) => r.display?.name ?? r.type;

function RecordBadge(props: { record: AgencyRecord }) {
  const { record } = props;
  if (record.revoked) return <Badge tone="bad">{t("record.revoked")}</Badge>;
  if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) return <Badge tone="neutral">{t("record.expired")}</Badge>;
  return <Badge tone="ok">{t("record.valid")}</Badge>;
}

function IssueRecord(props: { onIssued: (record: AgencyRecord) => void }) {
  const [phone, setPhone] = useState("");
  const [type, setType] = useState("");
  const [claims, setClaims] = useState<ClaimRow[]>(() => [newClaim()]);
  const [expires, setExpires] = useState("");
  const [rowProblems, setRowProblems] = useState<Record<number, { name?: boolean; value?: boolean }>>({});
  const form = useForm();

  const update = (uid: number, change: Partial<ClaimRow>) =>
    setClaims((list) => list.map((c) => (c.uid === uid ? { ...c, ...change } : c)));

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (!isRecordType(type)) problems.type = t("records.typeInvalid");
    if (claims.length === 0) problems.claims = t("records.claimsEmpty");
    const until = expires ? endOfDay(expires) : null;
    if (expires && (!until || until.getTime() <= Date.now())) problems.expiresAt = t("consents.expiresPast");
    const rows: Record<number, { name?: boolean; value?: boolean }> = {};
    const seen = new Set<string>();
    const body: Record<string, unknown> = {};
    for (const row of claims) {
      const name = row.name.trim();
      const value = claimValue(row);
      const badName = !name || seen.has(name);
      seen.add(name);
      if (badName || value === undefined) rows[row.uid] = { name: badName, value: value === undefined };
      else body[name] = value;
    }
    const checked = form.check(problems);
    setRowProblems(rows);
    if (!checked || Object.keys(rows).length > 0) return;
    await form.run(async () => {
      const { record } = await api.post("/agency/records", {
        body: {
          citizenPhone: phone.trim(),
          type,
          claims: body,
          ...(until ? { expiresAt: until.toISOString() } : {}),
        },
      });
      props.onIssued({ citizenPhone: phone.trim(), ...record });
      form.setNote(t("records.issued"));
      setClaims([newClaim()]);
      setExpires("");
    });
  };

  return (
    <FormCard id="issue-record" title={t("records.issue")} form={form} fields={FIELDS} submitLabel={t("records.submit")} onSubmit={submit}>
      <div class="grid">
        <PhoneField value={phone} errors={form.errorsOf("citizenPhone")} onValue={setPhone} />
        <TextField
          label={t("records.type")}
          hint={t("records.typeHint")}
          errors={form.errorsOf("type")}
          name="type"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          maxLength={64}
          value={type}
          onValue={setType}
        />
        <TextField
          label={t("records.expires")}
          optional
          errors={form.errorsOf("expiresAt")}
          name="expiresAt"
          type="date"
          min={dayOf(new Date())}
          value={expires}
          onValue={setExpires}
        />
      </div>
      <fieldset class="claims" aria-describedby="claims-hint">
        <legend>{t("records.claims")}</legend>
        <p class="hint" id="claims-hint">
          {t("records.claimsHint")}
        </p>
        <FieldErrors errors={form.errorsOf("claims")} />
        <ol class="claim-rows">
          {claims.map((row, index) => (
            <li key={row.uid}>
              <fieldset class="claim-row">
                <legend class="visually-hidden">{t("records.claim", { n: index + 1 })}</legend>
                <TextField
                  label={t("records.claimName")}
                  errors={rowProblems[row.uid]?.name ? [t("records.claimNameInvalid")] : []}
                  name={`claim-name-${index}`}
                  autocomplete="off"
                  maxLength={100}
                  value={row.name}
                  onValue={(name) => update(row.uid, { name })}
                />
                <Field label={t("records.claimKind")} class="field-narrow">
                  {(c) => (
                    <select
                      {...c}
                      value={row.kind}
                      onChange={(e) => {
                        const kind = e.currentTarget.value as Kind;
                        update(row.uid, { kind, value: kind === "boolean" ? "true" : row.value });
                      }}
                    >
                      {KINDS.map((k) => (
                        <option key={k} value={k}>
                          {t(`records.kind.${k}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={t("records.claimValue")} errors={rowProblems[row.uid]?.value ? [t("records.valueInvalid")] : []}>
                  {(c) =>
                    row.kind === "boolean" ? (
                      <select {...c} value={row.value} onChange={(e) => update(row.uid, { value: e.currentTarget.value })}>
                        <option value="true">{t("common.yes")}</option>
                        <option value="false">{t("common.no")}</option>
                      </select>
                    ) : (
                      <input
                        {...c}
                        name={`claim-value-${index}`}
                        autocomplete="off"
                        inputMode={row.kind === "number" ? "decimal" : undefined}
                        class={row.kind === "json" ? "code" : undefined}
                        value={row.value}
                        onInput={(e) => update(row.uid, { value: e.currentTarget.value })}
                      />
                    )
                  }
                </Field>
                <RemoveRowButton
                  label={t("records.removeClaim", { n: index + 1 })}
                  onClick={() => setClaims((list) => list.filter((c) => c.uid !== row.uid))}
                />
              </fieldset>
            </li>
          ))}
        </ol>
        <button type="button" class="button button-small" onClick={() => setClaims((list) => [...list, newClaim()])}>
          {t("records.addClaim")}
        </button>
      </fieldset>
    </FormCard>
  );
}

export function RecordsPage() {
  const loaded = useLoader<AgencyRecord[]>(async () => (await api.get("/agency/records")).records, []);
  const [local, setLocal] = useState<AgencyRecord[]>([]);
  const [revoking, setRevoking] = useState<AgencyRecord | null>(null);
  const revokeAction = useAction();
  const [reissuing, setReissuing] = useState<AgencyRecord | null>(null);

  const records = mergeById(local, loaded.data ?? []);

  const revoke = async () => {
    if (!revoking) return;
    await revokeAction.run(async () => {
      const { record } = await api.post("/agency/records/{id}/revoke", { path: { id: revoking.id } });
      const updated = { ...revoking, ...record, revoked: true };
      setLocal((list) => replaceById(list, updated, false));
      loaded.setData((list) => replaceById(list ?? [], updated, false));
      setRevoking(null);
      revokeAction.setNote(t("records.revoked"));
    });
  };

  // For a citizen who lost the devices holding the record, once the agency has confirmed who they are.
  const reissue = async () => {
    if (!reissuing) return;
    await revokeAction.run(async () => {
      const { devices } = await api.post("/agency/records/{id}/reissue", { path: { id: reissuing.id } });
      setReissuing(null);
      revokeAction.setNote(devices > 0 ? t("records.reissued", { count: devices }) : t("records.reissuedPending"));
    });
  };

  return (
    <>
      <PageTitle>{t("records.title")}</PageTitle>
      <IssueRecord
        onIssued={(record) => {
          setLocal((list) => [record, ...list]);
        }}
      />
      <ListCard id="records-list" title={t("records.list")} loaded={loaded}>
        <StatusNote text={revokeAction.note} />
        <ListTable
          loaded={loaded}
          label={t("records.list")}
          columns={[
            t("records.col.issued"),
            t("records.col.type"),
            t("bills.col.citizen"),
            t("records.col.claims"),
            t("records.col.expires"),
            t("common.status"),
            t("common.actions"),
          ]}
          items={records}
          cells={(r) => (
            <>
              <td class="nowrap">{formatDateTime(r.createdAt)}</td>
              <td>
                {typeName(r)}
                {typeName(r) !== r.type ? <div class="hint mono">{r.type}</div> : null}
              </td>
              <td class="nowrap">{r.citizenPhone ?? t("common.dash")}</td>
              <td class="claims-cell">{claimsSummary(r)}</td>
              <td class="nowrap">{formatDateTime(r.expiresAt)}</td>
              <td>
                <RecordBadge record={r} />
              </td>
              <td>
                {r.revoked ? null : (
                  <button
                    type="button"
                    class="button button-small button-danger"
                    aria-label={t("records.revokeLabel", { type: typeName(r), date: formatDateTime(r.createdAt) })}
                    onClick={() => {
                      revokeAction.setError(null);
                      revokeAction.setNote(null);
                      setRevoking(r);
                    }}
                  >
                    {t("records.revoke")}
                  </button>
                )}
                {r.revoked ? null : (
                  <button
                    type="button"
                    class="button button-small"
                    aria-label={t("records.reissueLabel", { type: typeName(r), date: formatDateTime(r.createdAt) })}
                    onClick={() => {
                      revokeAction.setError(null);
                      revokeAction.setNote(null);
                      setReissuing(r);
                    }}
                  >
                    {t("records.reissue")}
                  </button>
                )}
              </td>
            </>
          )}
        />
      </ListCard>
      <ConfirmDialog
        open={revoking !== null}
        title={t("records.revokeTitle")}
        question={revoking ? t("records.revokeQuestion", { type: typeName(revoking) }) : ""}
        confirmLabel={t("records.revokeConfirm")}
        busy={revokeAction.busy}
        error={revokeAction.error}
        onConfirm={() => void revoke()}
        onClose={() => setRevoking(null)}
      />
      <ConfirmDialog
        open={reissuing !== null}
        title={t("records.reissueTitle")}
        question={reissuing ? t("records.reissueQuestion", { type: typeName(reissuing) }) : ""}
        confirmLabel={t("records.reissueConfirm")}
        busy={revokeAction.busy}
        error={revokeAction.error}
        onConfirm={() => void reissue()}
        onClose={() => setReissuing(null)}
      />
    </>
  );
}
