// The English of the official chat's messages (official.ts says why the app words them): the same sentences
// the server writes in Russian (src/bills/routes.ts, src/bills/receipts.ts, src/records/routes.ts,
// src/consents/routes.ts, src/forms/routes.ts), composed from the citizen's own bills, documents, consent
// requests and applications. Each list is read once and again only when a message names something it lacks.
import { api } from "../lib/api";
import { recordTypeName, typeLabel } from "../lib/claim-labels";
import { consentScopeWords } from "../lib/format";
import { formatDate, formatMoney } from "../lib/i18n";
import type { Worded } from "./official";

type Message = { clientId: string; text: string | null; actions: { type: string }[] };

/** A list by id, read again (at most every few seconds) when it lacks the id asked for. */
function list<T extends { id: string }>(load: () => Promise<T[]>): (id: string) => Promise<T | undefined> {
  let items: Promise<Map<string, T>> | null = null;
  let readAt = 0;
  const read = () => {
    readAt = Date.now();
    items = load().then((all) => new Map(all.map((x) => [x.id, x])));
    items.catch(() => {
      items = null;
    });
    return items;
  };
  return async (id) => {
    const found = (await (items ?? read())).get(id);
    if (found || Date.now() - readAt < 3000) return found;
    return (await read()).get(id);
  };
}

const bill = list(async () => (await api.get("/bills")).bills);
const record = list(async () => (await api.get("/records")).records);
const consent = list(async () => (await api.get("/consents")).consents);
const submission = list(async () => (await api.get("/submissions")).submissions);
const forms = new Map<string, Promise<string>>();
const formTitle = (id: string) => {
  let title = forms.get(id);
  if (!title) {
    title = api.get("/forms/{id}", { path: { id } }).then((r) => r.form.title);
    forms.set(id, title);
    title.catch(() => forms.delete(id));
  }
  return title;
};

/** The server's status words (src/forms/routes.ts), to find the agency's comment after them. */
const STATUS_RU: Record<string, string> = {
  submitted: "получено",
  in_review: "на рассмотрении",
  approved: "одобрено",
  rejected: "отклонено",
};
const STATUS_EN: Record<string, string> = { submitted: "received", in_review: "under review", approved: "approved", rejected: "rejected" };

/** The message in English, or null when it is not one the server composes or its subject is not found. */
export async function word(m: Message): Promise<Worded | null> {
  const [kind = "", id = "", extra] = m.clientId.split(":");
  switch (kind) {
    case "bill": {
      const b = await bill(id);
      if (!b) return null;
      const money = formatMoney(b.amount, b.currency);
      if (extra === "paid") return { text: `Paid ${money}: ${b.purpose}. The receipt is saved in your documents.`, labels: ["Receipt"] };
      return { text: `Bill to pay: ${b.purpose} — ${money}${b.dueDate ? `, due by ${formatDate(b.dueDate)}` : ""}`, labels: ["Pay"] };
    }
    case "record": {
      const r = await record(id);
      return r ? { text: `Document issued: ${recordTypeName(r)}`, labels: ["Open"] } : null;
    }
    case "consent": {
      const c = await consent(id);
      if (!c) return null;
      const scope = consentScopeWords(c.scope, "en", typeLabel);
      return { text: `Access request: ${scope}. Purpose: ${c.purpose}. Until ${formatDate(c.expiresAt)}.`, labels: ["Review"] };
    }
    case "submission": {
      const s = await submission(id);
      const status = extra ?? "";
      if (!s || !Object.hasOwn(STATUS_EN, status)) return null;
      const title = await formTitle(s.formId);
      const reference = s.reference ? ` № ${s.reference}` : "";
      // The comment the agency gave with this status (a later one may differ): the server's text after its words.
      const head = `Заявление «${title}»${reference}: ${STATUS_RU[status]}`;
      const text = m.text ?? "";
      if (text !== head && !text.startsWith(`${head}. `)) return null;
      const comment = text.slice(head.length + 2);
      return { text: `Application “${title}”${reference}: ${STATUS_EN[status]}${comment ? `. ${comment}` : ""}`, labels: ["Open"] };
    }
    default:
      return null;
  }
}
