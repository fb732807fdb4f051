// Whether an E.164 number can take an SMS, decided from libphonenumber-js's `metadata.mobile.json` (the
// "v4" array format) exactly as `parsePhoneNumberFromString(e164, plans)` + `isValid()` + `getType()` in
// MOBILE / FIXED_LINE_OR_MOBILE decide it, without bundling that library's code (about 9 KB gzipped of a
// Worker that has a 200 KB budget). Each step below mirrors one of its functions (named in the comments,
// libphonenumber-js/source/…); test/auth/numbering.property.test.ts checks that the two agree.
//
// The patterns are data from our own dependency, copied by the build (scripts/build-web.mjs), not user
// input; each is compiled once and kept for the isolate's life.

/** One country's (or non-geographic calling code's) numbering plan, as positions in the metadata array. */
type Plan = readonly unknown[];

/** The parts of `metadata.mobile.json` this module reads. */
export interface NumberingPlans {
  country_calling_codes: Record<string, string[]>;
  countries: Record<string, Plan>;
  nonGeographic?: Record<string, Plan>;
}

// Positions in a plan (metadata.js, NumberingPlan, v4).
const NATIONAL_NUMBER_PATTERN = 2;
const POSSIBLE_LENGTHS = 3;
const NATIONAL_PREFIX = 5;
const NATIONAL_PREFIX_FOR_PARSING = 7;
const NATIONAL_PREFIX_TRANSFORM_RULE = 8;
const LEADING_DIGITS = 10;
const TYPES = 11;

// Positions in a plan's types (metadata.js, getType): fixed line, mobile, then toll free, premium rate,
// personal, voicemail, UAN, pager, VoIP, shared cost.
const FIXED_LINE = 0;
const MOBILE = 1;
const TYPE_COUNT = 10;

const MAX_LENGTH_COUNTRY_CODE = 3;
const MIN_LENGTH_FOR_NSN = 2;
const MAX_LENGTH_FOR_NSN = 17;

const compiled = new Map<string, RegExp>();

function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(source);
    compiled.set(source, re);
  }
  return re;
}

const str = (plan: Plan, at: number): string | undefined => {
  const v = plan[at];
  return typeof v === "string" && v !== "" ? v : undefined;
};

// An absent list is 0 in the JSON; libphonenumber treats any array, even an empty one, as present.
const lengths = (v: unknown): number[] | undefined => (Array.isArray(v) ? (v as number[]) : undefined);

/** matchesEntirely.js */
const matchesEntirely = (text: string, pattern: string | undefined): boolean => regex(`^(?:${pattern ?? ""})$`).test(text);

/** metadata.js, NumberingPlan.type(): the type's [pattern, lengths?] when the plan has it. */
function typeOf(plan: Plan, index: number): readonly unknown[] | undefined {
  const types = plan[TYPES];
  if (!Array.isArray(types) || types.length === 0) return undefined;
  const t: unknown = types[index];
  return Array.isArray(t) ? t : undefined;
}

/** getNumberType.js, isNumberTypeEqualTo */
function isNumberTypeEqualTo(nationalNumber: string, index: number, plan: Plan): boolean {
  const t = typeOf(plan, index);
  const pattern = t?.[0];
  if (typeof pattern !== "string" || pattern === "") return false;
  const possible = lengths(t?.[1]) ?? lengths(plan[POSSIBLE_LENGTHS]);
  if (possible && !possible.includes(nationalNumber.length)) return false;
  return matchesEntirely(nationalNumber, pattern);
}

type Kind = "fixed-line" | "sms" | "other" | undefined;

/**
 * getNumberType.js, reduced to what callers need: "sms" for MOBILE or FIXED_LINE_OR_MOBILE (the mobile
 * metadata drops a mobile pattern equal to the fixed-line one, leaving it absent or ""), "fixed-line",
 * "other" for any other type, undefined for none.
 */
function numberKind(nationalNumber: string, plan: Plan): Kind {
  if (!matchesEntirely(nationalNumber, str(plan, NATIONAL_NUMBER_PATTERN))) return undefined;
  if (isNumberTypeEqualTo(nationalNumber, FIXED_LINE, plan)) {
    const mobile = typeOf(plan, MOBILE);
    if (!mobile || mobile[0] === "" || isNumberTypeEqualTo(nationalNumber, MOBILE, plan)) return "sms";
    return "fixed-line";
  }
  if (isNumberTypeEqualTo(nationalNumber, MOBILE, plan)) return "sms";
  for (let i = MOBILE + 1; i < TYPE_COUNT; i++) if (isNumberTypeEqualTo(nationalNumber, i, plan)) return "other";
  return undefined;
}

