import { describe, expect, it } from "vitest";
import { cardBrand } from "../../src/bills/cards";

const pad = (prefix: string | number) => `${prefix}`.padEnd(16, "0");

describe("cardBrand", () => {
  it("names Mastercard for exactly 51–55 and 2221–2720", () => {
    for (let p = 50; p <= 56; p++) expect(cardBrand(pad(p)), String(p)).toBe(p >= 51 && p <= 55 ? "mastercard" : "card");
    for (let p = 2200; p <= 2800; p++) {
      const expected = p <= 2204 ? "mir" : p >= 2221 && p <= 2720 ? "mastercard" : "card";
      expect(cardBrand(pad(p)), String(p)).toBe(expected);
    }
    expect(cardBrand("5555555555554444")).toBe("mastercard");
    expect(cardBrand("2223003122003222")).toBe("mastercard");
  });

  it("names Mir, Visa and Amex by their ranges", () => {
    expect(cardBrand("2200000000000004")).toBe("mir");
    expect(cardBrand("4242424242424242")).toBe("visa");
    expect(cardBrand("378282246310005")).toBe("amex");
    expect(cardBrand("341111111111111")).toBe("amex");
    expect(cardBrand("6011111111111117")).toBe("card");
  });
});
