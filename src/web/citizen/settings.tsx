// Settings: profile (name, username, who sees my phone), a link to privacy (safety.tsx), signed-in devices
// (revoke), language, sign out.
import { useState } from "preact/hooks";
import { ApiError, request } from "../lib/api";
import { formatDateTime, t } from "../lib/i18n";
import { href } from "../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync } from "../lib/ui";
import { LanguageSwitch } from "./signin";
import { type Me, me } from "./state";

interface Session {
  id: string;
  deviceName: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

const USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,31}$/;

export function SettingsView({ user, onSignOut }: { user: Me; onSignOut: () => void }) {
  return (
    <div class="page">
      <ScreenTitle>{t("settingsTitle")}</ScreenTitle>
      <Profile user={user} />
      <section class="card" aria-labelledby="privacy-link-heading">
        <h2 id="privacy-link-heading">{t("privacyTitle")}</h2>
        <a href={href("settings", "privacy")}>{t("privacyLink")}</a>
      </section>
      <Devices />
      <section class="card" aria-labelledby="lang-heading">
        <h2 id="lang-heading">{t("language")}</h2>
        <LanguageSwitch />
      </section>
      <button type="button" class="danger" onClick={onSignOut}>
        {t("signOut")}
      </button>
    </div>
  );
}

function Profile({ user }: { user: Me }) {
  const [displayName, setDisplayName] = useState(user.displayName ?? "");
  const [username, setUsername] = useState(user.username ?? "");
  const [phoneVisibility, setPhoneVisibility] = useState(user.phoneVisibility);
  const [usernameError, setUsernameError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    setError(null);
    const name = username.trim().replace(/^@/, "");
    if (name && !USERNAME.test(name)) {
      setUsernameError(t("usernameInvalid"));
      return;
    }
    setUsernameError(null);
    setBusy(true);
    try {
      const body: Record<string, unknown> = { phoneVisibility, username: name || null };
      if (displayName.trim()) body.displayName = displayName.trim();
      const r = await request<{ user: Me }>("/me", { method: "PATCH", body });
      me.set(r.user);
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === "username_taken") setUsernameError(t("usernameTaken"));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={save} aria-labelledby="profile-heading" noValidate>
      <h2 id="profile-heading">{t("profile")}</h2>
      <p class="muted">{user.phone}</p>
      <label for="display-name">{t("displayName")}</label>
      <input
        id="display-name"
        value={displayName}
        maxLength={64}
        autoComplete="name"
        onInput={(e) => setDisplayName(e.currentTarget.value)}
      />
      <label for="username">{t("username")}</label>
      <input
        id="username"
        value={username}
        maxLength={33}
        autoComplete="username"
        onInput={(e) => setUsername(e.currentTarget.value)}
        aria-invalid={usernameError ? "true" : undefined}
        aria-describedby="username-error"
      />
      <p id="username-error" class="field-error" role="alert">
        {usernameError}
      </p>
      <label for="phone-visibility">{t("phoneVisibility")}</label>
      <select
        id="phone-visibility"
        value={phoneVisibility}
        onChange={(e) => {
          const v = e.currentTarget.value;
          setPhoneVisibility(v === "everyone" || v === "contacts" ? v : "nobody");
        }}
      >
        <option value="nobody">{t("visibility_nobody")}</option>
        <option value="contacts">{t("visibility_contacts")}</option>
        <option value="everyone">{t("visibility_everyone")}</option>
      </select>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {t("save")}
        </button>
        <span role="status" class="muted">
          {saved ? t("saved") : ""}
        </span>
      </div>
    </form>
  );
}

function Devices() {
  const sessions = useAsync(() => request<{ sessions: Session[] }>("/sessions"), []);
  const [error, setError] = useState<unknown>(null);
  return (
    <section class="card" aria-labelledby="devices-heading">
      <h2 id="devices-heading">{t("devices")}</h2>
      {sessions.loading && !sessions.data && <Loading />}
      <ErrorNote error={sessions.error ?? error} onRetry={sessions.reload} />
      <ul class="plain-list">
        {sessions.data?.sessions.map((s) => (
          <li key={s.id} class="device">
            <div>
              <strong>{s.deviceName ?? "—"}</strong> {s.current && <span class="tag">{t("thisDevice")}</span>}
              <div class="muted">{t("lastUsed", { date: formatDateTime(s.lastUsedAt) })}</div>
            </div>
            {!s.current && (
              <button
                type="button"
                class="secondary small"
                onClick={async () => {
                  setError(null);
                  try {
                    await request(`/sessions/${encodeURIComponent(s.id)}`, { method: "DELETE" });
                    sessions.reload();
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                {t("revokeDevice")}
                <span class="sr-only"> {s.deviceName ?? ""}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
