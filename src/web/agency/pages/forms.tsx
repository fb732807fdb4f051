import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { formatDateTime, serverFieldErrors } from "../format";
import { t } from "../i18n";
import type { Form } from "../types";
import { Field, ListCard, ListState, PageTitle, TextField, useLoader } from "../ui";
import { FieldBuilder } from "./builder";
import { mergeById } from "./lists";
import { FormCard, useForm } from "./parts";
import { mapFromRows, PrefillEditor, type PrefillRow, rowsFromMap } from "./prefill";

const KEY = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const FIELDS = ["key", "title", "schema", "prefill"];

/** The schema a new form starts from, its field titles in the console's language. */
const sampleSchema = () => `{
  "type": "object",
  "properties": {
    "fullName": { "type": "string", "title": ${JSON.stringify(t("forms.sampleFullName"))}, "minLength": 1, "maxLength": 200 },
    "birthDate": { "type": "string", "title": ${JSON.stringify(t("forms.sampleBirthDate"))}, "format": "date" }
  },
  "required": ["fullName"],
  "additionalProperties": false
}`;

/** The schema text parsed, or why not: JSON syntax first, then the one shape every form schema has. */
export function parseSchema(text: string): { schema: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: t("forms.jsonError", { message: err instanceof Error ? err.message : String(err) }) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: t("forms.notObject") };
  const schema = value as Record<string, unknown>;
  if (schema.type !== "object" || typeof schema.properties !== "object" || schema.properties === null)
    return { error: t("forms.notObject") };
  return { schema };
}

interface Draft {
  nonce: number;
  key: string;
  title: string;
  schema: string;
  prefill: unknown;
}

