// An open chat: header (title, verified badge, muted mark and menu, typing, connection), search, the message log with infinite
// scroll upwards and stick-to-bottom for new messages, and the composer (reply, edit, upload with progress).
import { Fragment } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { canDelete, canPost, isModerator } from "../../chat/policy";
import { ApiError, rememberMedia, request, type Upload, upload } from "../lib/api";
import { useModal } from "../lib/dialog";
import { formatDateTime, locale, t } from "../lib/i18n";
import { href } from "../lib/router";
import { Avatar, ErrorNote, errorText, Loading, lazy, useStore, VerifiedBadge } from "../lib/ui";
import { CallButtons } from "./calls/lazy";
import { callText } from "./calls/text";
import { attachmentLabel, chatTitle, isSecret } from "./chat-list";
import { type ChatMessage, ChatSession, type ChatSnapshot } from "./chat-session";
import { loadDraft, saveDraft } from "./drafts";
import { InviteLinkMaker } from "./invite-link";
import { useMentionPicker } from "./mention-picker";
import { MessageItem, summary } from "./message";
import { MutedIcon, MuteMenu } from "./mute";
import { useOfficialWords } from "./official";
import { agencies, agencyOf, type ChatList, type ChatSummary, type Me } from "./state";
import { canRecordVoice, VoiceRecorder } from "./voice";

// Opened from a chat on demand: loaded with the privacy screen's chunk (safety.tsx).
const PeerDialog = lazy(() => import("./safety").then((m) => m.PeerDialog));
const ReportDialog = lazy(() => import("./safety").then((m) => m.ReportDialog));

// A channel's settings are a chunk of their own, loaded when first opened.
const ChannelSettings = lazy(() => import("./channel-settings").then((m) => m.ChannelSettings));

/** Within this many pixels of the bottom counts as "at the bottom": new messages keep the view there. */
const BOTTOM_SLACK = 48;

// A secret chat decrypts on the device with ts-mls: a chunk of its own, loaded when one opens.
const SecretChatView = lazy(() => import("./secret/view").then((m) => m.SecretChatView));

export function ChatView({ chatId, chats, user }: { chatId: string; chats: ChatList; user: Me }) {
  const list = useStore(chats);
  useStore(agencies);
  const fromList = list.chats.find((c) => c.id === chatId);
  const [fetched, setFetched] = useState<ChatSummary | null>(null);
  const [missing, setMissing] = useState<unknown>(null);
  // A chat that leaves the list while open (the member was removed, banned, or left on another device) stays
  // on screen, so the open chat can say what happened instead of "not found".
  const seen = useRef<ChatSummary | null>(null);
  if (fromList) seen.current = fromList;
  const chat = fromList ?? fetched ?? seen.current;
  useEffect(() => {
    if (fromList || seen.current) return;
    request<{ chat: ChatSummary }>(`/chats/${encodeURIComponent(chatId)}`).then(
      (r) => setFetched(r.chat),
      (err: unknown) => setMissing(err),
    );
  }, [chatId, fromList]);
  if (!chat) {
    if (missing) {
      return (
        <div class="placeholder">
          <p>{missing instanceof ApiError && missing.status === 404 ? t("chatNotFound") : errorText(missing)}</p>
        </div>
      );
    }
    return <Loading />;
  }
  if (isSecret(chat))
    return <SecretChatView chat={chat} user={user} title={chatTitle(chat)} Report={ReportDialog} Calls={CallButtons} callText={callText} />;
  return <OpenChat listed={chat} chats={chats} user={user} />;
}

