// Applications: forms rendered from their JSON Schema (the server's subset), validated inline with the very
// validator the server runs (src/forms/validate.ts, which has no zod: docs/performance.md, "Bundle size"),
// submitted, and their status followed.
import { useEffect, useRef, useState } from "preact/hooks";
import { type ArraySchema, type FormSchemaType, type ObjectSchema, type PropertySchema, validate } from "../../../forms/validate";
import { ApiError, api, type FieldError, upload } from "../../lib/api";
import type { AnswerOf } from "../../lib/api-call";
import { formatValue } from "../../lib/format";
import { formatDateTime, lang, t, tKey } from "../../lib/i18n";
import { idbGet, idbPut, PREFS } from "../../lib/idb";
import { href, navigate } from "../../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync, useStore } from "../../lib/ui";
import type { ChatList } from "../state";
import { fieldMessage } from "./field-words";

type Form = AnswerOf<"/forms/{id}", "get">["form"];

/**
 * A form whose schema is known to be a form schema. The server declares a form's `schema` as any JSON object
 * (the route schema says `record<string, unknown>`); what it holds passed FormSchema (src/forms/schema.ts)
 * when the form was published, so its root is checked here and the rest taken as published.
 */
type FillableForm = Form & { schema: FormSchemaType };

const isFormSchema = (schema: Form["schema"]): schema is Form["schema"] & FormSchemaType =>
  schema.type === "object" && typeof schema.properties === "object" && schema.properties !== null;

/** One form, with its schema checked to be one. */
async function loadForm(id: string): Promise<FillableForm> {
  const { form } = await api.get("/forms/{id}", { path: { id } });
  const { schema } = form;
  if (!isFormSchema(schema)) throw new Error("not a form schema");
  return { ...form, schema };
}

/** A reference number as people read it: "№ 2026-000123". */
export const showReference = (reference: string) => `№ ${reference}`;

