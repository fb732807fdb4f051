// Values as people read them, in Russian or English: calendar dates ("17 мая 1990 г."), money from minor
// units ("1 250,50 ₽"), moments in people's words ("сегодня в 08:21"), and enumerations (statuses, consent
// scopes, payment states) as words. One module for the citizen app, the agency console and the server's
// chat texts: pure functions of their arguments and the language (no DOM, no stored state), so the Worker
// imports it too and the same words appear everywhere. Everything goes through Intl.

export type Lang = "ru" | "en";

export const localeOf = (lang: Lang): string => (lang === "ru" ? "ru-RU" : "en-GB");

/** How a claim's value reads (record types, src/records/types.ts). `enum` is our extension with value labels. */
export type ClaimFormat = "text" | "date" | "money" | "image" | "enum";

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The number of digits after the point in `currency`'s minor unit (2 for RUB, 0 for JPY). */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An amount in minor units (kopecks) as money: 125050 RUB → "1 250,50 ₽" / "₽1,250.50". */
export function formatMoney(minor: number, currency: string, lang: Lang): string {
  const digits = minorDigits(currency);
  const major = minor / 10 ** digits;
  try {
    return new Intl.NumberFormat(localeOf(lang), {
      style: "currency",
      currency,
      currencyDisplay: "narrowSymbol",
      minimumFractionDigits: digits,
    }).format(major);
  } catch {
    return `${major.toFixed(digits)} ${currency}`;
  }
}

/** A calendar day `YYYY-MM-DD` as midnight UTC, or null. */
function dayUtc(day: string): Date | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(m[3]) ? null : date;
}

const parseInstant = (iso: string): Date | null => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
};

/**
 * A date: "17 мая 1990 г." / "17 May 1990". A calendar day (`1990-05-17`) is shown as written, never
 * shifted by a time zone; a timestamp shows its local day (or the day in `timeZone`). Anything else as it is.
 */
export function formatDate(value: string, lang: Lang, timeZone?: string): string {
  const day = dayUtc(value);
  // A day that does not exist (30 February) is shown as written, not rolled over into March.
  const date = day ?? (DAY.test(value) ? null : parseInstant(value));
  if (!date) return value;
  const zone = day ? "UTC" : timeZone;
  return new Intl.DateTimeFormat(localeOf(lang), {
    day: "numeric",
    month: "long",
    year: "numeric",
    ...(zone ? { timeZone: zone } : {}),
  }).format(date);
}

