// Dates and times as agencies send them: any RFC 3339 form (section 5.6), a `full-date` such as `2026-12-31`
// or a `date-time` such as `2026-12-31T12:00:00Z`, `2026-12-31t15:00:00.5+03:00`. One parser, so every field
// that the contract calls a date or time accepts the same forms and is normalised the same way:
// - a date (`dueDate`) is returned as a `full-date`: the calendar date as written, in the offset it was
//   written in (`2026-12-31T23:30:00-05:00` is the 31st, the day the agency meant);
// - an instant (`expiresAt`) is returned as UTC with milliseconds (`toISOString()`); a `full-date` there means
//   "through that day": the first instant of the next day, UTC.
// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";

// RFC 3339 ABNF: T and Z may be lower case; seconds are required, fractions of any length; no leap second
// second past :59 is accepted here (JavaScript time has none), so `:60` is refused rather than shifted.
const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

const DAY_MS = 86_400_000;

export interface Rfc3339 {
  /** The calendar date as written (`YYYY-MM-DD`), in the offset it was written in. */
  date: string;
  /** Epoch ms: the instant a date-time names, or for a full date the first instant of the next day, UTC. */
  endInstant: number;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** Parses any RFC 3339 full-date or date-time; null when it is neither or names no real day or time. */
export function parseRfc3339(value: string): Rfc3339 | null {
  const full = FULL_DATE.exec(value);
  if (full) {
    const [y, m, d] = [Number(full[1]), Number(full[2]), Number(full[3])];
    if (!validDate(y, m, d)) return null;
    return { date: value, endInstant: Date.UTC(y, m - 1, d) + DAY_MS };
  }
  const dt = DATE_TIME.exec(value);
  if (!dt) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(dt[i])) as [number, number, number, number, number, number];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  let offsetMin = 0;
  if (dt[9]) {
    const [oh, om] = [Number(dt[10]), Number(dt[11])];
    if (oh > 23 || om > 59) return null;
    offsetMin = (dt[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = dt[7] ? Math.floor(Number(`0${dt[7]}`) * 1000) : 0;
  const localMs = Date.UTC(y, mo - 1, d, h, mi, s, fraction);
  return { date: `${dt[1]}-${dt[2]}-${dt[3]}`, endInstant: localMs - offsetMin * 60_000 };
}

const FORMS = "an RFC 3339 date (2026-12-31) or date-time (2026-12-31T12:00:00Z, 2026-12-31T15:00:00+03:00)";

/** A field in any RFC 3339 form, parsed once; `pick` chooses what the handler gets. */
function rfc3339<T>(pick: (parsed: NonNullable<ReturnType<typeof parseRfc3339>>) => T, description: string, examples: string[]) {
  return z
    .string()
    .max(64)
    .transform((v, ctx) => {
      const parsed = parseRfc3339(v);
      if (!parsed) {
        ctx.addIssue({ code: "custom", message: `must be ${FORMS}` });
        return z.NEVER;
      }
      return pick(parsed);
    })
    .openapi({ type: "string", description: `${FORMS}; ${description}`, examples });
}

/** A date field: any RFC 3339 form in, the calendar date (`YYYY-MM-DD`) as written out. */
export const rfc3339Date = rfc3339((p) => p.date, "returned as the date as written (YYYY-MM-DD), in the offset it was given in.", [
  "2026-12-31",
  "2026-12-31T15:00:00+03:00",
]);

/** An instant field: any RFC 3339 form in, epoch ms out (a full date: through the end of that day, UTC). */
export const rfc3339Instant = rfc3339(
  (p) => p.endInstant,
  "a full date means through the end of that day (UTC). Returned in UTC with milliseconds (2026-12-31T12:00:00.000Z).",
  ["2026-12-31", "2026-12-31T12:00:00Z", "2026-12-31T15:00:00+03:00"],
);
