// One message: sender, forward and reply context, text or a shared record presentation, media (sized before
// it loads), agencies' action buttons, reactions, time, edited and delivery state, and its tools.
import { useEffect, useState } from "preact/hooks";
import { knownMediaInfo, type Media, mediaInfo, mediaUrl, request } from "../lib/api";
import { useModal } from "../lib/dialog";
import { formatDate, formatTime, t, tKey } from "../lib/i18n";
import { href } from "../lib/router";
import { ErrorNote, lazy, VerifiedBadge } from "../lib/ui";
import { callText } from "./calls/text";
import { attachmentLabel, isPresentation } from "./chat-list";
import type { ChatMessage } from "./chat-session";
import { Linkified } from "./linkify";
import { officialLabel, officialText, useOfficialWords } from "./official";
import { me } from "./state";
import type { Verification } from "./verification";
import { VoicePlayer } from "./voice";

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

const ACTION_ROUTES: Record<string, string> = {
  pay: "bills",
  open_form: "forms",
  view_record: "records",
  view_submission: "submissions",
  review_consent: "consents",
};

type Action = ChatMessage["actions"][number];

/**
 * An official message's button, or what became of what it acts on (docs/protocol.md, live state): a paid
 * bill has nothing left to pay and a decided consent nothing to review, so those show the outcome instead;
 * a revoked or expired record keeps its link, marked.
 */
function OfficialAction({ action: a, label }: { action: Action; label: string }) {
  const expired = a.expiresAt !== undefined && Date.parse(a.expiresAt) <= Date.now();
  const link = (
    <a class="button primary small" href={href("services", ACTION_ROUTES[a.type] ?? "", a.ref)}>
      {label}
    </a>
  );
  const expiredMark = (
    <span class="status status-expired" data-testid="action-state">
      {t("expired")}
    </span>
  );
  // A consent approved (or still unanswered) past its time, a record past its expiry: nothing happened, the clock says so.
  if (expired && a.type === "review_consent" && (!a.state || a.state.status === "approved")) return expiredMark;
  if (expired && a.type === "view_record" && !a.state)
    return (
      <>
        {expiredMark}
        {link}
      </>
    );
  if (a.state) {
    const text = tKey(`actionState_${a.type}_`, a.state.status);
    const mark = (
      <span class={`status status-${a.state.status}`} data-testid="action-state">
        {fill(text, a.state.at ? formatDate(a.state.at) : "")}
      </span>
    );
    // A revoked record can still be opened (to see what it was); a bill or consent has nothing left to do.
    return a.type === "view_record" ? (
      <>
        {mark}
        {link}
      </>
    ) : (
      mark
    );
  }
  return link;
}

/** The `{date}` of a state text (tKey gives the text unfilled). */
const fill = (text: string, date: string) => text.replace("{date}", date).trim();

export interface MessageProps {
  m: ChatMessage;
  mine: boolean;
  sender: string;
  showSender: boolean;
  senderVerified: boolean;
  replied?: ChatMessage;
  repliedSender?: string;
  state?: "sent" | "read";
  canEdit: boolean;
  canDelete: boolean;
  canReply: boolean;
  me: string;
  onReply(m: ChatMessage): void;
  onEdit(m: ChatMessage): void;
  onDelete(m: ChatMessage): void;
  onForward(m: ChatMessage): void;
  /** Someone else's message, to the operator (safety.tsx). */
  onReport?(m: ChatMessage): void;
  onReact(m: ChatMessage, emoji: string): void;
  onJump(seq: number): void;
}

