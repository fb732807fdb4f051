// The chat list (live unread counts, previews and muted marks from the inbox socket) and starting a new chat: a direct
// chat by username (or a secret one, end-to-end encrypted), or a group or channel with members named by username.
import { useEffect, useState } from "preact/hooks";
import { knownMediaInfo, mediaInfo, request } from "../lib/api";
import { formatTime, t } from "../lib/i18n";
import { href, navigate } from "../lib/router";
import { Avatar, ErrorNote, useStore, VerifiedBadge } from "../lib/ui";
import { callText } from "./calls/text";
import type { ChatMessage } from "./chat-session";
import { loadDraft, onDraftsChange } from "./drafts";
import { MutedIcon } from "./mute";
import { officialText, useOfficialWords } from "./official";
import { PeopleResults, type Person, personName } from "./people-search";
import { agencies, agencyOf, type ChatList, type ChatSummary, type Me } from "./state";

/** A chat's name as people see it: a direct chat with no name left is one whose other person deleted their account. */
export function chatTitle(chat: Pick<ChatSummary, "title" | "type">): string {
  return chat.title ?? (chat.type === "direct" ? t("deletedAccount") : t("untitledChat"));
}

/** A secret chat (end-to-end encrypted, src/web/citizen/secret): the server knows only that something was sent. */
export const isSecret = (chat: Pick<ChatSummary, "type">): boolean => chat.type === "secret";

export function preview(chat: ChatSummary, me: Me): string {
  const m = chat.lastMessage;
  if (!m) return t("noMessagesYet");
  if (isSecret(chat)) return t("secretPreview");
  if (m.deletedAt) return t("deletedMessage");
  const prefix = m.senderId === me.id && chat.type !== "official" ? t("youPrefix") : "";
  // A call's message reads the same from both sides' point of view ("Пропущенный звонок"), without "You:".
  if (m.call) return callText(m, me.id);
  const text = m.text ? (isPresentation(m.text) ? t("presentationCard") : officialText(m)) : attachmentLabel(m);
  return prefix + text;
}

const KIND_LABELS = { photo: "photo", video: "video", voice: "voiceNote", document: "documentNote", file: "fileNote" } as const;

/** "Фото", "Голосовое сообщение", …: what a message without text carries, once its media's kind is known. */
export function attachmentLabel(m: Pick<ChatMessage, "attachments">): string {
  const first = m.attachments[0];
  if (first === undefined) return "";
  const kind = knownMediaInfo(first)?.kind;
  return kind ? t(KIND_LABELS[kind]) : t("attachment");
}

