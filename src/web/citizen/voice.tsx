// Voice messages: recorded in the browser with MediaRecorder (Opus in WebM where the browser has it, else
// Ogg or MP4), sent as a voice note with the length the recorder measured, and played with that length shown.
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../lib/i18n";

/** What the server takes as a voice note (src/media/store.ts VOICE_TYPES), best first. */
const RECORDER_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];

/** "0:07", "12:30": a duration as players show it. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** Voice recording is offered only where the browser can record a type we accept. */
export const canRecordVoice = (): boolean =>
  typeof MediaRecorder !== "undefined" &&
  !!navigator.mediaDevices?.getUserMedia &&
  RECORDER_TYPES.some((type) => MediaRecorder.isTypeSupported(type));

interface Recording {
  recorder: MediaRecorder;
  stream: MediaStream;
  startedAt: number;
  chunks: Blob[];
}

/**
 * The microphone button: one press starts recording, then "send" stops and hands the note over, "cancel"
 * throws it away. The microphone is released as soon as recording ends.
 */
export function VoiceRecorder({
  onRecorded,
  onError,
}: {
  onRecorded: (file: File, durationMs: number) => void;
  onError: (err: unknown) => void;
}) {
  const [recording, setRecording] = useState<Recording | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const current = useRef<Recording | null>(null);

  useEffect(() => {
    if (!recording) return;
    const timer = setInterval(() => setElapsed(Date.now() - recording.startedAt), 250);
    return () => clearInterval(timer);
  }, [recording]);
  // Leaving the chat while recording stops it and frees the microphone.
  useEffect(() => () => stop(current.current, false), []);

  const start = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const mimeType = RECORDER_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
      const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      const r: Recording = { recorder, stream, startedAt: Date.now(), chunks: [] };
      recorder.ondataavailable = (e) => {
        if (e.data.size > 0) r.chunks.push(e.data);
      };
      recorder.start(250);
      current.current = r;
      setElapsed(0);
      setRecording(r);
    } catch (err) {
      onError(err instanceof DOMException && err.name === "NotAllowedError" ? new Error(t("micDenied")) : err);
    }
  };

  function stop(r: Recording | null, send: boolean): void {
    if (!r) return;
    current.current = null;
    setRecording(null);
    const durationMs = Date.now() - r.startedAt;
    r.recorder.onstop = () => {
      for (const track of r.stream.getTracks()) track.stop();
      if (!send) return;
      const type = (r.recorder.mimeType || "audio/webm").split(";")[0] ?? "audio/webm";
      const ext = type === "audio/ogg" ? "ogg" : type === "audio/mp4" ? "m4a" : "webm";
      onRecorded(new File(r.chunks, `voice.${ext}`, { type }), durationMs);
    };
    if (r.recorder.state !== "inactive") r.recorder.stop();
    else r.recorder.onstop(new Event("stop"));
  }

  if (!recording) {
    return (
      <button type="button" class="icon" aria-label={t("recordVoice")} title={t("recordVoice")} onClick={() => void start()}>
        <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            d="M10 13a3 3 0 003-3V5a3 3 0 00-6 0v5a3 3 0 003 3zm5-3a5 5 0 01-4.25 4.94V17h2.25v1.5h-6V17h2.25v-2.06A5 5 0 015 10h1.5a3.5 3.5 0 007 0z"
            fill="currentColor"
          />
        </svg>
      </button>
    );
  }
  return (
    <div class="voice-recording" role="status">
      <span class="rec-dot" aria-hidden="true" />
      <span>{t("recordingVoice", { time: formatDuration(elapsed) })}</span>
      <button type="button" class="link" onClick={() => stop(current.current, false)}>
        {t("cancel")}
      </button>
      <button type="button" class="primary" onClick={() => stop(current.current, true)}>
        {t("sendVoice")}
      </button>
    </div>
  );
}

/** A voice note: the browser's own player (keyboard and screen-reader friendly) and its length. */
export function VoicePlayer({ url, durationMs, label }: { url: string | null; durationMs: number | null; label: string }) {
  return (
    <span class="voice">
      {/* The player is there before its bytes are, so the message does not grow when they arrive. */}
      {/* biome-ignore lint/a11y/useMediaCaption: voice notes carry no caption track */}
      <audio controls preload="metadata" src={url ?? undefined} aria-label={label} />
      {durationMs !== null && <span class="muted voice-length">{formatDuration(durationMs)}</span>}
    </span>
  );
}
