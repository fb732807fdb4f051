import { useState } from "preact/hooks";
import { isConsentScope } from "../../../records/type";
import { api } from "../api";
import { dayOf, endOfDay, formatDateTime } from "../format";
import { t } from "../i18n";
import type { ConsentRequest, ConsentStatus } from "../types";
import { Badge, ListCard, ListTable, PageTitle, TextField, type Tone, useLoader } from "../ui";
import { mergeById } from "./lists";
import { FormCard, PhoneField, useForm } from "./parts";

const TONES: Record<ConsentStatus, Tone> = { requested: "info", approved: "ok", denied: "bad", revoked: "neutral", expired: "neutral" };
const FIELDS = ["citizenPhone", "scope", "purpose", "expiresAt"];

function RequestConsent(props: { onRequested: (consent: ConsentRequest) => void }) {
  const [phone, setPhone] = useState("");
  const [scope, setScope] = useState("records");
  const [purpose, setPurpose] = useState("");
  const [expires, setExpires] = useState(() => dayOf(new Date(Date.now() + 30 * 86_400_000)));
  const form = useForm();

  const submit = async (event: Event) => {
    event.preventDefault();
    const until = endOfDay(expires);
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (!isConsentScope(scope.trim())) problems.scope = t("consents.scopeInvalid");
    if (!purpose.trim()) problems.purpose = t("signin.required");
    if (!until || until.getTime() <= Date.now()) problems.expiresAt = t("consents.expiresPast");
    if (!form.check(problems) || !until) return;
    await form.run(async () => {
      const { consent } = await api.post<{ consent: ConsentRequest }>("/agency/consent-requests", {
        citizenPhone: phone.trim(),
        scope: scope.trim(),
        purpose: purpose.trim(),
        expiresAt: until.toISOString(),
      });
      props.onRequested({ citizenPhone: phone.trim(), ...consent });
      form.setNote(t("consents.requested"));
      setPurpose("");
    });
  };

  return (
    <FormCard
      id="request-consent"
      title={t("consents.request")}
      intro={t("consents.intro")}
      form={form}
      fields={FIELDS}
      submitLabel={t("consents.submit")}
      onSubmit={submit}
    >
      <div class="grid">
        <PhoneField value={phone} errors={form.errorsOf("citizenPhone")} onValue={setPhone} />
        <TextField
          label={t("consents.scope")}
          hint={t("consents.scopeHint")}
          errors={form.errorsOf("scope")}
          name="scope"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          value={scope}
          onValue={setScope}
        />
        <TextField
          label={t("consents.purpose")}
          errors={form.errorsOf("purpose")}
          class="span-2"
          name="purpose"
          maxLength={500}
          value={purpose}
          onValue={setPurpose}
        />
        <TextField
          label={t("consents.expires")}
          errors={form.errorsOf("expiresAt")}
          name="expiresAt"
          type="date"
          min={dayOf(new Date())}
          value={expires}
          onValue={setExpires}
        />
      </div>
    </FormCard>
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
      <ListCard id="consents-list" title={t("consents.list")} loaded={loaded}>
        <ListTable
          loaded={loaded}
          label={t("consents.list")}
          columns={[
            t("common.created"),
            t("bills.col.citizen"),
            t("consents.col.scope"),
            t("consents.col.purpose"),
            t("consents.col.expires"),
            t("common.status"),
          ]}
          items={consents}
          cells={(c) => (
            <>
              <td class="nowrap">{formatDateTime(c.createdAt)}</td>
              <td class="nowrap">{c.citizenPhone ?? t("common.dash")}</td>
              <td class="mono">{c.scope}</td>
              <td>{c.purpose}</td>
              <td class="nowrap">{formatDateTime(c.expiresAt)}</td>
              <td>
                <Badge tone={TONES[c.status]}>{t(`consent.${c.status}`)}</Badge>
              </td>
            </>
          )}
        />
      </ListCard>
    </>
  );
}
