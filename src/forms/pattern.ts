import { RE2JS } from "re2js";

/**
 * Form patterns run on untrusted citizen input inside a shared isolate, so they are never given to
 * the backtracking JavaScript engine: they are compiled for RE2 (the `re2js` port), which matches in
 * time linear in the input whatever the pattern. A pattern must be a valid JavaScript RegExp with the
 * `u` flag (what a browser's `pattern` attribute and JSON Schema tools expect) and must compile for
 * RE2; one that needs backtracking (backreferences, lookahead, lookbehind) is refused at publishing.
 *
 * The JavaScript spelling is translated so a pattern means the same in both engines:
 * `\uHHHH`, `\u{H…}` (and surrogate pairs of `\u` escapes) become code points, `\p{Script=X}`,
 * `\p{sc=X}`, `\p{General_Category=X}` and `\p{gc=X}` become `\p{X}`, `\s` / `\S` and `.` get
 * JavaScript's (Unicode) meaning rather than RE2's ASCII one. Anything RE2 then cannot compile is refused.
 */

/** JavaScript's `\s`: WhiteSpace and LineTerminator (ECMA-262 §22.2.2.9), as class members for RE2. */
const JS_SPACE = "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
/** JavaScript's `.` without the `s` flag: anything but a line terminator. */
const JS_DOT = "[^\\n\\r\\x{2028}\\x{2029}]";

export class UnsafePatternError extends Error {}

const HEX = /^[0-9A-Fa-f]$/u;

/** Translates a JavaScript (`u` flag) pattern to RE2 syntax with the same meaning, or throws UnsafePatternError. */
export function toRe2Syntax(pattern: string): string {
  let out = "";
  let inClass = false;
  let i = 0;
  const unicodeEscape = (at: number): { code: number; end: number } | null => {
    // `at` points at the `u` of `\u`.
    if (pattern[at + 1] === "{") {
      const close = pattern.indexOf("}", at + 2);
      const hex = close < 0 ? "" : pattern.slice(at + 2, close);
      if (hex.length === 0 || ![...hex].every((ch) => HEX.test(ch))) return null;
      return { code: Number.parseInt(hex, 16), end: close + 1 };
    }
    const hex = pattern.slice(at + 1, at + 5);
    if (hex.length !== 4 || ![...hex].every((ch) => HEX.test(ch))) return null;
    return { code: Number.parseInt(hex, 16), end: at + 5 };
  };
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new UnsafePatternError("pattern ends with a lone backslash");
      if (next === "u") {
        const first = unicodeEscape(i + 1);
        if (!first) throw new UnsafePatternError("malformed \\u escape");
        let code = first.code;
        let end = first.end;
        // A surrogate pair written as two \u escapes is one code point in a `u` pattern.
        if (code >= 0xd800 && code <= 0xdbff && pattern[end] === "\\" && pattern[end + 1] === "u") {
          const low = unicodeEscape(end + 1);
          if (low && low.code >= 0xdc00 && low.code <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (low.code - 0xdc00);
            end = low.end;
          }
        }
        out += `\\x{${code.toString(16).toUpperCase()}}`;
        i = end;
        continue;
      }
      if (next === "p" || next === "P") {
        const close = pattern.indexOf("}", i + 2);
        if (pattern[i + 2] !== "{" || close < 0) throw new UnsafePatternError(`malformed \\${next} escape`);
        const body = pattern.slice(i + 3, close);
        const m = /^(?:Script|sc|General_Category|gc)=(.+)$/u.exec(body);
        out += `\\${next}{${m ? m[1] : body}}`;
        i = close + 1;
        continue;
      }
      if (next === "s" || next === "S") {
        if (!inClass) out += next === "s" ? `[${JS_SPACE}]` : `[^${JS_SPACE}]`;
        else if (next === "s") out += JS_SPACE;
        else throw new UnsafePatternError("\\S inside a character class is not supported");
        i += 2;
        continue;
      }
      if (next === "k" || (next >= "1" && next <= "9")) throw new UnsafePatternError("backreferences need a backtracking engine");
      out += ch + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      // A `[` inside a class is a literal in JavaScript; RE2 would read `[:` as the start of a POSIX class.
      out += ch === "[" ? "\\[" : ch;
      i += 1;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      i += 1;
      // A leading `^` or `]` is part of the class opening, not its end.
      if (pattern[i] === "^") {
        out += "^";
        i += 1;
      }
      if (pattern[i] === "]") throw new UnsafePatternError(pattern[i - 1] === "^" ? "[^] is not supported" : "[] is not supported");
      continue;
    }
    if (
      ch === "(" &&
      pattern[i + 1] === "?" &&
      (pattern[i + 2] === "=" || pattern[i + 2] === "!" || pattern.startsWith("<=", i + 2) || pattern.startsWith("<!", i + 2))
    ) {
      throw new UnsafePatternError("lookahead and lookbehind need a backtracking engine");
    }
    out += ch === "." ? JS_DOT : ch;
    i += 1;
  }
  return out;
}

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 512;

/**
 * Compiles a pattern for the linear-time engine. Throws UnsafePatternError when RE2 cannot run it.
 * The caller checks first that it is a valid JavaScript `u` RegExp.
 */
export function compilePattern(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(toRe2Syntax(pattern));
  } catch (e) {
    if (e instanceof UnsafePatternError) throw e;
    throw new UnsafePatternError((e as Error).message);
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, compiled);
  return compiled;
}

/** JSON Schema's `pattern`: the pattern matches somewhere in the value (it is not implicitly anchored). */
export function patternMatches(pattern: string, value: string): boolean {
  return compilePattern(pattern).test(value);
}
