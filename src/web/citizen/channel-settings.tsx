// A group's or a channel's settings, opened from its chat header (a chunk of its own, loaded on first use).
// A group shows everyone its members with their roles and whether they are online; owners and admins rename
// it, add people found by search and remove members, and the owner makes admins. A channel's owners and
// admins rename it, make invite links and manage subscribers (ban and unban; the owner also makes admins,
// sets the public name and hands the channel on). Everyone can leave. What each may do follows the server's
// rules (src/chat/policy.ts, src/chat/channels.ts).
import { useEffect, useRef, useState } from "preact/hooks";
import { canChangeRole, canRemove, isModerator } from "../../chat/policy";
import type { Role } from "../../chat/protocol";
import { ApiError, request } from "../lib/api";
import { useModal } from "../lib/dialog";
import { formatDateTime, type Key, t } from "../lib/i18n";
import { dictionary } from "../lib/lang";
import { href, navigate } from "../lib/router";
import { Avatar, CopyButton, DeleteItemButton, ErrorNote, errorText, Loading, useAsync } from "../lib/ui";
import { channelLink } from "./channel-page";
import { chatTitle } from "./chat-list";
import { PeopleResults, type Presence, presenceText } from "./people-search";
import { PhotoPicker } from "./photo-picker";
import type { ChatList, ChatSummary, Me } from "./state";

interface Person {
  id: string;
  displayName: string | null;
  username: string | null;
  avatar?: string | null;
}

interface Member {
  userId: string;
  role: Role;
  joinedAt: string;
  user: Person & Presence;
}

interface Invite {
  id: string;
  createdAt: string;
  uses: number;
}

interface Ban {
  userId: string;
  bannedAt: string;
}

/** The server's page size for members (GET /chats/:id/members, at most 200). */
const MEMBERS_PAGE = 200;
/** Bans shown at a time: each shown one costs a profile request for its name. */
const BANS_PAGE = 20;

const ROLE_KEYS: Record<Role, Key> = { owner: "roleOwner", admin: "roleAdmin", member: "roleSubscriber" };

/** A group's own words (a channel's are in the app's dictionary). */
const g = dictionary({
  ru: {
    groupName: "Название группы",
    members: "Участники",
    roleMember: "участник",
    remove: "Удалить из группы",
    removed: "{name} больше не в группе.",
    add: "Добавить участника",
    addLabel: "Кого добавить",
    added: "{name} теперь в группе.",
    already: "Уже в группе",
    leave: "Выйти из группы",
    leaveConfirm: "Выйти из группы? Вернуться можно, если вас снова добавят или пригласят.",
    leaveConfirmOwner: "Выйти из группы? Она перейдёт к администратору (или к самому давнему участнику).",
  },
  en: {
    groupName: "Group name",
    members: "Members",
    roleMember: "member",
    remove: "Remove from the group",
    removed: "{name} is no longer in the group.",
    add: "Add a member",
    addLabel: "Whom to add",
    added: "{name} is in the group now.",
    already: "Already in the group",
    leave: "Leave the group",
    leaveConfirm: "Leave the group? You can come back if you are added or invited again.",
    leaveConfirmOwner: "Leave the group? It passes to an admin (or to the longest-standing member).",
  },
});

const roleWord = (role: Role, group: boolean): string => (group && role === "member" ? g("roleMember") : t(ROLE_KEYS[role]));

export const personName = (p: Person | undefined): string => p?.displayName ?? (p?.username ? `@${p.username}` : t("memberNoName"));

const chatPath = (chatId: string, rest = "") => `/chats/${encodeURIComponent(chatId)}${rest}`;

export interface ChannelSettingsProps {
  chat: ChatSummary;
  user: Me;
  chats: ChatList;
  /** The public name changed here: the header shows the new one. */
  onUsername: (username: string | null) => void;
  onClose: () => void;
}