/** metadata.js, getCountryCodesForCallingCode: the countries of a geographic calling code. */
function countriesOf(plans: NumberingPlans, callingCode: string): string[] | undefined {
  const codes = plans.country_calling_codes[callingCode];
  if (!codes || (codes.length === 1 && codes[0]?.length === 3)) return undefined;
  return codes;
}

/** getCountryByCallingCode.js + getCountryByNationalNumber.js: for +1, +7, +44… which country's plan. */
function countryFor(plans: NumberingPlans, callingCode: string, nationalNumber: string): string | undefined {
  const candidates = countriesOf(plans, callingCode);
  if (!candidates) return undefined;
  if (candidates.length === 1) return candidates[0];
  for (const country of candidates) {
    const plan = plans.countries[country];
    if (!plan) continue;
    const leading = str(plan, LEADING_DIGITS);
    if (leading) {
      if (nationalNumber && nationalNumber.search(regex(leading)) === 0) return country;
    } else if (numberKind(nationalNumber, plan)) return country;
  }
  return undefined;
}

/** checkNumberLength.js, as extractNationalNumber.js's isPossibleIncompleteNationalNumber reads it. */
function isPossibleIncomplete(nationalNumber: string, possible: number[] | undefined): boolean {
  if (!possible) return true;
  const n = nationalNumber.length;
  const min = possible[0];
  const max = possible[possible.length - 1];
  if (min === undefined || max === undefined || n < min) return false;
  if (n > max) return true;
  return possible.includes(n);
}

/**
 * extractNationalNumber.js (with extractNationalNumberFromPossiblyIncompleteNumber.js): libphonenumber
 * strips a national prefix even after a "+" code, using the calling code's main country's plan.
 */
function extractNationalNumber(plans: NumberingPlans, callingCode: string, number: string, plan: Plan): string {
  const forParsing = str(plan, NATIONAL_PREFIX_FOR_PARSING) ?? str(plan, NATIONAL_PREFIX);
  if (!forParsing) return number;
  const prefix = regex(`^(?:${forParsing})`);
  const match = prefix.exec(number);
  if (!match) return number;
  const groups = match.length - 1;
  const hasGroups = groups > 0 && Boolean(match[groups]);
  const rule = str(plan, NATIONAL_PREFIX_TRANSFORM_RULE);
  const national = rule && hasGroups ? number.replace(prefix, rule) : number.slice(match[0].length);
  if (national === number) return number;
  const pattern = str(plan, NATIONAL_NUMBER_PATTERN);
  if (matchesEntirely(number, pattern) && !matchesEntirely(national, pattern)) return number;
  const own = lengths(plan[POSSIBLE_LENGTHS]);
  if (own) {
    const country = countryFor(plans, callingCode, national);
    const countryPlan = country ? plans.countries[country] : undefined;
    const possible = countryPlan ? lengths(countryPlan[POSSIBLE_LENGTHS]) : own;
    if (!isPossibleIncomplete(national, possible)) return number;
  }
  return national;
}

/** The main plan of a calling code (metadata.js, hasCallingCode + getNumberingPlanMetadata). */
function planOf(plans: NumberingPlans, callingCode: string): Plan | undefined {
  const countries = countriesOf(plans, callingCode);
  if (countries) return countries[0] === undefined ? undefined : plans.countries[countries[0]];
  return plans.nonGeographic?.[callingCode];
}

/**
 * Whether `e164` ("+" and digits) is a valid number whose type is mobile or fixed-line-or-mobile, as
 * libphonenumber-js would parse it: the calling code (codes are prefix-free, so the first known one of 1–3
 * digits), the country among those sharing it, and the rest of the digits kept as they are.
 */
export function isSmsNumber(e164: string, plans: NumberingPlans): boolean {
  if (!/^\+[1-9]\d*$/.test(e164)) return false;
  const digits = e164.slice(1);
  for (let i = 1; i <= MAX_LENGTH_COUNTRY_CODE && i <= digits.length; i++) {
    const callingCode = digits.slice(0, i);
    const main = planOf(plans, callingCode);
    if (!main) continue;
    const rest = digits.slice(i);
    if (rest === "") return false;
    const national = extractNationalNumber(plans, callingCode, rest, main);
    // libphonenumber's `number` would then differ from the input, which isMobile refused.
    if (national !== rest) return false;
    if (national.length < MIN_LENGTH_FOR_NSN || national.length > MAX_LENGTH_FOR_NSN) return false;
    const country = countryFor(plans, callingCode, national);
    const plan = (country ? plans.countries[country] : undefined) ?? main;
    return numberKind(national, plan) === "sms";
  }
  return false;
}
