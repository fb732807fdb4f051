// Record type metadata (after SD-JWT VC Type Metadata, draft-ietf-oauth-sd-jwt-vc §6): an agency's name
// for a type and each claim's label in Russian and optionally English, with how its values read. Answers
// that carry a record carry its `display` in the caller's language (Accept-Language, Russian by default);
// a type without metadata, or a claim without a label, shows its raw name.

// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";
import { displayableName } from "../lib/names";
import type { Lang } from "../web/lib/format";

export type { Lang };

/** A text people read: Russian always, English when the agency gives it. */
const Text = z.string().superRefine(displayableName).trim().min(1).max(200);
export const Localized = z.object({ ru: Text, en: Text.optional() }).strict().openapi("LocalizedText");
export type Localized = z.infer<typeof Localized>;

export const CLAIM_FORMATS = ["text", "date", "money", "image", "enum"] as const;
export const MAX_CLAIMS = 100;
const MAX_ENUM_VALUES = 100;

const ClaimName = z.string().min(1).max(100);

export const ClaimMeta = z
  .object({
    label: Localized,
    format: z.enum(CLAIM_FORMATS).optional().openapi({
      description:
        "How values read: `date` (a calendar day or timestamp), `money` (integer minor units, in the record's `currency` claim or RUB), `image` (a data: or https URL), `text`. Extension: `enum` with `values`.",
    }),
    values: z.record(z.string().min(1).max(100), Localized).optional().openapi({
      description: 'Extension (format `enum` only): a label for each value the claim takes, e.g. `{ "B": { "ru": "Легковые" } }`.',
    }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.format === "enum" && (!c.values || Object.keys(c.values).length === 0))
      ctx.addIssue({ code: "custom", path: ["values"], message: "an enum claim needs labels for its values" });
    if (c.format !== "enum" && c.values !== undefined)
      ctx.addIssue({ code: "custom", path: ["values"], message: "values are only for format enum" });
    if (c.values && Object.keys(c.values).length > MAX_ENUM_VALUES)
      ctx.addIssue({ code: "custom", path: ["values"], message: `at most ${MAX_ENUM_VALUES} values` });
  })
  .openapi("ClaimMetadata");
export type ClaimMeta = z.infer<typeof ClaimMeta>;

export const RecordTypeBody = z
  .object({
    name: Localized,
    claims: z
      .record(ClaimName, ClaimMeta)
      .refine((c) => Object.keys(c).length <= MAX_CLAIMS, `at most ${MAX_CLAIMS} claims`)
      .default({}),
  })
  .strict();
export type RecordTypeMeta = z.infer<typeof RecordTypeBody>;

export const Display = z
  .object({
    name: z.string().openapi({ description: "The type's name in the caller's language, or the raw type without metadata." }),
    claims: z.record(z.string(), z.string()).openapi({ description: "Each claim's label in the caller's language, or its raw name." }),
    formats: z
      .record(z.string(), z.enum(CLAIM_FORMATS))
      .openapi({ description: "Extension: the format of each claim that has one, so clients render values alike." }),
    values: z
      .record(z.string(), z.record(z.string(), z.string()))
      .openapi({ description: "Extension: for `enum` claims, each value's label in the caller's language." }),
  })
  .openapi("RecordDisplay");
export type Display = z.infer<typeof Display>;

/**
 * The language the caller asked for (RFC 9110 Accept-Language, highest q first, ties in order): the first
 * of ours (ru, en) the list names, by its primary subtag; Russian when none or no header.
 */
export function negotiateLang(header: string | null | undefined): Lang {
  if (!header) return "ru";
  const ranges = header
    .split(",")
    .map((part, i) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.tag && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    const primary = r.tag.split("-")[0];
    if (primary === "ru" || primary === "en") return primary;
  }
  return "ru";
}

export const pick = (text: Localized, lang: Lang): string => (lang === "en" ? (text.en ?? text.ru) : text.ru);

/**
 * What a record of `type` with these claim names shows: the metadata's name and labels where there are
 * some, the raw names where not (claims the metadata names but the record lacks are left out).
 */
export function displayOf(type: string, claimNames: readonly string[], meta: RecordTypeMeta | undefined, lang: Lang): Display {
  const claims: Record<string, string> = {};
  const formats: Display["formats"] = {};
  const values: Display["values"] = {};
  for (const name of claimNames) {
    // Own keys only: a claim named `constructor` must not find Object.prototype's.
    const m = meta && Object.hasOwn(meta.claims, name) ? meta.claims[name] : undefined;
    claims[name] = m ? pick(m.label, lang) : name;
    if (m?.format) formats[name] = m.format;
    if (m?.values) values[name] = Object.fromEntries(Object.entries(m.values).map(([v, label]) => [v, pick(label, lang)] as const));
  }
  return { name: meta ? pick(meta.name, lang) : type, claims, formats, values };
}

/**
 * Types Veche itself issues on an agency's behalf, shown with these words unless the agency publishes its
 * own: the receipt of a paid bill (src/bills/receipts.ts).
 */
export const BUILT_IN_TYPES: Record<string, RecordTypeMeta> = {
  payment_receipt: {
    name: { ru: "Квитанция об оплате", en: "Payment receipt" },
    claims: {
      purpose: { label: { ru: "Назначение платежа", en: "Purpose" } },
      amount: { label: { ru: "Сумма", en: "Amount" }, format: "money" },
      currency: { label: { ru: "Валюта", en: "Currency" } },
      paidAt: { label: { ru: "Оплачено", en: "Paid on" }, format: "date" },
      card: { label: { ru: "Карта", en: "Card" } },
      externalRef: { label: { ru: "Номер начисления", en: "Bill reference" } },
      billId: { label: { ru: "Номер счёта в Вече", en: "Veche bill number" } },
      paymentId: { label: { ru: "Номер платежа", en: "Payment number" } },
    },
  },
};
