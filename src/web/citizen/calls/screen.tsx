// The call on screen, over whatever the app shows: an incoming call (answer, decline) on every device that
// rings, the outgoing call ringing, and the call itself (the other person's video, one's own small, mute,
// camera, hang up, how long, and the code to compare).
import { useEffect, useRef, useState } from "preact/hooks";
import { t, tKey } from "../../lib/i18n";
import { Avatar, useStore } from "../../lib/ui";
import { type CallView, calls, type OnCallEnded } from "./manager";

export { calls };

import { formatDuration } from "./text";

/** How a call ended, in words; anything else (a refusal, a failure) reads as "could not connect". */
const ENDED = new Set(["declined", "busy", "no_answer", "cancelled", "hangup"]);

export function CallScreen() {
  const v = useStore(calls);
  if (!v) return null;
  const name = v.peerName ?? "…";
  return (
    <div
      class="call-screen"
      role="dialog"
      aria-modal="true"
      aria-label={t("callScreen", { name })}
      data-testid="call-screen"
      data-phase={v.phase}
    >
      {v.phase === "incoming" ? <Incoming v={v} name={name} /> : <InCall v={v} name={name} />}
    </div>
  );
}

/**
 * Voice and video call buttons in a one-to-one chat's header. `onEnded`: the chat records its calls itself
 * (a secret chat writes the record inside its encryption), told how each call placed from here ended.
 */
export function CallButtons({ chatId, peerName, onEnded }: { chatId: string; peerName: string | null; onEnded?: OnCallEnded }) {
  const v = useStore(calls);
  const start = (video: boolean) => void calls.start(chatId, peerName, video, onEnded);
  return (
    <>
      <button
        type="button"
        class="icon"
        aria-label={t("callVoice")}
        disabled={v !== null}
        onClick={() => start(false)}
        data-testid="call-voice"
      >
        <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            d="M6.6 2.5l2.1 3.6-1.6 1.6a10 10 0 005.2 5.2l1.6-1.6 3.6 2.1-.8 3.1c-.2.7-.9 1.1-1.6 1C8.6 16.9 3.1 11.4 2.5 4.9c-.1-.7.3-1.4 1-1.6z"
            fill="currentColor"
          />
        </svg>
      </button>
      <button
        type="button"
        class="icon"
        aria-label={t("callVideo")}
        disabled={v !== null}
        onClick={() => start(true)}
        data-testid="call-video"
      >
        <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
          <path d="M2 5.5h11v9H2zM14 8.5l4-2.5v8l-4-2.5z" fill="currentColor" />
        </svg>
      </button>
    </>
  );
}

function Incoming({ v, name }: { v: CallView; name: string }) {
  return (
    <div class="call-incoming" data-testid="incoming-call">
      <Avatar name={name} id={v.chatId} size="l" />
      <h2>{t("callIncomingFrom", { name })}</h2>
      <p class="muted">{t(v.video ? "callIncomingVideo" : "callIncomingVoiceLabel")}</p>
      <div class="call-controls">
        <button type="button" class="call-button decline" onClick={() => calls.decline()}>
          {t("callDecline")}
        </button>
        <button type="button" class="call-button answer" onClick={() => void calls.answer()}>
          {t("callAnswer")}
        </button>
      </div>
    </div>
  );
}

function InCall({ v, name }: { v: CallView; name: string }) {
  const status =
    v.phase === "ended"
      ? v.endReason === "no_media"
        ? t("callNoMedia")
        : ENDED.has(v.endReason ?? "hangup")
          ? tKey("callEnded_", v.endReason ?? "hangup")
          : t("callFailed")
      : v.phase === "outgoing"
        ? t("callRinging")
        : v.phase === "connecting"
          ? t("callConnecting")
          : null;
  return (
    <div class={`call-active${v.video ? " video" : ""}`}>
      <Video stream={v.remote} class="remote-video" testId="remote-video" hidden={!v.video || !v.peerCamOn} />
      {v.video && <Video stream={v.local} class="local-video" testId="local-video" muted hidden={!v.camOn} />}
      <div class="call-info">
        {(!v.video || !v.peerCamOn) && <Avatar name={name} id={v.chatId} size="l" />}
        <h2>{name}</h2>
        <p aria-live="polite" data-testid="call-status">
          {status ?? <Duration since={v.answeredAt} />}
        </p>
        {!v.peerMicOn && <p class="muted">{t("callPeerMuted")}</p>}
        {v.video && !v.peerCamOn && <p class="muted">{t("callPeerCamOff")}</p>}
        {v.code && v.phase !== "ended" && (
          <p class="call-code" title={t("callCodeHint")} data-testid="call-code">
            <span class="sr-only">{t("callCode")}: </span>
            <span aria-hidden="true">{v.code.emoji.join(" ")}</span> <span>{v.code.digits}</span>
          </p>
        )}
      </div>
      {v.phase !== "ended" && (
        <div class="call-controls">
          <button type="button" class="call-button" aria-pressed={!v.micOn} onClick={() => calls.toggleMic()}>
            {t(v.micOn ? "callMicOff" : "callMicOn")}
          </button>
          {v.video && (
            <button type="button" class="call-button" aria-pressed={!v.camOn} onClick={() => calls.toggleCam()}>
              {t(v.camOn ? "callCamOff" : "callCamOn")}
            </button>
          )}
          <button type="button" class="call-button decline" onClick={() => calls.hangUp()}>
            {t("callHangUp")}
          </button>
        </div>
      )}
    </div>
  );
}

function Video(p: { stream: MediaStream | null; class: string; testId: string; muted?: boolean; hidden?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && el.srcObject !== p.stream) {
      el.srcObject = p.stream;
      if (p.stream) void el.play().catch(() => undefined);
    }
  }, [p.stream]);
  // The remote one plays the other person's voice too, so it stays in the page when its picture is hidden.
  return <video ref={ref} class={`${p.class}${p.hidden ? " hidden" : ""}`} data-testid={p.testId} autoplay playsInline muted={p.muted} />;
}

function Duration({ since }: { since: number | null }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return <span data-testid="call-duration">{formatDuration(since === null ? 0 : (Date.now() - since) / 1000)}</span>;
}
