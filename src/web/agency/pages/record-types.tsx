// Record types: the names citizens, verifiers and the official chat use for the agency's documents, and the
// label and format of each claim, in Russian and (optionally) English (PUT /agency/record-types/:type).
import { useState } from "preact/hooks";
import { isRecordType } from "../../../records/type";
import type { ClaimFormat } from "../../lib/format";
import { api } from "../api";
import { t } from "../i18n";
import type { AgencyProfile, RecordType } from "../types";
import { Field, ListCard, ListTable, PageTitle, TextField, useLoader } from "../ui";
import { FormCard, RemoveRowButton, useForm } from "./parts";

interface Localized {
  ru: string;
  en?: string;
}
interface ClaimMeta {
  label: Localized;
  format?: ClaimFormat;
  values?: Record<string, Localized>;
}
export type RecordTypeView = RecordType;

const FORMATS = ["text", "date", "money", "image"] as const;
const FIELDS = ["type", "name", "name.ru", "name.en", "claims"];

interface Row {
  uid: number;
  name: string;
  ru: string;
  en: string;
  format: ClaimFormat | "";
  /** Kept as they were: the editor does not edit enumeration values, and saving keeps them. */
  values?: Record<string, Localized>;
}

let nextUid = 1;
const newRow = (): Row => ({ uid: nextUid++, name: "", ru: "", en: "", format: "" });
const rowsOf = (rt: RecordTypeView): Row[] =>
  Object.entries(rt.claims).map(([name, m]) => ({
    uid: nextUid++,
    name,
    ru: m.label.ru,
    en: m.label.en ?? "",
    format: m.format ?? "",
    ...(m.values ? { values: m.values } : {}),
  }));

const localized = (ru: string, en: string): Localized => ({ ru: ru.trim(), ...(en.trim() ? { en: en.trim() } : {}) });

function Editor(props: { initial: RecordTypeView | null; onSaved: (rt: RecordTypeView) => void }) {
  const start = props.initial;
  const [type, setType] = useState(start?.type ?? "");
  const [nameRu, setNameRu] = useState(start?.name.ru ?? "");
  const [nameEn, setNameEn] = useState(start?.name.en ?? "");
  const [rows, setRows] = useState<Row[]>(() => (start ? rowsOf(start) : [newRow()]));
  const [rowProblems, setRowProblems] = useState<Record<number, { name?: boolean; ru?: boolean }>>({});
  const form = useForm();
  const update = (uid: number, change: Partial<Row>) => setRows((list) => list.map((r) => (r.uid === uid ? { ...r, ...change } : r)));

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!isRecordType(type)) problems.type = t("records.typeInvalid");
    if (!nameRu.trim()) problems["name.ru"] = t("signin.required");
    const bad: Record<number, { name?: boolean; ru?: boolean }> = {};
    const seen = new Set<string>();
    const claims: Record<string, ClaimMeta> = {};
    for (const row of rows) {
      const name = row.name.trim();
      if (!name && !row.ru.trim() && !row.en.trim()) continue;
      const badName = !name || seen.has(name);
      seen.add(name);
      if (badName || !row.ru.trim()) {
        bad[row.uid] = { name: badName, ru: !row.ru.trim() };
        continue;
      }
      const keepsValues = row.format === "enum" && row.values;
      claims[name] = {
        label: localized(row.ru, row.en),
        ...(row.format ? { format: row.format } : {}),
        ...(keepsValues ? { values: row.values } : {}),
      };
    }
    const checked = form.check(problems);
    setRowProblems(bad);
    if (!checked || Object.keys(bad).length > 0) return;
    await form.run(async () => {
      const { recordType } = await api.put("/agency/record-types/{type}", {
        path: { type },
        body: { name: localized(nameRu, nameEn), claims },
      });
      props.onSaved(recordType);
      form.setNote(t("recordTypes.saved"));
    });
  };

  return (
    <FormCard
      id="record-type-editor"
      title={start ? t("recordTypes.edit", { type: start.type }) : t("recordTypes.new")}
      intro={t("recordTypes.intro")}
      form={form}
      fields={FIELDS}
      submitLabel={t("recordTypes.save")}
      onSubmit={submit}
    >
      <div class="grid">
        <TextField
          label={t("records.type")}
          hint={t("records.typeHint")}
          errors={form.errorsOf("type")}
          name="type"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          maxLength={100}
          value={type}
          onValue={setType}
          readOnly={start !== null}
        />
        <TextField label={t("recordTypes.nameRu")} errors={form.errorsOf("name.ru")} name="name-ru" value={nameRu} onValue={setNameRu} />
        <TextField
          label={t("recordTypes.nameEn")}
          optional
          errors={form.errorsOf("name.en")}
          name="name-en"
          value={nameEn}
          onValue={setNameEn}
        />
      </div>
      <fieldset class="claims">
        <legend>{t("recordTypes.claims")}</legend>
        <p class="hint">{t("recordTypes.claimsHint")}</p>
        <ol class="claim-rows">
          {rows.map((row, index) => (
            <li key={row.uid}>
              <fieldset class="claim-row">
                <legend class="visually-hidden">{t("records.claim", { n: index + 1 })}</legend>
                <TextField
                  label={t("recordTypes.claimName")}
                  errors={rowProblems[row.uid]?.name ? [t("records.claimNameInvalid")] : form.errorsOf(`claims.${row.name}`)}
                  name={`rt-claim-${index}`}
                  autocomplete="off"
                  maxLength={100}
                  value={row.name}
                  onValue={(name) => update(row.uid, { name })}
                />
                <TextField
                  label={t("recordTypes.labelRu")}
                  errors={rowProblems[row.uid]?.ru ? [t("signin.required")] : []}
                  name={`rt-label-ru-${index}`}
                  value={row.ru}
                  onValue={(ru) => update(row.uid, { ru })}
                />
                <TextField
                  label={t("recordTypes.labelEn")}
                  optional
                  name={`rt-label-en-${index}`}
                  value={row.en}
                  onValue={(en) => update(row.uid, { en })}
                />
                <Field label={t("recordTypes.format")} class="field-narrow">
                  {(c) => (
                    <select {...c} value={row.format} onChange={(e) => update(row.uid, { format: e.currentTarget.value as Row["format"] })}>
                      <option value="">{t("recordTypes.format.none")}</option>
                      {FORMATS.map((f) => (
                        <option key={f} value={f}>
                          {t(`recordTypes.format.${f}`)}
                        </option>
                      ))}
                      {row.values && <option value="enum">{t("recordTypes.format.enum")}</option>}
                    </select>
                  )}
                </Field>
                <RemoveRowButton
                  label={t("records.removeClaim", { n: index + 1 })}
                  onClick={() => setRows((list) => list.filter((r) => r.uid !== row.uid))}
                />
              </fieldset>
            </li>
          ))}
        </ol>
        <button type="button" class="button button-small" onClick={() => setRows((list) => [...list, newRow()])}>
          {t("records.addClaim")}
        </button>
      </fieldset>
    </FormCard>
  );
}

