// Small building blocks shared by the console's pages: labelled fields with their errors, alerts, status
// badges, a modal dialog, scrollable tables and a loader hook.
import type { ComponentChildren } from "preact";
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
      {errors.length ? (
        <ul class="field-errors" id={`${id}-err`}>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
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
