// zod's `core` namespace for src/lib/zod-lean.ts: the same, with `locales` shadowed by English only.
import en from "zod/v4/locales/en.js";

export * from "zod/v4/core";
export const locales = { en };
