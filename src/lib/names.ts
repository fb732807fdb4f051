// Names people and agencies are shown by: display names, usernames, chat titles, agency names. A name must
// read as what it is, so characters that reorder, hide or fake text are refused (`400 validation_failed`):
//
// - control characters (C0, DEL, C1) and the line and paragraph separators U+2028, U+2029;
// - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the bidi marks U+200E, U+200F,
//   U+061C, which can make "Госуслуги" show in front of anything or turn "gpj.exe" around;
// - invisible characters: U+200B zero width space, U+2060–U+2064 word joiner and invisible operators, U+FEFF,
//   U+00AD soft hyphen, U+180E, U+034F, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, and lone surrogates;
// - the joiners where no script or emoji needs them, following IDNA's CONTEXTJ rule (RFC 5892 A.1, A.2) in a
//   simple form: U+200D ZERO WIDTH JOINER only between two pictographs (an emoji ZWJ sequence such as 👩‍💻 or
//   🏳️‍🌈, skin tone modifiers and U+FE0F allowed before it) or right after a virama (Indic conjuncts);
//   U+200C ZERO WIDTH NON-JOINER only right after a virama, or between two letters of a joining script
//   (Arabic, as in Persian "می‌خواهم", Syriac, N'Ko, Mongolian, Mandaic, Manichaean, Psalter Pahlavi, Adlam,
//   Hanifi Rohingya, Sogdian), combining marks between them skipped.
import type { z } from "zod";

const FORBIDDEN =
  /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B\u2060-\u2064\uFEFF\u00AD\u180E\u115F\u1160\u3164\uFFA0]|\u034F/u;
const ZWNJ = 0x200c;
const ZWJ = 0x200d;

/** Canonical_Combining_Class = Virama (9): the characters after which CONTEXTJ allows both joiners. */
const VIRAMA =
  /^[\u094D\u09CD\u0A4D\u0ACD\u0B4D\u0BCD\u0C4D\u0CCD\u0D3B\u0D3C\u0D4D\u0DCA\u0E3A\u0EBA\u0F84\u1039\u103A\u1714\u1715\u1734\u17D2\u1A60\u1B44\u1BAA\u1BAB\u1BF2\u1BF3\u2D7F\uA806\uA82C\uA8C4\uA953\uA9C0\uAAF6\uABED\u{10A3F}\u{11046}\u{11070}\u{1107F}\u{110B9}\u{11133}\u{11134}\u{111C0}\u{11235}\u{112EA}\u{1134D}\u{11442}\u{114C2}\u{115BF}\u{1163F}\u{116B6}\u{1172B}\u{11839}\u{1193D}\u{1193E}\u{119E0}\u{11A34}\u{11A47}\u{11A99}\u{11C3F}\u{11D44}\u{11D45}\u{11D97}]$/u;
/** Letters of the scripts whose letters join, where a ZWNJ between two of them breaks the join on purpose. */
const JOINING_LETTER =
  /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Manichaean}\p{Script=Psalter_Pahlavi}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Sogdian}]$/u;
const LETTER = /^\p{L}$/u;
const MARK = /^\p{M}$/u;
const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
/** What may stand between a pictograph and the ZWJ after it: U+FE0F (emoji presentation) and skin tones. */
const EMOJI_TRAILER = /^[\uFE0F\u{1F3FB}-\u{1F3FF}]$/u;

function joinerAllowed(chars: string[], i: number): boolean {
  const before = chars[i - 1] ?? "";
  if (VIRAMA.test(before)) return true;
  if (chars[i]?.codePointAt(0) === ZWJ) {
    let j = i - 1;
    while (j >= 0 && EMOJI_TRAILER.test(chars[j] ?? "")) j -= 1;
    return PICTOGRAPH.test(chars[j] ?? "") && PICTOGRAPH.test(chars[i + 1] ?? "");
  }
  let j = i - 1;
  while (j >= 0 && MARK.test(chars[j] ?? "")) j -= 1;
  let k = i + 1;
  while (k < chars.length && MARK.test(chars[k] ?? "")) k += 1;
  const [prev, next] = [chars[j] ?? "", chars[k] ?? ""];
  return LETTER.test(prev) && JOINING_LETTER.test(prev) && LETTER.test(next) && JOINING_LETTER.test(next);
}

/** Why a name cannot be shown as it is, or null when it can. */
export function nameProblem(name: string): string | null {
  if (!name.isWellFormed()) return "contains a lone surrogate";
  const bad = FORBIDDEN.exec(name);
  if (bad)
    return `contains the invisible or control character U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  const chars = [...name];
  for (const [i, ch] of chars.entries()) {
    const cp = ch.codePointAt(0);
    if ((cp === ZWJ || cp === ZWNJ) && !joinerAllowed(chars, i)) {
      return `contains ${cp === ZWJ ? "a zero width joiner (U+200D)" : "a zero width non-joiner (U+200C)"} where no script or emoji needs it`;
    }
  }
  return null;
}

/**
 * The one refinement for every shown name, placed before `.trim()` (`z.string().superRefine(displayableName).trim()…`):
 * trimming would quietly drop a leading U+FEFF or a trailing newline that the name was sent with.
 */
export function displayableName(name: string, ctx: z.RefinementCtx): void {
  const problem = nameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `The name ${problem}.` });
}
