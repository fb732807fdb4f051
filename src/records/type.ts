// A record's type is the agency's own name for it (contract v1.1): `DriverLicense`, `driver_license`,
// `https://gov.example/vct/passport`. Printable means no control, format (bidi, zero-width), private-use,
// unassigned or surrogate code points and no line breaks; 1–100 code points, not starting or ending with a
// space, so "passport" and "passport " never look alike yet differ. Pure, so the agency console checks the same.
const NOT_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;

export const RECORD_TYPE_MAX = 100;

export function isRecordType(t: string): boolean {
  const n = [...t].length;
  return n >= 1 && n <= RECORD_TYPE_MAX && !NOT_PRINTABLE.test(t) && t.trim() === t;
}

/** A consent scope: all records (`records`) or those of one type (`records:<type>`). */
export const isConsentScope = (s: string): boolean => s === "records" || (s.startsWith("records:") && isRecordType(s.slice(8)));
