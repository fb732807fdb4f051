import { useState } from "preact/hooks";
import { api } from "../api";
import { dayOf, endOfDay, formatDateTime, serverFieldErrors, unclaimedFieldErrors } from "../format";
import { t } from "../i18n";
import type { AgencyRecord } from "../types";
import { Badge, ConfirmDialog, ErrorAlert, Field, ListState, PageTitle, RefreshButton, StatusNote, TableWrap, useLoader } from "../ui";
import { mergeById, replaceById } from "./lists";

const TYPE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
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

const issuedAt = (r: AgencyRecord) => r.issuedAt ?? r.createdAt;

function claimsSummary(claims: Record<string, unknown> | undefined): string {
  if (!claims) return t("common.dash");
  return Object.entries(claims)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("; ");
}

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
  const [local, setLocal] = useState<Record<string, string>>({});
  const [rowProblems, setRowProblems] = useState<Record<number, { name?: boolean; value?: boolean }>>({});
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const update = (uid: number, change: Partial<ClaimRow>) =>
    setClaims((list) => list.map((c) => (c.uid === uid ? { ...c, ...change } : c)));

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (!TYPE.test(type)) problems.type = t("records.typeInvalid");
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
    setLocal(problems);
    setRowProblems(rows);
    setNote(null);
    if (Object.keys(problems).length > 0 || Object.keys(rows).length > 0) return;
    setBusy(true);
    setError(null);
    try {
      const { record } = await api.post<{ record: AgencyRecord }>("/agency/records", {
        citizenPhone: phone.trim(),
        type,
        claims: body,
        ...(until ? { expiresAt: until.toISOString() } : {}),
      });
      props.onIssued({ citizenPhone: phone.trim(), ...record });
      setNote(t("records.issued"));
      setClaims([newClaim()]);
      setExpires("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const errorsOf = (name: string) => [...(local[name] ? [local[name]] : []), ...serverFieldErrors(error, name)];

  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="issue-record">
      <h2 id="issue-record">{t("records.issue")}</h2>
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
        <Field label={t("records.type")} hint={t("records.typeHint")} errors={errorsOf("type")}>
          {(c) => (
            <input
              {...c}
              name="type"
              autocomplete="off"
              autocapitalize="off"
              spellcheck={false}
              maxLength={64}
              value={type}
              onInput={(e) => setType(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={t("records.expires")} optional errors={errorsOf("expiresAt")}>
          {(c) => (
            <input
              {...c}
              name="expiresAt"
              type="date"
              min={dayOf(new Date())}
              value={expires}
              onInput={(e) => setExpires(e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      <fieldset class="claims" aria-describedby="claims-hint">
        <legend>{t("records.claims")}</legend>
        <p class="hint" id="claims-hint">
          {t("records.claimsHint")}
        </p>
        {errorsOf("claims").length ? (
          <ul class="field-errors">
            {errorsOf("claims").map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        ) : null}
        <ol class="claim-rows">
          {claims.map((row, index) => (
            <li key={row.uid}>
              <fieldset class="claim-row">
                <legend class="visually-hidden">{t("records.claim", { n: index + 1 })}</legend>
                <Field label={t("records.claimName")} errors={rowProblems[row.uid]?.name ? [t("records.claimNameInvalid")] : []}>
                  {(c) => (
                    <input
                      {...c}
                      name={`claim-name-${index}`}
                      autocomplete="off"
                      maxLength={100}
                      value={row.name}
                      onInput={(e) => update(row.uid, { name: e.currentTarget.value })}
                    />
                  )}
                </Field>
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
                <button
                  type="button"
                  class="button button-small button-quiet"
                  onClick={() => setClaims((list) => list.filter((c) => c.uid !== row.uid))}
                >
                  {t("records.removeClaim", { n: index + 1 })}
                </button>
              </fieldset>
            </li>
          ))}
        </ol>
        <button type="button" class="button button-small" onClick={() => setClaims((list) => [...list, newClaim()])}>
          {t("records.addClaim")}
        </button>
      </fieldset>
      <div class="actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t("common.busy") : t("records.submit")}
        </button>
      </div>
      <StatusNote text={note} />
    </form>
  );
}

export function RecordsPage() {
  const loaded = useLoader(async () => (await api.get<{ records: AgencyRecord[] }>("/agency/records")).records, []);
  const [local, setLocal] = useState<AgencyRecord[]>([]);
  const [revoking, setRevoking] = useState<AgencyRecord | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const withCreated = (r: AgencyRecord) => ({ ...r, createdAt: issuedAt(r) ?? "" });
  const records = mergeById(local.map(withCreated), (loaded.data ?? []).map(withCreated));

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    setRevokeError(null);
    try {
      const { record } = await api.post<{ record: AgencyRecord }>(`/agency/records/${encodeURIComponent(revoking.id)}/revoke`);
      const updated = { ...revoking, ...record, revoked: true };
      setLocal((list) => replaceById(list, updated, false));
      loaded.setData((list) => replaceById(list ?? [], updated, false));
      setRevoking(null);
      setNote(t("records.revoked"));
    } catch (err) {
      setRevokeError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>{t("records.title")}</PageTitle>
      <IssueRecord
        onIssued={(record) => {
          setLocal((list) => [record, ...list]);
        }}
      />
      <section class="card" aria-labelledby="records-list">
        <div class="section-head">
          <h2 id="records-list">{t("records.list")}</h2>
          <RefreshButton onClick={() => void loaded.reload()} busy={loaded.loading} />
        </div>
        <StatusNote text={note} />
        <ListState loaded={loaded} count={records.length} />
        {records.length > 0 ? (
          <TableWrap label={t("records.list")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("records.col.issued")}</th>
                  <th scope="col">{t("records.col.type")}</th>
                  <th scope="col">{t("bills.col.citizen")}</th>
                  <th scope="col">{t("records.col.claims")}</th>
                  <th scope="col">{t("records.col.expires")}</th>
                  <th scope="col">{t("common.status")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {records.map((r) => (
                  <tr key={r.id} data-id={r.id}>
                    <td class="nowrap">{formatDateTime(issuedAt(r))}</td>
                    <td class="mono">{r.type}</td>
                    <td class="nowrap">{r.citizenPhone ?? t("common.dash")}</td>
                    <td class="claims-cell">{claimsSummary(r.claims)}</td>
                    <td class="nowrap">{formatDateTime(r.expiresAt)}</td>
                    <td>
                      <RecordBadge record={r} />
                    </td>
                    <td>
                      {r.revoked ? null : (
                        <button
                          type="button"
                          class="button button-small button-danger"
                          aria-label={t("records.revokeLabel", { type: r.type, date: formatDateTime(issuedAt(r)) })}
                          onClick={() => {
                            setRevokeError(null);
                            setNote(null);
                            setRevoking(r);
                          }}
                        >
                          {t("records.revoke")}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
      <ConfirmDialog
        open={revoking !== null}
        title={t("records.revokeTitle")}
        question={revoking ? t("records.revokeQuestion", { type: revoking.type }) : ""}
        confirmLabel={t("records.revokeConfirm")}
        busy={busy}
        error={revokeError}
        onConfirm={() => void revoke()}
        onClose={() => setRevoking(null)}
      />
    </>
  );
}
