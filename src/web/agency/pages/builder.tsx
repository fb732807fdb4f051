// A simple field builder for forms: rows of name, label, type and "required", turned into a schema of the
// supported subset. Anything richer is written in the JSON box directly.
import { useState } from "preact/hooks";
import { t } from "../i18n";
import { Field, StatusNote, TextField } from "../ui";
import { RemoveRowButton } from "./parts";

const TYPES = ["string", "number", "integer", "boolean", "date", "email", "phone", "inn", "snils", "enum"] as const;
type FieldType = (typeof TYPES)[number];
const FORMATTED = new Set<FieldType>(["date", "email", "phone", "inn", "snils"]);
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

interface Row {
  uid: number;
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  options: string;
}

function propertyOf(row: Row): Record<string, unknown> {
  const title = row.label.trim() || row.name;
  if (row.type === "enum") {
    const options = row.options
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean);
    return { type: "string", title, enum: options };
  }
  if (FORMATTED.has(row.type)) return { type: "string", title, format: row.type };
  if (row.type === "string")
    return row.required ? { type: "string", title, minLength: 1, maxLength: 1000 } : { type: "string", title, maxLength: 1000 };
  return { type: row.type, title };
}

export function buildSchema(rows: Row[]): Record<string, unknown> {
  return {
    type: "object",
    properties: Object.fromEntries(rows.map((row) => [row.name, propertyOf(row)])),
    required: rows.filter((row) => row.required).map((row) => row.name),
    additionalProperties: false,
  };
}

let nextUid = 1;
const newRow = (): Row => ({ uid: nextUid++, name: "", label: "", type: "string", required: true, options: "" });

export function FieldBuilder(props: { onApply: (schema: Record<string, unknown>) => void }) {
  const [rows, setRows] = useState<Row[]>(() => [newRow()]);
  const [problems, setProblems] = useState<Record<number, { name?: boolean; options?: boolean }>>({});
  const [note, setNote] = useState<string | null>(null);

  const update = (uid: number, change: Partial<Row>) => setRows((list) => list.map((r) => (r.uid === uid ? { ...r, ...change } : r)));

  const apply = () => {
    const found: Record<number, { name?: boolean; options?: boolean }> = {};
    const seen = new Set<string>();
    for (const row of rows) {
      const badName = !NAME.test(row.name) || seen.has(row.name);
      seen.add(row.name);
      const badOptions = row.type === "enum" && !row.options.split(",").some((o) => o.trim());
      if (badName || badOptions) found[row.uid] = { name: badName, options: badOptions };
    }
    setProblems(found);
    if (rows.length === 0) {
      setNote(t("builder.empty"));
      return;
    }
    if (Object.keys(found).length > 0) {
      setNote(null);
      return;
    }
    props.onApply(buildSchema(rows));
    setNote(t("builder.applied"));
  };

  return (
    <details class="builder">
      <summary>{t("builder.title")}</summary>
      <p class="hint">{t("builder.intro")}</p>
      <ol class="builder-rows">
        {rows.map((row, index) => (
          <li key={row.uid}>
            <fieldset class="builder-row">
              <legend>{t("builder.field", { n: index + 1 })}</legend>
              <TextField
                label={t("builder.name")}
                errors={problems[row.uid]?.name ? [t("builder.nameInvalid")] : []}
                autocomplete="off"
                autocapitalize="off"
                spellcheck={false}
                value={row.name}
                onValue={(name) => update(row.uid, { name })}
              />
              <TextField label={t("builder.label")} value={row.label} onValue={(label) => update(row.uid, { label })} />
              <Field label={t("builder.type")}>
                {(c) => (
                  <select {...c} value={row.type} onChange={(e) => update(row.uid, { type: e.currentTarget.value as FieldType })}>
                    {TYPES.map((type) => (
                      <option key={type} value={type}>
                        {t(`type.${type}`)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {row.type === "enum" ? (
                <TextField
                  label={t("builder.options")}
                  errors={problems[row.uid]?.options ? [t("builder.optionsEmpty")] : []}
                  value={row.options}
                  onValue={(options) => update(row.uid, { options })}
                />
              ) : null}
              <label class="checkbox">
                <input type="checkbox" checked={row.required} onChange={(e) => update(row.uid, { required: e.currentTarget.checked })} />
                {t("builder.required")}
              </label>
              <RemoveRowButton
                label={t("builder.remove", { n: index + 1 })}
                onClick={() => setRows((list) => list.filter((r) => r.uid !== row.uid))}
              />
            </fieldset>
          </li>
        ))}
      </ol>
      <div class="actions">
        <button type="button" class="button button-small" onClick={() => setRows((list) => [...list, newRow()])}>
          {t("builder.add")}
        </button>
        <button type="button" class="button button-small" onClick={apply}>
          {t("builder.apply")}
        </button>
      </div>
      <StatusNote text={note} />
    </details>
  );
}