export function ChannelSettings({ chat, user, chats, onUsername, onClose }: ChannelSettingsProps) {
  const ref = useModal();
  const moderator = isModerator(chat.role);
  if (chat.type === "group") {
    return (
      <dialog ref={ref} class="dialog channel-settings" aria-labelledby="channel-settings-title" onClose={onClose}>
        <div class="row spread">
          <h2 id="channel-settings-title">{t("groupInfo")}</h2>
          <button type="button" class="icon" aria-label={t("close")} onClick={() => ref.current?.close()}>
            ✕
          </button>
        </div>
        <ChatPhoto chat={chat} />
        <p class="muted" data-testid="settings-subscriber-count">
          {chatTitle(chat)} · {t("memberCount", { count: chat.memberCount })}
        </p>
        {moderator && <TitleSection chat={chat} />}
        <MembersSection chat={chat} user={user} chats={chats} />
        <LeaveSection chat={chat} user={user} chats={chats} />
      </dialog>
    );
  }
  return (
    <dialog ref={ref} class="dialog channel-settings" aria-labelledby="channel-settings-title" onClose={onClose}>
      <div class="row spread">
        <h2 id="channel-settings-title">{moderator ? t("channelSettings") : t("aboutChannel")}</h2>
        <button type="button" class="icon" aria-label={t("close")} onClick={() => ref.current?.close()}>
          ✕
        </button>
      </div>
      <ChatPhoto chat={chat} />
      <p class="muted" data-testid="settings-subscriber-count">
        {chatTitle(chat)} · {t("subscriberCount", { count: chat.memberCount })}
      </p>
      {moderator && <TitleSection chat={chat} />}
      <PublicNameSection chat={chat} onUsername={onUsername} />
      {moderator && <InvitesSection chatId={chat.id} />}
      {moderator && <MembersSection chat={chat} user={user} chats={chats} />}
      <LeaveSection chat={chat} user={user} chats={chats} />
    </dialog>
  );
}

/** The chat's photo: owners and admins choose or remove it; the list and header follow from the inbox. */
function ChatPhoto({ chat }: { chat: ChatSummary }) {
  if (!isModerator(chat.role)) return <Avatar id={chat.id} name={chatTitle(chat)} photo={chat.avatar} size="l" />;
  return (
    <PhotoPicker
      id={chat.id}
      name={chatTitle(chat)}
      photo={chat.avatar}
      label={t("photoChat")}
      onChange={async (avatar) => {
        await request(chatPath(chat.id), { method: "PATCH", body: { avatar } });
      }}
    />
  );
}

/** A short confirmation that something was done, read out by screen readers. */
function Done({ text }: { text: string | null }) {
  return text ? (
    <p class="note" role="status">
      {text}
    </p>
  ) : null;
}

/** Asks before something that cannot be simply undone; the keyboard lands on the answer. */
function Confirm(props: { legend: string; text: string; yes: string; busy: boolean; onYes: () => void; onNo: () => void }) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <fieldset class="confirm">
      <legend class="sr-only">{props.legend}</legend>
      <p>{props.text}</p>
      <div class="row">
        <button ref={yes} type="button" class="primary" disabled={props.busy} onClick={props.onYes}>
          {props.yes}
        </button>
        <button type="button" class="secondary" onClick={props.onNo}>
          {t("cancel")}
        </button>
      </div>
    </fieldset>
  );
}

function TitleSection({ chat }: { chat: ChatSummary }) {
  const [title, setTitle] = useState(chat.title ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await request(chatPath(chat.id), { method: "PATCH", body: { title: title.trim() } });
      // The room tells every member (`chat_updated`); the header follows from that.
      setDone(t("saved"));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="cs-title-heading">
      <h3 id="cs-title-heading">{chat.type === "group" ? g("groupName") : t("channelName")}</h3>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label for="cs-title" class="sr-only">
          {chat.type === "group" ? g("groupName") : t("channelName")}
        </label>
        <input id="cs-title" value={title} required maxLength={128} onInput={(e) => setTitle(e.currentTarget.value)} />
        <button type="submit" class="secondary" disabled={busy || title.trim() === "" || title.trim() === chat.title}>
          {t("rename")}
        </button>
      </form>
      <ErrorNote error={error} />
      <Done text={done} />
    </section>
  );
}

/** A refused username in people's words: taken, or not the shape a username has. */
function usernameError(err: unknown): string {
  if (err instanceof ApiError && err.code === "validation_failed") return t("publicNameInvalid");
  return errorText(err);
}

