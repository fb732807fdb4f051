// Message text with its web addresses clickable: only http and https, opened in a new tab with no referrer
// and no access to this page, and shown exactly as written. The pattern is a single character class
// repeated, so it runs in linear time on any text.
import type { ComponentChildren } from "preact";

const URL_RUN = /https?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the address ("см. https://gosuslugi.example/."). */
const TRAILING = /[.,;:!?)\]}»]+$/;

export function Linkified({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let at = 0;
  for (const match of text.matchAll(URL_RUN)) {
    const start = match.index ?? 0;
    const raw = match[0];
    const trail = TRAILING.exec(raw)?.[0] ?? "";
    const candidate = raw.slice(0, raw.length - trail.length);
    const url = safeUrl(candidate);
    if (!url) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(
      <a key={start} href={url} target="_blank" rel="noopener noreferrer nofollow">
        {candidate}
      </a>,
    );
    at = start + candidate.length;
  }
  if (at < text.length) parts.push(text.slice(at));
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