/** A moment with its date and time: "1 декабря 2026 г., 08:21" / "1 December 2026, 08:21". */
export function formatDateTime(iso: string, lang: Lang, timeZone?: string): string {
  const date = parseInstant(iso);
  if (!date) return iso;
  return new Intl.DateTimeFormat(localeOf(lang), {
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** The local calendar day of a date, as a count of days, for "today" and "yesterday" comparisons. */
const localDay = (d: Date, timeZone?: string): number => {
  if (!timeZone) return Math.floor(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / DAY_MS);
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  return Math.floor((dayUtc(parts)?.getTime() ?? d.getTime()) / DAY_MS);
};

/**
 * A moment in people's words: "сегодня в 08:21", "вчера в 21:05", "1 декабря в 08:21" this year,
 * "1 декабря 2025 г. в 08:21" before; "today at 08:21", "yesterday at 21:05", "1 December at 08:21"…
 */
export function formatWhen(iso: string, lang: Lang, now: Date = new Date(), timeZone?: string): string {
  const date = parseInstant(iso);
  if (!date) return iso;
  const locale = localeOf(lang);
  const zone = timeZone ? { timeZone } : {};
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", ...zone }).format(date);
  const at = lang === "ru" ? "в" : "at";
  const days = localDay(now, timeZone) - localDay(date, timeZone);
  if (days === 0 || days === 1) {
    const word = new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(-days, "day");
    return `${word} ${at} ${time}`;
  }
  const sameYear =
    new Intl.DateTimeFormat("en", { year: "numeric", ...zone }).format(date) ===
    new Intl.DateTimeFormat("en", { year: "numeric", ...zone }).format(now);
  const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", ...(sameYear ? {} : { year: "numeric" }), ...zone }).format(
    date,
  );
  return `${day} ${at} ${time}`;
}

/** Whole days from today (local) to a calendar day: 0 today, 1 tomorrow, -2 two days ago; null when not a day. */
export function daysUntil(day: string, now: Date = new Date(), timeZone?: string): number | null {
  const d = dayUtc(day);
  if (!d) return null;
  return Math.round(d.getTime() / DAY_MS) - localDay(now, timeZone);
}

/**
 * When something is due, in words: "до 1 декабря 2026 г. — через 3 дня", "до 1 декабря 2026 г. — сегодня",
 * "срок прошёл 1 декабря 2026 г. (2 дня назад)"; English alike.
 */
export function formatDue(day: string, lang: Lang, now: Date = new Date(), timeZone?: string): string {
  const date = formatDate(day, lang);
  const days = daysUntil(day, now, timeZone);
  if (days === null) return date;
  const relative = new Intl.RelativeTimeFormat(localeOf(lang), { numeric: "auto" }).format(days, "day");
  if (days < 0) return lang === "ru" ? `срок прошёл ${date} (${relative})` : `was due ${date} (${relative})`;
  return lang === "ru" ? `до ${date} — ${relative}` : `by ${date} — ${relative}`;
}

/** A size in bytes: "1,5 МБ" / "1.5 MB". */
export function formatSize(bytes: number, lang: Lang): string {
  const units = lang === "ru" ? ["Б", "КБ", "МБ", "ГБ"] : ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}

/** A list in words: "B, C и D" / "B, C and D". */
export const formatList = (items: readonly string[], lang: Lang): string =>
  new Intl.ListFormat(localeOf(lang), { style: "long", type: "conjunction" }).format(items);

export interface ValueOptions {
  /** The currency of a `money` value (the record's `currency` claim); RUB when absent. */
  currency?: string;
  /** Labels of an `enum` value, already in the reader's language. */
  values?: Record<string, string>;
}

/**
 * A claim's value as people read it. With a format: dates and money as above, an enumeration's value by its
 * label. Without one (no metadata), what it looks like: a calendar day as a date, lists joined, yes or no,
 * nested objects as "name: value" pairs; never JSON.
 */
export function formatValue(value: unknown, format: ClaimFormat | undefined, lang: Lang, opts: ValueOptions = {}): string {
  if (value === null || value === undefined || value === "") return "—";
  if (format === "money" && typeof value === "number") return formatMoney(value, opts.currency ?? "RUB", lang);
  if (format === "enum" && (typeof value === "string" || typeof value === "number"))
    return opts.values && Object.hasOwn(opts.values, String(value)) ? (opts.values[String(value)] ?? String(value)) : String(value);
  if (format === "date" && typeof value === "string") return formatDate(value, lang);
  if (Array.isArray(value)) return value.map((v) => formatValue(v, format, lang, opts)).join(", ");
  if (typeof value === "boolean") return lang === "ru" ? (value ? "да" : "нет") : value ? "yes" : "no";
  if (typeof value === "number") return new Intl.NumberFormat(localeOf(lang)).format(value);
  if (typeof value === "object")
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${formatValue(v, undefined, lang)}`)
      .join("; ");
  const text = String(value);
  if (format === undefined && dayUtc(text)) return formatDate(text, lang);
  return text;
}

// Enumerations as words. Statuses are what the API returns; the words are what people say of them.
type Words = Record<Lang, Record<string, string>>;
const word = (table: Words, value: string, lang: Lang): string =>
  Object.hasOwn(table[lang], value) ? (table[lang][value] ?? value) : value;

const BILL_STATUS: Words = {
  ru: { unpaid: "Не оплачен", processing: "Оплата обрабатывается", paid: "Оплачен", cancelled: "Отменён" },
  en: { unpaid: "Unpaid", processing: "Payment processing", paid: "Paid", cancelled: "Cancelled" },
};
const PAYMENT_STATUS: Words = {
  ru: { succeeded: "прошла успешно", declined: "отклонена банком", pending: "ожидает подтверждения" },
  en: { succeeded: "went through", declined: "declined by the bank", pending: "awaiting confirmation" },
};
const SUBMISSION_STATUS: Words = {
  ru: { draft: "Черновик", submitted: "Получено", in_review: "На рассмотрении", approved: "Одобрено", rejected: "Отклонено" },
  en: { draft: "Draft", submitted: "Received", in_review: "In review", approved: "Approved", rejected: "Rejected" },
};
const CONSENT_STATUS: Words = {
  ru: { requested: "Ожидает ответа", approved: "Разрешено", denied: "Отказано", revoked: "Отозвано", expired: "Истекло" },
  en: { requested: "Awaiting your answer", approved: "Approved", denied: "Denied", revoked: "Revoked", expired: "Expired" },
};

export const billStatusWord = (status: string, lang: Lang) => word(BILL_STATUS, status, lang);
export const paymentStatusWord = (status: string, lang: Lang) => word(PAYMENT_STATUS, status, lang);
export const submissionStatusWord = (status: string, lang: Lang) => word(SUBMISSION_STATUS, status, lang);
export const consentStatusWord = (status: string, lang: Lang) => word(CONSENT_STATUS, status, lang);

/**
 * A consent scope in words: `records` → "все ваши документы", `records:<type>` → "документы «<name>»",
 * with the type's name from its record type when the caller knows it (else the type as the agency wrote it).
 */
export function consentScopeWords(scope: string, lang: Lang, typeName?: (type: string) => string | undefined): string {
  if (scope === "records") return lang === "ru" ? "все ваши документы" : "all your documents";
  if (scope.startsWith("records:")) {
    const type = scope.slice("records:".length);
    const name = typeName?.(type) ?? type;
    return lang === "ru" ? `документы «${name}»` : `documents “${name}”`;
  }
  return scope;
}

/** What a record answer's `display` says (the API's RecordDisplay): names and labels in the reader's language. */
export interface RecordDisplay {
  name: string;
  claims: Record<string, string>;
  formats?: Record<string, ClaimFormat>;
  values?: Record<string, Record<string, string>>;
}

export interface ClaimRow {
  /** The claim's name, for disclosure choices (never shown). */
  name: string;
  label: string;
  value: string;
  /** An image claim's address, shown as a picture rather than as text. */
  image?: string;
}

const own = <T>(o: Record<string, T> | undefined, k: string): T | undefined => (o && Object.hasOwn(o, k) ? o[k] : undefined);

/**
 * A record's claims as labelled, formatted rows, in the record's order: each label from the record type
 * (the raw name without one), each value as people read it (a `money` claim in the record's `currency`).
 */
export function claimRows(claims: Record<string, unknown>, display: RecordDisplay | null | undefined, lang: Lang): ClaimRow[] {
  const currency = typeof claims.currency === "string" && /^[A-Z]{3}$/.test(claims.currency) ? claims.currency : undefined;
  return Object.entries(claims).map(([name, raw]) => {
    const format = own(display?.formats, name);
    const values = own(display?.values, name);
    const row: ClaimRow = {
      name,
      label: own(display?.claims, name) ?? name,
      value: formatValue(raw, format, lang, { ...(currency ? { currency } : {}), ...(values ? { values } : {}) }),
    };
    if (format === "image" && typeof raw === "string" && /^(data:image\/|https:\/\/)/.test(raw)) row.image = raw;
    return row;
  });
}
