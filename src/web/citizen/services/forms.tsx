// Applications: forms rendered from their JSON Schema (the server's subset), validated inline with the very
// validator the server runs (src/forms/schema.ts), submitted, and their status followed.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ArraySchema, FormSchemaType, ObjectSchema, PropertySchema } from "../../../forms/schema";
import { validate } from "../../../forms/schema";
import { ApiError, type FieldError, request } from "../../lib/api";
import { formatValue } from "../../lib/format";
import { formatDateTime, lang, t, tKey } from "../../lib/i18n";
import { href, navigate } from "../../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync, useStore } from "../../lib/ui";
import type { ChatList } from "../state";

interface Form {
  id: string;
  agency: { id: string; name: string };
  key: string;
  version: number;
  title: string;
  schema: FormSchemaType;
  createdAt: string;
}

interface Submission {
  id: string;
  formId: string;
  data: Record<string, unknown>;
  status: "submitted" | "in_review" | "approved" | "rejected";
  comment: string | null;
  createdAt: string;
  updatedAt: string;
}

export function FormsView({ chats }: { chats: ChatList }) {
  const tick = useStore(chats.notifications);
  const forms = useAsync(() => request<{ forms: Form[] }>("/forms"), []);
  const subs = useAsync(() => request<{ submissions: Submission[] }>("/submissions"), [tick]);
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
                <span class="muted">{t("submittedAt", { date: formatDateTime(s.createdAt) })}</span>
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
  const sub = useAsync(() => request<{ submission: Submission }>(`/submissions/${encodeURIComponent(id)}`), [id, tick]);
  const form = useAsync(
    async () => (sub.data ? request<{ form: Form }>(`/forms/${encodeURIComponent(sub.data.submission.formId)}`) : null),
    [sub.data?.submission.formId],
  );
  const s = sub.data?.submission;
  const schema = form.data?.form.schema;
  return (
    <div class="page">
      <ScreenTitle back={href("services", "forms")}>{form.data?.form.title ?? t("forms")}</ScreenTitle>
      {sub.loading && !s && <Loading />}
      <ErrorNote error={sub.error} onRetry={sub.reload} />
      {s && (
        <section class="card">
          <p class={`status status-${s.status}`} role="status" data-testid="submission-status">
            {tKey("submissionStatus_", s.status)}
          </p>
          {s.comment && <p>{t("agencyComment", { comment: s.comment })}</p>}
          <p class="muted">{t("submittedAt", { date: formatDateTime(s.createdAt) })}</p>
          <dl class="facts">
            {Object.entries(s.data).map(([k, v]) => {
              const prop = schema?.properties[k];
              return [<dt key={`${k}-t`}>{prop?.title ?? k}</dt>, <dd key={`${k}-v`}>{answerText(v, prop)}</dd>];
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
  for (const e of list) if (!map.has(e.path)) map.set(e.path, e.message);
  return map;
}

export function FormView({ id }: { id: string }) {
  const form = useAsync(() => request<{ form: Form }>(`/forms/${encodeURIComponent(id)}`), [id]);
  const f = form.data?.form;
  return (
    <div class="page">
      <ScreenTitle back={href("services", "forms")}>{f?.title ?? t("forms")}</ScreenTitle>
      {form.loading && !f && <Loading />}
      <ErrorNote error={form.error} onRetry={form.reload} />
      {f && <FormFill form={f} />}
    </div>
  );
}

function FormFill({ form }: { form: Form }) {
  const [data, setData] = useState<Data>(() => defaults(form.schema));
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
      const { submission } = await request<{ submission: Submission }>(`/forms/${encodeURIComponent(form.id)}/submissions`, {
        body: { data },
      });
      navigate("services", "submissions", submission.id);
    } catch (err) {
      if (err instanceof ApiError && err.code === "invalid_submission") {
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
      <Fields schema={form.schema} path={[]} data={data} set={set} touch={touch} shown={shown} />
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