function OpenChat({ listed, chats, user }: { listed: ChatSummary; chats: ChatList; user: Me }) {
  const [session] = useState(() => new ChatSession(listed.id, user.id));
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
  // Title, member count and my role as the room reports them (in order with the messages), over the list's.
  // A channel's subscribers join and leave without a frame to the room's sockets (src/chat/room.ts): its
  // count is the one the chat list's pushes bring.
  const chat: ChatSummary = snap.chat
    ? { ...listed, ...snap.chat, ...(listed.type === "channel" ? { memberCount: listed.memberCount } : {}) }
    : listed;
  const agency = agencyOf(chat) ?? agencies.getSnapshot().get(snap.messages[0]?.senderId ?? "");
  const [searching, setSearching] = useState(false);
  const [aboutPeer, setAboutPeer] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [reporting, setReporting] = useState<ChatMessage | null>(null);
  // A direct chat's other person, for their profile (contacts, block, report).
  const peerId = chat.type === "direct" ? [...snap.members.keys()].find((id) => id !== user.id) : undefined;
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  const [editing, setEditing] = useState<ChatMessage | null>(null);
  const [forwarding, setForwarding] = useState<ChatMessage | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const scroller = useRef<HTMLDivElement>(null);

  // The same rules the room enforces (src/chat/policy.ts).
  const mayPost = canPost(chat.type, chat.role);

  // A public channel's name: the header links to its page, where its link is shared.
  const [publicName, setPublicName] = useState<string | null>(null);
  useEffect(() => {
    if (listed.type !== "channel") return;
    request<{ username: string | null }>(`/chats/${encodeURIComponent(listed.id)}`).then(
      (r) => setPublicName(r.username),
      () => undefined,
    );
  }, [listed.id, listed.type]);

  const nameOf = (userId: string): string => {
    if (userId === user.id) return user.displayName ?? t("youPrefix").replace(/:\s*$/, "");
    const member = snap.members.get(userId);
    if (member) return member.user.displayName ?? (member.user.username ? `@${member.user.username}` : "…");
    const a = agencies.getSnapshot().get(userId);
    if (a) return a.name;
    return chat.type === "direct" ? chatTitle(chat) : "…";
  };

  const othersRead = useMemo(() => {
    let max = 0;
    for (const m of snap.members.values()) if (m.userId !== user.id) max = Math.max(max, m.readSeq);
    return max;
  }, [snap.members, user.id]);

  const bySeq = useMemo(() => new Map(snap.messages.map((m) => [m.seq, m])), [snap.messages]);

  const jump = async (seq: number) => {
    await session.loadUntil(seq);
    requestAnimationFrame(() => {
      const el = document.getElementById(`msg-${seq}`);
      if (!el) return;
      el.scrollIntoView({ block: "center" });
      el.classList.add("flash");
      el.focus({ preventScroll: true });
      setTimeout(() => el.classList.remove("flash"), 1600);
    });
  };

  const act = (fn: () => Promise<void>) => {
    setActionError(null);
    fn().catch(setActionError);
  };

  const typingNames = snap.typing.map(nameOf);
  const subtitle =
    snap.status === "offline"
      ? t("offline")
      : typingNames.length > 1
        ? t("typingMany")
        : typingNames.length === 1
          ? t("typing", { names: typingNames[0] ?? "" })
          : chat.type === "official"
            ? t("chatTypeOfficial")
            : chat.type === "direct"
              ? ""
              : chat.type === "channel"
                ? `${t("chatTypeChannel")} · ${t("subscriberCount", { count: chat.memberCount })}`
                : `${t("chatTypeGroup")} · ${t("memberCount", { count: chat.memberCount })}`;

  return (
    <section class="chat" aria-labelledby="chat-title">
      <header class="chat-header">
        <a class="back only-mobile" href={href("chats")} aria-label={t("back")}>
          ←
        </a>
        <Avatar name={chatTitle(chat)} id={chat.id} photo={chat.avatar} />
        <div class="chat-header-text">
          <h1 id="chat-title" tabIndex={-1}>
            {chatTitle(chat)}
            {agency?.verified && <VerifiedBadge />}
            <MutedIcon chat={chat} />
          </h1>
          <p class="chat-subtitle" aria-live="polite" data-testid="chat-status">
            {subtitle}
          </p>
          {publicName && (
            <a class="chat-subtitle" href={href("channels", publicName)} data-testid="channel-public-name">
              @{publicName}
            </a>
          )}
        </div>
        {chat.type === "direct" && peerId && <CallButtons chatId={chat.id} peerName={chat.title} />}
        <MuteMenu chat={chat} chats={chats} />
        <button
          type="button"
          class="icon"
          aria-label={t("searchInChat")}
          aria-expanded={searching}
          onClick={() => setSearching(!searching)}
        >
          <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
            <path
              d="M8.5 2a6.5 6.5 0 015.2 10.4l4.4 4.4-1.4 1.4-4.4-4.4A6.5 6.5 0 118.5 2zm0 2a4.5 4.5 0 100 9 4.5 4.5 0 000-9z"
              fill="currentColor"
            />
          </svg>
        </button>
        {(chat.type === "channel" || chat.type === "group") && !snap.gone && (
          <button
            type="button"
            class="icon"
            aria-label={chat.type === "group" ? t("groupInfo") : isModerator(chat.role) ? t("channelSettings") : t("aboutChannel")}
            aria-haspopup="dialog"
            onClick={() => setSettingsOpen(true)}
            data-testid="channel-settings"
          >
            <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
              <path
                d="M10 6.5a3.5 3.5 0 100 7 3.5 3.5 0 000-7zM9 1h2l.5 2.5 2 1 2.3-1.2 1.4 1.4-1.2 2.3 1 2L19 9v2l-2.5.5-1 2 1.2 2.3-1.4 1.4-2.3-1.2-2 1L11 19H9l-.5-2.5-2-1-2.3 1.2-1.4-1.4 1.2-2.3-1-2L1 11V9l2.5-.5 1-2-1.2-2.3 1.4-1.4 2.3 1.2 2-1z"
                fill="currentColor"
              />
            </svg>
          </button>
        )}
        {peerId && (
          <button type="button" class="icon" aria-label={t("aboutPeer")} aria-haspopup="dialog" onClick={() => setAboutPeer(true)}>
            <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
              <path
                d="M10 3.5a1.75 1.75 0 110 3.5 1.75 1.75 0 010-3.5zm0 5a1.75 1.75 0 110 3.5 1.75 1.75 0 010-3.5zm0 5a1.75 1.75 0 110 3.5 1.75 1.75 0 010-3.5z"
                fill="currentColor"
              />
            </svg>
          </button>
        )}
      </header>
      {/* A group's invite link is made here; a channel's, with the rest of its settings. */}
      {chat.type === "group" && isModerator(chat.role) && <InviteLinkMaker chatId={chat.id} />}
      {settingsOpen && (chat.type === "channel" || chat.type === "group") && !snap.gone && (
        <ChannelSettings chat={chat} user={user} chats={chats} onUsername={setPublicName} onClose={() => setSettingsOpen(false)} />
      )}
      {aboutPeer && peerId && <PeerDialog userId={peerId} chatId={chat.id} onClose={() => setAboutPeer(false)} />}
      {reporting && <ReportDialog chatId={chat.id} seq={reporting.seq} onClose={() => setReporting(null)} />}
      {searching && (
        <SearchPanel
          session={session}
          nameOf={nameOf}
          onPick={(seq) => {
            setSearching(false);
            void jump(seq);
          }}
        />
      )}
      {snap.gone && <p class="note note-error">{t(snap.gone === "left" ? "leftChat" : "removedFromChat")}</p>}
      <ErrorNote error={openError} onRetry={open} />
      <ErrorNote error={actionError} />
      <MessageLog
        session={session}
        snap={snap}
        scroller={scroller}
        render={(m, prev) => (
          <MessageItem
            key={m.seq}
            m={m}
            me={user.id}
            mine={m.senderId === user.id}
            sender={nameOf(m.senderId)}
            senderVerified={chat.type === "official" && (agencies.getSnapshot().get(m.senderId)?.verified ?? false)}
            showSender={chat.type !== "direct" && prev?.senderId !== m.senderId}
            replied={m.replyTo !== null ? bySeq.get(m.replyTo) : undefined}
            repliedSender={m.replyTo !== null && bySeq.get(m.replyTo) ? nameOf(bySeq.get(m.replyTo)?.senderId ?? "") : undefined}
            state={m.senderId === user.id ? (othersRead >= m.seq ? "read" : "sent") : undefined}
            canReply={mayPost}
            canEdit={m.senderId === user.id && !!m.text && !m.forwardOf}
            canDelete={canDelete(chat.type, chat.role, m.senderId, user.id)}
            onReply={(x) => {
              setEditing(null);
              setReplyTo(x);
            }}
            onEdit={(x) => {
              setReplyTo(null);
              setEditing(x);
            }}
            onDelete={(x) => {
              if (confirm(t("deleteConfirm"))) act(() => session.remove(x.seq));
            }}
            onForward={setForwarding}
            onReport={chat.type === "official" ? undefined : setReporting}
            onReact={(x, emoji) => act(() => session.react(x.seq, emoji))}
            onJump={(seq) => void jump(seq)}
          />
        )}
      />
      {forwarding && (
        <ForwardDialog
          chats={chats}
          from={chat.id}
          onCancel={() => setForwarding(null)}
          onPick={(target) => {
            const seq = forwarding.seq;
            setForwarding(null);
            act(() => session.forward(target, seq));
          }}
        />
      )}
      {mayPost ? (
        <Composer
          session={session}
          replyTo={replyTo}
          editing={editing}
          replySender={replyTo ? nameOf(replyTo.senderId) : ""}
          onDone={() => {
            setReplyTo(null);
            setEditing(null);
          }}
          onEditLast={() => {
            const last = [...snap.messages].reverse().find((m) => m.senderId === user.id && m.text && !m.deletedAt && !m.forwardOf);
            if (last) setEditing(last);
          }}
        />
      ) : (
        <p class="read-only muted">{chat.type === "official" ? t("readOnly") : t("channelReadOnly")}</p>
      )}
    </section>
  );
}

