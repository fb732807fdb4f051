// The person's contacts (#/settings/contacts, a chunk of its own): people added from search or from a
// person's card, each with whether they are online (as their privacy allows), a way to write to them and to
// remove them. Contacts matter beyond the list: privacy settings that say "contacts" mean these people.
import { useState } from "preact/hooks";
import { api } from "../lib/api";
import { dictionary } from "../lib/lang";
import { navigate } from "../lib/router";
import { Avatar, ErrorNote, Loading, ScreenTitle, useAsync } from "../lib/ui";
import { PeopleResults, type Person, personName, presenceText } from "./people-search";
import type { ChatList } from "./state";

const s = dictionary({
  ru: {
    title: "Контакты",
    add: "Добавить в контакты",
    addHint: "Имя пользователя, имя или номер телефона.",
    none: "Контактов пока нет. Найдите человека выше и добавьте его.",
    write: "Написать",
    remove: "Удалить из контактов",
    added: "{name} теперь в ваших контактах.",
    removed: "{name} больше не в ваших контактах.",
    list: "Ваши контакты",
  },
  en: {
    title: "Contacts",
    add: "Add a contact",
    addHint: "A username, a name or a phone number.",
    none: "No contacts yet. Find someone above and add them.",
    write: "Message",
    remove: "Remove from contacts",
    added: "{name} is in your contacts now.",
    removed: "{name} is no longer in your contacts.",
    list: "Your contacts",
  },
});

export function ContactsView({ chats }: { chats: ChatList }) {
  const contacts = useAsync(async () => (await api.get("/contacts")).contacts, []);
  const [q, setQ] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const act = async (work: () => Promise<string>) => {
    setError(null);
    setNote(null);
    try {
      setNote(await work());
      await contacts.reload();
    } catch (err) {
      setError(err);
    }
  };
  const add = (p: Person) =>
    act(async () => {
      await api.put("/contacts/{userId}", { path: { userId: p.id } });
      setQ("");
      return s("added", { name: personName(p) });
    });
  const remove = (p: Person) =>
    act(async () => {
      await api.delete("/contacts/{userId}", { path: { userId: p.id } });
      return s("removed", { name: personName(p) });
    });
  const write = async (p: Person) => {
    setError(null);
    try {
      const { chat } = await api.post("/chats", { body: { type: "direct", userId: p.id } });
      chats.upsert(chat);
      navigate("chats", chat.id);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="page">
      <ScreenTitle back="#/settings">{s("title")}</ScreenTitle>
      <section class="card">
        <label for="contact-search">{s("add")}</label>
        <input
          id="contact-search"
          type="search"
          autoComplete="off"
          value={q}
          aria-describedby="contact-search-hint"
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <p id="contact-search-hint" class="hint">
          {s("addHint")}
        </p>
        <PeopleResults query={q} exclude={(contacts.data ?? []).map((c) => c.userId)} onPick={(p) => void add(p)} />
      </section>
      <ErrorNote error={error ?? contacts.error} />
      <p role="status" class="muted">
        {note}
      </p>
      {!contacts.data ? (
        <Loading />
      ) : contacts.data.length === 0 ? (
        <p class="muted">{s("none")}</p>
      ) : (
        <ul class="plain-list contact-list" aria-label={s("list")} data-testid="contacts">
          {contacts.data.map(({ user }) => {
            const name = personName(user);
            const seen = presenceText(user);
            return (
              <li key={user.id}>
                <Avatar name={name} id={user.id} photo={user.avatar} size="s" />
                <span class="contact-name">
                  {name}
                  {user.username && <span class="muted"> @{user.username}</span>}
                  {seen && <span class="muted presence"> · {seen}</span>}
                </span>
                <span class="actions">
                  <button type="button" class="secondary small" onClick={() => void write(user)}>
                    {s("write")}
                    <span class="sr-only"> {name}</span>
                  </button>
                  <button type="button" class="secondary small danger" onClick={() => void remove(user)}>
                    {s("remove")}
                    <span class="sr-only"> {name}</span>
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
