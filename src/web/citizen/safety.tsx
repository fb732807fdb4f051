// Privacy and safety: the privacy screen in settings (the four settings, contacts, blocked people) and a
// person's profile, opened from a direct chat's header, with add to contacts, block / unblock and report.
import { useState } from "preact/hooks";
import { ApiError, request } from "../lib/api";
import { useModal } from "../lib/dialog";
import { formatDateTime, type Key, t } from "../lib/i18n";
import { href } from "../lib/router";
import { Avatar, DeleteItemButton, ErrorNote, Loading, ScreenTitle, useAsync } from "../lib/ui";
import { presenceText } from "./people-search";

type Audience = "everyone" | "contacts" | "nobody";
interface Privacy {
  groupInvites: Audience;
  directMessages: "everyone" | "contacts";
  lastSeen: Audience;
  phone: Audience;
}
interface Profile {
  id: string;
  displayName: string | null;
  username: string | null;
  phone: string | null;
  online: boolean | null;
  lastSeenAt: string | null;
  avatar: string | null;
}
interface Contact {
  userId: string;
  user: Profile;
}
interface Block {
  userId: string;
  at: string;
  user: { id: string; displayName: string | null; username: string | null };
}

const REASONS = ["spam", "abuse", "violence", "illegal", "other"] as const;
type Reason = (typeof REASONS)[number];

const nameOf = (u: { displayName: string | null; username: string | null }): string =>
  u.displayName ?? (u.username ? `@${u.username}` : t("someone"));

const SETTINGS: { key: keyof Privacy; label: Key; options: Audience[] }[] = [
  { key: "groupInvites", label: "privacyGroupInvites", options: ["everyone", "contacts", "nobody"] },
  { key: "directMessages", label: "privacyDirectMessages", options: ["everyone", "contacts"] },
  { key: "lastSeen", label: "privacyLastSeen", options: ["everyone", "contacts", "nobody"] },
  { key: "phone", label: "privacyPhone", options: ["everyone", "contacts", "nobody"] },
];

const AUDIENCE_KEYS: Record<Audience, Key> = {
  everyone: "visibility_everyone",
  contacts: "visibility_contacts",
  nobody: "visibility_nobody",
};

export function PrivacyView() {
  return (
    <div class="page">
      <ScreenTitle back={href("settings")}>{t("privacyTitle")}</ScreenTitle>
      <PrivacySettings />
      <Contacts />
      <Blocked />
    </div>
  );
}

