// Consents: agencies' requests to see documents; approve or deny a request, revoke an approval.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../lib/api";
import type { components } from "../../lib/api-schema";
import { recordTypeName, typeLabel } from "../../lib/claim-labels";
import { consentScopeWords, consentStatusWord } from "../../lib/format";
import { formatDate, lang, t } from "../../lib/i18n";
import { href } from "../../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync, useStore } from "../../lib/ui";
import type { ChatList } from "../state";

type Consent = components["schemas"]["Consent"];

export function ConsentsView({ highlight, chats }: { highlight?: string; chats: ChatList }) {
  const tick = useStore(chats.notifications);
  const consents = useAsync(() => api.get("/consents"), [tick]);
  // A scope names a record type; the citizen's own documents of that type know its name in words.
  const typeNames = useAsync(
    () =>
      api
        .get("/records")
        .then((r) => new Map(r.records.map((x) => [x.type, recordTypeName(x)])))
        .catch(() => new Map<string, string>()),
    [lang()],
  );
  const scopeText = (scope: string) => consentScopeWords(scope, lang(), (type) => typeNames.data?.get(type) ?? typeLabel(type));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    if (highlight && consents.data) document.getElementById(`consent-${highlight}`)?.scrollIntoView({ block: "center" });
  }, [highlight, consents.data]);

  const act = async (c: Consent, action: "approve" | "deny" | "revoke") => {
    setBusy(c.id);
    setError(null);
    try {
      if (action === "revoke") await api.delete("/consents/{id}", { path: { id: c.id } });
      else await api.post(action === "approve" ? "/consents/{id}/approve" : "/consents/{id}/deny", { path: { id: c.id } });
      consents.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("consents")}</ScreenTitle>
      {consents.loading && !consents.data && <Loading />}
      <ErrorNote error={consents.error ?? error} onRetry={consents.reload} />
      {consents.data?.consents.length === 0 && <p class="muted">{t("noConsents")}</p>}
      <ul class="cards">
        {consents.data?.consents.map((c) => (
          <li key={c.id} id={`consent-${c.id}`} class={c.id === highlight ? "highlight" : ""}>
            <article class="card" aria-labelledby={`consent-${c.id}-title`}>
              <div class="row spread">
                <h2 id={`consent-${c.id}-title`} class="h3">
                  {c.agency.name}
                </h2>
                <span class={`status status-${c.status}`} data-testid="consent-status">
                  {consentStatusWord(c.status, lang())}
                </span>
              </div>
              <p>{c.purpose}</p>
              <p class="muted">
                {t("consentScope", { scope: scopeText(c.scope) })} · {t("consentUntil", { date: formatDate(c.expiresAt) })}
              </p>
              <div class="row">
                {c.status === "requested" && (
                  <>
                    <button type="button" class="primary" disabled={busy === c.id} onClick={() => act(c, "approve")}>
                      {t("approve")}
                    </button>
                    <button type="button" class="secondary" disabled={busy === c.id} onClick={() => act(c, "deny")}>
                      {t("deny")}
                    </button>
                  </>
                )}
                {c.status === "approved" && (
                  <button type="button" class="danger" disabled={busy === c.id} onClick={() => act(c, "revoke")}>
                    {t("revoke")}
                  </button>
                )}
              </div>
            </article>
          </li>
        ))}
      </ul>
    </div>
  );
}
