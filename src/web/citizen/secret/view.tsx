// The secret chat screen (a lazy chunk with ts-mls): messages decrypted on this device, shown like other
// chats with a lock; photos and files encrypted before upload and decrypted to view; search on the device;
// the disappearing-message timer; the safety number with its QR code; a warning when the contact's keys
// change; reports with the message's franking proof; voice and video calls, whose records the caller's
// device writes into the chat as encrypted messages (the server writes none here).

import type { ComponentProps, FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useModal } from "../../lib/dialog";
import { formatDateTime, formatTime } from "../../lib/i18n";
import { QrCode } from "../../lib/qr";
import { href } from "../../lib/router";
import { Avatar, ErrorNote, Loading, useStore } from "../../lib/ui";
import type { CallButtons } from "../calls/lazy";
import type { callText } from "../calls/text";
import type { ReportDialog } from "../safety";
import type { ChatSummary, Me } from "../state";
import { b64u } from "./mls";
import { groups, safetyNumber } from "./safety-number";
import { type Decrypted, decryptedUrl, recordCall, type SecretFile, SecretSession, type SecretSnapshot } from "./session";
import { s } from "./strings";

const TIMERS = [
  { seconds: null, label: "timerOff" },
  { seconds: 3600, label: "timerHour" },
  { seconds: 86_400, label: "timerDay" },
  { seconds: 604_800, label: "timerWeek" },
] as const;

export function LockIcon() {
  return (
    <svg class="lock" viewBox="0 0 20 20" width="16" height="16" role="img" aria-label={s("lockLabel")} data-testid="secret-lock">
      <path d="M6 8V6a4 4 0 118 0v2h1v10H5V8zm2 0h4V6a2 2 0 10-4 0z" fill="currentColor" />
    </svg>
  );
}

/**
 * `title`, `Report`, `Calls` and `callText` come from the chat screen (chat-list.tsx, safety.tsx and the
 * calls' loader and words are in the app's initial JavaScript): importing them here would split those
 * modules into chunks of their own, and the initial JavaScript into more, worse-compressed files.
 */
export function SecretChatView({
  chat,
  user,
  title,
  Report,
  Calls,
  callText,
}: {
  chat: ChatSummary;
  user: Me;
  title: string;
  Report: FunctionComponent<ComponentProps<typeof ReportDialog>>;
  Calls: typeof CallButtons;
  callText: CallText;
}) {
  const [session] = useState(() => new SecretSession(chat.id, user.id));
  const [openError, setOpenError] = useState<unknown>(null);
  const open = () => {
    setOpenError(null);
    session.open().catch(setOpenError);
  };
  useEffect(() => {
    open();
    return () => session.close();
  }, [session]);
  const snap = useStore(session);
  const [searching, setSearching] = useState(false);
  const [safety, setSafety] = useState(false);
  const [reporting, setReporting] = useState<Decrypted | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const nameOf = (id: string) => (id === user.id ? s("you") : title);

  return (
    <section class="chat secret-chat" aria-labelledby="chat-title" data-testid="secret-chat">
      <header class="chat-header">
        <a class="back only-mobile" href={href("chats")} aria-label="←">
          ←
        </a>
        <Avatar name={title} id={chat.id} />
        <div class="chat-header-text">
          <h1 id="chat-title" tabIndex={-1}>
            <LockIcon /> {title}
            {snap.verified && (
              <span class="verified-keys" data-testid="keys-verified">
                {" "}
                ✓ {s("verifiedMark")}
              </span>
            )}
          </h1>
          <p class="chat-subtitle" data-testid="chat-status">
            {s("secretSubtitle")}
          </p>
        </div>
        <Calls
          chatId={chat.id}
          peerName={title}
          // The call is over whatever happens to its record: a record that cannot be sent (this device is
          // not in the group yet) is only missing from the chat.
          onEnded={(record) => void recordCall(chat.id, user.id, record).catch(() => undefined)}
        />
        <button type="button" class="icon" aria-label={s("search")} aria-expanded={searching} onClick={() => setSearching(!searching)}>
          <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
            <path
              d="M8.5 2a6.5 6.5 0 015.2 10.4l4.4 4.4-1.4 1.4-4.4-4.4A6.5 6.5 0 118.5 2zm0 2a4.5 4.5 0 100 9 4.5 4.5 0 000-9z"
              fill="currentColor"
            />
          </svg>
        </button>
        <button type="button" class="secondary small" aria-haspopup="dialog" onClick={() => setSafety(true)} data-testid="open-safety">
          {s("safetyTitle")}
        </button>
      </header>
      <div class="secret-bar row">
        <label for="secret-timer">{s("timer")}</label>
        <select
          id="secret-timer"
          value={snap.ttl === null ? "" : String(snap.ttl)}
          onChange={(e) => {
            const v = e.currentTarget.value;
            const seconds = v === "" ? null : Number(v);
            setActionError(null);
            session.setTimer(seconds).catch(setActionError);
          }}
        >
          {TIMERS.map((o) => (
            <option key={o.label} value={o.seconds === null ? "" : String(o.seconds)}>
              {s(o.label)}
            </option>
          ))}
        </select>
      </div>
      {snap.peer && !snap.peer.logValid && (
        <p class="note note-error" role="alert" data-testid="keys-warning">
          {s("logBroken")}{" "}
          <button type="button" class="link" onClick={() => setSafety(true)}>
            {s("compare")}
          </button>
        </p>
      )}
      {snap.keysChanged && snap.peer?.logValid && (
        <div class="note note-error" role="alert" data-testid="keys-warning">
          <p>{s("keysChanged")}</p>
          <div class="row">
            <button type="button" class="primary small" onClick={() => setSafety(true)}>
              {s("compare")}
            </button>
            <button type="button" class="secondary small" onClick={() => void session.acceptKeys(false)}>
              {s("understood")}
            </button>
          </div>
        </div>
      )}
      {snap.waiting && !snap.loading && (
        <p class="note" data-testid="secret-waiting">
          {s("waiting")}
        </p>
      )}
      {snap.removed && <p class="note note-error">{s("removed")}</p>}
      <ErrorNote error={openError} onRetry={open} />
      <ErrorNote error={actionError ?? snap.error} />
      {searching && <SearchPanel session={session} nameOf={nameOf} />}
      <div class="log-wrap">
        <div class="log" data-testid="messages">
          <ol class="messages">
            {snap.messages.map((m) => (
              <SecretMessage key={m.seq} m={m} me={user.id} sender={nameOf(m.senderId)} onReport={setReporting} callText={callText} />
            ))}
          </ol>
          {snap.loading && snap.messages.length === 0 && <Loading />}
        </div>
      </div>
      <Composer session={session} snap={snap} />
      {safety && <SafetyDialog session={session} snap={snap} onClose={() => setSafety(false)} />}
      {reporting?.franking && (
        <Report
          chatId={chat.id}
          seq={reporting.seq}
          franking={{ plaintext: b64u(new TextEncoder().encode(reporting.franking.body)), frankingKey: reporting.franking.key }}
          onClose={() => setReporting(null)}
        />
      )}
    </section>
  );
}

