// The language both apps speak: Russian by default, English on request. One choice per browser, kept in
// localStorage and mirrored in <html lang> so screen readers pronounce the page right. Each app (and each lazy
// feature) brings its own strings through `dictionary`, with the same rules: {name} parameters, plural forms
// chosen by `count` with Intl.PluralRules, and every key in both languages, which the types enforce.
import { useEffect, useState } from "preact/hooks";

export type Lang = "ru" | "en";
export const LANGS: readonly Lang[] = ["ru", "en"];
const LANG_KEY = "veche.lang";

function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === "ru" || stored === "en") return stored;
  } catch {
    // storage disabled
  }
  return "ru";
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();
const loaders = new Set<(l: Lang) => Promise<void>>();
document.documentElement.lang = current;

export const lang = (): Lang => current;
export const locale = (): string => (current === "ru" ? "ru-RU" : "en-GB");

/** A dictionary that arrives in a chunk of its own: setLang waits for it before switching. */
export function onLangLoad(load: (l: Lang) => Promise<void>): void {
  loaders.add(load);
}

/** Switches the language once every dictionary for it is here; listeners re-render. */
export async function setLang(next: Lang): Promise<void> {
  await Promise.all([...loaders].map((load) => load(next)));
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // the choice lasts for this page only
  }
  for (const l of listeners) l();
}

export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Re-renders the calling component when the language changes. */
export function useLang(): Lang {
  const [, setTick] = useState(0);
  useEffect(() => onLangChange(() => setTick((n) => n + 1)), []);
  return current;
}

export type Params = Record<string, string | number>;
/** Plural forms of a counted string. */
export type Plural = { one: string; few?: string; many?: string; other: string };

const fill = (text: string, params?: Params) => (params ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(params[k] ?? m)) : text);

/** A string or its plural form for `params.count`, in the current locale, with {name} parameters filled in. */
export function render(value: string | Plural, params?: Params): string {
  if (typeof value === "string") return fill(value, params);
  const form = new Intl.PluralRules(locale()).select(Number(params?.count ?? 0)) as keyof Plural;
  return fill(value[form] ?? value.other, params);
}

/** Strings in both languages, looked up in the current one. */
export function dictionary<K extends string>(dicts: Record<Lang, Record<K, string | Plural>>): (key: K, params?: Params) => string {
  return (key, params) => render(dicts[current][key], params);
}
