// Reading a citizen's records: the agency's own, and other agencies' under a consent the citizen approved.
// Staff give the citizen's phone and the purpose of the read; the server writes the read, with that purpose,
// into the citizen's access log in the same batch as the read itself (GET /agency/citizens/:phone/records).
import { useState } from "preact/hooks";
import { claimRows, type RecordDisplay } from "../../lib/format";
import { api } from "../api";
import { formatDateTime } from "../format";
import { currentLang, t } from "../i18n";
import { Badge, PageTitle, TextField, type Tone } from "../ui";
import { FormCard, PhoneField, useForm } from "./parts";

interface CitizenRecord {
  id: string;
  agencyId: string;
  agencyName: string;
  type: string;
  claims: Record<string, unknown>;
  revoked: boolean;
  expiresAt: string | null;
  status: "valid" | "revoked" | "expired";
  /** The issuer's name for the type and labels for the claims, in the console's language. */
  display?: RecordDisplay;
}

const TONES: Record<CitizenRecord["status"], Tone> = { valid: "ok", revoked: "bad", expired: "neutral" };
const FIELDS = ["phone", "purpose"];

export function CitizenRecordsPage() {
  const [phone, setPhone] = useState("");
  const [purpose, setPurpose] = useState("");
  const [records, setRecords] = useState<CitizenRecord[] | null>(null);
  const [readAt, setReadAt] = useState<string | null>(null);
  const form = useForm();

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!phone.trim()) problems.phone = t("signin.required");
    if (!purpose.trim()) problems.purpose = t("citizenRecords.purposeRequired");
    if (!form.check(problems)) return;
    await form.run(async () => {
      const answer = await api.get("/agency/citizens/{phone}/records", {
        path: { phone: phone.trim() },
        query: { purpose: purpose.trim() },
      });
      setRecords(answer.records);
      setReadAt(new Date().toISOString());
    });
  };

  return (
    <>
      <PageTitle>{t("citizenRecords.title")}</PageTitle>
      <FormCard
        id="read-records"
        title={t("citizenRecords.read")}
        intro={t("citizenRecords.intro")}
        form={form}
        fields={FIELDS}
        submitLabel={t("citizenRecords.submit")}
        onSubmit={submit}
      >
        <div class="grid">
          <PhoneField value={phone} errors={form.errorsOf("phone")} onValue={setPhone} />
          <TextField
            label={t("citizenRecords.purpose")}
            hint={t("citizenRecords.purposeHint")}
            errors={form.errorsOf("purpose")}
            class="span-2"
            name="purpose"
            maxLength={500}
            value={purpose}
            onValue={setPurpose}
          />
        </div>
      </FormCard>
      {records && (
        <section class="card" aria-labelledby="citizen-records-list" data-testid="citizen-records">
          <h2 id="citizen-records-list">{t("citizenRecords.found", { count: records.length })}</h2>
          {readAt && <p class="hint">{t("citizenRecords.logged", { date: formatDateTime(readAt) })}</p>}
          {records.length === 0 && <p>{t("citizenRecords.none")}</p>}
          {records.map((r) => (
            <article key={r.id} class="record-card" data-testid="citizen-record">
              <div class="section-head">
                <h3>{r.display?.name ?? r.type}</h3>
                <Badge tone={TONES[r.status]}>{t(`citizenRecords.status.${r.status}`)}</Badge>
              </div>
              <p class="hint">
                {t("citizenRecords.issuer", { agency: r.agencyName })}
                {r.expiresAt ? ` · ${t("citizenRecords.until", { date: formatDateTime(r.expiresAt) })}` : ""}
              </p>
              <dl class="facts">
                {claimRows(r.claims, r.display, currentLang()).map(({ name, label, value }) => [
                  <dt key={`${name}-t`}>{label}</dt>,
                  <dd key={`${name}-v`}>{value}</dd>,
                ])}
              </dl>
            </article>
          ))}
        </section>
      )}
    </>
  );
}
