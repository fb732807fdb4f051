import { useState } from "preact/hooks";
import { type Session, signIn } from "../api";
import { serverFieldErrors } from "../format";
import { t } from "../i18n";
import { ErrorAlert, Field, PageTitle } from "../ui";

export function SignIn(props: { expired: boolean; onSignedIn: (session: Session) => void }) {
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [missing, setMissing] = useState<{ clientId?: boolean; clientSecret?: boolean }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const gaps = { clientId: !clientId.trim(), clientSecret: !clientSecret };
    setMissing(gaps);
    if (gaps.clientId || gaps.clientSecret) return;
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await signIn(clientId.trim(), clientSecret));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <form class="card signin-card" onSubmit={submit} noValidate aria-labelledby="page-title">
        <PageTitle>{t("signin.title")}</PageTitle>
        <p>{t("signin.intro")}</p>
        {props.expired && !error ? (
          <p class="alert alert-info" role="status">
            {t("signin.expired")}
          </p>
        ) : null}
        <ErrorAlert error={error} />
        <Field
          label={t("signin.clientId")}
          errors={[...(missing.clientId ? [t("signin.required")] : []), ...serverFieldErrors(error, "clientId")]}
        >
          {(control) => (
            <input
              {...control}
              name="clientId"
              autocomplete="username"
              autocapitalize="off"
              spellcheck={false}
              required
              value={clientId}
              onInput={(e) => setClientId(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          label={t("signin.clientSecret")}
          errors={[...(missing.clientSecret ? [t("signin.required")] : []), ...serverFieldErrors(error, "clientSecret")]}
        >
          {(control) => (
            <input
              {...control}
              name="clientSecret"
              type="password"
              autocomplete="current-password"
              required
              value={clientSecret}
              onInput={(e) => setClientSecret(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t("signin.busy") : t("signin.submit")}
        </button>
      </form>
    </main>
  );
}
