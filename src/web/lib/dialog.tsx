// Modal dialogs on the native <dialog>, for both apps: showModal moves focus in and traps it, Escape closes,
// focus returns to where it was. The owner learns of every way of closing through the element's close event.
import type { ComponentChildren, RefObject } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

/** A ref for a <dialog> that is shown as a modal while `open` (from the first render when it is always open). */
export function useModal(open = true): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}

/** A modal dialog with its title as heading; its content renders only while it is open. */
export function Dialog(props: { open?: boolean; title: string; class?: string; onClose: () => void; children: ComponentChildren }) {
  const open = props.open ?? true;
  const ref = useModal(open);
  const titleId = useId();
  return (
    <dialog ref={ref} class={props.class ? `dialog ${props.class}` : "dialog"} aria-labelledby={titleId} onClose={props.onClose}>
      <h2 id={titleId}>{props.title}</h2>
      {open ? props.children : null}
    </dialog>
  );
}