/** The local calendar day of a time, as YYYY-MM-DD. */
const dayOf = (iso: string): string => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

/** "Сегодня", "Вчера", "17 мая", "17 мая 2025 г.": the date separator between days of messages. */
function dayLabel(iso: string): string {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  const day = dayOf(iso);
  if (day === dayOf(today.toISOString())) return t("today");
  if (day === dayOf(yesterday.toISOString())) return t("yesterday");
  const d = new Date(iso);
  return new Intl.DateTimeFormat(locale(), {
    day: "numeric",
    month: "long",
    ...(d.getFullYear() === today.getFullYear() ? {} : { year: "numeric" }),
  }).format(d);
}

function MessageLog({
  session,
  snap,
  scroller,
  render,
}: {
  session: ChatSession;
  snap: ChatSnapshot;
  scroller: { current: HTMLDivElement | null };
  render: (m: ChatMessage, prev: ChatMessage | undefined) => preact.JSX.Element;
}) {
  const atBottom = useRef(true);
  const lastNewest = useRef(0);
  const prepend = useRef<{ height: number; top: number } | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const [showJump, setShowJump] = useState(false);
  const newest = snap.messages.at(-1)?.seq ?? 0;

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    if (atBottom.current) setShowJump(false);
  };

  // New content at the bottom keeps a reader who was at the bottom there; older pages keep the view still.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (prepend.current) {
      el.scrollTop = el.scrollHeight - prepend.current.height + prepend.current.top;
      prepend.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else if (newest > lastNewest.current && lastNewest.current > 0) {
      setShowJump(true);
    }
    lastNewest.current = newest;
  }, [snap.messages, snap.outbox.length, newest, scroller]);

  // Mark read what reached the screen while the reader is at the bottom and the page is visible.
  useEffect(() => {
    const mark = () => {
      if (atBottom.current && document.visibilityState === "visible" && newest > 0) session.markRead(newest);
    };
    const timer = setTimeout(mark, 300);
    document.addEventListener("visibilitychange", mark);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", mark);
    };
  }, [newest, session, showJump]);

  // Infinite scroll: the sentinel at the top coming into view loads the previous page.
  useEffect(() => {
    const el = sentinel.current;
    const root = scroller.current;
    if (!el || !root || !snap.hasOlder) return;
    const io = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting) || snap.loading) return;
        prepend.current = { height: root.scrollHeight, top: root.scrollTop };
        session.loadOlder().catch(() => {
          prepend.current = null;
        });
      },
      { root, rootMargin: "200px 0px 0px 0px" },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [session, snap.hasOlder, snap.loading, scroller]);

  return (
    <div class="log-wrap">
      {/* Over the log, not above it: a connection notice must not push the messages down. */}
      {snap.status === "connecting" && !snap.loading && (
        <p class="toast" role="status">
          {t("connecting")}
        </p>
      )}
      <div class="log" ref={scroller} onScroll={onScroll}>
        <div ref={sentinel} class="sentinel">
          {snap.hasOlder ? (
            <button
              type="button"
              class="link"
              disabled={snap.loading}
              onClick={() => {
                const root = scroller.current;
                if (root) prepend.current = { height: root.scrollHeight, top: root.scrollTop };
                void session.loadOlder();
              }}
            >
              {snap.loading ? t("loading") : t("loadOlder")}
            </button>
          ) : (
            !snap.loading && <p class="muted">{t("beginning")}</p>
          )}
        </div>
        <div role="log" aria-live="polite" aria-label={t("messages")}>
          <ol class="messages" data-testid="messages">
            {snap.messages.map((m, i) => {
              const prev = snap.messages[i - 1];
              const day = dayOf(m.createdAt);
              return prev && dayOf(prev.createdAt) === day ? (
                render(m, prev)
              ) : (
                <Fragment key={m.seq}>
                  <li class="day">
                    <time dateTime={day}>{dayLabel(m.createdAt)}</time>
                  </li>
                  {render(m, prev)}
                </Fragment>
              );
            })}
            {snap.outbox.map((o) => (
              <li key={o.clientId} class={`msg mine pending${o.error ? " failed" : ""}`} data-client-id={o.clientId}>
                <div class="bubble">
                  {o.attachments && o.attachments.length > 0 && <p class="muted">{attachmentLabel({ attachments: o.attachments })}</p>}
                  {o.text && <p class="text">{o.text}</p>}
                  <div class="meta">
                    {o.error ? (
                      <>
                        <span class="field-error">{o.error === "blocked" ? t("notSentBlocked") : t("notSent", { code: o.error })}</span>
                        <button type="button" class="link" onClick={() => session.discard(o.clientId)}>
                          {t("dismiss")}
                        </button>
                      </>
                    ) : (
                      <span>{t("sending")}</span>
                    )}
                  </div>
                </div>
              </li>
            ))}
          </ol>
        </div>
        {snap.loading && snap.messages.length === 0 && <Loading />}
      </div>
      {showJump && (
        <button
          type="button"
          class="jump"
          onClick={() => {
            const el = scroller.current;
            if (el) el.scrollTop = el.scrollHeight;
            atBottom.current = true;
            setShowJump(false);
          }}
        >
          {t("jumpToLatest")} ↓
        </button>
      )}
    </div>
  );
}

