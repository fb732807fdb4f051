// Settings: profile (photo, name, username, who sees my phone), a link to privacy (safety.tsx), notifications
// (push-settings.tsx), signed-in devices (revoke), language, my data (download it, delete the account), sign out.
import { useState } from "preact/hooks";
import { ApiError, downloadExport, request } from "../lib/api";
import { formatDateTime, t } from "../lib/i18n";
import { href } from "../lib/router";
import { DeleteItemButton, ErrorNote, Loading, ScreenTitle, useAsync } from "../lib/ui";
import { PhotoPicker } from "./photo-picker";
import { PushSettingsCard } from "./push-settings";
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
        <ul class="plain-list">
          <li>
            <a href={href("settings", "contacts")}>{t("contactsLink")}</a>
          </li>
          <li>
            <a href={href("settings", "privacy")}>{t("privacyLink")}</a>
          </li>
        </ul>
      </section>
      <PushSettingsCard />
      <Devices />
      <section class="card" aria-labelledby="lang-heading">
        <h2 id="lang-heading">{t("language")}</h2>
        <LanguageSwitch />
      </section>
      <MyData onDeleted={onSignOut} />
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
      <PhotoPicker
        id={user.id}
        name={user.displayName ?? user.username ?? user.phone}
        photo={user.avatar}
        label={t("photoProfile")}
        onChange={async (avatar) => me.set((await request<{ user: Me }>("/me", { method: "PATCH", body: { avatar } })).user)}
      />
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
              <DeleteItemButton
                path={`/sessions/${encodeURIComponent(s.id)}`}
                label={t("revokeDevice")}
                whose={s.deviceName ?? ""}
                onDone={sessions.reload}
                onError={setError}
              />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** What deletion keeps, in the order the server names it (src/users/data-rights.ts). */
const KEPT = ["kept_bills", "kept_records", "kept_submissions", "kept_consents", "kept_accessLog"] as const;

function MyData({ onDeleted }: { onDeleted: () => void }) {
  const [busy, setBusy] = useState<"export" | "delete" | null>(null);
  const [downloaded, setDownloaded] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const download = async () => {
    setError(null);
    setDownloaded(false);
    setBusy("export");
    try {
      const { blob, filename } = await downloadExport();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      // The browser has started the download by now; the blob can go a little later.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setDownloaded(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setError(null);
    setBusy("delete");
    try {
      await request("/me", { method: "DELETE", body: { confirm: "DELETE" } });
      // What signing out does (stop the chat list, drop unsent messages and the tokens), so nothing of the
      // account stays in this browser; its logout call fails harmlessly, the session being gone already.
      onDeleted();
    } catch (err) {
      setError(err);
      setBusy(null);
    }
  };

  return (
    <section class="card" aria-labelledby="data-heading">
      <h2 id="data-heading">{t("myData")}</h2>
      <p class="muted">{t("myDataLead")}</p>
      <div class="row">
        <button type="button" class="secondary" onClick={download} disabled={busy !== null}>
          {t("downloadData")}
        </button>
        <span role="status" class="muted">
          {busy === "export" ? t("preparingData") : downloaded ? t("dataDownloaded") : ""}
        </span>
      </div>
      {!confirming && (
        <button type="button" class="danger" onClick={() => setConfirming(true)} disabled={busy !== null}>
          {t("deleteAccount")}
        </button>
      )}
      {confirming && (
        <div role="alertdialog" aria-labelledby="delete-heading" aria-describedby="delete-gone" class="card">
          <h3 id="delete-heading">{t("deleteTitle")}</h3>
          <p id="delete-gone">{t("deleteGone")}</p>
          <p>{t("deleteKeptLead")}</p>
          <ul>
            {KEPT.map((k) => (
              <li key={k}>{t(k)}</li>
            ))}
          </ul>
          <p>{t("deleteAfter")}</p>
          <div class="row">
            <button type="button" class="danger" onClick={remove} disabled={busy !== null}>
              {t("deleteAccountConfirm")}
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)} disabled={busy !== null}>
              {t("cancel")}
            </button>
          </div>
        </div>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
