// Small building blocks shared by the console's pages: labelled fields with their errors, alerts, status
// badges, a modal dialog, scrollable tables, list sections, a loader hook and an action hook.
import type { ComponentChildren, Ref } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { Problem } from "./api";
import { problemText } from "./format";
import { t } from "./i18n";

export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: "true";
}

/** A label, the control (rendered by `children` with the ids it needs), a hint and the field's errors. */
export function Field(props: {
  label: string;
  hint?: string;
  errors?: string[];
  optional?: boolean;
  class?: string;
  children: (control: ControlProps) => ComponentChildren;
}) {
  const id = useId();
  const errors = props.errors ?? [];
  const describedBy = [props.hint ? `${id}-hint` : "", errors.length ? `${id}-err` : ""].filter(Boolean).join(" ");
  return (
    <div class={`field${errors.length ? " field-invalid" : ""}${props.class ? ` ${props.class}` : ""}`}>
      <label for={id}>
        {props.label}
        {props.optional ? <span class="optional"> ({t("common.optional")})</span> : null}
      </label>
      {props.children({
        id,
        ...(describedBy ? { "aria-describedby": describedBy } : {}),
        ...(errors.length ? { "aria-invalid": "true" } : {}),
      })}
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <FieldErrors errors={errors} id={`${id}-err`} />
    </div>
  );
}

/** The list of a field's (or a group of fields') errors; nothing when there are none. */
export function FieldErrors(props: { errors: string[]; id?: string }) {
  if (!props.errors.length) return null;
  return (
    <ul class="field-errors" id={props.id}>
      {props.errors.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  );
}

/** The attributes a text input on a page may set besides its id, value and aria wiring. */
export interface TextInputAttributes {
  name?: string;
  type?: "tel" | "date" | "url";
  autocomplete?: string;
  autocapitalize?: "off";
  spellcheck?: boolean;
  maxLength?: number;
  inputMode?: "decimal" | "url";
  min?: string;
  list?: string;
  placeholder?: string;
  readOnly?: boolean;
}

/** A labelled single-line text input: a `Field` around an `<input>` that reports each edit through `onValue`. */
export function TextField(
  props: TextInputAttributes & {
    label: string;
    hint?: string;
    errors?: string[];
    optional?: boolean;
    class?: string;
    value: string;
    onValue: (value: string) => void;
    inputRef?: Ref<HTMLInputElement>;
  },
) {
  const { label, hint, errors, optional, class: fieldClass, value, onValue, inputRef, ...attributes } = props;
  return (
    <Field label={label} hint={hint} errors={errors} optional={optional} class={fieldClass}>
      {(c) => <input {...c} ref={inputRef} {...attributes} value={value} onInput={(e) => onValue(e.currentTarget.value)} />}
    </Field>
  );
}

/** A failure, announced to screen readers as it appears. */
export function ErrorAlert(props: { error: unknown; extra?: string[] }) {
  if (!props.error) return null;
  const { message, detail } = problemText(props.error);
  return (
    <div class="alert alert-error" role="alert">
      <p class="alert-title">{message}</p>
      {detail ? <p class="alert-detail">{t("err.serverSays", { detail })}</p> : null}
      {props.extra?.length ? (
        <ul>
          {props.extra.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A success or progress note, announced politely. The region stays mounted so that changes are read out. */
export function StatusNote(props: { text: string | null }) {
  return (
    <p class={props.text ? "alert alert-ok" : "visually-hidden"} role="status">
      {props.text ?? ""}
    </p>
  );
}

export type Tone = "neutral" | "info" | "ok" | "warn" | "bad";

export function Badge(props: { tone: Tone; children: ComponentChildren }) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

/** A modal dialog on the native <dialog>: focus moves in and is trapped, Escape closes it, focus returns after. */
export function Dialog(props: { open: boolean; title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby={titleId} onClose={props.onClose}>
      <h2 id={titleId}>{props.title}</h2>
      {props.open ? props.children : null}
    </dialog>
  );
}

/** Asks before doing something that cannot be undone. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  question: string;
  confirmLabel: string;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <p>{props.question}</p>
      <ErrorAlert error={props.error} />
      <div class="actions">
        <button type="button" class="button button-danger" disabled={props.busy} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
        {/* Focus starts on the safe choice, so Enter right after opening changes nothing. */}
        <button type="button" class="button" autofocus onClick={props.onClose}>
          {t("common.cancel")}
        </button>
      </div>
    </Dialog>
  );
}

/** A table that scrolls sideways on narrow screens; focusable so the keyboard can scroll it too. */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    <section class="table-wrap" aria-label={t("common.table", { name: props.label })} tabIndex={0}>
      {props.children}
    </section>
  );
}

/** The page heading; it takes focus after navigation so screen readers announce the new page. */
export function PageTitle(props: { children: ComponentChildren }) {
  return (
    <h1 id="page-title" tabIndex={-1}>
      {props.children}
    </h1>
  );
}

/** The state of something the operator starts (sending a form, a confirmed change): busy, the failure, a success note. */
export interface Action {
  busy: boolean;
  error: unknown;
  note: string | null;
  setError: (error: unknown) => void;
  setNote: (note: string | null) => void;
  /** Runs `work` with `busy` set and the previous failure cleared; a failure is kept in `error`. True when it succeeded. */
  run: (work: () => Promise<void>) => Promise<boolean>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, note, setError, setNote, run };
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** The endpoint does not exist on this server (404 for the list itself). */
  unavailable: boolean;
  reload: () => Promise<void>;
  setData: (update: (current: T | undefined) => T) => void;
}

