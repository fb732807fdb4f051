// The verifier page (#/verify), for staff checking a Digital ID face to face: scan with the camera, or upload
// a photo of the code, or paste its text; the verdict is decided in this browser (check.ts) against agency
// keys and status lists kept on the device (store.ts), so it works offline; online, they are refreshed.
// Open without signing in: a cashier needs no Veche account.
import { useEffect, useRef, useState } from "preact/hooks";
import { hasSession } from "../../lib/api";
import { displayOfType, labelledClaims, typeLabel } from "../../lib/claim-labels";
import { formatDate, formatDateTime, lang, setLang, t } from "../../lib/i18n";
import { href } from "../../lib/router";
import { ErrorNote, ScreenTitle, VerifiedBadge } from "../../lib/ui";
import { ACCEPT_WINDOW_SEC, checkCode, type Verdict, type VerdictState } from "./check";
import { decodeImage, qrDecoder, scanCamera } from "./scan";
import { type CacheSummary, cachedSeen, cachedTrust, cacheSummary, refreshAll } from "./store";
import { type IdKey, tid } from "./strings";

/** How often an open verifier refreshes its keys and status lists while online. */
const REFRESH_MS = 5 * 60_000;

const HEADINGS: Record<VerdictState, IdKey> = {
  valid: "v_valid",
  revoked: "v_revoked",
  expired: "v_expired",
  replayed: "v_replayed",
  too_old: "v_too_old",
  tampered: "v_tampered",
  unknown_issuer: "v_unknown_issuer",
  not_live: "v_not_live",
  unreadable: "v_unreadable",
};
const DETAILS: Record<VerdictState, IdKey> = {
  valid: "vd_valid",
  revoked: "vd_revoked",
  expired: "vd_expired",
  replayed: "vd_replayed",
  too_old: "vd_too_old",
  tampered: "vd_tampered",
  unknown_issuer: "vd_unknown_issuer",
  not_live: "vd_not_live",
  unreadable: "vd_unreadable",
};

export function VerifierPage() {
  const [cache, setCache] = useState<CacheSummary | null>(null);
  const [offline, setOffline] = useState(!navigator.onLine);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  // Counts verdicts, so the same verdict twice in a row (two replays) still reads as a new one.
  const [checks, setChecks] = useState(0);
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<IdKey | null>(null);
  const [text, setText] = useState("");
  const video = useRef<HTMLVideoElement>(null);
  const stopCamera = useRef<(() => void) | null>(null);

  useEffect(() => {
    let live = true;
    const refresh = () =>
      refreshAll().then(
        (s) => live && setCache(s),
        () => cacheSummary().then((s) => live && setCache(s)),
      );
    void cacheSummary().then((s) => live && setCache(s));
    void refresh();
    // The decoder is loaded now, so that scanning works once the network is gone.
    void qrDecoder().catch(() => undefined);
    const timer = setInterval(refresh, REFRESH_MS);
    const onOnline = () => {
      setOffline(false);
      void refresh();
    };
    const onOffline = () => setOffline(true);
    addEventListener("online", onOnline);
    addEventListener("offline", onOffline);
    return () => {
      live = false;
      clearInterval(timer);
      removeEventListener("online", onOnline);
      removeEventListener("offline", onOffline);
      stopCamera.current?.();
    };
  }, []);

  const check = async (code: string) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      setVerdict(await checkCode(code, { trust: cachedTrust, seen: cachedSeen }));
      setChecks((n) => n + 1);
      setCache(await cacheSummary());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const startCamera = async () => {
    const el = video.current;
    if (!el) return;
    setVerdict(null);
    setError(null);
    setNote(null);
    setScanning(true);
    try {
      stopCamera.current = await scanCamera(el, (code) => {
        stopCamera.current = null;
        setScanning(false);
        void check(code);
      });
    } catch (err) {
      setScanning(false);
      setNote("checkerNoCamera");
      setError(err);
    }
  };

  const stop = () => {
    stopCamera.current?.();
    stopCamera.current = null;
    setScanning(false);
  };

  return (
    <main class="page verifier" id="main" tabIndex={-1}>
      <ScreenTitle back={hasSession() ? href("services") : undefined}>{tid("checkerTitle")}</ScreenTitle>
      {/* Signed out there are no settings to choose the language in. */}
      {!hasSession() && <Languages />}
      <p class="muted" data-testid="verifier-cache">
        {offline && `${tid("checkerOffline")} `}
        {cache && cache.agencies > 0 && cache.oldest !== null
          ? tid("checkerCache", { count: cache.agencies, time: formatDateTime(new Date(cache.oldest).toISOString()) })
          : tid("checkerCacheEmpty")}
      </p>

      {verdict && <VerdictCard key={checks} verdict={verdict} check={checks} />}

      <section class="card">
        <div class="row">
          {scanning ? (
            <button type="button" onClick={stop}>
              {tid("checkerStop")}
            </button>
          ) : (
            <button type="button" class="primary" onClick={startCamera} disabled={busy}>
              {verdict ? tid("checkerNext") : tid("checkerScan")}
            </button>
          )}
          <label class="button">
            {tid("checkerUpload")}
            <input
              type="file"
              accept="image/*"
              class="sr-only"
              data-testid="verifier-upload"
              onChange={async (e) => {
                const input = e.currentTarget;
                const file = input.files?.[0];
                input.value = "";
                if (!file) return;
                stop();
                setVerdict(null);
                setError(null);
                setNote(null);
                try {
                  const code = await decodeImage(file);
                  if (code) await check(code);
                  else setNote("checkerNoCode");
                } catch (err) {
                  setNote("checkerNoCode");
                  setError(err);
                }
              }}
            />
          </label>
        </div>
        {/* Kept in the page while hidden, so the camera has somewhere to play. */}
        {/* biome-ignore lint/a11y/useMediaCaption: a camera preview has no sound to caption */}
        <video ref={video} class={scanning ? "scanner" : "scanner hidden"} aria-label={tid("checkerCameraHint")} />
        {scanning && <p class="muted">{tid("checkerCameraHint")}</p>}
        {note && (
          <p class="note" role="alert">
            {tid(note)}
          </p>
        )}
        <ErrorNote error={error} />
        <details>
          <summary>{tid("checkerPaste")}</summary>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (text.trim()) void check(text);
            }}
          >
            <label for="verifier-text">{t("pastePresentation")}</label>
            <textarea id="verifier-text" class="mono" rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
            <button type="submit" disabled={busy || !text.trim()}>
              {t("verify")}
            </button>
          </form>
        </details>
      </section>
    </main>
  );
}

