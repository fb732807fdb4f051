// The agency console: sign in with client credentials, then bills, forms, submissions, records, consents,
// webhook deliveries and settings, one hash route each (#/bills, #/submissions/<id>, …).
import "./styles.css";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { href, useRoute } from "../lib/router";
import { api, currentSession, onSignedOut, type Session, sessionLapsed, signOut } from "./api";
import { applyLang, otherLang, setLang, t, useLang } from "./i18n";
import { BillsPage } from "./pages/bills";
import { CitizenRecordsPage } from "./pages/citizen-records";
import { ConsentsPage } from "./pages/consents";
import { FormsPage } from "./pages/forms";
import { RecordTypesPage } from "./pages/record-types";
import { RecordsPage } from "./pages/records";
import { SettingsPage } from "./pages/settings";
import { SignIn } from "./pages/signin";
import { SubmissionsPage } from "./pages/submissions";
import { WebhooksPage } from "./pages/webhooks";
import type { AgencyProfile } from "./types";
import { PageTitle } from "./ui";

type Section = "bills" | "forms" | "submissions" | "records" | "recordTypes" | "citizen-records" | "consents" | "webhooks" | "settings";

/** Each section and the scope it needs (null: any signed-in agency). */
const SECTIONS: { id: Section; scope: string | null }[] = [
  { id: "bills", scope: "bills" },
  { id: "forms", scope: "forms" },
  { id: "submissions", scope: "forms" },
  { id: "records", scope: "records" },
  { id: "recordTypes", scope: "records" },
  { id: "citizen-records", scope: "records" },
  { id: "consents", scope: "consents" },
  { id: "webhooks", scope: null },
  { id: "settings", scope: null },
];

/** "Вече · кабинет ведомства"; the second part gives way on narrow screens. */
function Brand() {
  return (
    <>
      {t("app.name")}
      <span class="brand-section"> · {t("app.section")}</span>
    </>
  );
}

function LanguageButton() {
  const other = otherLang();
  return (
    <button
      type="button"
      class="button button-small button-quiet"
      lang={other}
      aria-label={`${t("app.language")}: ${t("app.otherLanguage")}`}
      onClick={() => setLang(other)}
    >
      {t("app.otherLanguage")}
    </button>
  );
}

/** "Skip to content": a button, since the hash belongs to the router and #main would be a route. */
function SkipLink() {
  return (
    <button type="button" class="skip-link" onClick={() => document.getElementById("main")?.focus()}>
      {t("app.skip")}
    </button>
  );
}

function Console(props: { session: Session }) {
  const route = useRoute();
  const [profile, setProfile] = useState<AgencyProfile | null>(null);
  const [profileError, setProfileError] = useState<unknown>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    api
      .get("/agency/me")
      .then((answer) => setProfile(answer.agency))
      .catch(setProfileError);
  }, []);

  const allowed = SECTIONS.filter((s) => !s.scope || props.session.scopes.length === 0 || props.session.scopes.includes(s.scope));
  // A hash that is not valid percent-encoding names no page: it gets the not-found page, not a redirect.
  const [section, ...rest] = route ?? ["%"];
  const current = allowed.find((s) => s.id === section)?.id;

  useEffect(() => {
    if (!section && allowed[0]) location.replace(href(allowed[0].id));
  }, [section, allowed[0]?.id]);

  // After navigation, announce the new page by moving focus to its heading (not on the first load).
  const routeKey = route?.join("/") ?? "%";
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.getElementById("page-title")?.focus();
  }, [routeKey]);

  let page = null;
  switch (current) {
    case "bills":
      page = <BillsPage />;
      break;
    case "forms":
      page = <FormsPage />;
      break;
    case "submissions":
      page = <SubmissionsPage id={rest[0]} />;
      break;
    case "records":
      page = <RecordsPage />;
      break;
    case "recordTypes":
      page = <RecordTypesPage profile={profile} />;
      break;
    case "citizen-records":
      page = <CitizenRecordsPage />;
      break;
    case "consents":
      page = <ConsentsPage profile={profile} />;
      break;
    case "webhooks":
      page = <WebhooksPage profile={profile} />;
      break;
    case "settings":
      page = <SettingsPage session={props.session} profile={profile} profileError={profileError} onProfile={setProfile} />;
      break;
    default:
      page = section ? <PageTitle>{t("app.notFound")}</PageTitle> : null;
  }

  return (
    <>
      <SkipLink />
      <header class="topbar">
        <a class="brand" href={href(allowed[0]?.id ?? "settings")}>
          <Brand />
        </a>
        <span class="agency-name">{profile?.name ?? ""}</span>
        <div class="topbar-actions">
          <LanguageButton />
          <button type="button" class="button button-small" onClick={() => signOut()}>
            {t("app.signOut")}
          </button>
        </div>
      </header>
      <div class="layout">
        <nav class="sidenav" aria-label={t("nav.label")}>
          <ul>
            {allowed.map((s) => (
              <li key={s.id}>
                <a href={href(s.id)} aria-current={s.id === current ? "page" : undefined}>
                  {t(`nav.${s.id}`)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {page}
        </main>
      </div>
    </>
  );
}

function App() {
  useLang();
  const [session, setSession] = useState<Session | null>(() => currentSession());
  const [expired, setExpired] = useState(() => session === null && sessionLapsed());

  useEffect(
    () =>
      onSignedOut((reason) => {
        setSession(null);
        setExpired(reason === "expired");
      }),
    [],
  );

  if (!session) {
    return (
      <>
        <SkipLink />
        <header class="topbar">
          <span class="brand">
            <Brand />
          </span>
          <div class="topbar-actions">
            <LanguageButton />
          </div>
        </header>
        <SignIn
          expired={expired}
          onSignedIn={(s) => {
            setExpired(false);
            setSession(s);
          }}
        />
      </>
    );
  }
  return <Console session={session} />;
}

applyLang();
render(<App />, document.getElementById("root") as HTMLElement);
