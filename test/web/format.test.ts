// The one formatting module (src/web/lib/format.ts) the citizen app, the agency console and the server's chat
// texts share: what people read for dates, money, moments and enumerations, in Russian and English.
import { describe, expect, test } from "vitest";
import {
  billStatusWord,
  consentScopeWords,
  consentStatusWord,
  formatDate,
  formatDateTime,
  formatDue,
  formatMoney,
  formatValue,
  formatWhen,
  paymentStatusWord,
  submissionStatusWord,
} from "../../src/web/lib/format";

/** Intl separates digit groups and units with no-break spaces; people see spaces. */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("dates", () => {
  test("a calendar day reads as a date, never shifted by a time zone", () => {
    expect(formatDate("1990-05-17", "ru")).toBe("17 мая 1990 г.");
    expect(formatDate("1990-05-17", "en")).toBe("17 May 1990");
    expect(formatDate("1990-05-17", "ru", "America/Los_Angeles")).toBe("17 мая 1990 г.");
  });
  test("a timestamp reads as its day in the given zone; nonsense stays as it is", () => {
    expect(formatDate("2026-12-01T22:30:00Z", "ru", "Europe/Moscow")).toBe("2 декабря 2026 г.");
    expect(formatDate("2026-02-30", "ru")).toBe("2026-02-30");
    expect(formatDate("not a date", "en")).toBe("not a date");
  });
  test("a moment with its time", () => {
    expect(plain(formatDateTime("2026-12-01T08:21:34.344Z", "ru", "UTC"))).toBe("1 декабря 2026 г. в 08:21");
    expect(formatDateTime("2026-12-01T08:21:34.344Z", "en", "UTC")).toBe("1 December 2026 at 08:21");
  });
});

describe("moments in people's words", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  test("today, yesterday, this year, before", () => {
    expect(formatWhen("2026-12-01T08:21:34.344Z", "ru", now, "UTC")).toBe("сегодня в 08:21");
    expect(formatWhen("2026-11-30T21:05:00Z", "ru", now, "UTC")).toBe("вчера в 21:05");
    expect(formatWhen("2026-11-30T21:05:00Z", "en", now, "UTC")).toBe("yesterday at 21:05");
    expect(formatWhen("2026-03-08T10:00:00Z", "ru", now, "UTC")).toBe("8 марта в 10:00");
    expect(formatWhen("2025-03-08T10:00:00Z", "ru", now, "UTC")).toBe("8 марта 2025 г. в 10:00");
    expect(formatWhen("2025-03-08T10:00:00Z", "en", now, "UTC")).toBe("8 March 2025 at 10:00");
  });
  test("the day is the reader's local one", () => {
    // 21:30 UTC on 30 November is 00:30 on 1 December in Moscow: today there.
    expect(formatWhen("2026-11-30T21:30:00Z", "ru", now, "Europe/Moscow")).toBe("сегодня в 00:30");
  });
  test("what is due, and when", () => {
    expect(formatDue("2026-12-04", "ru", now, "UTC")).toBe("до 4 декабря 2026 г. — через 3 дня");
    expect(formatDue("2026-12-02", "ru", now, "UTC")).toBe("до 2 декабря 2026 г. — завтра");
    expect(formatDue("2026-12-01", "en", now, "UTC")).toBe("by 1 December 2026 — today");
    expect(formatDue("2026-11-29", "ru", now, "UTC")).toBe("срок прошёл 29 ноября 2026 г. (позавчера)");
    expect(formatDue("2026-11-20", "en", now, "UTC")).toBe("was due 20 November 2026 (11 days ago)");
  });
});

describe("money from minor units", () => {
  test("roubles and kopecks", () => {
    expect(plain(formatMoney(125050, "RUB", "ru"))).toBe("1 250,50 ₽");
    expect(plain(formatMoney(50000, "RUB", "ru"))).toBe("500,00 ₽");
    expect(formatMoney(125050, "RUB", "en")).toBe("₽1,250.50");
  });
  test("currencies without a minor unit", () => {
    expect(plain(formatMoney(1500, "JPY", "ru"))).toBe("1 500 ¥");
  });
});

describe("claim values", () => {
  test("by format", () => {
    expect(formatValue("1990-05-17", "date", "ru")).toBe("17 мая 1990 г.");
    expect(plain(formatValue(125050, "money", "ru", { currency: "RUB" }))).toBe("1 250,50 ₽");
    expect(formatValue("B", "enum", "ru", { values: { B: "Легковые автомобили" } })).toBe("Легковые автомобили");
    expect(formatValue(["A", "B"], "enum", "en", { values: { A: "Motorcycles", B: "Cars" } })).toBe("Motorcycles, Cars");
    expect(formatValue("constructor", "enum", "ru", { values: {} })).toBe("constructor");
  });
  test("without metadata: what the value looks like, never JSON", () => {
    expect(formatValue("2034-05-17", undefined, "ru")).toBe("17 мая 2034 г.");
    expect(formatValue(true, undefined, "ru")).toBe("да");
    expect(formatValue(["B", "C"], undefined, "ru")).toBe("B, C");
    expect(formatValue({ city: "Москва" }, undefined, "ru")).toBe("city: Москва");
    expect(formatValue(null, undefined, "en")).toBe("—");
  });
});

describe("enumerations as words", () => {
  test("statuses", () => {
    expect(billStatusWord("paid", "ru")).toBe("Оплачен");
    expect(billStatusWord("processing", "en")).toBe("Payment processing");
    expect(paymentStatusWord("declined", "ru")).toBe("отклонена банком");
    expect(submissionStatusWord("in_review", "ru")).toBe("На рассмотрении");
    expect(consentStatusWord("expired", "en")).toBe("Expired");
    expect(consentStatusWord("toString", "en")).toBe("toString");
  });
  test("consent scopes, with record type names where known", () => {
    expect(consentScopeWords("records", "ru")).toBe("все ваши документы");
    expect(consentScopeWords("records:driving_licence", "ru", () => "Водительское удостоверение")).toBe(
      "документы «Водительское удостоверение»",
    );
    expect(consentScopeWords("records:driving_licence", "en")).toBe("documents “driving_licence”");
  });
});
