// Record claims and types in people's words, for the Digital ID and the verifier: "Старше 18 лет — да", not
// `age_over_18: true`. The agency's own record type labels (contract v1.1 "Record types") win where it
// publishes them (the record's `display`, the verifier's cached record types); these words are the fallback:
// derived claims such as age_over_18, and types an agency has not described.
import { formatDate, lang } from "./i18n";

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

/** A claim's value for people: yes/no, dates as "17 мая 1990 г.", lists joined, objects as "label: value" pairs. */
export function claimValue(value: unknown): string {
  if (value === true) return lang() === "ru" ? "да" : "yes";
  if (value === false) return lang() === "ru" ? "нет" : "no";
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(value) : value;
  if (typeof value === "number") return new Intl.NumberFormat(lang() === "ru" ? "ru-RU" : "en-GB").format(value);
  if (Array.isArray(value)) return value.map(claimValue).join(", ");
  if (typeof value === "object")
    return Object.entries(value)
      .map(([k, v]) => `${claimLabel(k)}: ${claimValue(v)}`)
      .join("; ");
  return String(value);
}
