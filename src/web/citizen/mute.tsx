// Muting a chat (no notifications but mentions of me): the chat header's menu (1 hour, 8 hours, until I
// turn it back on; on again) and the muted mark the chat list and the header show.
import { useEffect, useRef, useState } from "preact/hooks";
import { FOREVER } from "../../chat/protocol";
import { request } from "../lib/api";
import { formatDateTime } from "../lib/format";
import { lang, t } from "../lib/i18n";
import { ErrorNote } from "../lib/ui";
import type { ChatList, ChatSummary } from "./state";

const HOUR = 3_600_000;

/** Muted now: `mutedUntil` is in the future (the server keeps an expired one until it is replaced). */
export const isMuted = (chat: Pick<ChatSummary, "mutedUntil">, now = Date.now()): boolean =>
  chat.mutedUntil !== null && Date.parse(chat.mutedUntil) > now;

// "until" takes a full date and time ("до 1 декабря 2026 г. в 21:00"), not "до сегодня в 21:00".
const mutedLabel = (until: string): string => (until === FOREVER ? t("muted") : t("mutedUntil", { date: formatDateTime(until, lang()) }));

/** A crossed-out bell, with what it means for screen readers (and a tooltip: until when). */
export function MutedIcon({ chat }: { chat: Pick<ChatSummary, "mutedUntil"> }) {
  if (!isMuted(chat) || chat.mutedUntil === null) return null;
  const label = mutedLabel(chat.mutedUntil);
  return (
    <span class="muted-icon" role="img" aria-label={label} title={label} data-testid="muted">
      <BellIcon off />
    </span>
  );
}

function BellIcon({ off = false }: { off?: boolean }) {
  return (
    <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true" focusable="false">
      <path d="M10 2a5 5 0 00-5 5v3.5L3.5 13v1h13v-1L15 10.5V7a5 5 0 00-5-5zm-2 13a2 2 0 004 0z" fill="currentColor" />
      {off && <path d="M3 2.5l14.5 14.5" stroke="currentColor" stroke-width="2" />}
    </svg>
  );
}

/**
 * The header's notifications button and its menu. The server confirms with 204 and tells the user's other
 * devices with a `chat` frame; this one shows the change at once.
 */
export function MuteMenu({ chat, chats }: { chat: ChatSummary; chats: ChatList }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const root = useRef<HTMLDivElement>(null);
  const muted = isMuted(chat);

  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", close);
    document.addEventListener("pointerdown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("pointerdown", close);
    };
  }, [open]);

  const apply = async (hours: number | "forever" | null) => {
    setBusy(true);
    setError(null);
    try {
      const path = `/chats/${encodeURIComponent(chat.id)}/mute`;
      let mutedUntil: string | null = null;
      if (hours === null) await request(path, { method: "DELETE" });
      else {
        const until = hours === "forever" ? undefined : new Date(Date.now() + hours * HOUR).toISOString();
        await request(path, { method: "PUT", body: until ? { until } : {} });
        mutedUntil = until ?? FOREVER;
      }
      // The list's own copy (the header reads it too); the chat frame that follows says the same.
      const listed = chats.getSnapshot().chats.find((c) => c.id === chat.id) ?? chat;
      chats.upsert({ ...listed, mutedUntil });
      setOpen(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="mute-menu" ref={root}>
      <button
        type="button"
        class="icon"
        aria-label={t("chatNotifications")}
        aria-haspopup="true"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <BellIcon off={muted} />
      </button>
      {open && (
        <div class="menu" data-testid="mute-menu">
          {muted && chat.mutedUntil && <p class="muted">{mutedLabel(chat.mutedUntil)}</p>}
          {muted ? (
            <button type="button" disabled={busy} onClick={() => void apply(null)}>
              {t("unmute")}
            </button>
          ) : null}
          <button type="button" disabled={busy} onClick={() => void apply(1)}>
            {t("mute1h")}
          </button>
          <button type="button" disabled={busy} onClick={() => void apply(8)}>
            {t("mute8h")}
          </button>
          <button type="button" disabled={busy} onClick={() => void apply("forever")}>
            {t("muteForever")}
          </button>
          <ErrorNote error={error} />
        </div>
      )}
    </div>
  );
}