function PublishForm(props: { initial: Draft; onPublished: (form: Form) => void }) {
  const [key, setKey] = useState(props.initial.key);
  const [title, setTitle] = useState(props.initial.title);
  const [schemaText, setSchemaText] = useState(props.initial.schema);
  const [prefill, setPrefill] = useState<PrefillRow[]>(() => rowsFromMap(props.initial.prefill));
  const [badPrefill, setBadPrefill] = useState<Set<number>>(new Set());
  const form = useForm();
  const titleRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (props.initial.nonce > 0) titleRef.current?.focus();
  }, [props.initial.nonce]);

  const parsed = parseSchema(schemaText);
  const schemaError = "error" in parsed ? parsed.error : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!KEY.test(key)) problems.key = t("forms.keyInvalid");
    if (!title.trim()) problems.title = t("signin.required");
    const prefillMap = mapFromRows(prefill);
    const checked = form.check(problems);
    setBadPrefill("bad" in prefillMap ? prefillMap.bad : new Set());
    if (!checked || !("schema" in parsed) || "bad" in prefillMap) return;
    await form.run(async () => {
      const { form: published } = await api.post("/agency/forms", {
        body: {
          key,
          title: title.trim(),
          schema: parsed.schema,
          ...(prefill.length > 0 ? { prefill: prefillMap.map } : {}),
        },
      });
      props.onPublished(published);
      form.setNote(t("forms.published", { title: published.title, version: published.version }));
    });
  };

  return (
    <FormCard
      id="publish-form"
      title={t("forms.publish")}
      form={form}
      fields={FIELDS}
      submitLabel={t("forms.submit")}
      submitDisabled={schemaError !== null}
      onSubmit={submit}
    >
      <div class="grid">
        <TextField
          label={t("forms.key")}
          hint={t("forms.keyHint")}
          errors={form.errorsOf("key")}
          name="key"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          maxLength={64}
          value={key}
          onValue={setKey}
        />
        <TextField
          label={t("forms.formTitle")}
          errors={form.errorsOf("title")}
          inputRef={titleRef}
          name="title"
          maxLength={200}
          value={title}
          onValue={setTitle}
        />
        <Field
          label={t("forms.schema")}
          hint={t("forms.schemaHint")}
          errors={[...(schemaError ? [schemaError] : []), ...form.errorsOf("schema")]}
          class="span-2"
        >
          {(c) => (
            <textarea
              {...c}
              name="schema"
              class="code"
              rows={14}
              spellcheck={false}
              value={schemaText}
              onInput={(e) => setSchemaText(e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      <FieldBuilder onApply={(schema) => setSchemaText(JSON.stringify(schema, null, 2))} />
      <PrefillEditor
        rows={prefill}
        fields={"schema" in parsed ? Object.keys(parsed.schema.properties as Record<string, unknown>) : []}
        bad={badPrefill}
        errors={serverFieldErrors(form.error, "prefill")}
        onChange={setPrefill}
      />
    </FormCard>
  );
}

function FormVersions(props: { versions: Form[]; onNewVersion: (form: Form) => void }) {
  const latest = props.versions[0];
  if (!latest) return null;
  return (
    <li class="form-entry" data-key={latest.key}>
      <div class="section-head">
        <h3>
          {latest.title} <span class="mono muted">{latest.key}</span>
        </h3>
        <button
          type="button"
          class="button button-small"
          aria-label={t("forms.newVersionLabel", { title: latest.title })}
          onClick={() => props.onNewVersion(latest)}
        >
          {t("forms.newVersion")}
        </button>
      </div>
      <ul class="versions" aria-label={t("forms.versions")}>
        {props.versions.map((form) => (
          <li key={form.id} data-version={form.version}>
            <details>
              <summary>
                {t("forms.version", { version: form.version })}
                {form === latest ? ` (${t("forms.latest")})` : ""} · {form.title} · {formatDateTime(form.createdAt)}
                <span class="visually-hidden"> — {t("forms.showSchema", { version: form.version })}</span>
              </summary>
              <pre class="code-block">{JSON.stringify(form.schema, null, 2)}</pre>
              {rowsFromMap(form.prefill).length > 0 ? (
                <>
                  <h4>{t("forms.prefill")}</h4>
                  <ul>
                    {rowsFromMap(form.prefill).map((r) => (
                      <li key={r.field} class="mono">
                        {t("forms.prefillFrom", { field: r.field, type: r.type, claim: r.claim })}
                      </li>
                    ))}
                  </ul>
                </>
              ) : null}
            </details>
          </li>
        ))}
      </ul>
    </li>
  );
}

export function FormsPage() {
  const loaded = useLoader(async () => (await api.get("/agency/forms")).forms, []);
  const [local, setLocal] = useState<Form[]>([]);
  const [draft, setDraft] = useState<Draft>(() => ({ nonce: 0, key: "", title: "", schema: sampleSchema(), prefill: null }));

  const forms = mergeById(local, loaded.data ?? []);
  const byKey = new Map<string, Form[]>();
  for (const form of forms) byKey.set(form.key, [...(byKey.get(form.key) ?? []), form]);
  const groups = [...byKey.values()].map((versions) => versions.sort((a, b) => b.version - a.version));

  return (
    <>
      <PageTitle>{t("forms.title")}</PageTitle>
      <PublishForm
        key={draft.nonce}
        initial={draft}
        onPublished={(form) => {
          setLocal((list) => [form, ...list]);
          if (!loaded.unavailable) void loaded.reload();
        }}
      />
      <ListCard id="forms-list" title={t("forms.list")} loaded={loaded}>
        <ListState loaded={loaded} count={groups.length} />
        <ul class="plain-list">
          {groups.map((versions) => (
            <FormVersions
              key={versions[0]?.key}
              versions={versions}
              onNewVersion={(form) =>
                setDraft((d) => ({
                  nonce: d.nonce + 1,
                  key: form.key,
                  title: form.title,
                  schema: JSON.stringify(form.schema, null, 2),
                  prefill: form.prefill,
                }))
              }
            />
          ))}
        </ul>
      </ListCard>
    </>
  );
}