/** As the sign-in page's switch (its styles), written out here so the app's first chunk is not split for it. */
function Languages() {
  return (
    <fieldset class="lang-switch">
      <legend class="sr-only">{t("language")}</legend>
      {(["ru", "en"] as const).map((l) => (
        <button key={l} type="button" class={lang() === l ? "on" : ""} aria-pressed={lang() === l} onClick={() => setLang(l)} lang={l}>
          {l === "ru" ? "Русский" : "English"}
        </button>
      ))}
    </fieldset>
  );
}

function VerdictCard({ verdict, check }: { verdict: Verdict; check: number }) {
  const ok = verdict.state === "valid";
  const claims = Object.keys(verdict.claims);
  const display = verdict.typeMeta ? displayOfType(verdict.typeMeta, claims) : undefined;
  return (
    <section
      class={`card verdict ${ok ? "verdict-ok" : "verdict-bad"}`}
      role="status"
      aria-live="assertive"
      data-testid="verdict"
      data-state={verdict.state}
      data-check={check}
    >
      <h2>
        <span aria-hidden="true">{ok ? "✓ " : "✕ "}</span>
        {tid(HEADINGS[verdict.state])}
      </h2>
      <p>{tid(DETAILS[verdict.state], { window: ACCEPT_WINDOW_SEC })}</p>
      {claims.length > 0 && (
        <>
          <p class="muted">{tid("checkerDisclosed")}</p>
          <dl class="disclosed" data-testid="disclosed">
            {labelledClaims(verdict.claims, display).map(({ name, label, value }) => (
              <div key={name}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {verdict.issuer && (
        <p>
          {t("verifyIssuer", { issuer: verdict.issuer.name })}
          {verdict.issuer.verified && <VerifiedBadge />}
          {verdict.type && ` · ${display ? display.name : typeLabel(verdict.type)}`}
        </p>
      )}
      <ul class="muted facts">
        {verdict.ageSec !== undefined && verdict.ageSec >= 0 && (
          <li>{tid("checkerAge", { count: verdict.ageSec, window: ACCEPT_WINDOW_SEC })}</li>
        )}
        {verdict.expiresAt !== undefined && (
          <li>{tid("checkerExpires", { date: formatDate(new Date(verdict.expiresAt).toISOString()) })}</li>
        )}
        {verdict.statusAsOf !== undefined && (
          <li>
            {verdict.statusAsOf === null
              ? tid("checkerStatusUnknown")
              : tid("checkerStatusAsOf", { time: formatDateTime(new Date(verdict.statusAsOf).toISOString()) })}
          </li>
        )}
      </ul>
    </section>
  );
}