function PublicNameSection({ chat, onUsername }: { chat: ChatSummary; onUsername: (username: string | null) => void }) {
  const current = useAsync(() => request<{ username: string | null }>(chatPath(chat.id)).then((r) => r.username), [chat.id]);
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const owner = chat.role === "owner";
  const username = current.data ?? null;
  if (current.data === undefined) return current.error ? <ErrorNote error={current.error} onRetry={current.reload} /> : <Loading />;
  // Admins see the link; only the owner sets it, and a private channel shows them nothing here.
  if (!owner && !username) return null;
  const value = draft ?? username ?? "";
  const change = async (next: string | null) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const r = await request<{ username: string | null }>(chatPath(chat.id), { method: "PATCH", body: { username: next } });
      setDraft(null);
      onUsername(r.username);
      current.reload();
      setDone(r.username ? t("channelNowPublic") : t("channelNowPrivate"));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="cs-public-heading">
      <h3 id="cs-public-heading">{t("publicName")}</h3>
      {owner && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const next = value.trim().replace(/^@/, "");
            if (next) void change(next);
          }}
        >
          <label for="cs-username">{t("publicNameLabel")}</label>
          <div class="row">
            <input
              id="cs-username"
              value={value}
              autoComplete="off"
              maxLength={33}
              aria-describedby="cs-username-hint"
              aria-invalid={error ? true : undefined}
              onInput={(e) => setDraft(e.currentTarget.value)}
            />
            <button type="submit" class="secondary" disabled={busy || value.trim().replace(/^@/, "") === "" || value === username}>
              {username ? t("changePublicName") : t("makePublic")}
            </button>
          </div>
          <p id="cs-username-hint" class="hint">
            {t("publicNameHint")}
          </p>
        </form>
      )}
      {error ? (
        <div class="note note-error" role="alert">
          {usernameError(error)}
        </div>
      ) : null}
      <Done text={done} />
      {username ? (
        <>
          <div class="row">
            <label for="cs-share" class="sr-only">
              {t("channelLink")}
            </label>
            <input
              id="cs-share"
              readOnly
              value={channelLink(username)}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="share-link"
            />
            <CopyButton text={channelLink(username)} />
          </div>
          {owner && (
            <div class="row">
              <button type="button" class="secondary small" disabled={busy} onClick={() => void change(null)}>
                {t("makePrivate")}
              </button>
            </div>
          )}
        </>
      ) : (
        <p class="muted">{t("channelIsPrivate")}</p>
      )}
    </section>
  );
}