export function FormsView({ chats }: { chats: ChatList }) {
  const tick = useStore(chats.notifications);
  const forms = useAsync(() => api.get("/forms"), []);
  const subs = useAsync(() => api.get("/submissions"), [tick]);
  const titleOf = (formId: string) => forms.data?.forms.find((f) => f.id === formId)?.title;
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("forms")}</ScreenTitle>
      <section aria-labelledby="available-heading">
        <h2 id="available-heading">{t("availableForms")}</h2>
        {forms.loading && !forms.data && <Loading />}
        <ErrorNote error={forms.error} onRetry={forms.reload} />
        {forms.data?.forms.length === 0 && <p class="muted">{t("noForms")}</p>}
        <ul class="cards">
          {forms.data?.forms.map((f) => (
            <li key={f.id}>
              <a class="card link-card" href={href("services", "forms", f.id)}>
                <strong>{f.title}</strong>
                <span class="muted">{f.agency.name}</span>
              </a>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="subs-heading">
        <h2 id="subs-heading">{t("mySubmissions")}</h2>
        <ErrorNote error={subs.error} onRetry={subs.reload} />
        {subs.data?.submissions.length === 0 && <p class="muted">{t("noSubmissions")}</p>}
        <ul class="cards">
          {subs.data?.submissions.map((s) => (
            <li key={s.id}>
              <a class="card link-card" href={href("services", "submissions", s.id)}>
                <span class="row spread">
                  <strong>{titleOf(s.formId) ?? t("forms")}</strong>
                  <span class={`status status-${s.status}`}>{tKey("submissionStatus_", s.status)}</span>
                </span>
                <span class="muted">
                  {s.reference && `${showReference(s.reference)} · `}
                  {t("submittedAt", { date: formatDateTime(s.createdAt) })}
                </span>
              </a>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

/** An answer as people read it: dates as dates, moments in words, yes or no, lists joined, never JSON. */
function answerText(value: unknown, prop: PropertySchema | undefined): string {
  const format = prop && "format" in prop ? prop.format : undefined;
  if (format === "date-time" && typeof value === "string") return formatDateTime(value);
  return formatValue(value, format === "date" ? "date" : undefined, lang());
}

export function SubmissionView({ id, chats }: { id: string; chats: ChatList }) {
  const tick = useStore(chats.notifications);
  const sub = useAsync(() => api.get("/submissions/{id}", { path: { id } }), [id, tick]);
  const form = useAsync(async () => (sub.data ? loadForm(sub.data.submission.formId) : null), [sub.data?.submission.formId]);
  const s = sub.data?.submission;
  const schema = form.data?.schema;
  return (
    <div class="page">
      <ScreenTitle back={href("services", "forms")}>{form.data?.title ?? t("forms")}</ScreenTitle>
      {sub.loading && !s && <Loading />}
      <ErrorNote error={sub.error} onRetry={sub.reload} />
      {s && (
        <section class="card">
          <p class={`status status-${s.status}`} role="status" data-testid="submission-status">
            {tKey("submissionStatus_", s.status)}
          </p>
          {s.reference && (
            <p data-testid="submission-reference">
              {t("referenceNumber")}: <strong>{showReference(s.reference)}</strong>
            </p>
          )}
          {s.comment && <p>{t("agencyComment", { comment: s.comment })}</p>}
          <p class="muted">{t("submittedAt", { date: formatDateTime(s.createdAt) })}</p>
          <dl class="facts">
            {Object.entries(s.data).map(([k, v]) => {
              const prop = schema?.properties[k];
              // A file field holds the upload's id: people see the file's name.
              const file = prop?.type === "string" && prop.format === "file" ? s.attachments.find((a) => a.id === v) : undefined;
              return [
                <dt key={`${k}-t`}>{prop?.title ?? k}</dt>,
                <dd key={`${k}-v`}>{file ? (file.filename ?? t("attachedFile")) : answerText(v, prop)}</dd>,
              ];
            })}
          </dl>
        </section>
      )}
    </div>
  );
}

type Data = Record<string, unknown>;
type Errors = Map<string, string>;

const fieldId = (path: string[]) => `f-${path.join("-")}`;

function toErrors(list: FieldError[]): Errors {
  const map: Errors = new Map();
  for (const e of list) if (!map.has(e.path)) map.set(e.path, fieldMessage(e.message, lang()));
  return map;
}

export function FormView({ id }: { id: string }) {
  const form = useAsync(() => loadForm(id), [id]);
  const f = form.data;
  return (
    <div class="page">
      <ScreenTitle back={href("services", "forms")}>{f?.title ?? t("forms")}</ScreenTitle>
      {form.loading && !f && <Loading />}
      <ErrorNote error={form.error} onRetry={form.reload} />
      {f && <FormFill form={f} />}
    </div>
  );
}

/**
 * A form's draft, kept on this device (IndexedDB, the prefs store under `form-draft:<form id>`, so that no
 * schema upgrade is needed) until it is submitted: the values typed so far, and the names of the files
 * already uploaded into file fields (by media id). Drafts never leave the device; an uploaded file does,
 * but stays unattached (and is cleaned up by the server) until the form is submitted.
 */
interface Draft {
  data: Data;
  files: Record<string, string>;
  savedAt: string;
}
const draftKey = (formId: string) => `form-draft:${formId}`;
const isDraft = (v: unknown): v is Draft =>
  typeof v === "object" && v !== null && typeof (v as Draft).data === "object" && typeof (v as Draft).files === "object";

function FormFill({ form }: { form: FillableForm }) {
  const [data, setData] = useState<Data>(() => defaults(form.schema));
  const [files, setFiles] = useState<Record<string, string>>({});
  /** null until the stored draft was read (so an empty form does not overwrite it first). */
  const [draftAt, setDraftAt] = useState<string | null | undefined>(undefined);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<Errors>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLParagraphElement>(null);

  const errors = toErrors(validate(form.schema, data));
  const shown = (path: string) => serverErrors.get(path) ?? (submitted || touched.has(path) ? errors.get(path) : undefined);

  const set = (path: string[], value: unknown) => {
    setData((d) => setIn(d, path, value));
    setServerErrors((e) => {
      const next = new Map(e);
      next.delete(path.join("."));
      return next;
    });
  };
  const touch = (path: string[]) => setTouched((s) => new Set(s).add(path.join(".")));

  useEffect(() => {
    let live = true;
    idbGet(PREFS, draftKey(form.id))
      .then((stored) => {
        if (!live) return;
        if (isDraft(stored)) {
          setData(stored.data);
          setFiles(stored.files);
          setDraftAt(stored.savedAt);
        } else setDraftAt(null);
      })
      .catch(() => live && setDraftAt(null));
    return () => {
      live = false;
    };
  }, [form.id]);
  const dirty = useRef(false);
  useEffect(() => {
    if (draftAt === undefined || !dirty.current) return;
    // Written a moment after typing stops: a keystroke is not worth a write of its own.
    const timer = setTimeout(() => {
      const savedAt = new Date().toISOString();
      idbPut(PREFS, draftKey(form.id), { data, files, savedAt } satisfies Draft)
        .then(() => setDraftAt(savedAt))
        .catch(() => undefined);
    }, 300);
    return () => clearTimeout(timer);
  }, [data, files]);
  const edit = (path: string[], value: unknown) => {
    dirty.current = true;
    set(path, value);
  };
  const fileNamed = (id: string, name: string) => {
    dirty.current = true;
    setFiles((f) => ({ ...f, [id]: name }));
  };
  const discard = async () => {
    dirty.current = false;
    await idbPut(PREFS, draftKey(form.id), undefined).catch(() => undefined);
    setData(defaults(form.schema));
    setFiles({});
    setTouched(new Set());
    setSubmitted(false);
    setDraftAt(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setSubmitted(true);
    setError(null);
    if (errors.size > 0) {
      focusFirst(errors);
      return;
    }
    setBusy(true);
    try {
      const { submission } = await api.post("/forms/{id}/submissions", { path: { id: form.id }, body: { data } });
      dirty.current = false;
      await idbPut(PREFS, draftKey(form.id), undefined).catch(() => undefined);
      navigate("services", "submissions", submission.id);
    } catch (err) {
      if (err instanceof ApiError && (err.code === "invalid_submission" || (err.code === "unknown_media" && err.errors.length > 0))) {
        const map = toErrors(err.errors);
        setServerErrors(map);
        focusFirst(map);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const count = submitted ? new Set([...errors.keys(), ...serverErrors.keys()]).size : serverErrors.size;
  useEffect(() => {
    if (count > 0) summaryRef.current?.focus();
  }, [count]);

  return (
    <form class="card form-fill" onSubmit={submit} noValidate aria-describedby="form-agency">
      <p id="form-agency" class="muted">
        {form.agency.name} · {t("formVersion", { version: form.version })}
      </p>
      {form.schema.description && <p>{form.schema.description}</p>}
      {count > 0 && (
        <p class="note note-error" role="alert" tabIndex={-1} ref={summaryRef}>
          {t("fixErrors", { count })}
        </p>
      )}
      {draftAt && (
        <p class="note row spread" role="status" data-testid="draft-status">
          <span>{t("draftSaved", { date: formatDateTime(draftAt) })}</span>
          <button type="button" class="link" onClick={discard}>
            {t("discardDraft")}
          </button>
        </p>
      )}
      <Fields schema={form.schema} path={[]} data={data} set={edit} touch={touch} shown={shown} files={files} fileNamed={fileNamed} />
      <ErrorNote error={error} />
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? t("submitting") : t("submit")}
      </button>
    </form>
  );
}

function focusFirst(errors: Errors): void {
  const first = errors.keys().next().value;
  if (first !== undefined) document.getElementById(fieldId(first.split(".")))?.focus();
}

interface FieldProps {
  path: string[];
  data: Data;
  set(path: string[], value: unknown): void;
  touch(path: string[]): void;
  shown(path: string): string | undefined;
  /** Names of the files uploaded into file fields, by media id. */
  files: Record<string, string>;
  fileNamed(id: string, name: string): void;
}

function Fields({ schema, ...p }: FieldProps & { schema: ObjectSchema }) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties).map(([name, prop]) => (
        <Field key={name} name={name} prop={prop} required={required.has(name)} {...p} path={[...p.path, name]} />
      ))}
    </>
  );
}

function Field({ name, prop, required, ...p }: FieldProps & { name: string; prop: PropertySchema; required: boolean }) {
  const id = fieldId(p.path);
  const key = p.path.join(".");
  const error = p.shown(key);
  const value = getIn(p.data, p.path);
  const label = (
    <>
      {prop.title ?? name}
      {required && <span class="req"> ({t("required")})</span>}
    </>
  );
  const describedBy = [prop.description ? `${id}-desc` : "", `${id}-error`].filter(Boolean).join(" ");
  const common = {
    id,
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-describedby": describedBy,
    "aria-required": required ? ("true" as const) : undefined,
    onBlur: () => p.touch(p.path),
  };
  const help = (
    <>
      {prop.description && (
        <p id={`${id}-desc`} class="hint">
          {prop.description}
        </p>
      )}
      <p id={`${id}-error`} class="field-error">
        {error}
      </p>
    </>
  );

  if (prop.type === "object") {
    return (
      <fieldset class="group">
        <legend>{label}</legend>
        {prop.description && <p class="hint">{prop.description}</p>}
        <Fields schema={prop} {...p} />
      </fieldset>
    );
  }
  if (prop.type === "boolean") {
    return (
      <div class="field check">
        <input type="checkbox" {...common} checked={value === true} onChange={(e) => p.set(p.path, e.currentTarget.checked)} />
        <label for={id}>{label}</label>
        {help}
      </div>
    );
  }
  if (prop.type === "array") return <ArrayField prop={prop} label={label} common={common} help={help} value={value} {...p} />;
  if (prop.type === "string" && prop.format === "file")
    return <FileField label={label} common={common} help={help} value={typeof value === "string" ? value : undefined} {...p} />;
  const choices = prop.enum ?? (prop.const !== undefined ? [prop.const] : undefined);
  const numeric = prop.type === "number" || prop.type === "integer";
  const parse = (raw: string): unknown => {
    if (raw === "") return undefined;
    if (!numeric) return raw;
    const n = Number(raw.replace(",", "."));
    return Number.isNaN(n) ? raw : n;
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {choices ? (
        <select
          {...common}
          value={value === undefined ? "" : String(value)}
          onChange={(e) =>
            p.set(
              p.path,
              choices.find((c) => String(c) === e.currentTarget.value),
            )
          }
        >
          <option value="">{t("chooseOne")}</option>
          {choices.map((c) => (
            <option key={String(c)} value={String(c)}>
              {String(c)}
            </option>
          ))}
        </select>
      ) : prop.type === "string" && (prop.maxLength ?? 0) > 200 ? (
        <textarea
          {...common}
          rows={4}
          value={typeof value === "string" ? value : ""}
          onInput={(e) => p.set(p.path, parse(e.currentTarget.value))}
        />
      ) : (
        <input
          {...common}
          // Preact's typings tie other attributes to each literal type; every one chosen here is a text-like input.
          type={inputType(prop) as "text"}
          inputMode={numeric ? "decimal" : undefined}
          step={prop.type === "integer" ? "1" : numeric ? "any" : undefined}
          value={value === undefined ? "" : String(value)}
          placeholder={prop.type === "string" ? placeholder(prop.format) : undefined}
          onInput={(e) => p.set(p.path, parse(e.currentTarget.value))}
        />
      )}
      {help}
    </div>
  );
}

function ArrayField({
  prop,
  label,
  common,
  help,
  value,
  ...p
}: FieldProps & {
  prop: ArraySchema;
  label: preact.JSX.Element;
  common: Record<string, unknown> & { id: string };
  help: preact.JSX.Element;
  value: unknown;
}) {
  const list = Array.isArray(value) ? value : [];
  const items = prop.items;
  if (items && "enum" in items && items.enum) {
    const options = items.enum;
    return (
      <fieldset class="group" aria-describedby={`${common.id}-error`}>
        <legend>{label}</legend>
        {options.map((o, i) => (
          <div class="field check" key={String(o)}>
            <input
              id={i === 0 ? common.id : `${common.id}-${i}`}
              type="checkbox"
              checked={list.includes(o)}
              onChange={(e) => p.set(p.path, e.currentTarget.checked ? [...list, o] : list.filter((x) => x !== o))}
            />
            <label for={i === 0 ? common.id : `${common.id}-${i}`}>{String(o)}</label>
          </div>
        ))}
        {help}
      </fieldset>
    );
  }
  const numeric = items?.type === "number" || items?.type === "integer";
  return (
    <div class="field">
      <label for={common.id}>{label}</label>
      <textarea
        {...common}
        rows={3}
        value={list.map(String).join("\n")}
        aria-describedby={`${common.id}-hint ${common["aria-describedby"] ?? ""}`}
        onInput={(e) => {
          const lines = e.currentTarget.value.split("\n").filter((l) => l.trim() !== "");
          p.set(
            p.path,
            lines.map((l) => (numeric && !Number.isNaN(Number(l)) ? Number(l) : l)),
          );
        }}
      />
      <p id={`${common.id}-hint`} class="hint">
        {t("listHint")}
      </p>
      {help}
    </div>
  );
}

/** A file field: the chosen file is uploaded at once, and the field's value is the upload's id. */
function FileField({
  label,
  common,
  help,
  value,
  ...p
}: FieldProps & {
  label: preact.JSX.Element;
  common: Record<string, unknown> & { id: string };
  help: preact.JSX.Element;
  value: string | undefined;
}) {
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const choose = async (file: File) => {
    setError(null);
    setProgress(0);
    try {
      const media = await upload(file, setProgress).promise;
      p.fileNamed(media.id, file.name);
      p.set(p.path, media.id);
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
    }
  };
  return (
    <div class="field file-field">
      <label for={common.id}>{label}</label>
      {value && (
        <p class="row" data-testid="file-chosen">
          <span>📎 {p.files[value] ?? t("attachedFile")}</span>
          <button type="button" class="link" onClick={() => p.set(p.path, undefined)}>
            {t("removeFile")}
          </button>
        </p>
      )}
      <input
        {...common}
        type="file"
        disabled={progress !== null}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = "";
          if (file) void choose(file);
        }}
      />
      {progress !== null && (
        <progress max={1} value={progress} aria-label={t("uploading", { name: "" })}>
          {Math.round(progress * 100)}%
        </progress>
      )}
      <ErrorNote error={error} />
      {help}
    </div>
  );
}

function inputType(prop: PropertySchema): "text" | "email" | "date" | "tel" | "url" {
  if (prop.type === "number" || prop.type === "integer") return "text";
  if (prop.type !== "string") return "text";
  switch (prop.format) {
    case "email":
      return "email";
    case "date":
      return "date";
    case "phone":
      return "tel";
    case "uri":
      return "url";
    default:
      return "text";
  }
}

function placeholder(format: string | undefined): string | undefined {
  switch (format) {
    case "phone":
      return "+79991234567";
    case "snils":
      return "123-456-789 01";
    case "inn":
      return "1234567890";
    case "date-time":
      return "2026-01-31T10:00:00Z";
    default:
      return undefined;
  }
}

/** Starting values: each property's `default`; required nested objects start as objects. */
function defaults(schema: ObjectSchema): Data {
  const out: Data = {};
  const required = new Set(schema.required ?? []);
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (prop.default !== undefined) out[name] = prop.default;
    else if (prop.type === "object" && required.has(name)) out[name] = defaults(prop);
  }
  return out;
}

function getIn(data: Data, path: string[]): unknown {
  let v: unknown = data;
  for (const k of path) v = typeof v === "object" && v !== null ? (v as Data)[k] : undefined;
  return v;
}

function setIn(data: Data, path: string[], value: unknown): Data {
  const [head, ...rest] = path;
  if (head === undefined) return data;
  const copy = { ...data };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
  } else {
    const child = typeof copy[head] === "object" && copy[head] !== null ? (copy[head] as Data) : {};
    copy[head] = setIn(child, rest, value);
  }
  return copy;
}
