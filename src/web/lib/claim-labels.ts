// Record claims and types in people's words, for the documents, their checks, the Digital ID and the verifier:
// "Старше 18 лет — да", not `age_over_18: true`. The agency's own record type labels (contract v1.1 "Record
// types") win where it publishes them (the record's `display`, the verifier's cached record types); these
// words are the fallback: derived claims such as age_over_18, and types an agency has not described.
import { type ClaimFormat, type ClaimRow, claimRows, formatDate, type RecordDisplay } from "./format";
import { lang } from "./lang";

type Words = { ru: string; en: string };

const CLAIMS: Record<string, Words> = {
  given_name: { ru: "Имя", en: "Given name" },
  family_name: { ru: "Фамилия", en: "Family name" },
  middle_name: { ru: "Отчество", en: "Patronymic" },
  birthdate: { ru: "Дата рождения", en: "Date of birth" },
  place_of_birth: { ru: "Место рождения", en: "Place of birth" },
  categories: { ru: "Категории", en: "Categories" },
  number: { ru: "Номер", en: "Number" },
  valid_until: { ru: "Действует до", en: "Valid until" },
  sub: { ru: "Идентификатор гражданина", en: "Citizen identifier" },
};

const TYPES: Record<string, Words> = {
  age_confirmation: { ru: "Подтверждение возраста", en: "Proof of age" },
  driving_licence: { ru: "Водительское удостоверение", en: "Driving licence" },
  birth_certificate: { ru: "Свидетельство о рождении", en: "Birth certificate" },
};

const AGE_OVER = /^age_over_(\d{1,3})$/;

function ageWords(n: number): Words {
  const rules = new Intl.PluralRules("ru-RU").select(n);
  const ru = rules === "one" ? "года" : "лет";
  return { ru: `Старше ${n} ${ru}`, en: `Over ${n}` };
}

/** "age_over_18" → "Старше 18 лет"; a known name in words; any other as its words ("place_of_work" → "Place of work"). */
export function claimLabel(name: string): string {
  const age = AGE_OVER.exec(name);
  const words = age ? ageWords(Number(age[1])) : CLAIMS[name];
  if (words) return words[lang()];
  const spaced = name.replace(/[_-]+/g, " ").trim();
  return spaced ? spaced[0]?.toUpperCase() + spaced.slice(1) : name;
}

/** A record type in words, or the agency's own name for it. */
export function typeLabel(type: string): string {
  return TYPES[type]?.[lang()] ?? type;
}

/** A record's name: the issuer's (its `display`, which shows the raw type when the issuer has none), else ours. */
export function recordTypeName(r: { type: string; display?: RecordDisplay | null }): string {
  const name = r.display?.name;
  return name && name !== r.type ? name : typeLabel(r.type);
}

/** A claim's value for people: yes/no, dates as "17 мая 1990 г.", lists joined, objects as "label: value" pairs. */
export function claimValue(value: unknown): string {
  if (value === true) return lang() === "ru" ? "да" : "yes";
  if (value === false) return lang() === "ru" ? "нет" : "no";
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(value, lang()) : value;
  if (typeof value === "number") return new Intl.NumberFormat(lang() === "ru" ? "ru-RU" : "en-GB").format(value);
  if (Array.isArray(value)) return value.map(claimValue).join(", ");
  if (typeof value === "object")
    return Object.entries(value)
      .map(([k, v]) => `${claimLabel(k)}: ${claimValue(v)}`)
      .join("; ");
  return String(value);
}

/**
 * A record's claims as rows for people: the issuer's labels and formats where its `display` has them
 * (claimRows), and for a claim it does not label (display shows the raw name) or without a display, our words.
 */
export function labelledClaims(claims: Record<string, unknown>, display: RecordDisplay | undefined): ClaimRow[] {
  return claimRows(claims, display, lang()).map((row) => ({ ...row, label: labelOf(row.name, display) }));
}

/** One claim's label: the issuer's where its display labels it, else our words. */
export function labelOf(name: string, display: RecordDisplay | undefined): string {
  const label = display && Object.hasOwn(display.claims, name) ? display.claims[name] : undefined;
  return label && label !== name ? label : claimLabel(name);
}

type Localized = { ru: string; en?: string };
/** A text the agency published, in the page's language (English falls back to Russian, which every type has). */
export const pickText = (text: Localized): string => (lang() === "en" ? (text.en ?? text.ru) : text.ru);

/** A published record type as the display the API would answer for these claims, in the page's language. */
export function displayOfType(
  meta: {
    name: Localized;
    claims: Record<
      string,
      {
        label: Localized;
        format?: ClaimFormat;
        values?: Record<string, Localized>;
      }
    >;
  },
  claimNames: readonly string[],
): RecordDisplay {
  const display: Required<RecordDisplay> = { name: pickText(meta.name), claims: {}, formats: {}, values: {} };
  for (const name of claimNames) {
    const m = Object.hasOwn(meta.claims, name) ? meta.claims[name] : undefined;
    display.claims[name] = m ? pickText(m.label) : name;
    if (m?.format) display.formats[name] = m.format;
    if (m?.values) display.values[name] = Object.fromEntries(Object.entries(m.values).map(([v, label]) => [v, pickText(label)]));
  }
  return display;
}
