// Phone numbers arrive in the forms people type them ("+7 (916) 123-45-67", "8 916 123 45 67",
// "00 44 7400 123456") and are stored in E.164. Without a country code a number is taken as Russian,
// the app's home market; any other country must be written with "+" or "00".
//
// A number must also be one that can exist and take an SMS: a mobile number (or one a country does not
// tell apart from fixed lines, as in the US) by libphonenumber-js's `mobile` metadata, so `+70000000000`
// or a landline never gets a code. That metadata is data, not code: about 96 KB (30 KB gzipped), as much as
// a seventh of the Worker, parsed at every cold start if it were bundled. The build puts it among the static
// assets (scripts/build-web.mjs, PHONE_METADATA_PATH) and the Worker reads it from there on the first
// number an isolate checks, through the ASSETS binding; the web client does not import this module.
// The library's own code is not bundled either: src/auth/numbering.ts reads the same metadata the same way.
import { isSmsNumber, type NumberingPlans } from "./numbering";

/** Where the build puts libphonenumber-js's `metadata.mobile.json` among the static assets. */
export const PHONE_METADATA_PATH = "/_data/phone-metadata.json";

let metadata: Promise<NumberingPlans> | null = null;

/** The numbering plans, read once per isolate (a failed read is tried again by the next caller). */
function numberingPlans(env: Pick<Env, "ASSETS">): Promise<NumberingPlans> {
  metadata ??= (async () => {
    const res = await env.ASSETS.fetch(new Request(`https://assets.invalid${PHONE_METADATA_PATH}`));
    if (!res.ok) throw new Error(`phone numbering plans unavailable: ${res.status}`);
    return (await res.json()) as NumberingPlans;
  })().catch((err: unknown) => {
    metadata = null;
    throw err;
  });
  return metadata;
}

const E164 = /^\+[1-9]\d{7,14}$/;
const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015]/g;

export function isE164(value: string): boolean {
  return E164.test(value) && (!value.startsWith("+7") || value.length === 12);
}

/** Returns the E.164 form, or null when the input is not a phone number that can take an SMS. */
export async function normalizePhone(env: Pick<Env, "ASSETS">, input: string): Promise<string | null> {
  if (input.length > 40) return null;
  let s = input.trim().replace(SEPARATORS, "");
  if (s.startsWith("00")) s = `+${s.slice(2)}`;
  if (!s.startsWith("+")) {
    if (!/^\d+$/.test(s)) return null;
    if (s.length === 11 && (s.startsWith("8") || s.startsWith("7"))) s = `+7${s.slice(1)}`;
    else if (s.length === 10 && s.startsWith("9")) s = `+7${s}`;
    else return null;
  }
  return isE164(s) && isSmsNumber(s, await numberingPlans(env)) ? s : null;
}