function Composer({
  session,
  replyTo,
  editing,
  replySender,
  onDone,
  onEditLast,
}: {
  session: ChatSession;
  replyTo: ChatMessage | null;
  editing: ChatMessage | null;
  replySender: string;
  onDone: () => void;
  onEditLast: () => void;
}) {
  const [text, setTextState] = useState(() => loadDraft(session.me, session.chatId));
  // What is typed (not an edit of a sent message) is the chat's draft until it is sent.
  const setText = (value: string) => {
    setTextState(value);
    if (!editing) saveDraft(session.me, session.chatId, value);
  };
  const [progress, setProgress] = useState<{ name: string; fraction: number; upload: Upload } | null>(null);
  // A file picked to send: shown with the composer's text as its caption until it is sent or dropped.
  const [chosen, setChosen] = useState<{ file: File; preview: string | null } | null>(null);
  const drop = () => {
    if (chosen?.preview) URL.revokeObjectURL(chosen.preview);
    setChosen(null);
    if (fileInput.current) fileInput.current.value = "";
  };
  const [error, setError] = useState<unknown>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const mentions = useMentionPicker({ text, input, members: session.getSnapshot().members.values(), me: session.me, onText: setText });

  // Before paint, in the same frame as the "editing" bar: typing that starts as soon as the bar shows must
  // not be overwritten by the old text arriving a frame later.
  // When an edit ends, the draft it covered comes back.
  useLayoutEffect(() => {
    setTextState(editing ? (editing.text ?? "") : loadDraft(session.me, session.chatId));
    if (editing || replyTo) input.current?.focus();
  }, [editing, replyTo]);

  const submit = async () => {
    const value = text.trim();
    setError(null);
    if (chosen) {
      const { file } = chosen;
      drop();
      await onFile(file);
      return;
    }
    if (editing) {
      if (!value) return;
      try {
        await session.edit(editing.seq, value);
        setText("");
        onDone();
      } catch (err) {
        setError(err);
      }
      return;
    }
    if (!value) return;
    session.send({ text: value, replyTo: replyTo?.seq });
    setText("");
    onDone();
  };

  const onFile = async (file: File, durationMs?: number) => {
    setError(null);
    const u = upload(file, (fraction) => setProgress((p) => (p ? { ...p, fraction } : p)), { durationMs });
    setProgress({ name: file.name, fraction: 0, upload: u });
    try {
      const media = await u.promise;
      rememberMedia(media);
      const caption = text.trim();
      session.send({ attachments: [media.id], text: caption || undefined, replyTo: replyTo?.seq });
      setText("");
      onDone();
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "aborted")) setError(new Error(t("uploadFailed", { detail: errorText(err) })));
    } finally {
      setProgress(null);
      if (fileInput.current) fileInput.current.value = "";
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {(replyTo || editing) && (
        <div class="composer-context">
          <div>
            <strong>{editing ? t("editing") : `${t("replyingTo")}: ${replySender}`}</strong>
            <span class="muted"> {summary((editing ?? replyTo) as ChatMessage)}</span>
          </div>
          <button
            type="button"
            class="icon"
            aria-label={editing ? t("cancelEdit") : t("cancelReply")}
            onClick={() => {
              if (editing) setText("");
              onDone();
            }}
          >
            ✕
          </button>
        </div>
      )}
      {progress && (
        <div class="upload" role="status">
          <label for="upload-progress">{t("uploading", { name: progress.name })}</label>
          <progress id="upload-progress" max={1} value={progress.fraction}>
            {Math.round(progress.fraction * 100)}%
          </progress>
          <button type="button" class="link" onClick={() => progress.upload.abort()}>
            {t("cancel")}
          </button>
        </div>
      )}
      {error ? <ErrorNote error={error} /> : null}
      {chosen && (
        <div class="send-preview" data-testid="send-preview">
          {chosen.preview ? <img src={chosen.preview} alt={chosen.file.name} /> : <span class="file-chip">📄 {chosen.file.name}</span>}
          <span class="muted">{t("captionHint")}</span>
          <button type="button" class="link" onClick={drop}>
            {t("cancel")}
            <span class="sr-only"> {chosen.file.name}</span>
          </button>
        </div>
      )}
      {mentions.list}
      <div class="composer-row">
        {!editing && (
          <>
            <input
              ref={fileInput}
              id="attach"
              type="file"
              class="sr-only"
              onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                if (!f) return;
                if (chosen?.preview) URL.revokeObjectURL(chosen.preview);
                setChosen({ file: f, preview: /^image\/(jpeg|png|webp|gif)$/.test(f.type) ? URL.createObjectURL(f) : null });
                input.current?.focus();
              }}
            />
            <label for="attach" class="icon button" title={t("attach")}>
              <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
                <path
                  d="M13.5 5.5l-6 6a1.5 1.5 0 002 2l6.5-6.5a3 3 0 00-4.2-4.2L5 9.6a4.5 4.5 0 006.4 6.4l5.3-5.3 1.1 1.1-5.3 5.3A6 6 0 013.9 8.5l6.8-6.8a4.5 4.5 0 016.4 6.4l-6.5 6.5a3 3 0 01-4.2-4.2l6-6z"
                  fill="currentColor"
                />
              </svg>
              <span class="sr-only">{t("attach")}</span>
            </label>
          </>
        )}
        <label for="composer-input" class="sr-only">
          {t("messageLabel")}
        </label>
        <textarea
          id="composer-input"
          ref={input}
          {...mentions.aria}
          rows={1}
          maxLength={4096}
          placeholder={chosen ? t("captionPlaceholder") : t("composerPlaceholder")}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            mentions.onCaret(e);
            session.typed();
          }}
          onKeyUp={(e) => {
            if (/^(Arrow(Left|Right)|Home|End)$/.test(e.key)) mentions.onCaret(e);
          }}
          onClick={mentions.onCaret}
          onKeyDown={(e) => {
            if (mentions.onKey(e)) return;
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            } else if (e.key === "Escape" && (editing || replyTo)) {
              e.preventDefault();
              if (editing) setText("");
              onDone();
            } else if (e.key === "ArrowUp" && text === "" && !editing) {
              e.preventDefault();
              onEditLast();
            }
          }}
        />
        {!editing && !chosen && text.trim() === "" && canRecordVoice() ? (
          <VoiceRecorder onRecorded={(file, durationMs) => void onFile(file, durationMs)} onError={setError} />
        ) : (
          <button type="submit" class="primary" disabled={text.trim() === "" && !chosen}>
            {editing ? t("save") : t("send")}
          </button>
        )}
      </div>
    </form>
  );
}