export function MessageItem(p: MessageProps) {
  const { m } = p;
  useOfficialWords();
  const [tools, setTools] = useState(false);
  const deleted = m.deletedAt !== null;
  const run = (action: (m: ChatMessage) => void) => () => {
    setTools(false);
    action(m);
  };
  return (
    <li
      id={`msg-${m.seq}`}
      class={`msg${p.mine ? " mine" : ""}${deleted ? " deleted" : ""}`}
      data-seq={m.seq}
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === "Escape" && tools) setTools(false);
      }}
    >
      <div class="bubble">
        {p.showSender && !p.mine && (
          <div class="sender">
            {p.sender}
            {p.senderVerified && <VerifiedBadge />}
          </div>
        )}
        {m.forwardOf && !deleted && <div class="forwarded">{t("forwarded")}</div>}
        {m.replyTo !== null && !deleted && (
          <button type="button" class="reply-quote" onClick={() => m.replyTo !== null && p.onJump(m.replyTo)}>
            <span class="reply-sender">{p.repliedSender ?? "…"}</span>
            <span class="reply-text">{p.replied ? summary(p.replied) : `#${m.replyTo}`}</span>
          </button>
        )}
        {deleted ? (
          <p class="text muted">{t("deletedMessage")}</p>
        ) : (
          <>
            {m.attachments.map((id) => (
              <MediaView key={id} id={id} />
            ))}
            {m.call && (
              <p class={`text call-message${m.call.outcome === "answered" ? "" : " missed"}`} data-testid="call-message">
                {callText(m, p.me)}
              </p>
            )}
            {m.text &&
              (isPresentation(m.text) ? (
                <PresentationCard text={m.text.trim()} />
              ) : (
                <p class="text">
                  <Linkified text={officialText(m)} me={me.getSnapshot()?.username} />
                </p>
              ))}
            {m.actions.length > 0 && (
              <div class="actions">
                {m.actions.map((a, i) => (
                  <OfficialAction key={a.type + a.ref} action={a} label={officialLabel(m, i)} />
                ))}
              </div>
            )}
          </>
        )}
        {m.reactions.length > 0 && (
          <ul class="reactions" aria-label={t("reactions")}>
            {m.reactions.map((r) => {
              const mineR = r.userIds.includes(p.me);
              return (
                <li key={r.emoji}>
                  <button type="button" class={mineR ? "on" : ""} aria-pressed={mineR} onClick={() => p.onReact(m, r.emoji)}>
                    {r.emoji} {r.count}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        <div class="meta">
          {m.editedAt && !deleted && <span>{t("edited")}</span>}
          {m.views !== undefined && !deleted && (
            <span class="views" title={t("views", { count: m.views })}>
              <span aria-hidden="true">👁 {m.views}</span>
              <span class="sr-only">{t("views", { count: m.views })}</span>
            </span>
          )}
          <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
          {p.mine && p.state && (
            <span class={`tick ${p.state}`} title={t(p.state)}>
              <span aria-hidden="true">{p.state === "read" ? "✓✓" : "✓"}</span>
              <span class="sr-only">{t(p.state)}</span>
            </span>
          )}
        </div>
      </div>
      {!deleted && (
        <div class={`msg-tools${tools ? " open" : ""}`}>
          <button type="button" class="icon" aria-label={t("moreActions")} aria-expanded={tools} onClick={() => setTools(!tools)}>
            ⋯
          </button>
          {tools && (
            <div class="toolbar" role="toolbar" aria-label={t("moreActions")}>
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  key={emoji}
                  type="button"
                  class="icon"
                  aria-label={t("react", { emoji })}
                  onClick={() => {
                    setTools(false);
                    p.onReact(m, emoji);
                  }}
                >
                  {emoji}
                </button>
              ))}
              {p.canReply && <ToolButton label={t("reply")} onClick={run(p.onReply)} />}
              <ToolButton label={t("forward")} onClick={run(p.onForward)} />
              {p.canEdit && <ToolButton label={t("edit")} onClick={run(p.onEdit)} />}
              {p.canDelete && <ToolButton label={t("delete")} onClick={run(p.onDelete)} />}
              {p.onReport && !p.mine && <ToolButton label={t("report")} onClick={run(p.onReport)} />}
            </div>
          )}
        </div>
      )}
    </li>
  );
}

function ToolButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <button type="button" class="tool" onClick={onClick}>
      {label}
    </button>
  );
}

export function summary(m: ChatMessage): string {
  if (m.deletedAt) return t("deletedMessage");
  if (m.call) return t(m.call.video ? "callVideo" : "callVoice");
  if (m.text) return isPresentation(m.text) ? t("presentationCard") : officialText(m).slice(0, 120);
  return attachmentLabel(m);
}

