// The access log in sentences (src/web/citizen/services/log-words.ts): who did what to which of the
// citizen's things, and why, in Russian with the verb agreeing with the agency's name, and in English.
import { describe, expect, test } from "vitest";
import { genderOf, type LogLine, logSentence } from "../../src/web/citizen/services/log-words";

const line = (actor: string, action: string, resource: string, purpose: string | null = null): LogLine => ({
  actor: { type: "agency", id: "a1", name: actor },
  action,
  resource,
  purpose,
});
const names = { record: (id: string) => (id === "r1" ? "Водительское удостоверение" : undefined), bill: () => "Налог на имущество" };

describe("access log sentences", () => {
  test("a read of the documents, with its purpose", () => {
    const e = line("Налоговая служба", "read", "records", "Транспортный налог");
    expect(logSentence(e, {}, "ru")).toBe("Налоговая служба просмотрела ваши документы — цель: Транспортный налог");
    expect(logSentence(e, {}, "en")).toBe("Налоговая служба viewed your documents — purpose: Транспортный налог");
  });
  test("things by their names, never ids", () => {
    expect(logSentence(line("Госавтоинспекция", "create", "record:r1"), names, "ru")).toBe(
      "Госавтоинспекция выдала вам документ «Водительское удостоверение»",
    );
    expect(logSentence(line("Росреестр", "create", "bill:b1", "Налог на имущество"), names, "ru")).toBe(
      "Росреестр выставил вам счёт «Налог на имущество»",
    );
    expect(logSentence(line("Росреестр", "revoke", "record:unknown"), names, "ru")).toBe("Росреестр отозвал ваш документ");
    expect(logSentence(line("Министерство", "read", "submission:s1"), {}, "ru")).toBe("Министерство просмотрело ваше заявление");
    expect(logSentence(line("ЗАГС", "create", "record:r1", "receipt"), names, "ru")).toBe(
      "Ведомство «ЗАГС» выдало вам документ «Водительское удостоверение» — цель: квитанция об оплате",
    );
    expect(logSentence(line("ЖКХ «Управляющая компания»", "read", "bills"), {}, "ru")).toBe(
      "Ведомство ЖКХ «Управляющая компания» просмотрело ваши счета",
    );
  });
  test("an action these words do not know yet is still a sentence without ids", () => {
    const text = logSentence(line("Налоговая служба", "archive", "record:01M8X"), {}, "ru");
    expect(text).toBe("Налоговая служба выполнила действие с вашим документом");
    expect(text).not.toMatch(/01M8X|archive/);
  });
  test("an application's new status, which the server writes as the purpose, reads as the status in words", () => {
    const names = { submission: () => "Заявление о переезде" };
    expect(logSentence(line("Налоговая служба", "update", "submission:s1", "approved"), names, "ru")).toBe(
      "Налоговая служба изменила статус вашего заявления «Заявление о переезде» — теперь: одобрено",
    );
    expect(logSentence(line("Налоговая служба", "update", "submission:s1", "in_review"), names, "en")).toBe(
      "Налоговая служба changed the status of your application “Заявление о переезде” — now: in review",
    );
  });
  test("gender by the first word", () => {
    expect(genderOf("Налоговая служба")).toBe("f");
    expect(genderOf("Федеральный фонд")).toBe("m");
    expect(genderOf("Пенсионный фонд")).toBe("m");
    expect(genderOf("Управление Росреестра")).toBe("n");
    expect(genderOf("ЗАГС")).toBeNull();
    expect(genderOf("Gosuslugi")).toBeNull();
  });
});
