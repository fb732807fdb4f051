// Small shared UI pieces and hooks: async loading, store subscriptions, avatars, badges, QR codes.
import type { ComponentChildren, FunctionComponent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, mediaUrl, request } from "./api";
import { type Key, t } from "./i18n";

export { type Async, useAsync, useStore } from "./async";

/** Error codes with a sentence of their own; others show the server's detail. */
const ERROR_KEYS: Record<string, Key> = {
  payment_declined: "payment_declined",
  username_taken: "usernameTaken",
  invalid_code: "err_invalid_code",
  too_many_attempts: "err_too_many_attempts",
  invalid_phone: "err_invalid_phone",
  rate_limited: "err_rate_limited",
  not_found: "err_not_found",
  blocked: "err_blocked",
  privacy_restricted: "err_privacy_restricted",
  banned: "err_banned",
  invalid_avatar: "err_invalid_avatar",
};

/** A user-facing sentence for an error. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t("offline");
    const known = ERROR_KEYS[err.code];
    return known ? t(known) : t("error", { detail: err.detail });
  }
  return t("error", { detail: err instanceof Error ? err.message : String(err) });
}

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div class="note note-error" role="alert">
      {errorText(error)}{" "}
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t("retry")}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  return (
    <p class="muted" role="status">
      {t("loading")}
    </p>
  );
}

/**
 * A person's or chat's photo, or until it loads (and when there is none) a coloured circle with initials;
 * decorative either way (the name is always written next to it).
 */
export function Avatar({ name, id, photo, size = "m" }: { name: string; id: string; photo?: string | null; size?: "s" | "m" | "l" }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    setSrc(null);
    if (!photo) return;
    let live = true;
    mediaUrl(photo).then(
      (url) => live && setSrc(url),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [photo]);
  if (src) return <img class={`avatar avatar-${size}`} src={src} alt="" aria-hidden="true" />;
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  const initials = name
    .replace(/^@/, "")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? "")
    .join("");
  return (
    <span class={`avatar avatar-${size} hue-${Math.abs(hash) % 8}`} aria-hidden="true">
      {initials || "?"}
    </span>
  );
}

export function VerifiedBadge() {
  return (
    <span class="verified" role="img" aria-label={t("verified")} title={t("verified")}>
      <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
        <path d="M8 0l2 2h3v3l2 3-2 3v3h-3l-2 2-2-2H3v-3L1 8l2-3V2h3z" fill="currentColor" />
        <path d="M4.5 8.2l2.3 2.3 4.7-4.7" fill="none" stroke="#fff" stroke-width="1.8" />
      </svg>
    </span>
  );
}

/** Copies text to the clipboard, saying so for a moment. */
export function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="secondary"
      onClick={async () => {
        await navigator.clipboard?.writeText(text).catch(() => undefined);
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      }}
    >
      {done ? t("copied") : t("copy")}
    </button>
  );
}

/** A screen's heading, focused when the screen opens so screen readers and keyboards start there. */
export function ScreenTitle({ children, back }: { children: ComponentChildren; back?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div class="screen-title">
      {back && (
        <a class="back" href={back} aria-label={t("back")}>
          ←
        </a>
      )}
      <h1 ref={ref} tabIndex={-1}>
        {children}
      </h1>
    </div>
  );
}

/**
 * A component whose code loads on first render (a separate chunk), so the initial script stays small.
 */
export function lazy<P extends object>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | null = null;
  let pending: Promise<FunctionComponent<P>> | null = null;
  return function Lazy(props: P) {
    const [, setReady] = useState(0);
    const [error, setError] = useState<unknown>(null);
    useEffect(() => {
      if (loaded) return;
      pending ??= load();
      pending.then(
        (c) => {
          loaded = c;
          setReady(1);
        },
        (err: unknown) => {
          pending = null;
          setError(err);
        },
      );
    }, []);
    if (error) return <ErrorNote error={error} onRetry={() => location.reload()} />;
    if (!loaded) return <Loading />;
    const C = loaded;
    return <C {...props} />;
  };
}

/**
 * A small button that deletes one item of a list (`DELETE path`) and then reloads the list. `label` is what
 * it does, `whose` (read by screen readers only) names the item; a failure goes to `onError`.
 */
export function DeleteItemButton({
  path,
  label,
  whose,
  onDone,
  onError,
}: {
  path: string;
  label: string;
  whose: string;
  onDone: () => void;
  onError: (err: unknown) => void;
}) {
  return (
    <button
      type="button"
      class="secondary small"
      onClick={async () => {
        onError(null);
        try {
          await request(path, { method: "DELETE" });
          onDone();
        } catch (err) {
          onError(err);
        }
      }}
    >
      {label}
      <span class="sr-only"> {whose}</span>
    </button>
  );
}