/** Default box for media whose dimensions are unknown (4:3), so it still does not jump when it loads. */
const DEFAULT_W = 320;
const DEFAULT_H = 240;

export function MediaView({ id }: { id: string }) {
  const [info, setInfo] = useState<Media | undefined>(() => knownMediaInfo(id));
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    mediaInfo(id).then(
      (i) => {
        if (!live) return;
        setInfo(i);
        if (i.kind === "photo" || i.kind === "video" || i.kind === "voice") mediaUrl(id).then((u) => live && setUrl(u), setError);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [id]);
  if (error) return <ErrorNote error={error} />;
  const kind = info?.kind;
  if (kind === "document" || kind === "file") return <FileLink media={info as Media} />;
  const w = info?.width ?? (kind === "video" ? 320 : DEFAULT_W);
  const h = info?.height ?? (kind === "video" ? 180 : DEFAULT_H);
  const label = info?.filename ?? t(kind === "video" ? "video" : "photo");
  if (kind === "voice") return <VoicePlayer url={url} durationMs={info?.durationMs ?? null} label={t("voiceNote")} />;
  if (!url || !info) {
    return (
      <svg class="media media-ph" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label}>
        <rect width={w} height={h} />
      </svg>
    );
  }
  if (kind === "video") {
    // biome-ignore lint/a11y/useMediaCaption: user videos carry no caption track
    return <video class="media" controls preload="metadata" src={url} width={w} height={h} aria-label={label} />;
  }
  return <Photo url={url} width={w} height={h} label={label} />;
}

/** A photo in the chat; activated, it opens full size in a viewer (Escape or the button closes it). */
function Photo({ url, width, height, label }: { url: string; width: number; height: number; label: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        class="media-open"
        aria-label={t("openPhoto", { name: label })}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        <img class="media" src={url} width={width} height={height} alt={label} decoding="async" />
      </button>
      {open && <PhotoViewer url={url} label={label} onClose={() => setOpen(false)} />}
    </>
  );
}

function PhotoViewer({ url, label, onClose }: { url: string; label: string; onClose: () => void }) {
  const ref = useModal();
  return (
    <dialog ref={ref} class="viewer" aria-label={label} onClose={onClose} data-testid="photo-viewer">
      <img src={url} alt={label} />
      <div class="viewer-bar">
        <a class="button secondary" href={url} download={label}>
          {t("savePhoto")}
        </a>
        <button type="button" class="secondary" onClick={() => ref.current?.close()}>
          {t("close")}
        </button>
      </div>
    </dialog>
  );
}

function FileLink({ media }: { media: Media }) {
  const name = media.filename ?? media.id;
  const [busy, setBusy] = useState(false);
  const size =
    media.size < 1024
      ? `${media.size} B`
      : media.size < 1048576
        ? `${Math.round(media.size / 1024)} KB`
        : `${(media.size / 1048576).toFixed(1)} MB`;
  return (
    <button
      type="button"
      class="file"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          const a = document.createElement("a");
          a.href = await mediaUrl(media.id);
          a.download = name;
          document.body.append(a);
          a.click();
          a.remove();
        } finally {
          setBusy(false);
        }
      }}
    >
      <span aria-hidden="true">📄</span> {t("download", { name })} <span class="muted">({size})</span>
    </button>
  );
}

/** A presentation's check, in words (a chunk of its own: only a card someone pressed Verify on needs it). */
const VerificationResult = lazy(() => import("./verification").then((m) => m.VerificationResult));

export function PresentationCard({ text }: { text: string }) {
  const [result, setResult] = useState<Verification | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <div class="presentation">
      <p class="presentation-title">
        <span aria-hidden="true">🪪</span> {t("presentationCard")}
      </p>
      {!result && (
        <button
          type="button"
          class="primary small"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              setResult(await request<Verification>("/verify", { body: { presentation: text }, anonymous: true }));
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? t("verifying") : t("verify")}
        </button>
      )}
      <ErrorNote error={error} />
      {result && <VerificationResult result={result} />}
    </div>
  );
}
