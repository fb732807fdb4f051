// Phone numbers arrive in the forms people type them ("+7 (916) 123-45-67", "8 916 123 45 67",
// "00 44 7400 123456") and are stored in E.164. Without a country code a number is taken as Russian,
// the app's home market; any other country must be written with "+" or "00".
//
// A number must also be one that can exist and take an SMS: a mobile number (or one a country does not
// tell apart from fixed lines, as in the US) by libphonenumber-js's `mobile` metadata, so `+70000000000`
// or a landline never gets a code. That metadata is about 100 KB (30 KB gzipped) of the Worker bundle, a
// third less than the full set; the web client does not import this module.
import { parsePhoneNumberFromString } from "libphonenumber-js/mobile";

const E164 = /^\+[1-9]\d{7,14}$/;
const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015]/g;
const SMS_TYPES = new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]);

export function isE164(value: string): boolean {
  return E164.test(value) && (!value.startsWith("+7") || value.length === 12);
}

/** Whether an E.164 string is a number that can exist and receive SMS, by the country's numbering plan. */
function isMobile(e164: string): boolean {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed !== undefined && parsed.number === e164 && parsed.isValid() && SMS_TYPES.has(parsed.getType() ?? "");
}

/** Returns the E.164 form, or null when the input is not a phone number that can take an SMS. */
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
  return isE164(s) && isMobile(s) ? s : null;
}