function SearchPanel({ session, nameOf, onPick }: { session: ChatSession; nameOf: (id: string) => string; onPick: (seq: number) => void }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<ChatMessage[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  // An agency's messages found here are worded in the reader's language, as in the log.
  useOfficialWords();
  return (
    <div class="search-panel">
      <form
        aria-label={t("searchInChat")}
        onSubmit={async (e) => {
          e.preventDefault();
          if (!q.trim()) return;
          setError(null);
          try {
            setResults(await session.search(q.trim()));
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label for="chat-search" class="sr-only">
          {t("searchInChat")}
        </label>
        <input
          id="chat-search"
          ref={ref}
          type="search"
          value={q}
          placeholder={t("searchInChat")}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit" class="secondary">
          {t("search")}
        </button>
      </form>
      <ErrorNote error={error} />
      {results && (
        <ul class="search-results" aria-live="polite">
          {results.length === 0 && <li class="muted">{t("searchNoResults")}</li>}
          {results.map((m) => (
            <li key={m.seq}>
              <button type="button" class="result" onClick={() => onPick(m.seq)}>
                <span class="muted">
                  {nameOf(m.senderId)} · {formatDateTime(m.createdAt)}
                </span>
                <span>{summary(m)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ForwardDialog({
  chats,
  from,
  onPick,
  onCancel,
}: {
  chats: ChatList;
  from: string;
  onPick: (id: string) => void;
  onCancel: () => void;
}) {
  const list = useStore(chats).chats.filter((c) => c.id !== from && c.type !== "official" && (c.type !== "channel" || c.role !== "member"));
  const ref = useModal();
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="forward-title" onClose={onCancel}>
      <h2 id="forward-title">{t("forwardTo")}</h2>
      <ul class="pick-list">
        {list.map((c) => (
          <li key={c.id}>
            <button type="button" class="pick" onClick={() => onPick(c.id)}>
              <Avatar name={chatTitle(c)} id={c.id} photo={c.avatar} size="s" /> {chatTitle(c)}
            </button>
          </li>
        ))}
      </ul>
      <button type="button" class="secondary" onClick={onCancel}>
        {t("cancel")}
      </button>
    </dialog>
  );
}
