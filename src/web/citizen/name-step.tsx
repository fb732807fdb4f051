// The name form a new account sees first (welcome.tsx decides when): a chunk of its own, with its strings.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, request } from "../lib/api";
import { t } from "../lib/i18n";
import { dictionary } from "../lib/lang";
import { errorText } from "../lib/ui";
import { type Me, me } from "./state";

const s = dictionary({
  ru: {
    nameStepTitle: "Как вас зовут?",
    nameStepLead: "Так вас увидят в чатах. Имя можно поменять в настройках.",
    nameStepSave: "Продолжить",
    nameStepLater: "Позже",
    nameRequired: "Введите имя.",
    nameInvalid: "Такое имя не подходит: оно должно быть из букв и не длиннее 64 знаков.",
  },
  en: {
    nameStepTitle: "What is your name?",
    nameStepLead: "This is how people will see you in chats. You can change it in the settings.",
    nameStepSave: "Continue",
    nameStepLater: "Later",
    nameRequired: "Enter your name.",
    nameInvalid: "This name will not do: it must be made of letters and at most 64 characters.",
  },
});

export function NameStep({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const finish = onDone;
  const save = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) {
      setError(s("nameRequired"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await request<{ user: Me }>("/me", { method: "PATCH", body: { displayName: name.trim() } });
      me.set(r.user);
      finish();
    } catch (err) {
      setError(err instanceof ApiError && err.code === "validation_failed" ? s("nameInvalid") : errorText(err));
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <form class="signin-card" onSubmit={save} noValidate aria-labelledby="name-step-title">
        <h1 id="name-step-title">{s("nameStepTitle")}</h1>
        <p class="muted">{s("nameStepLead")}</p>
        <label for="display-name">{t("displayName")}</label>
        <input
          id="display-name"
          ref={input}
          autoComplete="given-name"
          maxLength={64}
          required
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          aria-describedby="display-name-error"
          aria-invalid={error ? "true" : undefined}
        />
        <p id="display-name-error" class="field-error" role="alert">
          {error}
        </p>
        <button type="submit" class="primary wide" disabled={busy}>
          {s("nameStepSave")}
        </button>
        <button type="button" class="link wide" onClick={finish}>
          {s("nameStepLater")}
        </button>
      </form>
    </main>
  );
}
