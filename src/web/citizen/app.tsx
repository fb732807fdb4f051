// The citizen app's shell: sign-in gate, navigation (a rail on desktop, a bottom bar on phones), the chat
// list beside the open chat, and the service screens, which load as a separate chunk on first use.
import { useEffect, useState } from "preact/hooks";
import { clearSession, hasSession, onAuthChange, request } from "../lib/api";
import { onLangChange, t } from "../lib/i18n";
import { idbClear, SECRET } from "../lib/idb";
import { href, type Route, useRoute } from "../lib/router";
import { ErrorNote, Loading, lazy, useStore } from "../lib/ui";
import { CallScreen, onCallFrame, stopCalls } from "./calls/lazy";
import { ChatListView } from "./chat-list";
import { ChatView } from "./chat-view";
import { clearDrafts } from "./drafts";
import { holderKey } from "./holder";
import { clearOutboxes } from "./outbox";
import { forgetPush, trackBadge } from "./push";
import { SignIn } from "./signin";
import { ChatList, loadAgencies, type Me, me } from "./state";
import { NameStep, nameAsked, shouldAskName } from "./welcome";

// Service screens are a chunk of their own, loaded on first visit.
const Services = lazy(() => import("./services").then((m) => m.Services));
// So are a public channel's page and an invite link's.
const ChannelPage = lazy(() => import("./channel-page").then((m) => m.ChannelPage));
const InviteJoin = lazy(() => import("./channel-page").then((m) => m.InviteJoin));
// The privacy screen, with the people and reports dialogs a chat opens (safety.tsx).
const PrivacyView = lazy(() => import("./safety").then((m) => m.PrivacyView));
// The contacts screen too.
const ContactsView = lazy(() => import("./contacts").then((m) => m.ContactsView));
// The settings (profile, devices, notifications, data) too: no one needs them to read their chats.
const SettingsView = lazy(() => import("./settings").then((m) => m.SettingsView));
// The verifier (with jose and, where the browser has no BarcodeDetector, jsQR) too.
const Verifier = lazy(() => import("./verifier/page").then((m) => m.VerifierPage));

export function App() {
  const [signedIn, setSignedIn] = useState(hasSession);
  const [, setLangTick] = useState(0);
  const route = useRoute();
  useEffect(() => onAuthChange(setSignedIn), []);
  useEffect(() => onLangChange(() => setLangTick((n) => n + 1)), []);
  // Staff checking a Digital ID need no account: the verifier opens signed in or not.
  if (route?.[0] === "verify") return <Verifier />;
  return signedIn ? <SignedIn /> : <SignIn />;
}

function SignedIn() {
  const user = useStore(me);
  const [error, setError] = useState<unknown>(null);
  const [chats] = useState(() => new ChatList());
  useEffect(() => {
    let live = true;
    const load = () =>
      request<{ user: Me }>("/me").then(
        (r) => {
          if (!live) return;
          me.set(r.user);
          // This browser becomes a device of secret chats: its keys are made here and only the public
          // halves published (a chunk of its own, with ts-mls, loaded after the app is up).
          import("./secret/device").then((m) => m.device(r.user.id)).catch(() => undefined);
        },
        (err: unknown) => live && setError(err),
      );
    void load();
    void loadAgencies();
    // This device's holder key, made and published once per load, so records issued meanwhile bind to it.
    void holderKey().catch(() => undefined);
    chats.start();
    const untrack = trackBadge(chats);
    // Calls ring on every device through the inbox socket, whatever screen is open.
    const unring = chats.onCall(onCallFrame);
    return () => {
      live = false;
      untrack();
      unring();
      stopCalls();
      chats.stop();
      me.set(null);
    };
  }, [chats]);
  const [naming, setNaming] = useState(true);
  if (!user) {
    return <main class="center">{error ? <ErrorNote error={error} onRetry={() => location.reload()} /> : <Loading />}</main>;
  }
  if (naming && shouldAskName(user))
    return (
      <NameStep
        onDone={() => {
          nameAsked();
          setNaming(false);
        }}
      />
    );
  return <Shell chats={chats} user={user} />;
}