/** Loads on mount and when `deps` change; the last request wins when several overlap. */
export function useLoader<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [unavailable, setUnavailable] = useState(false);
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const result = await load();
      if (mine !== generation.current) return;
      setDataState(result);
      setError(null);
      setUnavailable(false);
    } catch (err) {
      if (mine !== generation.current) return;
      if (err instanceof Problem && err.status === 404) setUnavailable(true);
      else setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  const setData = useCallback((update: (current: T | undefined) => T) => setDataState((current) => update(current)), []);
  return { data, error, loading, unavailable, reload, setData };
}

/** The loading / unavailable / failed / empty line above a list. */
export function ListState(props: { loaded: Pick<Loaded<unknown>, "error" | "loading" | "unavailable">; count: number }) {
  const { loaded } = props;
  if (loaded.error) return <ErrorAlert error={loaded.error} />;
  return (
    <p class="list-state" aria-live="polite">
      {loaded.loading ? t("common.loading") : loaded.unavailable ? t("common.unavailable") : props.count === 0 ? t("common.empty") : ""}
    </p>
  );
}

export function RefreshButton(props: { onClick: () => void; busy?: boolean }) {
  return (
    <button type="button" class="button button-small" onClick={props.onClick} disabled={props.busy}>
      {t("common.refresh")}
    </button>
  );
}

/** A card listing things: its heading, a Refresh button (after the filters in `toolbar`, if any), then the list. */
export function ListCard(props: {
  id: string;
  title: string;
  loaded: Pick<Loaded<unknown>, "loading" | "reload">;
  toolbar?: ComponentChildren;
  children: ComponentChildren;
}) {
  const refresh = <RefreshButton onClick={() => void props.loaded.reload()} busy={props.loaded.loading} />;
  return (
    <section class="card" aria-labelledby={props.id}>
      <div class="section-head">
        <h2 id={props.id}>{props.title}</h2>
        {props.toolbar ? (
          <div class="toolbar">
            {props.toolbar}
            {refresh}
          </div>
        ) : (
          refresh
        )}
      </div>
      {props.children}
    </section>
  );
}

/** A select of the statuses a list may be narrowed to, with "all" (the empty value) first. */
export function StatusFilter<S extends string>(props: {
  label: string;
  value: S | "";
  statuses: S[];
  name: (status: S) => string;
  onChange: (status: S | "") => void;
}) {
  return (
    <label class="inline-label">
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as S | "")}>
        <option value="">{t("common.all")}</option>
        {props.statuses.map((s) => (
          <option key={s} value={s}>
            {props.name(s)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A column of a list's table: its heading, or its heading and that it holds numbers (set right-aligned). */
export type Column = string | { label: string; num: true };

/** The loading / unavailable / failed / empty line, then a table of the items (when there are any), a row each. */
export function ListTable<T extends { id: string }>(props: {
  loaded: Pick<Loaded<unknown>, "error" | "loading" | "unavailable">;
  label: string;
  columns: Column[];
  items: T[];
  cells: (item: T) => ComponentChildren;
}) {
  const { items } = props;
  return (
    <>
      <ListState loaded={props.loaded} count={items.length} />
      {items.length > 0 ? (
        <TableWrap label={props.label}>
          <table>
            <thead>
              <tr>
                {props.columns.map((column) =>
                  typeof column === "string" ? (
                    <th key={column} scope="col">
                      {column}
                    </th>
                  ) : (
                    <th key={column.label} scope="col" class="num">
                      {column.label}
                    </th>
                  ),
                )}
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id} data-id={item.id}>
                  {props.cells(item)}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </>
  );
}
