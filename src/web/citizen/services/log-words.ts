// The access log in plain sentences: "Налоговая служба просмотрела ваши документы — цель: …" rather than
// "read records". Pure (no DOM), so the words are tested as they are (test/web/log-words.test.ts).
import { type Lang, submissionStatusWord } from "../../lib/format";

export interface LogLine {
  actor: { type: string; id: string; name: string };
  action: string;
  resource: string;
  purpose: string | null;
}

/** What the citizen's own lists say an id is: a document's name, a bill's purpose, a form's title. */
export interface LogNames {
  record?: (id: string) => string | undefined;
  bill?: (id: string) => string | undefined;
  submission?: (id: string) => string | undefined;
}

type Gender = "m" | "f" | "n";

/**
 * The grammatical gender of a Russian name by its first word, so the verb agrees ("Налоговая служба
 * просмотрела", "Росреестр просмотрел", "Министерство просмотрело"); null when it cannot be told (an
 * abbreviation such as "ЗАГС", a Latin name), and the sentence then leads with "Ведомство …".
 */
export function genderOf(name: string): Gender | null {
  const first = /^[\p{L}-]+/u.exec(name.trim())?.[0] ?? "";
  // All capitals is an abbreviation, whose gender follows its unspoken noun.
  if (!/[а-яё]/.test(first)) return null;
  const w = first.toLowerCase();
  if (/(ая|яя)$/.test(w)) return "f";
  if (/(ый|ий|ой)$/.test(w)) return "m";
  if (/(ое|ее)$/.test(w)) return "n";
  if (/[ая]$/.test(w)) return "f";
  if (/[ое]$/.test(w)) return "n";
  if (/[бвгджзйклмнпрстфхцчшщ]$/.test(w)) return "m";
  return null;
}

/** A past-tense verb agreeing with its subject: [masculine, feminine, neuter]. */
type Verb = readonly [string, string, string];
const V = {
  read: ["просмотрел", "просмотрела", "просмотрело"],
  issued: ["выдал", "выдала", "выдало"],
  billed: ["выставил", "выставила", "выставило"],
  cancelled: ["отменил", "отменила", "отменило"],
  revoked: ["отозвал", "отозвала", "отозвало"],
  requested: ["запросил", "запросила", "запросило"],
  changed: ["изменил", "изменила", "изменило"],
  moved: ["перенёс", "перенесла", "перенесло"],
  created: ["создал", "создала", "создало"],
  acted: ["выполнил", "выполнила", "выполнило"],
} as const satisfies Record<string, Verb>;

const quoted = (name: string | undefined, lang: Lang) => (name ? (lang === "ru" ? ` «${name}»` : ` “${name}”`) : "");

/** What was done, without its subject: [Russian verb, Russian object, English phrase]. */
function predicate(line: LogLine, names: LogNames): [Verb, string, string] {
  const [kind, id = ""] = line.resource.split(/:(.*)/s, 2) as [string, string | undefined];
  const record = quoted(names.record?.(id), "ru");
  const recordEn = quoted(names.record?.(id), "en");
  const bill = quoted(names.bill?.(id), "ru");
  const billEn = quoted(names.bill?.(id), "en");
  const sub = quoted(names.submission?.(id), "ru");
  const subEn = quoted(names.submission?.(id), "en");
  const lists: Record<string, [string, string]> = {
    records: ["ваши документы", "your documents"],
    bills: ["ваши счета", "your bills"],
    submissions: ["ваши заявления", "your applications"],
    consents: ["ваши согласия", "your consents"],
  };
  const list = Object.hasOwn(lists, kind) && id === "" ? lists[kind] : undefined;
  switch (line.action) {
    case "read":
      if (list) return [V.read, list[0], `viewed ${list[1]}`];
      if (kind === "record") return [V.read, `ваш документ${record}`, `viewed your document${recordEn}`];
      if (kind === "bill") return [V.read, `ваш счёт${bill}`, `viewed your bill${billEn}`];
      if (kind === "submission") return [V.read, `ваше заявление${sub}`, `viewed your application${subEn}`];
      if (kind === "consent") return [V.read, "ваше согласие", "viewed your consent"];
      break;
    case "create":
      if (kind === "record") return [V.issued, `вам документ${record}`, `issued you the document${recordEn}`];
      if (kind === "bill") return [V.billed, `вам счёт${bill}`, `sent you the bill${billEn}`];
      break;
    case "cancel":
      if (kind === "bill") return [V.cancelled, `ваш счёт${bill}`, `cancelled your bill${billEn}`];
      break;
    case "revoke":
      if (kind === "record") return [V.revoked, `ваш документ${record}`, `revoked your document${recordEn}`];
      break;
    case "request":
      if (kind === "consent") return [V.requested, "доступ к вашим документам", "asked for access to your documents"];
      break;
    case "update":
      if (kind === "submission") return [V.changed, `статус вашего заявления${sub}`, `changed the status of your application${subEn}`];
      break;
    case "reattach":
      return [V.moved, "данные вашего прежнего аккаунта", "moved the data of your previous account"];
  }
  // Something newer than these words: still a sentence, without ids.
  const what: Record<string, [string, string]> = {
    record: ["с вашим документом", "on your document"],
    bill: ["со счётом", "on a bill"],
    submission: ["с заявлением", "on an application"],
    consent: ["с согласием", "on a consent"],
  };
  const on = Object.hasOwn(what, kind) ? what[kind] : undefined;
  return [V.acted, `действие ${on?.[0] ?? "с вашими данными"}`, `acted ${on?.[1] ?? "on your data"}`];
}

/** Purposes Veche itself writes (src/bills/receipts.ts), in words; agencies' own purposes are shown as written. */
const PURPOSES: Record<string, Record<Lang, string>> = {
  receipt: { ru: "квитанция об оплате", en: "payment receipt" },
};

const STATUSES = ["submitted", "in_review", "approved", "rejected"];

/** One entry as a sentence in `lang`, with its purpose when it has one. */
export function logSentence(line: LogLine, names: LogNames, lang: Lang): string {
  const [verb, ru, en] = predicate(line, names);
  // A bill's purpose is its name, already in the sentence: said once.
  const [kind, id = ""] = line.resource.split(/:(.*)/s, 2) as [string, string | undefined];
  const repeats = kind === "bill" && line.purpose !== null && names.bill?.(id) === line.purpose;
  const why = repeats ? null : line.purpose && Object.hasOwn(PURPOSES, line.purpose) ? PURPOSES[line.purpose]?.[lang] : line.purpose;
  // An application's new status is what the server writes as the purpose of its change (src/forms/routes.ts).
  const status = kind === "submission" && line.action === "update" && line.purpose && STATUSES.includes(line.purpose);
  const purpose = status
    ? `${lang === "ru" ? " — теперь" : " — now"}: ${submissionStatusWord(line.purpose ?? "", lang).toLowerCase()}`
    : why
      ? lang === "ru"
        ? ` — цель: ${why}`
        : ` — purpose: ${why}`
      : "";
  if (lang === "en") return `${line.actor.name} ${en}${purpose}`;
  const gender = genderOf(line.actor.name);
  const subject = gender
    ? line.actor.name
    : line.actor.name.includes("«")
      ? `Ведомство ${line.actor.name}`
      : `Ведомство «${line.actor.name}»`;
  const form = verb[gender === "f" ? 1 : gender === "m" ? 0 : 2];
  return `${subject} ${form} ${ru}${purpose}`;
}
