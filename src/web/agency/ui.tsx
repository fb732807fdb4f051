// The console's building blocks: alerts in its words, status badges, scrollable tables, list sections and an
// action hook, with the pieces both apps share (fields, dialogs, the loader) from src/web/lib.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { type Async, useAsync } from "../lib/async";
import { Dialog } from "../lib/dialog";

export { Dialog } from "../lib/dialog";
export { type ControlProps, Field, FieldErrors, TextField, type TextInputAttributes } from "../lib/fields";

import { ApiError } from "./api";
import { problemText } from "./format";
import { t } from "./i18n";

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

export interface Loaded<T> extends Async<T> {
  /** The endpoint does not exist on this server (404 for the list itself): not a failure to show. */
  unavailable: boolean;
}

/** The shared loader (useAsync), with a list the server does not have yet told apart from a failure. */
export function useLoader<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const loaded = useAsync(load, deps);
  const unavailable = loaded.error instanceof ApiError && loaded.error.status === 404;
  return { ...loaded, error: unavailable ? null : loaded.error, unavailable };
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