function Shell({ chats, user }: { chats: ChatList; user: Me }) {
  const parsed = useRoute();
  const route = parsed ?? [];
  const section = parsed === null ? "missing" : route[0] === "services" || route[0] === "settings" ? route[0] : "chats";
  // A channel's page and an invite link open beside the chat list, as a chat does.
  const chatId = section === "chats" && (route[0] ?? "chats") === "chats" ? route[1] : undefined;
  return (
    <div class={`shell section-${section}${chatId || (section === "chats" && route[1] && route[0] !== "chats") ? " has-chat" : ""}`}>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        {t("skipToContent")}
      </button>
      <nav class="rail" aria-label={t("mainNav")}>
        <span class="brand" aria-hidden="true">
          {t("appName")}
        </span>
        <NavLink to="chats" current={section === "chats"} label={t("navChats")} icon="M3 4h14v9H8l-4 3v-3H3z" />
        <NavLink
          to="services"
          current={section === "services"}
          label={t("navServices")}
          icon="M3 3h6v6H3zM11 3h6v6h-6zM3 11h6v6H3zM11 11h6v6h-6z"
        />
        <NavLink
          to="settings"
          current={section === "settings"}
          label={t("navSettings")}
          icon="M10 6.5a3.5 3.5 0 100 7 3.5 3.5 0 000-7zM9 1h2l.5 2.5 2 1 2.3-1.2 1.4 1.4-1.2 2.3 1 2L19 9v2l-2.5.5-1 2 1.2 2.3-1.4 1.4-2.3-1.2-2 1L11 19H9l-.5-2.5-2-1-2.3 1.2-1.4-1.4 1.2-2.3-1-2L1 11V9l2.5-.5 1-2-1.2-2.3 1.4-1.4 2.3 1.2 2-1z"
        />
      </nav>
      {section === "chats" && (
        <aside class="sidebar" aria-label={t("chatsTitle")}>
          <ChatListView chats={chats} currentId={chatId} me={user} />
        </aside>
      )}
      <main id="main" tabIndex={-1}>
        <Screen route={route} section={section} chatId={chatId} chats={chats} user={user} />
      </main>
      <CallScreen />
    </div>
  );
}

function NavLink({ to, current, label, icon }: { to: string; current: boolean; label: string; icon: string }) {
  return (
    <a href={href(to)} class="nav-link" aria-current={current ? "page" : undefined}>
      <svg viewBox="0 0 20 20" width="22" height="22" aria-hidden="true" focusable="false">
        <path d={icon} fill="currentColor" />
      </svg>
      <span>{label}</span>
    </a>
  );
}

function Screen({ route, section, chatId, chats, user }: { route: Route; section: string; chatId?: string; chats: ChatList; user: Me }) {
  if (section === "missing") return <NotFound />;
  if (section === "settings" && route[1] === "privacy") return <PrivacyView />;
  if (section === "settings" && route[1] === "contacts") return <ContactsView chats={chats} />;
  if (section === "settings") return <SettingsView user={user} onSignOut={() => signOut(chats)} />;
  if (section === "services") return <Services route={route.slice(1)} chats={chats} user={user} />;
  if (route[0] === "channels" && route[1]) return <ChannelPage key={route[1]} username={route[1]} chats={chats} />;
  if (route[0] === "join" && route[1]) return <InviteJoin key={route[1]} token={route[1]} chats={chats} />;
  if (chatId) return <ChatView key={chatId} chatId={chatId} chats={chats} user={user} />;
  return (
    <div class="placeholder">
      <p class="muted">{t("pickChat")}</p>
    </div>
  );
}

/** A link that names no page (a malformed address): say so, and offer the way back. */
function NotFound() {
  return (
    <div class="placeholder" data-testid="not-found">
      <h1>{t("pageNotFound")}</h1>
      <p>
        <a href={href("chats")}>{t("backToChats")}</a>
      </p>
    </div>
  );
}

async function signOut(chats: ChatList): Promise<void> {
  stopCalls();
  chats.stop();
  // Signing out deletes this session's push subscriptions on the server; the browser's goes too.
  await request("/auth/logout", { method: "POST" }).catch(() => undefined);
  // Unsent messages belong to this account: they must not linger for the next one on this browser.
  // So are this device's secret-chat keys and decrypted messages: the server revokes the device on sign-out,
  // and nothing sent afterwards could be read with them anyway.
  await Promise.all([clearOutboxes(), forgetPush(), idbClear(SECRET).catch(() => undefined)]);
  clearDrafts();
  clearSession();
  location.hash = "";
}
