// Text helpers of the message log: mentions and full-text queries.

const MENTION = /(?:^|[^\p{L}\p{N}_@])@([A-Za-z][A-Za-z0-9_]{2,31})\b/gu;
const MAX_MENTIONS = 20;

/** The distinct @usernames in a text, lower-cased, in order of appearance. */
export function extractMentions(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(MENTION)) {
    if (m[1]) names.add(m[1].toLowerCase());
    if (names.size >= MAX_MENTIONS) break;
  }
  return [...names];
}

const WORD = /[\p{L}\p{N}_]+/gu;
const MAX_QUERY_WORDS = 10;

/**
 * Turns what a person typed into an FTS5 query: every word must match, each as a prefix, so "докум" finds
 * "документы" and "документов". Only letters and digits reach FTS5, so its query syntax cannot be injected.
 * ё is folded to е, as the room does for the text it indexes.
 */
export function ftsQuery(input: string): string | null {
  const words = input.normalize("NFKC").toLowerCase().replaceAll("ё", "е").match(WORD)?.slice(0, MAX_QUERY_WORDS) ?? [];
  if (words.length === 0) return null;
  return words.map((w) => `"${w}"*`).join(" ");
}
