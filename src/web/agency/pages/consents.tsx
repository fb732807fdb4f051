import { useState } from "preact/hooks";
import { isRecordType } from "../../../records/type";
import { pickText } from "../../lib/claim-labels";
import { api } from "../api";
import { dayOf, endOfDay, formatDateTime } from "../format";
import { t } from "../i18n";
import type { AgencyProfile, ConsentRequest, ConsentStatus } from "../types";
import { Badge, Field, ListCard, ListTable, PageTitle, TextField, type Tone, useLoader } from "../ui";
import { mergeById } from "./lists";
import { FormCard, PhoneField, useForm } from "./parts";
import { useRecordTypes } from "./record-types";

/** A record type's name in the console's language, where the agency has published one. */
type TypeNames = ReadonlyMap<string, string>;

const OTHER = "other";

/** A scope in words: "Все документы", "Документы «Водительское удостоверение»". */
function scopeText(scope: string, names: TypeNames): string {
  if (!scope.startsWith("records:")) return t("consents.scopeAll");
  const type = scope.slice("records:".length);
  return t("consents.scopeOf", { name: names.get(type) ?? type });
}

const TONES: Record<ConsentStatus, Tone> = { requested: "info", approved: "ok", denied: "bad", revoked: "neutral", expired: "neutral" };
const FIELDS = ["citizenPhone", "scope", "purpose", "expiresAt"];

function RequestConsent(props: { names: TypeNames; onRequested: (consent: ConsentRequest) => void }) {
  const [phone, setPhone] = useState("");
  // "records", "records:<type>" of one of the agency's own types, or OTHER with the type's code typed in.
  const [choice, setChoice] = useState("records");
  const [otherType, setOtherType] = useState("");
  const scope = choice === OTHER ? `records:${otherType.trim()}` : choice;
  const [purpose, setPurpose] = useState("");
  const [expires, setExpires] = useState(() => dayOf(new Date(Date.now() + 30 * 86_400_000)));
  const form = useForm();

  const submit = async (event: Event) => {
    event.preventDefault();
    const until = endOfDay(expires);
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.citizenPhone = t("signin.required");
    if (choice === OTHER && !isRecordType(otherType.trim())) problems.otherType = t("consents.scopeInvalid");
    if (!purpose.trim()) problems.purpose = t("signin.required");
    if (!until || until.getTime() <= Date.now()) problems.expiresAt = t("consents.expiresPast");
    if (!form.check(problems) || !until) return;
    await form.run(async () => {
      const { consent } = await api.post("/agency/consent-requests", {
        body: {
          citizenPhone: phone.trim(),
          scope,
          purpose: purpose.trim(),
          expiresAt: until.toISOString(),
        },
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
        <Field label={t("consents.scope")} hint={t("consents.scopeHint")} errors={choice === OTHER ? [] : form.errorsOf("scope")}>
          {(c) => (
            <select {...c} name="scope" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
              <option value="records">{t("consents.scopeAll")}</option>
              {[...props.names].map(([type, name]) => (
                <option key={type} value={`records:${type}`}>
                  {t("consents.scopeOf", { name })}
                </option>
              ))}
              <option value={OTHER}>{t("consents.scopeOther")}</option>
            </select>
          )}
        </Field>
        {choice === OTHER ? (
          <TextField
            label={t("consents.otherType")}
            hint={t("consents.otherTypeHint")}
            errors={[...form.errorsOf("otherType"), ...form.errorsOf("scope")]}
            name="otherType"
            autocomplete="off"
            autocapitalize="off"
            spellcheck={false}
            value={otherType}
            onValue={setOtherType}
          />
        ) : null}
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

export function ConsentsPage(props: { profile: AgencyProfile | null }) {
  // The agency's own record types name the scopes it asks for; other agencies' types show by their code.
  const types = useRecordTypes(props.profile);
  const names: TypeNames = new Map((types.data ?? []).map((rt) => [rt.type, pickText(rt.name)]));
  const loaded = useLoader(async () => (await api.get("/agency/consent-requests")).consentRequests, []);
  const [local, setLocal] = useState<ConsentRequest[]>([]);
  const consents = mergeById(local, loaded.data ?? []);

  return (
    <>
      <PageTitle>{t("consents.title")}</PageTitle>
      <RequestConsent
        names={names}
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
              <td>{scopeText(c.scope, names)}</td>
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
