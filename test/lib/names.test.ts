import { describe, expect, it } from "vitest";
import { nameProblem } from "../../src/lib/names";

describe("nameProblem", () => {
  it.each([
    ["a NUL", "Анна\u0000"],
    ["a tab", "Анна\tКаренина"],
    ["a newline", "Анна\nКаренина"],
    ["DEL", "Anna\u007f"],
    ["a C1 control", "Anna\u0085"],
    ["a line separator", "Anna\u2028"],
    ["LRE", "\u202AAnna"],
    ["RLE", "\u202BAnna"],
    ["PDF", "Anna\u202C"],
    ["LRO", "\u202DAnna"],
    ["RLO", "Anna\u202Egpj.exe"],
    ["LRI", "\u2066Anna"],
    ["RLI", "\u2067Anna"],
    ["FSI", "\u2068Anna"],
    ["PDI", "Anna\u2069"],
    ["RLM", "Anna\u200F"],
    ["ALM", "Anna\u061C"],
    ["a zero width space", "Госуслуги\u200B"],
    ["a word joiner", "Гос\u2060услуги"],
    ["a BOM", "\uFEFFГосуслуги"],
    ["a soft hyphen", "Госу\u00ADслуги"],
    ["a Hangul filler", "\u3164"],
    ["a lone surrogate", "Anna\uD800"],
    ["a ZWJ between letters", "Гос\u200Dуслуги"],
    ["a ZWJ at the end of an emoji", "👩\u200D"],
    ["a ZWJ between a letter and an emoji", "a\u200D💻"],
    ["a ZWNJ between Latin letters", "Gos\u200Cuslugi"],
    ["a ZWNJ between Cyrillic letters", "Гос\u200Cуслуги"],
    ["a ZWNJ at the end of Persian text", "می\u200C"],
    ["a ZWNJ between an emoji and a letter", "👩\u200Cب"],
  ])("refuses %s", (_, name) => {
    expect(nameProblem(name)).not.toBeNull();
  });

  it.each([
    ["Cyrillic", "Анна Каренина"],
    ["Latin with punctuation", "O'Brien-Smith, Jr."],
    ["an emoji", "Анна 🌸"],
    ["an emoji ZWJ sequence", "👩\u200D💻 Мария"],
    ["a family emoji", "👨\u200D👩\u200D👧\u200D👦"],
    ["a ZWJ sequence with a skin tone", "👩🏽\u200D🚀"],
    ["a ZWJ sequence with VS16", "🏳\uFE0F\u200D🌈"],
    ["a flag", "🇷🇺 Россия"],
    ["a keycap", "1\uFE0F\u20E3"],
    ["Persian with a ZWNJ", "می\u200Cخواهم"],
    ["Arabic with a mark before the ZWNJ", "ب\u064E\u200Cب"],
    ["Devanagari with a ZWJ after a virama", "क्\u200Dष"],
    ["Devanagari with a ZWNJ after a virama", "क्\u200Cष"],
    ["Malayalam with a ZWJ after a virama", "ന്\u200D"],
    ["Hebrew", "שלום"],
    ["Arabic", "مرحبا"],
    ["Chinese", "王小明"],
  ])("allows %s", (_, name) => {
    expect(nameProblem(name)).toBeNull();
  });
});
