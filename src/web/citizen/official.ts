// Agencies' messages in the official chat are written by the server (src/agencies/store.ts, `announce`) in
// Russian, one text for every reader. In English the app words them itself, from what each is about: its
// clientId names the bill, document, consent request or application, and official-en.ts (a chunk loaded the
// first time an English page shows one) reads that thing from the citizen's own lists. Until the words are
// here, and for a message they cannot word, the server's text and button labels stand.
import { useEffect, useState } from "preact/hooks";
import { lang } from "../lib/i18n";
import type { ChatMessage } from "./chat-session";

type Official = Pick<ChatMessage, "clientId" | "text" | "actions">;
/** A message in English: its text and a label for each of its buttons, in order. */
export type Worded = { text: string; labels: string[] };

const worded = new Map<string, Worded>();
const asked = new Set<string>();
const listeners = new Set<() => void>();

function words(m: Official): Worded | undefined {
  if (lang() !== "en" || m.actions.length === 0) return undefined;
  const found = worded.get(m.clientId);
  if (found || asked.has(m.clientId)) return found;
  asked.add(m.clientId);
  import("./official-en")
    .then((en) => en.word(m))
    .then(
      (w) => {
        // Not found: a later render asks again (official-en.ts reads a list again at most every few seconds).
        if (!w) return void asked.delete(m.clientId);
        worded.set(m.clientId, w);
        for (const l of listeners) l();
      },
      () => asked.delete(m.clientId),
    );
  return undefined;
}

/** The message's text as the reader's language has it. */
export const officialText = (m: Official): string => words(m)?.text ?? m.text ?? "";

/** The label of the message's `i`-th button as the reader's language has it. */
export const officialLabel = (m: Official, i: number): string => words(m)?.labels[i] ?? m.actions[i]?.label ?? "";

/** Re-renders the calling component when the English of an official message arrives. */
export function useOfficialWords(): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
}
