// Phone numbers arrive in the forms people type them ("+7 (916) 123-45-67", "8 916 123 45 67",
// "00 44 20 7946 0958") and are stored in E.164. Without a country code a number is taken as Russian,
// the app's home market; any other country must be written with "+" or "00".

const E164 = /^\+[1-9]\d{7,14}$/;
const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015]/g;

export function isE164(value: string): boolean {
  return E164.test(value) && (!value.startsWith("+7") || value.length === 12);
}

/** Returns the E.164 form, or null when the input is not a phone number. */
export function normalizePhone(input: string): string | null {
  if (input.length > 40) return null;
  let s = input.trim().replace(SEPARATORS, "");
  if (s.startsWith("00")) s = `+${s.slice(2)}`;
  if (!s.startsWith("+")) {
    if (!/^\d+$/.test(s)) return null;
    if (s.length === 11 && (s.startsWith("8") || s.startsWith("7"))) s = `+7${s.slice(1)}`;
    else if (s.length === 10 && s.startsWith("9")) s = `+7${s}`;
    else return null;
  }
  return isE164(s) ? s : null;
}
