// The prefill map of a form: which claim of which record type may fill a top-level field, filled only when
// the citizen asks (POST /forms/:id/prefill). Rows of field, record type and claim.
import { useState } from "preact/hooks";
import { isRecordType } from "../../../records/type";
import { t } from "../i18n";
import { FieldErrors, TextField } from "../ui";
import { RemoveRowButton } from "./parts";

export interface PrefillRow {
  uid: number;
  field: string;
  type: string;
  claim: string;
}

export type PrefillMap = Record<string, { type: string; claim: string }>;

let nextUid = 1;
export const prefillRow = (field = "", type = "", claim = ""): PrefillRow => ({ uid: nextUid++, field, type, claim });

export function rowsFromMap(map: unknown): PrefillRow[] {
  if (typeof map !== "object" || map === null) return [];
  return Object.entries(map as Record<string, unknown>).flatMap(([field, source]) => {
    if (typeof source !== "object" || source === null) return [];
    const { type, claim } = source as { type?: unknown; claim?: unknown };
    return typeof type === "string" && typeof claim === "string" ? [prefillRow(field, type, claim)] : [];
  });
}

/** The map to publish, or the rows that are incomplete or repeat a field. */
export function mapFromRows(rows: PrefillRow[]): { map: PrefillMap } | { bad: Set<number> } {
  const bad = new Set<number>();
  const seen = new Set<string>();
  const map: PrefillMap = {};
  for (const row of rows) {
    const field = row.field.trim();
    const claim = row.claim.trim();
    if (!field || seen.has(field) || !isRecordType(row.type.trim()) || !claim) bad.add(row.uid);
    seen.add(field);
    map[field] = { type: row.type.trim(), claim };
  }
  return bad.size > 0 ? { bad } : { map };
}

/** Prefill rows; `fields` are the schema's top-level properties offered for the field name. */
export function PrefillEditor(props: {
  rows: PrefillRow[];
  fields: string[];
  bad: Set<number>;
  errors: string[];
  onChange: (rows: PrefillRow[]) => void;
}) {
  const [listId] = useState(() => `prefill-fields-${nextUid++}`);
  const update = (uid: number, change: Partial<PrefillRow>) =>
    props.onChange(props.rows.map((r) => (r.uid === uid ? { ...r, ...change } : r)));
  return (
    <fieldset class="claims">
      <legend>
        {t("forms.prefill")} <span class="optional">({t("common.optional")})</span>
      </legend>
      <p class="hint">{t("forms.prefillHint")}</p>
      <FieldErrors errors={props.errors} />
      <datalist id={listId}>
        {props.fields.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <ol class="claim-rows">
        {props.rows.map((row, index) => (
          <li key={row.uid}>
            <fieldset class="claim-row">
              <legend class="visually-hidden">{t("forms.prefillRow", { n: index + 1 })}</legend>
              <TextField
                label={t("forms.prefillField")}
                errors={props.bad.has(row.uid) ? [t("forms.prefillInvalid")] : []}
                list={listId}
                autocomplete="off"
                spellcheck={false}
                value={row.field}
                onValue={(field) => update(row.uid, { field })}
              />
              <TextField
                label={t("forms.prefillType")}
                autocomplete="off"
                autocapitalize="off"
                spellcheck={false}
                value={row.type}
                onValue={(type) => update(row.uid, { type })}
              />
              <TextField
                label={t("forms.prefillClaim")}
                autocomplete="off"
                spellcheck={false}
                value={row.claim}
                onValue={(claim) => update(row.uid, { claim })}
              />
              <RemoveRowButton
                label={t("forms.prefillRemove", { n: index + 1 })}
                onClick={() => props.onChange(props.rows.filter((r) => r.uid !== row.uid))}
              />
            </fieldset>
          </li>
        ))}
      </ol>
      <button type="button" class="button button-small" onClick={() => props.onChange([...props.rows, prefillRow()])}>
        {t("forms.prefillAdd")}
      </button>
    </fieldset>
  );
}