type CallText = typeof callText;

function SecretMessage(p: { m: Decrypted; me: string; sender: string; onReport: (m: Decrypted) => void; callText: CallText }) {
  const { m, me, sender, onReport } = p;
  const mine = m.senderId === me;
  const call = m.content?.call;
  return (
    <li id={`msg-${m.seq}`} class={`msg${mine ? " mine" : ""}`} data-seq={m.seq}>
      <div class="bubble">
        {!mine && <div class="sender">{sender}</div>}
        {m.content ? (
          <>
            {m.content.file && <SecretAttachment file={m.content.file} />}
            {m.content.text && <p class="text">{m.content.text}</p>}
            {call && (
              <p class={`text call-message${call.outcome === "answered" ? "" : " missed"}`} data-testid="call-message">
                {p.callText({ call, senderId: m.senderId }, me)}
              </p>
            )}
          </>
        ) : (
          <p class="text muted">{s(m.unreadable === "before_join" ? "beforeJoin" : "failed")}</p>
        )}
        <div class="meta">
          <LockIcon />
          <time dateTime={m.at}>{formatTime(m.at)}</time>
          {m.expiresAt && <span class="muted"> · {s("expires", { at: formatDateTime(m.expiresAt) })}</span>}
          {!mine && m.franking && (
            <button type="button" class="link" onClick={() => onReport(m)}>
              {s("report")}
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

function SecretAttachment({ file }: { file: SecretFile }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const image = /^image\/(jpeg|png|webp|gif)$/.test(file.type);
  useEffect(() => {
    if (image) decryptedUrl(file).then(setUrl, setError);
  }, [file.mediaId]);
  if (error) return <ErrorNote error={error} />;
  if (image) return url ? <img class="media" src={url} alt={file.name} data-testid="secret-photo" /> : <span class="media-ph-line" />;
  return (
    <button
      type="button"
      class="file link"
      onClick={() =>
        decryptedUrl(file).then((u) => {
          const a = document.createElement("a");
          a.href = u;
          a.download = file.name;
          a.click();
        }, setError)
      }
    >
      📎 {file.name}
    </button>
  );
}

function Composer({ session, snap }: { session: SecretSession; snap: SecretSnapshot }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [uploading, setUploading] = useState<{ name: string; fraction: number } | null>(null);
  const disabled = snap.waiting || snap.removed || snap.loading;
  const submit = () => {
    const value = text.trim();
    if (!value || disabled) return;
    setError(null);
    setText("");
    session.send({ text: value }).catch((err: unknown) => {
      setError(err);
      setText(value);
    });
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {uploading && (
        <div class="upload" role="status">
          <label for="secret-upload">{s("encrypting", { name: uploading.name })}</label>
          <progress id="secret-upload" max={1} value={uploading.fraction} />
        </div>
      )}
      {snap.sending > 0 && !uploading && (
        <p class="muted" role="status">
          {s("sending")}
        </p>
      )}
      <ErrorNote error={error} />
      <div class="composer-row">
        <input
          id="secret-attach"
          type="file"
          class="sr-only"
          disabled={disabled}
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            e.currentTarget.value = "";
            if (!f) return;
            setError(null);
            setUploading({ name: f.name, fraction: 0 });
            const caption = text.trim();
            setText("");
            session
              .sendFile(f, caption, (fraction) => setUploading({ name: f.name, fraction }))
              .catch(setError)
              .finally(() => setUploading(null));
          }}
        />
        <label for="secret-attach" class="icon button" title={s("attach")}>
          📎<span class="sr-only">{s("attach")}</span>
        </label>
        <label for="secret-input" class="sr-only">
          {s("placeholder")}
        </label>
        <textarea
          id="secret-input"
          rows={1}
          maxLength={4096}
          placeholder={s("placeholder")}
          value={text}
          disabled={disabled}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button type="submit" class="primary" disabled={disabled || text.trim() === ""}>
          {s("send")}
        </button>
      </div>
    </form>
  );
}

function SearchPanel({ session, nameOf }: { session: SecretSession; nameOf: (id: string) => string }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<Decrypted[] | null>(null);
  return (
    <div class="search-panel">
      <form
        aria-label={s("search")}
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) setResults(session.search(q.trim()));
        }}
      >
        <input
          type="search"
          value={q}
          placeholder={s("searchPlaceholder")}
          aria-label={s("search")}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
      </form>
      {results && (
        <ul class="search-results" data-testid="secret-search-results">
          {results.length === 0 && <li class="muted">{s("nothingFound")}</li>}
          {results.map((m) => (
            <li key={m.seq}>
              <button
                type="button"
                class="result"
                onClick={() => document.getElementById(`msg-${m.seq}`)?.scrollIntoView({ block: "center" })}
              >
                <strong>{nameOf(m.senderId)}</strong> {m.content?.text ?? m.content?.file?.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function SafetyDialog({ session, snap, onClose }: { session: SecretSession; snap: SecretSnapshot; onClose: () => void }) {
  const ref = useModal();
  const [digits, setDigits] = useState<string | null>(null);
  const mine = snap.me;
  const peer = snap.peer;
  const keyOf = `${mine?.keys.join() ?? ""}|${peer?.keys.join() ?? ""}`;
  useEffect(() => {
    if (!mine || !peer) return;
    setDigits(null);
    void safetyNumber(mine, peer).then(setDigits);
  }, [keyOf]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="safety-title" onClose={onClose}>
      <h2 id="safety-title">{s("safetyTitle")}</h2>
      <p>{s("safetyLead")}</p>
      {digits ? (
        <>
          <p class="safety-number" data-testid="safety-number">
            {groups(digits).map((g, i) => (
              <span key={`${i}-${g}`}>{g} </span>
            ))}
          </p>
          <QrCode text={`veche-safety:${digits}`} label={s("safetyQr")} />
          <p class="muted">
            {s("devicesMine", { count: mine?.devices.length ?? 0 })} · {s("devicesPeer", { count: peer?.devices.length ?? 0 })}
          </p>
        </>
      ) : (
        <p class="muted" role="status">
          {s("safetyComputing")}
        </p>
      )}
      <div class="row">
        {snap.verified ? (
          <button type="button" class="secondary" onClick={() => void session.acceptKeys(false)}>
            {s("unmarkVerified")}
          </button>
        ) : (
          <button
            type="button"
            class="primary"
            disabled={!digits}
            onClick={() => {
              void session.acceptKeys(true);
              ref.current?.close();
            }}
          >
            {s("markVerified")}
          </button>
        )}
        <button type="button" class="secondary" onClick={() => ref.current?.close()}>
          ✕
        </button>
      </div>
    </dialog>
  );
}
