// Government services, loaded as a separate chunk on first use: bills, applications (forms), documents
// (records) and their presentations, consents, and the access log verified in the browser.
import { api } from "../../lib/api";
import { recordTypeName, typeLabel } from "../../lib/claim-labels";
import { consentScopeWords } from "../../lib/format";
import { formatMoney, lang, t } from "../../lib/i18n";
import { href, type Route } from "../../lib/router";
import { ErrorNote, lazy, ScreenTitle, useAsync, useStore } from "../../lib/ui";
import type { ChatList, Me } from "../state";
import { tid } from "../verifier/strings";
import { AccessLogView } from "./access-log";
import { BillsView, BillView, dueText } from "./bills";
import { ConsentsView } from "./consents";
import { DigitalIdView } from "./digital-id";
import { RecordsView, RecordView, VerifyView } from "./records";

// Forms carry the server's own schema validator (and with it zod): a chunk of their own, loaded only here.
const FormsView = lazy(() => import("./forms").then((m) => m.FormsView));
const FormView = lazy(() => import("./forms").then((m) => m.FormView));
const SubmissionView = lazy(() => import("./forms").then((m) => m.SubmissionView));

export function Services({ route, chats }: { route: Route; chats: ChatList; user: Me }) {
  const [section, id] = route;
  switch (section) {
    case "bills":
      return id ? <BillView key={id} id={id} /> : <BillsView chats={chats} />;
    case "forms":
      return id ? <FormView key={id} id={id} /> : <FormsView chats={chats} />;
    case "submissions":
      return id ? <SubmissionView key={id} id={id} chats={chats} /> : <FormsView chats={chats} />;
    case "records":
      return id ? <RecordView key={id} id={id} chats={chats} /> : <RecordsView />;
    case "verify":
      return <VerifyView />;
    case "digital-id":
      return <DigitalIdView id={id} />;
    case "consents":
      return <ConsentsView highlight={id} chats={chats} />;
    case "access-log":
      return <AccessLogView />;
    default:
      return <ServicesHome chats={chats} />;
  }
}

const SECTIONS = [
  { to: "bills", title: "bills", lead: "billsLead" },
  { to: "forms", title: "forms", lead: "formsLead" },
  { to: "records", title: "records", lead: "recordsLead" },
  { to: "consents", title: "consents", lead: "consentsLead" },
  { to: "access-log", title: "accessLog", lead: "accessLogLead" },
  { to: "verify", title: "verifyTitle", lead: "verifyLead" },
] as const;

/** The overview: what is due, when and how much, and who waits for an answer, in words. */
function Todo({ chats }: { chats: ChatList }) {
  const tick = useStore(chats.notifications);
  const data = useAsync(
    () => Promise.all([api.get("/bills"), api.get("/consents"), api.get("/records").catch(() => ({ records: [] }))]),
    [tick, lang()],
  );
  if (!data.data) return <ErrorNote error={data.error} onRetry={data.reload} />;
  const [{ bills }, { consents }, { records }] = data.data;
  const unpaid = bills.filter((b) => b.status === "unpaid").sort((a, b) => (a.dueDate ?? "9999").localeCompare(b.dueDate ?? "9999"));
  const asked = consents.filter((c) => c.status === "requested");
  const typeName = (type: string) => {
    const r = records.find((x) => x.type === type);
    return r ? recordTypeName(r) : typeLabel(type);
  };
  return (
    <section class="card todo" aria-labelledby="todo-heading" data-testid="todo">
      <h2 id="todo-heading">{t("todoTitle")}</h2>
      {unpaid.length === 0 && asked.length === 0 && <p class="muted">{t("todoNothing")}</p>}
      <ul class="plain-list">
        {unpaid.map((b) => (
          <li key={b.id}>
            <a href={href("services", "bills", b.id)}>{t("todoPay", { purpose: b.purpose, amount: formatMoney(b.amount, b.currency) })}</a>
            <div class="muted">
              {b.agency.name}
              {b.dueDate ? ` · ${dueText(b.dueDate)}` : ""}
            </div>
          </li>
        ))}
        {asked.map((c) => (
          <li key={c.id}>
            <a href={href("services", "consents", c.id)}>
              {t("todoConsent", { agency: c.agency.name, scope: consentScopeWords(c.scope, lang(), typeName) })}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ServicesHome({ chats }: { chats: ChatList }) {
  return (
    <div class="page">
      <ScreenTitle>{t("servicesTitle")}</ScreenTitle>
      <Todo chats={chats} />
      <ul class="tiles">
        <li>
          <a class="tile" href={href("services", "digital-id")}>
            <strong>{tid("idTitle")}</strong>
            <span class="muted">{tid("idTileLead")}</span>
          </a>
        </li>
        {SECTIONS.map((s) => (
          <li key={s.to}>
            <a class="tile" href={href("services", s.to)}>
              <strong>{t(s.title)}</strong>
              <span class="muted">{t(s.lead)}</span>
            </a>
          </li>
        ))}
        <li>
          <a class="tile" href={href("verify")}>
            <strong>{tid("checkerTitle")}</strong>
            <span class="muted">{tid("checkerTileLead")}</span>
          </a>
        </li>
      </ul>
    </div>
  );
}