/** Loads the kinds of the media last messages carry without text, and re-renders once they are known. */
function useAttachmentKinds(chats: ChatSummary[]): void {
  const [, setKnown] = useState(0);
  useEffect(() => {
    let live = true;
    const unknown = chats.flatMap((c) => {
      const id = !c.lastMessage?.text ? c.lastMessage?.attachments[0] : undefined;
      return id !== undefined && !knownMediaInfo(id) ? [id] : [];
    });
    for (const id of unknown)
      mediaInfo(id).then(
        () => live && setKnown((n) => n + 1),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [chats]);
}

/** A chat's draft, when it is not the open one, comes before its last message: "Черновик: …". */
function Preview({ chat, me, open }: { chat: ChatSummary; me: Me; open: boolean }) {
  const draft = open ? "" : loadDraft(me.id, chat.id).trim();
  if (!draft) return <>{preview(chat, me)}</>;
  return (
    <>
      <span class="draft">{t("draftPrefix")}</span> {draft.slice(0, 120)}
    </>
  );
}

/** A shared record presentation: an SD-JWT (`<jwt>~<disclosure>~…~`) as the whole message text. */
export const isPresentation = (text: string): boolean => /^eyJ[\w-]+\.[\w-]+\.[\w-]+~([\w-]+~)*[\w.-]*$/.test(text.trim());

export function ChatListView({ chats, currentId, me }: { chats: ChatList; currentId?: string; me: Me }) {
  const state = useStore(chats);
  useStore(agencies);
  useOfficialWords();
  useAttachmentKinds(state.chats);
  const [, setDrafts] = useState(0);
  useEffect(() => onDraftsChange(() => setDrafts((n) => n + 1)), []);
  const [creating, setCreating] = useState(false);
  return (
    <div class="chat-list">
      <div class="list-header">
        <h2 id="chats-heading">{t("chatsTitle")}</h2>
        <button type="button" class="primary small" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {t("newChat")}
        </button>
      </div>
      {state.status === "offline" && (
        <p class="toast" role="status">
          {t("offline")}
        </p>
      )}
      {creating && <NewChat chats={chats} onDone={() => setCreating(false)} />}
      {state.loaded && state.chats.length === 0 && <p class="muted pad">{t("noChats")}</p>}
      <ul class="chats" aria-labelledby="chats-heading">
        {state.chats.map((c) => {
          const agency = agencyOf(c);
          return (
            <li key={c.id}>
              <a href={href("chats", c.id)} class="chat-item" aria-current={c.id === currentId ? "page" : undefined} data-chat-id={c.id}>
                <Avatar name={chatTitle(c)} id={c.id} photo={c.avatar} />
                <span class="chat-item-body">
                  <span class="chat-item-top">
                    <span class="chat-item-title">
                      {isSecret(c) && (
                        <span class="lock-mark" role="img" aria-label={t("secretChat")} data-testid="secret-mark">
                          🔒{" "}
                        </span>
                      )}
                      {chatTitle(c)}
                      {agency?.verified && <VerifiedBadge />}
                      <MutedIcon chat={c} />
                    </span>
                    {c.lastMessage && (
                      <time class="chat-item-time" dateTime={c.lastMessage.createdAt}>
                        {formatTime(c.lastMessage.createdAt)}
                      </time>
                    )}
                  </span>
                  <span class="chat-item-bottom">
                    <span class="chat-item-preview">
                      <Preview chat={c} me={me} open={c.id === currentId} />
                    </span>
                    {c.unreadMention && c.unreadCount > 0 && (
                      <span class="unread unread-mention" data-testid="mention-mark">
                        <span aria-hidden="true">@</span>
                        <span class="sr-only">{t("mentionedYou")}</span>
                      </span>
                    )}
                    {c.unreadCount > 0 && (
                      <span class="unread" data-testid="unread">
                        <span aria-hidden="true">{c.unreadCount}</span>
                        <span class="sr-only">{t("unread", { count: c.unreadCount })}</span>
                      </span>
                    )}
                  </span>
                </span>
              </a>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Someone or a public channel by username: people first, as both share one namespace. */
async function findByUsername(username: string): Promise<{ userId: string } | { channel: string }> {
  const name = username.trim().replace(/^@/, "");
  try {
    return { userId: await userIdOf(name) };
  } catch (err) {
    try {
      await request(`/channels/${encodeURIComponent(name)}`);
      return { channel: name };
    } catch {
      throw err;
    }
  }
}

async function userIdOf(username: string): Promise<string> {
  const name = username.trim().replace(/^@/, "");
  try {
    return (await request<{ user: { id: string } }>(`/users?username=${encodeURIComponent(name)}`)).user.id;
  } catch {
    throw new Error(t("userNotFound", { username: name }));
  }
}

function NewChat({ chats, onDone }: { chats: ChatList; onDone: () => void }) {
  const [kind, setKind] = useState<"direct" | "secret" | "group" | "channel">("direct");
  const [username, setUsername] = useState("");
  const [title, setTitle] = useState("");
  const [members, setMembers] = useState("");
  const [picked, setPicked] = useState<Person[]>([]);
  const [publicName, setPublicName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const create = async (body: unknown) => {
    const { chat } = await request<{ chat: ChatSummary }>("/chats", { body });
    chats.upsert(chat);
    onDone();
    navigate("chats", chat.id);
  };
  /** A person picked from the search results: a direct chat at once, or one more member. */
  const pick = async (p: Person) => {
    if (kind !== "direct") {
      setPicked((list) => [...list, p]);
      // The search was the last name typed: it is replaced by the chip.
      setMembers((typed) => {
        const before = typed.split(",").slice(0, -1).join(",");
        return before ? `${before}, ` : "";
      });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await create({ type: "direct", userId: p.id });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let body: unknown;
      if (kind === "secret") {
        body = { type: "secret", userId: await userIdOf(username) };
      } else if (kind === "direct") {
        const found = await findByUsername(username);
        // @name of a public channel: its page, to read and join.
        if ("channel" in found) {
          onDone();
          navigate("channels", found.channel);
          return;
        }
        body = { type: "direct", userId: found.userId };
      } else {
        const names = members.split(/[\s,]+/).filter(Boolean);
        const name = publicName.trim().replace(/^@/, "");
        body = {
          type: kind,
          title: title.trim(),
          memberIds: [...new Set([...picked.map((p) => p.id), ...(await Promise.all(names.map(userIdOf)))])],
          ...(kind === "channel" && name ? { username: name } : {}),
        };
      }
      await create(body);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-chat card" onSubmit={submit}>
      <fieldset class="segmented">
        <legend class="sr-only">{t("newChat")}</legend>
        {(["direct", "secret", "group", "channel"] as const).map((k) => (
          <label key={k} class={kind === k ? "on" : ""}>
            <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
            {t(k === "direct" ? "newDirect" : k === "secret" ? "secretChat" : k === "group" ? "newGroup" : "newChannel")}
          </label>
        ))}
      </fieldset>
      {kind === "direct" || kind === "secret" ? (
        <>
          <label for="new-username">{t("username")}</label>
          <input
            id="new-username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            autoComplete="off"
            required
            aria-describedby="new-username-hint"
          />
          <p id="new-username-hint" class="hint">
            {t(kind === "secret" ? "secretHint" : "usernameHint")}
          </p>
          <PeopleResults query={username} onPick={(p) => void pick(p)} />
        </>
      ) : (
        <>
          <label for="new-title">{t("title")}</label>
          <input id="new-title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required maxLength={128} />
          <label for="new-members">{t("members")}</label>
          {picked.length > 0 && (
            <ul class="chips">
              {picked.map((p) => (
                <li key={p.id}>
                  {personName(p)}
                  <button
                    type="button"
                    class="icon"
                    aria-label={t("removePerson", { name: personName(p) })}
                    onClick={() => setPicked((list) => list.filter((x) => x.id !== p.id))}
                  >
                    ✕
                  </button>
                </li>
              ))}
            </ul>
          )}
          <input id="new-members" value={members} onInput={(e) => setMembers(e.currentTarget.value)} aria-describedby="new-members-hint" />
          <p id="new-members-hint" class="hint">
            {t("membersHint")}
          </p>
          <PeopleResults query={members.split(",").at(-1) ?? ""} onPick={(p) => void pick(p)} exclude={picked.map((p) => p.id)} />
          {kind === "channel" && (
            <>
              <label for="new-public-name">{t("channelPublicName")}</label>
              <input
                id="new-public-name"
                value={publicName}
                onInput={(e) => setPublicName(e.currentTarget.value)}
                autoComplete="off"
                maxLength={33}
                // The server's rule for usernames (src/users/schemas.ts), so a wrong one is caught before sending.
                pattern="@?[A-Za-z][A-Za-z0-9_]{2,31}"
                aria-describedby="new-public-name-hint"
              />
              <p id="new-public-name-hint" class="hint">
                {t("channelPublicNameHint")}
              </p>
            </>
          )}
        </>
      )}
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {kind === "direct" || kind === "secret" ? t("start") : t("create")}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
