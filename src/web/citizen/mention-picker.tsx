// Suggestions while typing a mention: "@" and the start of a username, right before the caret, lists the
// chat's members whose username begins so (arrows move, Enter or Tab picks, Escape closes), as an ARIA
// combobox on the composer. Picking writes "@username " in place of what was typed.
import type { RefObject } from "preact";
import { useState } from "preact/hooks";
import { t } from "../lib/i18n";
import type { Member } from "./chat-session";

/** "@" after a non-word character (or at the start), then what is typed of a username, up to the caret. */
const TYPING = /(?:^|[^\p{L}\p{N}_@])@([A-Za-z0-9_]{0,31})$/u;
const MAX = 6;
const LIST_ID = "mention-suggestions";

export interface MentionPicker {
  /** The list to show above the composer, or null. */
  list: preact.JSX.Element | null;
  /** The composer's aria attributes while suggestions show. */
  aria: Record<string, string | undefined>;
  /** Handles the keys the list uses; true when it took the key. */
  onKey(e: KeyboardEvent): boolean;
  /** Follows the caret (after input, clicks and keys that move it). */
  onCaret(e: Event): void;
}

export function useMentionPicker(opts: {
  text: string;
  input: RefObject<HTMLTextAreaElement | null>;
  members: Iterable<Member>;
  me: string;
  onText: (text: string) => void;
}): MentionPicker {
  const [active, setActive] = useState(0);
  const [closedAt, setClosedAt] = useState<string | null>(null);
  const [caretAt, setCaretAt] = useState<number | null>(null);
  const caret = Math.min(caretAt ?? opts.text.length, opts.text.length);
  const before = opts.text.slice(0, caret);
  const typed = TYPING.exec(before);
  const prefix = typed?.[1]?.toLowerCase() ?? "";
  const found =
    typed && closedAt !== before
      ? [...opts.members].filter((m) => m.userId !== opts.me && m.user.username?.toLowerCase().startsWith(prefix)).slice(0, MAX)
      : [];
  const index = Math.min(active, Math.max(0, found.length - 1));

  const pick = (m: Member) => {
    const start = caret - prefix.length;
    const next = `${opts.text.slice(0, start)}${m.user.username} ${opts.text.slice(caret)}`;
    opts.onText(next);
    setActive(0);
    const at = start + (m.user.username?.length ?? 0) + 1;
    setCaretAt(at);
    requestAnimationFrame(() => {
      opts.input.current?.focus();
      opts.input.current?.setSelectionRange(at, at);
    });
  };

  const onCaret = (e: Event) => setCaretAt((e.currentTarget as HTMLTextAreaElement).selectionStart);
  if (found.length === 0) return { list: null, aria: {}, onKey: () => false, onCaret };
  const optionId = (i: number) => `${LIST_ID}-${i}`;
  return {
    list: (
      <div class="mention-picker" id={LIST_ID} role="listbox" aria-label={t("mentionSuggestions")}>
        {found.map((m, i) => (
          <div
            key={m.userId}
            id={optionId(i)}
            role="option"
            tabIndex={-1}
            aria-selected={i === index}
            onMouseDown={(e) => {
              // Keeps the composer focused: the pick happens on the press.
              e.preventDefault();
              pick(m);
            }}
          >
            {m.user.displayName ?? m.user.username} <span class="muted">@{m.user.username}</span>
          </div>
        ))}
      </div>
    ),
    aria: {
      role: "combobox",
      "aria-expanded": "true",
      "aria-controls": LIST_ID,
      "aria-activedescendant": optionId(index),
      "aria-autocomplete": "list",
    },
    onKey(e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        setActive((index + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length);
      } else if (e.key === "Enter" || e.key === "Tab") {
        const m = found[index];
        if (!m) return false;
        pick(m);
      } else if (e.key === "Escape") {
        setClosedAt(before);
      } else return false;
      e.preventDefault();
      return true;
    },
    onCaret,
  };
}
