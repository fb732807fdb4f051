// Message text with its web addresses clickable (only http and https, opened in a new tab with no referrer
// and no access to this page) and its @mentions highlighted (a mention of the reader more so), shown exactly
// as written. Each pattern is a bounded run of one character class, so both run in linear time on any text.
import type { ComponentChildren } from "preact";

/** As the server reads mentions (src/chat/text.ts): `@` after a non-word character, then a username. */
const MENTION = /(^|[^\p{L}\p{N}_@])@([A-Za-z][A-Za-z0-9_]{2,31})(?![A-Za-z0-9_])/gu;

/** Text with @mentions marked; `me` is the reader's own username, whose mentions stand out. */
function withMentions(text: string, me: string | null | undefined, key: number): ComponentChildren[] {
  const parts: ComponentChildren[] = [];
  let at = 0;
  const mine = me?.toLowerCase();
  for (const match of text.matchAll(MENTION)) {
    const start = (match.index ?? 0) + (match[1]?.length ?? 0);
    const name = match[2] ?? "";
    if (start > at) parts.push(text.slice(at, start));
    parts.push(
      <span key={`${key}-${start}`} class={name.toLowerCase() === mine ? "mention mention-me" : "mention"}>
        @{name}
      </span>,
    );
    at = start + 1 + name.length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

const URL_RUN = /https?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the address ("см. https://gosuslugi.example/."). */
const TRAILING = /[.,;:!?)\]}»]+$/;

export function Linkified({ text, me }: { text: string; me?: string | null }) {
  const parts: ComponentChildren[] = [];
  let at = 0;
  for (const match of text.matchAll(URL_RUN)) {
    const start = match.index ?? 0;
    const raw = match[0];
    const trail = TRAILING.exec(raw)?.[0] ?? "";
    const candidate = raw.slice(0, raw.length - trail.length);
    const url = safeUrl(candidate);
    if (!url) continue;
    if (start > at) parts.push(...withMentions(text.slice(at, start), me, at));
    parts.push(
      <a key={start} href={url} target="_blank" rel="noopener noreferrer nofollow">
        {candidate}
      </a>,
    );
    at = start + candidate.length;
  }
  if (at < text.length) parts.push(...withMentions(text.slice(at), me, at));
  return <>{parts}</>;
}

/** The address if it parses as http(s) with a host; anything else stays text. */
function safeUrl(candidate: string): string | null {
  try {
    const u = new URL(candidate);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname ? u.href : null;
  } catch {
    return null;
  }
}
