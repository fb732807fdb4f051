// Government services, loaded as a separate chunk on first use: bills, applications (forms), documents
// (records) and their presentations, consents, and the access log verified in the browser.
import { t } from "../../lib/i18n";
import { href, type Route } from "../../lib/router";
import { lazy, ScreenTitle } from "../../lib/ui";
import type { ChatList, Me } from "../state";
import { tid } from "../verifier/strings";
import { AccessLogView } from "./access-log";
import { BillsView, BillView } from "./bills";
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
      return <ServicesHome />;
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

function ServicesHome() {
  return (
    <div class="page">
      <ScreenTitle>{t("servicesTitle")}</ScreenTitle>
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
