import { useEffect, useState } from "preact/hooks";
import { api, type Session } from "../api";
import { serverFieldErrors } from "../format";
import { hasKey, t } from "../i18n";
import type { AgencyProfile } from "../types";
import { ErrorAlert, PageTitle, TextField, useAction } from "../ui";
import { FormCard } from "./parts";

const scopeName = (scope: string) => {
  const key = `scope.${scope}`;
  return hasKey(key) ? `${t(key)} (${scope})` : scope;
};

export function SettingsPage(props: {
  session: Session;
  profile: AgencyProfile | null;
  profileError: unknown;
  onProfile: (profile: AgencyProfile) => void;
}) {
  const { profile } = props;
  const [url, setUrl] = useState(profile?.webhookUrl ?? "");
  const [local, setLocal] = useState<string | null>(null);
  const form = useAction();

  // The profile may arrive after the page opened.
  useEffect(() => setUrl(profile?.webhookUrl ?? ""), [profile?.webhookUrl]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = url.trim();
    form.setNote(null);
    if (value && !/^https?:\/\/\S+$/i.test(value)) {
      setLocal(t("settings.webhookInvalid"));
      return;
    }
    setLocal(null);
    await form.run(async () => {
      const { agency } = await api.patch("/agency/me", { body: { webhookUrl: value || null } });
      props.onProfile(agency);
      form.setNote(t("settings.saved"));
    });
  };

  const scopes = profile?.scopes ?? props.session.scopes;

  return (
    <>
      <PageTitle>{t("settings.title")}</PageTitle>
      <section class="card" aria-labelledby="settings-agency">
        <h2 id="settings-agency">{t("settings.agency")}</h2>
        <ErrorAlert error={props.profileError} />
        <dl class="facts">
          {profile ? (
            <>
              <dt>{t("settings.name")}</dt>
              <dd>{profile.name}</dd>
              <dt>{t("settings.verified")}</dt>
              <dd>{profile.verified ? t("common.yes") : t("common.no")}</dd>
            </>
          ) : null}
          <dt>{t("settings.id")}</dt>
          <dd class="mono">{profile?.id ?? props.session.agencyId}</dd>
          <dt>{t("settings.scopes")}</dt>
          <dd>{scopes.map(scopeName).join(", ") || t("common.dash")}</dd>
        </dl>
      </section>
      <FormCard
        id="settings-webhook"
        title={t("settings.webhook")}
        form={form}
        fields={["webhookUrl"]}
        submitLabel={t("settings.save")}
        onSubmit={submit}
      >
        <TextField
          label={t("settings.webhookUrl")}
          hint={t("settings.webhookHint")}
          errors={[...(local ? [local] : []), ...serverFieldErrors(form.error, "webhookUrl")]}
          name="webhookUrl"
          type="url"
          inputMode="url"
          autocomplete="url"
          spellcheck={false}
          maxLength={2000}
          placeholder="https://"
          value={url}
          onValue={setUrl}
        />
      </FormCard>
    </>
  );
}
