// Labelled form controls for both apps: the label, the control (rendered by the caller with the ids and
// aria wiring it needs), a hint and the field's errors, each tied to the control for screen readers.
import type { ComponentChildren, Ref } from "preact";
import { useId } from "preact/hooks";
import { dictionary } from "./lang";

const words = dictionary({ ru: { optional: "необязательно" }, en: { optional: "optional" } });

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
        {props.optional ? <span class="optional"> ({words("optional")})</span> : null}
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