function PrivacySettings() {
  const loaded = useAsync(() => request<{ privacy: Privacy }>("/me/privacy"), []);
  const [privacy, setPrivacy] = useState<Privacy | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const shown = privacy ?? loaded.data?.privacy ?? null;

  // Each choice is saved at once: there is nothing to forget to save.
  const change = async (key: keyof Privacy, value: string) => {
    setSaved(false);
    setError(null);
    try {
      const r = await request<{ privacy: Privacy }>("/me/privacy", { method: "PATCH", body: { [key]: value } });
      setPrivacy(r.privacy);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">{t("privacySettings")}</h2>
      <p class="muted">{t("privacyContactsNote")}</p>
      {!shown && <Loading />}
      <ErrorNote error={loaded.error ?? error} onRetry={loaded.error ? loaded.reload : undefined} />
      {shown &&
        SETTINGS.map((s) => (
          <div key={s.key}>
            <label for={`privacy-${s.key}`}>{t(s.label)}</label>
            <select id={`privacy-${s.key}`} value={shown[s.key]} onChange={(e) => void change(s.key, e.currentTarget.value)}>
              {s.options.map((o) => (
                <option key={o} value={o}>
                  {t(AUDIENCE_KEYS[o])}
                </option>
              ))}
            </select>
          </div>
        ))}
      <p role="status" class="muted">
        {saved ? t("privacySaved") : ""}
      </p>
    </section>
  );
}

function Contacts() {
  const list = useAsync(() => request<{ contacts: Contact[] }>("/contacts"), []);
  const [username, setUsername] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [notFound, setNotFound] = useState<string | null>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotFound(null);
    const name = username.trim().replace(/^@/, "");
    if (!name) return;
    try {
      const { user } = await request<{ user: Profile }>(`/users?username=${encodeURIComponent(name)}`);
      await request(`/contacts/${encodeURIComponent(user.id)}`, { method: "PUT" });
      setUsername("");
      list.reload();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) setNotFound(t("userNotFound", { username: name }));
      else setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="contacts-heading">
      <h2 id="contacts-heading">{t("contactsTitle")}</h2>
      {list.loading && !list.data && <Loading />}
      <ErrorNote error={list.error ?? error} onRetry={list.error ? list.reload : undefined} />
      {list.data && list.data.contacts.length === 0 && <p class="muted">{t("noContacts")}</p>}
      <ul class="plain-list" aria-label={t("contactsTitle")}>
        {list.data?.contacts.map((c) => (
          <li key={c.userId} class="device">
            <div>
              <strong>{nameOf(c.user)}</strong>
              {c.user.username && <div class="muted">@{c.user.username}</div>}
            </div>
            <DeleteItemButton
              path={`/contacts/${encodeURIComponent(c.userId)}`}
              label={t("removeContact")}
              whose={nameOf(c.user)}
              onDone={list.reload}
              onError={setError}
            />
          </li>
        ))}
      </ul>
      <form onSubmit={add} noValidate>
        <label for="contact-username">{t("addContactLabel")}</label>
        <input
          id="contact-username"
          value={username}
          maxLength={33}
          onInput={(e) => setUsername(e.currentTarget.value)}
          aria-describedby="contact-error"
        />
        <p id="contact-error" class="field-error" role="alert">
          {notFound}
        </p>
        <button type="submit" class="secondary">
          {t("addContact")}
        </button>
      </form>
    </section>
  );
}

