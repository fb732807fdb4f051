// Pieces several pages build their forms from: the state of a form that is checked and then sent, the card
// around such a form, the citizen's phone field and the button that removes a row of a repeated group.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { serverFieldErrors, unclaimedFieldErrors } from "../format";
import { t } from "../i18n";
import { type Action, ErrorAlert, StatusNote, TextField, useAction } from "../ui";

export interface FormState extends Action {
  /** What the form found wrong before sending, then what the server said about the field. */
  errorsOf: (name: string) => string[];
  /** Shows `problems` in place of the last ones and clears the note; true when there are none. */
  check: (problems: Record<string, string>) => boolean;
}

export function useForm(): FormState {
  const action = useAction();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const errorsOf = (name: string) => [...(problems[name] ? [problems[name]] : []), ...serverFieldErrors(action.error, name)];
  const check = (found: Record<string, string>) => {
    setProblems(found);
    action.setNote(null);
    return Object.keys(found).length === 0;
  };
  return { ...action, errorsOf, check };
}

/**
 * A form in a card: its heading (which names it), an optional intro, the failure with the server's complaints
 * about anything but `fields`, the fields themselves, the submit button and the success note.
 */
export function FormCard(props: {
  id: string;
  title: string;
  intro?: string;
  form: Pick<Action, "busy" | "error" | "note">;
  fields: string[];
  submitLabel: string;
  submitDisabled?: boolean;
  onSubmit: (event: Event) => void;
  children: ComponentChildren;
}) {
  const { form } = props;
  return (
    <form class="card" onSubmit={props.onSubmit} noValidate aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.intro ? <p class="hint">{props.intro}</p> : null}
      <ErrorAlert error={form.error} extra={unclaimedFieldErrors(form.error, props.fields)} />
      {props.children}
      <div class="actions">
        <button type="submit" class="button button-primary" disabled={form.busy || props.submitDisabled === true}>
          {form.busy ? t("common.busy") : props.submitLabel}
        </button>
      </div>
      <StatusNote text={form.note} />
    </form>
  );
}

/** The phone number of the citizen something is for (`citizenPhone`). */
export function PhoneField(props: { value: string; errors: string[]; onValue: (value: string) => void }) {
  return (
    <TextField
      label={t("common.phone")}
      hint={t("common.phoneHint")}
      errors={props.errors}
      name="citizenPhone"
      type="tel"
      autocomplete="off"
      value={props.value}
      onValue={props.onValue}
    />
  );
}

/** Removes one row of a repeated group (claims, builder fields, prefill rows); `label` names the row. */
export function RemoveRowButton(props: { label: string; onClick: () => void }) {
  return (
    <button type="button" class="button button-small button-quiet" onClick={props.onClick}>
      {props.label}
    </button>
  );
}
