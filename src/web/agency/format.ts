import * as format from "../lib/format";
import { ApiError } from "./api";
import { currentLang, hasKey, t } from "./i18n";

// Money, dates and sizes come from the one formatting module both apps share, in the console's language.
export const formatMoney = (amount: number, currency: string): string => format.formatMoney(amount, currency, currentLang());

/**
 * "1 250,50", "1250.5" or "1250" roubles → 125050 kopecks, in string arithmetic (no float rounding).
 * Null for anything else, including zero and more than `digits` decimals.
 */
export function parseAmount(text: string, digits = 2): number | null {
  const clean = text.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
  const match = /^(\d{1,13})(?:\.(\d*))?$/.exec(clean);
  if (!match) return null;
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > digits) return null;
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return t("common.dash");
  return format.formatDateTime(iso, currentLang());
}

/** A calendar date ("2025-03-01") shown as such, without a time zone shifting it a day: "1 марта 2025 г.". */
export function formatDay(day: string | null | undefined): string {
  if (!day) return t("common.dash");
  return format.formatDate(day, currentLang());
}

export const formatSize = (bytes: number): string => format.formatSize(bytes, currentLang());

/** A short id for references and idempotency: 12 random base-32 characters. */
export function randomRef(prefix: string): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${Array.from(bytes, (b) => alphabet[b % 32]).join("")}`;
}

/** What to tell a person about a failure: our own words for known codes, the server's detail otherwise. */
export function problemText(err: unknown): { message: string; detail: string | null } {
  if (err instanceof ApiError) {
    const key = `err.${err.code}`;
    if (hasKey(key)) return { message: t(key), detail: err.code === "network" || err.code === "validation_failed" ? null : err.detail };
    return { message: t("err.other"), detail: err.detail };
  }
  return { message: t("err.other"), detail: err instanceof Error ? err.message : String(err) };
}

/** Field messages the server attached to `path` (and to anything under it: `schema.properties.x`). */
export function serverFieldErrors(err: unknown, path: string): string[] {
  if (!(err instanceof ApiError)) return [];
  return err.errors
    .filter((e) => e.path === path || e.path.startsWith(`${path}.`) || e.path.startsWith(`${path}[`))
    .map((e) => (e.path === path ? e.message : `${e.path}: ${e.message}`));
}

/** Field errors that no field on the form claims, so that none goes unseen. */
export function unclaimedFieldErrors(err: unknown, paths: string[]): string[] {
  if (!(err instanceof ApiError)) return [];
  return err.errors
    .filter((e) => !paths.some((p) => e.path === p || e.path.startsWith(`${p}.`) || e.path.startsWith(`${p}[`)))
    .map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A local calendar day as an `<input type="date">` value. */
export const dayOf = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The end of the chosen day in the operator's time zone, as the instant the API wants (`…T20:59:59.000Z` in Moscow). */
export function endOfDay(day: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59);
}
