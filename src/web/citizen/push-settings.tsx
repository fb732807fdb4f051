// Settings → Notifications: notifications on this device (the browser's permission and this device's push
// subscription, push.ts) and, for the whole account, whether notifications show the message text.
import { useEffect, useState } from "preact/hooks";
import { request } from "../lib/api";
import { t } from "../lib/i18n";
import { ErrorNote, useAsync } from "../lib/ui";
import { disablePush, enablePush, type PushState, pushState } from "./push";

interface PushSettings {
  previews: boolean;
}

export function PushSettingsCard() {
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [changed, setChanged] = useState(false);
  useEffect(() => {
    let live = true;
    void pushState().then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, []);

  const toggle = async (on: boolean) => {
    setBusy(true);
    setError(null);
    setChanged(false);
    try {
      setState(await (on ? enablePush() : disablePush()));
      setChanged(true);
    } catch (err) {
      setError(err);
      setState(await pushState());
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">{t("notifications")}</h2>
      <div class="check">
        <input
          type="checkbox"
          id="push-device"
          checked={state === "on"}
          disabled={busy || state === null || state === "unsupported" || state === "denied"}
          aria-describedby="push-device-hint"
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        <label for="push-device">{t("pushThisDevice")}</label>
      </div>
      <p id="push-device-hint" class="hint">
        {state === "unsupported" ? t("pushUnsupported") : state === "denied" ? t("pushDenied") : t("pushThisDeviceHint")}
      </p>
      <p role="status" class="muted">
        {changed && state === "on" ? t("pushEnabled") : changed && state === "off" ? t("pushDisabled") : ""}
      </p>
      <ErrorNote error={error} />
      <Previews />
    </section>
  );
}

/** The account-wide previews setting (PUT /push/settings): every device's notifications follow it. */
function Previews() {
  const loaded = useAsync(() => request<{ settings: PushSettings }>("/push/settings"), []);
  const [previews, setPreviews] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const value = previews ?? loaded.data?.settings.previews ?? null;

  const change = async (next: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await request<{ settings: PushSettings }>("/push/settings", { method: "PUT", body: { previews: next } });
      setPreviews(r.settings.previews);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="check">
        <input
          type="checkbox"
          id="push-previews"
          checked={value === true}
          disabled={busy || value === null}
          aria-describedby="push-previews-hint"
          onChange={(e) => void change(e.currentTarget.checked)}
        />
        <label for="push-previews">{t("pushPreviews")}</label>
      </div>
      <p id="push-previews-hint" class="hint">
        {t("pushPreviewsHint")}
      </p>
      <ErrorNote error={loaded.error ?? error} onRetry={loaded.error ? loaded.reload : undefined} />
    </>
  );
}