/** The record types the agency has published (what citizens and verifiers see), once its profile is known. */
export function useRecordTypes(profile: AgencyProfile | null) {
  const agencyId = profile?.id;
  return useLoader(
    async () => (agencyId ? (await api.get("/agencies/{id}/record-types", { path: { id: agencyId } })).recordTypes : []),
    [agencyId],
  );
}

export function RecordTypesPage(props: { profile: AgencyProfile | null }) {
  const loaded = useRecordTypes(props.profile);
  // The editor's subject: null for a new type; its key remounts the editor with that type's words.
  const [editing, setEditing] = useState<RecordTypeView | null>(null);
  const [editorKey, setEditorKey] = useState(0);
  const edit = (rt: RecordTypeView | null) => {
    setEditing(rt);
    setEditorKey((k) => k + 1);
  };
  return (
    <>
      <PageTitle>{t("recordTypes.title")}</PageTitle>
      <Editor
        key={editorKey}
        initial={editing}
        onSaved={(rt) => {
          loaded.setData((list) => [...(list ?? []).filter((x) => x.type !== rt.type), rt].sort((a, b) => a.type.localeCompare(b.type)));
        }}
      />
      <ListCard
        id="record-types-list"
        title={t("recordTypes.list")}
        loaded={loaded}
        toolbar={
          <button type="button" class="button button-small" onClick={() => edit(null)}>
            {t("recordTypes.new")}
          </button>
        }
      >
        <ListTable
          loaded={loaded}
          label={t("recordTypes.list")}
          columns={[t("recordTypes.col.name"), t("records.col.type"), t("recordTypes.col.claims"), t("common.actions")]}
          items={(loaded.data ?? []).map((rt) => ({ ...rt, id: rt.type, createdAt: rt.updatedAt }))}
          cells={(rt) => (
            <>
              <td>
                {rt.name.ru}
                {rt.name.en ? <div class="hint">{rt.name.en}</div> : null}
              </td>
              <td class="mono">{rt.type}</td>
              <td class="claims-cell">
                {Object.values(rt.claims)
                  .map((c) => c.label.ru)
                  .join(", ")}
              </td>
              <td>
                <button
                  type="button"
                  class="button button-small"
                  aria-label={t("recordTypes.editLabel", { name: rt.name.ru })}
                  onClick={() => edit(rt)}
                >
                  {t("recordTypes.editButton")}
                </button>
              </td>
            </>
          )}
        />
      </ListCard>
    </>
  );
}
