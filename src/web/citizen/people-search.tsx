// Finding people while typing (GET /users/search): usernames by their start, one's contacts by name, and a
// phone number's owner where their privacy allows. Results are a list of buttons under the field that asks.
import { useEffect, useState } from "preact/hooks";
import { request } from "../lib/api";
import { formatDateTime, t } from "../lib/i18n";
import { Avatar } from "../lib/ui";

export interface Person {
  id: string;
  username: string | null;
  displayName: string | null;
  /** The profile photo's media id, when the list has it. */
  avatar?: string | null;
}

/** Whether someone is online, as their profile shows it to me (null: their privacy, or a block, hides it). */
export interface Presence {
  online: boolean | null;
  lastSeenAt: string | null;
}

/** "В сети", "был(а) в сети …", or null where their privacy hides it. */
export function presenceText(p: Presence): string | null {
  if (p.online === null) return null;
  if (p.online) return t("online");
  return p.lastSeenAt ? t("lastSeenAt", { date: formatDateTime(p.lastSeenAt) }) : t("lastSeenLongAgo");
}

/** How a person is named in a list: their name, else their @username. */
export const personName = (p: Person): string => p.displayName ?? (p.username ? `@${p.username}` : t("deletedAccount"));

/** Waits for a pause in typing before asking, so a word costs one request, not one per letter. */
const PAUSE_MS = 250;

export function PeopleResults({ query, onPick, exclude = [] }: { query: string; onPick: (p: Person) => void; exclude?: string[] }) {
  const [found, setFound] = useState<Person[] | null>(null);
  const q = query.trim();
  useEffect(() => {
    setFound(null);
    if (q.replace(/^@/, "").length < 2) return;
    let live = true;
    const timer = setTimeout(() => {
      request<{ users: Person[] }>(`/users/search?q=${encodeURIComponent(q)}`).then(
        (r) => live && setFound(r.users),
        () => live && setFound([]),
      );
    }, PAUSE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q]);
  if (found === null) return null;
  const shown = found.filter((p) => !exclude.includes(p.id));
  if (shown.length === 0) return <p class="hint">{t("nobodyFound")}</p>;
  return (
    <ul class="people-results" aria-label={t("peopleFound")}>
      {shown.map((p) => (
        <li key={p.id}>
          <button type="button" class="person" onClick={() => onPick(p)}>
            <Avatar name={personName(p)} id={p.id} photo={p.avatar} size="s" />
            <span class="person-name">{personName(p)}</span>
            {p.username && p.displayName && <span class="muted">@{p.username}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}
