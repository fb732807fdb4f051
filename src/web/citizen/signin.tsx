// Sign-in with phone and a one-time code. In development the code is shown on the page (the dev-only
// endpoint does not exist in production, and this block is compiled out there).
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, request, setSession, type Tokens } from "../lib/api";
import { lang, setLang, t } from "../lib/i18n";
import { errorText } from "../lib/ui";
import { askNameAfterSignIn } from "./welcome";

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrom/.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return `${browser}${os ? `, ${os}` : ""}`;
}

export function SignIn() {
  const [phone, setPhone] = useState("");
  const [step, setStep] = useState<"phone" | "code">("phone");
  const [code, setCode] = useState("");
  const [devCode, setDevCode] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const phoneRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    (step === "code" ? codeRef : phoneRef).current?.focus();
  }, [step]);

  const askCode = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await request("/auth/otp", { body: { phone }, anonymous: true });
      setStep("code");
      setCode("");
      if (import.meta.env.DEV) {
        const dev = await request<{ code: string }>(`/dev/otp?phone=${encodeURIComponent(phone)}`, { anonymous: true }).catch(() => null);
        setDevCode(dev?.code ?? null);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const verify = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const tokens = await request<Tokens>("/auth/verify", {
        body: { phone, code: code.trim(), deviceName: deviceName() },
        anonymous: true,
      });
      location.hash = "#/chats";
      askNameAfterSignIn();
      setSession(tokens);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const fieldError = error instanceof ApiError && error.status !== 0 ? errorText(error) : null;
  return (
    <main class="signin" id="main">
      <div class="signin-card">
        <div class="signin-lang">
          <LanguageSwitch />
        </div>
        <h1>{t("signInTitle")}</h1>
        {step === "phone" ? (
          <form onSubmit={askCode} noValidate>
            <p class="muted">{t("signInLead")}</p>
            <label for="phone">{t("phone")}</label>
            <input
              id="phone"
              ref={phoneRef}
              type="tel"
              inputMode="tel"
              autoComplete="tel"
              required
              value={phone}
              onInput={(e) => setPhone(e.currentTarget.value)}
              aria-describedby="phone-hint phone-error"
              aria-invalid={fieldError ? "true" : undefined}
            />
            <p id="phone-hint" class="hint">
              {t("phoneHint")}
            </p>
            <p id="phone-error" class="field-error" role="alert">
              {fieldError}
            </p>
            <button type="submit" class="primary wide" disabled={busy || phone.trim() === ""}>
              {t("getCode")}
            </button>
          </form>
        ) : (
          <form onSubmit={verify} noValidate>
            <p class="muted">{t("codeSentTo", { phone })}</p>
            {import.meta.env.DEV && devCode && (
              <p class="note dev-code" data-testid="dev-code">
                {t("devCode", { code: devCode })} <span class="hint">{t("devCodeNote")}</span>
              </p>
            )}
            <label for="code">{t("code")}</label>
            <input
              id="code"
              ref={codeRef}
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
              aria-describedby="code-error"
              aria-invalid={fieldError ? "true" : undefined}
            />
            <p id="code-error" class="field-error" role="alert">
              {fieldError}
            </p>
            <button type="submit" class="primary wide" disabled={busy || code.trim() === ""}>
              {t("signIn")}
            </button>
            <button
              type="button"
              class="link"
              onClick={() => {
                setStep("phone");
                setError(null);
              }}
            >
              {t("changePhone")}
            </button>
          </form>
        )}
        {error instanceof ApiError && error.status === 0 && <p role="alert">{errorText(error)}</p>}
      </div>
    </main>
  );
}

export function LanguageSwitch() {
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
