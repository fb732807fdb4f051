// A group's invite link, made from its chat header by its owners and admins (a channel's are in its settings,
// channel-settings.tsx).
import { useState } from "preact/hooks";
import { request } from "../lib/api";
import { t } from "../lib/i18n";
import { href } from "../lib/router";
import { CopyButton, ErrorNote } from "../lib/ui";

/** Owners and admins make an invite link to their group, to copy and send. */
export function InviteLinkMaker({ chatId }: { chatId: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const make = async () => {
    setBusy(true);
    setError(null);
    try {
      const { invite } = await request<{ invite: { token: string } }>(`/chats/${encodeURIComponent(chatId)}/invites`, { method: "POST" });
      // The app's own address, so the link opens where this app is served.
      setUrl(`${location.origin}${location.pathname}${href("join", invite.token)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="invite-maker">
      {url ? (
        <div class="row">
          <input readOnly value={url} aria-label={t("inviteLink")} onFocus={(e) => e.currentTarget.select()} data-testid="invite-url" />
          <CopyButton text={url} />
        </div>
      ) : (
        <button type="button" class="secondary small" onClick={make} disabled={busy}>
          {t("makeInviteLink")}
        </button>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