function InvitesSection({ chatId }: { chatId: string }) {
  const list = useAsync(() => request<{ invites: Invite[] }>(chatPath(chatId, "/invites")).then((r) => r.invites), [chatId]);
  const [fresh, setFresh] = useState<{ id: string; url: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const make = async () => {
    setBusy(true);
    setError(null);
    try {
      const { invite } = await request<{ invite: { id: string; token: string } }>(chatPath(chatId, "/invites"), { method: "POST" });
      // The app's own address, so the link opens where this app is served. The token is shown only now.
      setFresh({ id: invite.id, url: `${location.origin}${location.pathname}${href("join", invite.token)}` });
      list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="cs-invites-heading">
      <h3 id="cs-invites-heading">{t("inviteLinks")}</h3>
      <p class="hint">{t("inviteLinksHint")}</p>
      <button type="button" class="secondary small" onClick={make} disabled={busy}>
        {t("makeInviteLink")}
      </button>
      {fresh && (
        <div class="row">
          <label for="cs-invite-url" class="sr-only">
            {t("inviteLink")}
          </label>
          <input id="cs-invite-url" readOnly value={fresh.url} onFocus={(e) => e.currentTarget.select()} data-testid="invite-url" />
          <CopyButton text={fresh.url} />
        </div>
      )}
      <ErrorNote error={error ?? list.error} />
      {list.data && list.data.length > 0 && (
        <ul class="plain-list admin-list" data-testid="invites">
          {list.data.map((i) => (
            <li key={i.id}>
              <span>
                {t("inviteMade", { date: formatDateTime(i.createdAt) })}
                {fresh?.id === i.id && ` · ${t("inviteNew")}`}
                <span class="muted"> · {t("inviteUses", { count: i.uses })}</span>
              </span>
              <DeleteItemButton
                path={chatPath(chatId, `/invites/${encodeURIComponent(i.id)}`)}
                label={t("revoke")}
                whose={t("inviteMade", { date: formatDateTime(i.createdAt) })}
                onDone={() => {
                  if (fresh?.id === i.id) setFresh(null);
                  list.reload();
                }}
                onError={setError}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

async function loadMembers(chatId: string, after: string): Promise<Member[]> {
  const q = new URLSearchParams({ limit: String(MEMBERS_PAGE), after });
  return (await request<{ members: Member[] }>(chatPath(chatId, `/members?${q}`))).members;
}

/**
 * Members (a channel's subscribers) with their roles, what the caller may do to each; a group's with their
 * presence and a way to add people, a channel's with who is banned.
 */
function MembersSection({ chat, user, chats }: { chat: ChatSummary; user: Me; chats: ChatList }) {
  const group = chat.type === "group";
  const [pages, setPages] = useState<Member[] | null>(null);
  const [more, setMore] = useState(false);
  const [bans, setBans] = useState<Ban[] | null>(null);
  const [bansShown, setBansShown] = useState(BANS_PAGE);
  // A ban names a user id only: their names, as their profiles show them to me, fetched for those shown.
  const [names, setNames] = useState<ReadonlyMap<string, Person>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Member | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = async () => {
    try {
      const [first, b] = await Promise.all([
        loadMembers(chat.id, ""),
        group ? Promise.resolve([]) : request<{ bans: Ban[] }>(chatPath(chat.id, "/bans")).then((r) => r.bans),
      ]);
      setPages(first);
      setMore(first.length === MEMBERS_PAGE);
      setBans(b);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    const unnamed = (bans ?? []).slice(0, bansShown).filter((b) => !names.has(b.userId));
    if (unnamed.length === 0) return;
    let live = true;
    void Promise.all(
      unnamed.map((b) =>
        request<{ user: Person }>(`/users/${encodeURIComponent(b.userId)}`).then(
          (r) => [b.userId, r.user] as const,
          // A deleted account has no profile: it shows as one without a name.
          (): readonly [string, Person] => [b.userId, { id: b.userId, displayName: null, username: null }],
        ),
      ),
    ).then((found) => {
      if (live) setNames((known) => new Map([...known, ...found]));
    });
    return () => {
      live = false;
    };
  }, [bans, bansShown]);
  // Roles change here and by others (the room's frames move `chat.role` and the count): read the list anew.
  useEffect(() => {
    void reload();
  }, [chat.id, chat.role, chat.memberCount]);

  const loadMore = async () => {
    const last = pages?.at(-1);
    if (!last) return;
    try {
      const next = await loadMembers(chat.id, last.userId);
      setPages([...(pages ?? []), ...next]);
      setMore(next.length === MEMBERS_PAGE);
    } catch (err) {
      setError(err);
    }
  };

  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await fn());
      await reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const setRole = (m: Member, role: "admin" | "member") =>
    act(async () => {
      await request(chatPath(chat.id, `/members/${encodeURIComponent(m.userId)}`), { method: "PATCH", body: { role } });
      return t(role === "admin" ? "madeAdmin" : "madeSubscriber", { name: personName(m.user) });
    });
  const remove = (m: Member) =>
    act(async () => {
      await request(chatPath(chat.id, `/members/${encodeURIComponent(m.userId)}`), { method: "DELETE" });
      return g("removed", { name: personName(m.user) });
    });
  const add = (p: Person) =>
    act(async () => {
      await request(chatPath(chat.id, "/members"), { body: { userId: p.id } });
      return g("added", { name: personName(p) });
    });
  const ban = (m: Member) =>
    act(async () => {
      await request(chatPath(chat.id, "/bans"), { body: { userId: m.userId } });
      setNames((known) => new Map(known).set(m.userId, m.user));
      return t("bannedDone", { name: personName(m.user) });
    });
  const unban = (b: Ban) =>
    act(async () => {
      await request(chatPath(chat.id, `/bans/${encodeURIComponent(b.userId)}`), { method: "DELETE" });
      return t("unbannedDone", { name: personName(names.get(b.userId)) });
    });
  const transfer = (m: Member) =>
    act(async () => {
      const r = await request<{ chat: ChatSummary }>(chatPath(chat.id, "/transfer"), { body: { userId: m.userId } });
      setConfirming(null);
      chats.upsert(r.chat);
      return t("transferred", { name: personName(m.user) });
    });

  return (
    <>
      <section aria-labelledby="cs-members-heading">
        <h3 id="cs-members-heading">{group ? g("members") : t("subscribers")}</h3>
        <ErrorNote error={error} />
        <Done text={done} />
        {group && isModerator(chat.role) && pages && (
          <AddMember exclude={pages.map((m) => m.userId)} busy={busy} onAdd={(p) => void add(p)} />
        )}
        {!pages ? (
          <Loading />
        ) : (
          <ul class="plain-list admin-list" data-testid="members">
            {pages.map((m) => {
              const self = m.userId === user.id;
              const name = personName(m.user);
              const mayRole = canChangeRole(chat.role, self) && m.role !== "owner";
              const mayBan = !group && !self && canRemove("channel", chat.role, m.role, false);
              const mayRemove = group && !self && canRemove("group", chat.role, m.role, false);
              // A group's members show whether they are online, as each one's privacy allows (the page says).
              const seen = group ? presenceText(m.user) : null;
              return (
                <li key={m.userId} data-user-id={m.userId}>
                  <span class="member-name">
                    <Avatar id={m.userId} name={name} photo={m.user.avatar} size="s" />
                    {self ? t("you") : name} <span class="muted">· {roleWord(m.role, group)}</span>
                    {seen && !self && <span class="muted presence"> · {seen}</span>}
                  </span>
                  <span class="actions">
                    {mayRole && (
                      <button
                        type="button"
                        class="secondary small"
                        disabled={busy}
                        onClick={() => void setRole(m, m.role === "admin" ? "member" : "admin")}
                      >
                        {m.role === "admin" ? t("removeAdmin") : t("makeAdmin")}
                        <span class="sr-only"> {name}</span>
                      </button>
                    )}
                    {mayRemove && (
                      <button type="button" class="secondary small danger" disabled={busy} onClick={() => void remove(m)}>
                        {g("remove")}
                        <span class="sr-only"> {name}</span>
                      </button>
                    )}
                    {!group && chat.role === "owner" && !self && (
                      <button type="button" class="secondary small" disabled={busy} onClick={() => setConfirming(m)}>
                        {t("transferChannel")}
                        <span class="sr-only"> {name}</span>
                      </button>
                    )}
                    {mayBan && (
                      <button type="button" class="secondary small danger" disabled={busy} onClick={() => void ban(m)}>
                        {t("ban")}
                        <span class="sr-only"> {name}</span>
                      </button>
                    )}
                  </span>
                  {confirming?.userId === m.userId && (
                    <Confirm
                      legend={t("transferChannel")}
                      text={t("transferConfirm", { name })}
                      yes={t("transferYes")}
                      busy={busy}
                      onYes={() => void transfer(m)}
                      onNo={() => setConfirming(null)}
                    />
                  )}
                </li>
              );
            })}
          </ul>
        )}
        {more && (
          <button type="button" class="link" onClick={() => void loadMore()}>
            {t("showMore")}
          </button>
        )}
      </section>
      {!group && (
        <section aria-labelledby="cs-bans-heading">
          <h3 id="cs-bans-heading">{t("bannedList")}</h3>
          {!bans ? null : bans.length === 0 ? (
            <p class="muted">{t("noBans")}</p>
          ) : (
            <ul class="plain-list admin-list" data-testid="bans">
              {bans.slice(0, bansShown).map((b) => {
                const who = names.get(b.userId);
                return (
                  <li key={b.userId}>
                    <span>
                      {who ? personName(who) : "…"} <span class="muted">· {formatDateTime(b.bannedAt)}</span>
                    </span>
                    <button type="button" class="secondary small" disabled={busy} onClick={() => void unban(b)}>
                      {t("unban")}
                      <span class="sr-only"> {who ? personName(who) : ""}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
          {bans && bans.length > bansShown && (
            <button type="button" class="link" onClick={() => setBansShown(bansShown + BANS_PAGE)}>
              {t("showMore")}
            </button>
          )}
        </section>
      )}
    </>
  );
}

/** People found by search (name, username, a phone number where allowed), each added with one press. */
function AddMember({ exclude, busy, onAdd }: { exclude: string[]; busy: boolean; onAdd: (p: Person) => void }) {
  const [q, setQ] = useState("");
  return (
    <div class="add-member">
      <label for="cs-add-member">{g("add")}</label>
      <input
        id="cs-add-member"
        type="search"
        autoComplete="off"
        value={q}
        placeholder={g("addLabel")}
        disabled={busy}
        onInput={(e) => setQ(e.currentTarget.value)}
      />
      <PeopleResults
        query={q}
        exclude={exclude}
        onPick={(p) => {
          setQ("");
          onAdd(p);
        }}
      />
    </div>
  );
}

function LeaveSection({ chat, user, chats }: { chat: ChatSummary; user: Me; chats: ChatList }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const group = chat.type === "group";
  const label = group ? g("leave") : t("leaveChannel");
  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await request(chatPath(chat.id, `/members/${encodeURIComponent(user.id)}`), { method: "DELETE" });
      const list = chats.getSnapshot();
      chats.set({ ...list, chats: list.chats.filter((c) => c.id !== chat.id) });
      navigate("chats");
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="cs-leave-heading">
      <h3 id="cs-leave-heading" class="sr-only">
        {label}
      </h3>
      {confirming ? (
        <Confirm
          legend={label}
          text={
            group
              ? g(chat.role === "owner" ? "leaveConfirmOwner" : "leaveConfirm")
              : t(chat.role === "owner" ? "leaveConfirmOwner" : "leaveConfirm")
          }
          yes={t("leaveYes")}
          busy={busy}
          onYes={() => void leave()}
          onNo={() => setConfirming(false)}
        />
      ) : (
        <button type="button" class="secondary danger" onClick={() => setConfirming(true)}>
          {label}
        </button>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