function Blocked() {
  const list = useAsync(() => request<{ blocks: Block[] }>("/blocks"), []);
  const [error, setError] = useState<unknown>(null);
  return (
    <section class="card" aria-labelledby="blocked-heading">
      <h2 id="blocked-heading">{t("blockedTitle")}</h2>
      {list.loading && !list.data && <Loading />}
      <ErrorNote error={list.error ?? error} onRetry={list.error ? list.reload : undefined} />
      {list.data && list.data.blocks.length === 0 && <p class="muted">{t("noBlocked")}</p>}
      <ul class="plain-list" aria-label={t("blockedTitle")}>
        {list.data?.blocks.map((b) => (
          <li key={b.userId} class="device">
            <div>
              <strong>{nameOf(b.user)}</strong>
              <div class="muted">{t("blockedAt", { date: formatDateTime(b.at) })}</div>
            </div>
            <DeleteItemButton
              path={`/blocks/${encodeURIComponent(b.userId)}`}
              label={t("unblock")}
              whose={nameOf(b.user)}
              onDone={list.reload}
              onError={setError}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A person's profile (from a direct chat): what they show me, and contacts, block and report. */
export function PeerDialog({ userId, chatId, onClose }: { userId: string; chatId?: string; onClose: () => void }) {
  const ref = useModal();
  const data = useAsync(
    () =>
      Promise.all([
        request<{ user: Profile }>(`/users/${encodeURIComponent(userId)}`),
        request<{ contacts: Contact[] }>("/contacts"),
        request<{ blocks: Block[] }>("/blocks"),
      ]).then(([p, c, b]) => ({
        user: p.user,
        contact: c.contacts.some((x) => x.userId === userId),
        blocked: b.blocks.some((x) => x.userId === userId),
      })),
    [userId],
  );
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [reporting, setReporting] = useState(false);

  const toggle = async (path: "contacts" | "blocks", on: boolean, done: Key) => {
    setError(null);
    setNote(null);
    try {
      await request(`/${path}/${encodeURIComponent(userId)}`, { method: on ? "PUT" : "DELETE" });
      setNote(t(done));
      data.reload();
    } catch (err) {
      setError(err);
    }
  };

  const d = data.data;
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="peer-title" onClose={onClose}>
      {!d && !data.error && <Loading />}
      <ErrorNote error={data.error ?? error} onRetry={data.error ? data.reload : undefined} />
      {d && (
        <>
          <div class="row">
            <Avatar name={nameOf(d.user)} id={userId} photo={d.user.avatar} />
            <div>
              <h2 id="peer-title">{nameOf(d.user)}</h2>
              {d.user.username && <p class="muted">@{d.user.username}</p>}
            </div>
          </div>
          {d.user.phone && <p>{d.user.phone}</p>}
          {d.user.online !== null && <p class="muted">{presenceText(d.user)}</p>}
          <div class="row">
            <button
              type="button"
              class="secondary"
              onClick={() => void toggle("contacts", !d.contact, d.contact ? "contactRemoved" : "contactAdded")}
            >
              {t(d.contact ? "removeContact" : "addContact")}
            </button>
            <button
              type="button"
              class={d.blocked ? "secondary" : "danger"}
              onClick={() => {
                if (d.blocked || confirm(t("blockConfirm", { name: nameOf(d.user) })))
                  void toggle("blocks", !d.blocked, d.blocked ? "unblocked" : "blockedDone");
              }}
            >
              {t(d.blocked ? "unblock" : "block")}
            </button>
            <button type="button" class="secondary" aria-expanded={reporting} onClick={() => setReporting(!reporting)}>
              {t("report")}
            </button>
          </div>
          {reporting && (
            <ReportForm
              target={{ userId, ...(chatId ? { chatId } : {}) }}
              onDone={() => {
                setReporting(false);
                setNote(t("reportSent"));
              }}
            />
          )}
          <p role="status" class="muted">
            {note}
          </p>
        </>
      )}
      <button type="button" class="secondary" onClick={() => ref.current?.close()}>
        {t("close")}
      </button>
    </dialog>
  );
}

/**
 * Reporting one message (from its tools in the chat). A secret chat's message brings its plaintext (base64url)
 * and franking key, which the server checks against the commitment and tag it kept (docs/protocol.md, Reporting).
 */
export function ReportDialog({
  chatId,
  seq,
  franking,
  onClose,
}: {
  chatId: string;
  seq: number;
  franking?: { plaintext: string; frankingKey: string };
  onClose: () => void;
}) {
  const ref = useModal();
  const [sent, setSent] = useState(false);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="report-title" onClose={onClose}>
      <h2 id="report-title">{t("reportMessage")}</h2>
      {sent ? <p role="status">{t("reportSent")}</p> : <ReportForm target={{ chatId, seq, ...franking }} onDone={() => setSent(true)} />}
      <button type="button" class="secondary" onClick={() => ref.current?.close()}>
        {t(sent ? "close" : "cancel")}
      </button>
    </dialog>
  );
}

/** A report of a person, a chat or a message (chatId and seq) to the operator. */
export function ReportForm({
  target,
  onDone,
}: {
  target: { userId?: string; chatId?: string; seq?: number; plaintext?: string; frankingKey?: string };
  onDone: () => void;
}) {
  const [reason, setReason] = useState<Reason>("spam");
  const [comment, setComment] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const body = { reason, ...target, ...(comment.trim() ? { comment: comment.trim() } : {}) };
      await request("/reports", { body });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="report-form" onSubmit={submit} noValidate>
      <fieldset>
        <legend>{t("reportReason")}</legend>
        {REASONS.map((r) => (
          <label key={r} class="radio">
            <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} /> {t(`reason_${r}`)}
          </label>
        ))}
      </fieldset>
      <label for="report-comment">{t("reportComment")}</label>
      <textarea id="report-comment" maxLength={1000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <ErrorNote error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {t("sendReport")}
      </button>
    </form>
  );
}
