// A public channel's page (#/channels/<username>): its name, how many subscribe, the latest posts as a preview,
// a join button (then it opens like any chat) and its link to share. And #/join/<token>, an invite link.
// Both are rarely opened: the app loads them as a chunk of their own.
import { useState } from "preact/hooks";
import { ApiError, request } from "../lib/api";
import { formatDateTime, t } from "../lib/i18n";
import { href, navigate } from "../lib/router";
import { Avatar, CopyButton, ErrorNote, Loading, ScreenTitle, useAsync } from "../lib/ui";
import { attachmentLabel, chatTitle } from "./chat-list";
import type { ChatMessage } from "./chat-session";
import type { ChatList, ChatSummary } from "./state";

interface Found {
  chat: ChatSummary;
  username: string;
  subscribed: boolean;
}

/** The address that opens a public channel's page, to share. */
export const channelLink = (username: string): string => `${location.origin}${location.pathname}${href("channels", username)}`;

const PREVIEW_POSTS = 20;

export function ChannelPage({ username, chats }: { username: string; chats: ChatList }) {
  const found = useAsync(async () => {
    const channel = await request<Found>(`/channels/${encodeURIComponent(username)}`);
    const { messages } = await request<{ messages: ChatMessage[] }>(`/chats/${channel.chat.id}/messages?limit=${PREVIEW_POSTS}`);
    return { ...channel, messages };
  }, [username]);
  const [joining, setJoining] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (found.error && !found.data) {
    return (
      <div class="page channel-page">
        <ScreenTitle back={href("chats")}>@{username}</ScreenTitle>
        {found.error instanceof ApiError && found.error.status === 404 ? (
          <p class="muted" data-testid="channel-missing">
            {t("channelNotFound", { username })}
          </p>
        ) : (
          <ErrorNote error={found.error} onRetry={found.reload} />
        )}
      </div>
    );
  }
  if (!found.data) return <Loading />;
  const { chat, subscribed, messages } = found.data;
  const join = async () => {
    setJoining(true);
    setError(null);
    try {
      const joined = await request<{ chat: ChatSummary }>(`/chats/${chat.id}/join`, { method: "POST" });
      chats.upsert(joined.chat);
      navigate("chats", chat.id);
    } catch (err) {
      setError(err);
      setJoining(false);
    }
  };
  const link = channelLink(found.data.username);
  return (
    <div class="page channel-page" data-testid="channel-page">
      <ScreenTitle back={href("chats")}>{chatTitle(chat)}</ScreenTitle>
      <div class="channel-head">
        <Avatar name={chatTitle(chat)} id={chat.id} photo={chat.avatar} size="l" />
        <div>
          <p class="channel-username">@{found.data.username}</p>
          <p class="muted" data-testid="subscriber-count">
            {t("subscriberCount", { count: chat.memberCount })}
          </p>
        </div>
      </div>
      <div class="row">
        {subscribed ? (
          <a class="button primary" href={href("chats", chat.id)}>
            {t("openChannel")}
          </a>
        ) : (
          <button type="button" class="primary" onClick={join} disabled={joining} data-testid="join-channel">
            {t("joinChannel")}
          </button>
        )}
      </div>
      <ErrorNote error={error} />
      <section class="channel-share" aria-labelledby="channel-share-heading">
        <h2 id="channel-share-heading">{t("channelLink")}</h2>
        <div class="row">
          <input readOnly value={link} aria-labelledby="channel-share-heading" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={link} />
        </div>
      </section>
      <section aria-labelledby="channel-posts-heading">
        <h2 id="channel-posts-heading">{t("latestPosts")}</h2>
        {messages.length === 0 ? (
          <p class="muted">{t("noPostsYet")}</p>
        ) : (
          <ol class="channel-posts" data-testid="channel-posts">
            {messages
              .filter((m) => !m.deletedAt)
              .map((m) => (
                <li key={m.seq} class="bubble">
                  {m.text && <p class="text">{m.text}</p>}
                  {m.attachments.length > 0 && <p class="muted">{attachmentLabel(m)}</p>}
                  <time class="muted small" dateTime={m.createdAt}>
                    {formatDateTime(m.createdAt)}
                  </time>
                </li>
              ))}
          </ol>
        )}
      </section>
    </div>
  );
}

/** An invite link opened: join (or, already in, just open) the chat it leads to. */
export function InviteJoin({ token, chats }: { token: string; chats: ChatList }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const join = async () => {
    setBusy(true);
    setError(null);
    try {
      const { chat } = await request<{ chat: ChatSummary }>(`/invites/${encodeURIComponent(token)}/join`, { method: "POST" });
      chats.upsert(chat);
      navigate("chats", chat.id);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div class="page channel-page">
      <ScreenTitle back={href("chats")}>{t("inviteTitle")}</ScreenTitle>
      <p>{t("inviteLead")}</p>
      {/* An unknown or revoked token answers 404: say what that means for a link. */}
      {error instanceof ApiError && error.status === 404 ? (
        <div class="note note-error" role="alert">
          {t("inviteInvalid")}
        </div>
      ) : (
        <ErrorNote error={error} />
      )}
      <div class="row">
        <button type="button" class="primary" onClick={join} disabled={busy}>
          {t("inviteAccept")}
        </button>
        <a class="button secondary" href={href("chats")}>
          {t("cancel")}
        </a>
      </div>
    </div>
  );
}
