import { useState } from "preact/hooks";
import { api } from "../api";
import { dayOf, endOfDay, formatDateTime, serverFieldErrors, unclaimedFieldErrors } from "../format";
import { t } from "../i18n";
import type { ConsentRequest, ConsentStatus } from "../types";
import { Badge, ErrorAlert, Field, ListState, PageTitle, RefreshButton, StatusNote, TableWrap, type Tone, useLoader } from "../ui";
import { mergeById } from "./lists";

const SCOPE = /^records(:[a-z0-9][a-z0-9_.-]{0,63})?$/;
const TONES: Record<ConsentStatus, Tone> = { requested: "info", approved: "ok", denied: "bad", revoked: "neutral", expired: "neutral" };
const FIELDS = ["citizenPhone", "scope", "purpose", "expiresAt"];

function RequestConsent(props: { onRequested: (consent: ConsentRequest) => void }) {
  const [phone, setPhone] = useState("");
  const [scope, setScope] = useState("records");
  const [purpose, setPurpose] = useState("");
  const [expires, setExpires] = useState(() => dayOf(new Date(Date.now() + 30 * 86_400_000)));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const until = endOfDay(expires);
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (!SCOPE.test(scope.trim())) problems.scope = t("consents.scopeInvalid");
    if (!purpose.trim()) problems.purpose = t("signin.required");
    if (!until || until.getTime() <= Date.now()) problems.expiresAt = t("consents.expiresPast");
    setLocal(problems);
    setNote(null);
    if (Object.keys(problems).length > 0 || !until) return;
    setBusy(true);
    setError(null);
    try {
      const { consent } = await api.post<{ consent: ConsentRequest }>("/agency/consent-requests", {
        citizenPhone: phone.trim(),
        scope: scope.trim(),
        purpose: purpose.trim(),
        expiresAt: until.toISOString(),
      });
      props.onRequested({ citizenPhone: phone.trim(), ...consent });
      setNote(t("consents.requested"));
      setPurpose("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const errorsOf = (name: string) => [...(local[name] ? [local[name]] : []), ...serverFieldErrors(error, name)];

  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="request-consent">
      <h2 id="request-consent">{t("consents.request")}</h2>
      <p class="hint">{t("consents.intro")}</p>
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
        <Field label={t("consents.scope")} hint={t("consents.scopeHint")} errors={errorsOf("scope")}>
          {(c) => (
            <input
              {...c}
              name="scope"
              autocomplete="off"
              autocapitalize="off"
              spellcheck={false}
              value={scope}
              onInput={(e) => setScope(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={t("consents.purpose")} errors={errorsOf("purpose")} class="span-2">
          {(c) => <input {...c} name="purpose" maxLength={500} value={purpose} onInput={(e) => setPurpose(e.currentTarget.value)} />}
        </Field>
        <Field label={t("consents.expires")} errors={errorsOf("expiresAt")}>
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
      <div class="actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t("common.busy") : t("consents.submit")}
        </button>
      </div>
      <StatusNote text={note} />
    </form>
  );
}

export function ConsentsPage() {
  const loaded = useLoader(
    async () => (await api.get<{ consentRequests: ConsentRequest[] }>("/agency/consent-requests")).consentRequests,
    [],
  );
  const [local, setLocal] = useState<ConsentRequest[]>([]);
  const consents = mergeById(local, loaded.data ?? []);

  return (
    <>
      <PageTitle>{t("consents.title")}</PageTitle>
      <RequestConsent
        onRequested={(consent) => {
          setLocal((list) => [consent, ...list]);
        }}
      />
      <section class="card" aria-labelledby="consents-list">
        <div class="section-head">
          <h2 id="consents-list">{t("consents.list")}</h2>
          <RefreshButton onClick={() => void loaded.reload()} busy={loaded.loading} />
        </div>
        <ListState loaded={loaded} count={consents.length} />
        {consents.length > 0 ? (
          <TableWrap label={t("consents.list")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("common.created")}</th>
                  <th scope="col">{t("bills.col.citizen")}</th>
                  <th scope="col">{t("consents.col.scope")}</th>
                  <th scope="col">{t("consents.col.purpose")}</th>
                  <th scope="col">{t("consents.col.expires")}</th>
                  <th scope="col">{t("common.status")}</th>
                </tr>
              </thead>
              <tbody>
                {consents.map((c) => (
                  <tr key={c.id} data-id={c.id}>
                    <td class="nowrap">{formatDateTime(c.createdAt)}</td>
                    <td class="nowrap">{c.citizenPhone ?? t("common.dash")}</td>
                    <td class="mono">{c.scope}</td>
                    <td>{c.purpose}</td>
                    <td class="nowrap">{formatDateTime(c.expiresAt)}</td>
                    <td>
                      <Badge tone={TONES[c.status]}>{t(`consent.${c.status}`)}</Badge>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
    </>
  );
}
