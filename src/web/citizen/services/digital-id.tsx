// The Digital ID: a record shown face to face as a QR code that makes itself anew every REFRESH_SEC seconds,
// each a holder-bound presentation (fresh nonce, KB-JWT made now, audience IN_PERSON_AUDIENCE) disclosing
// only the claims the citizen chose: for a proof of age just "старше 18 лет". The verifier (#/verify)
// accepts a code for ACCEPT_WINDOW_SEC seconds and only once, so a photo of the screen is soon worthless.
// Only a record held by this device (`binding: device`, docs/api.md "Records on devices") can be shown: the
// key binding is signed with this device's own holder key; for any other the page says what to do instead.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../lib/api";
import type { components } from "../../lib/api-schema";
import { claimValue, labelOf, typeLabel } from "../../lib/claim-labels";
import { formatDate, formatTime, t } from "../../lib/i18n";
import { QrCode } from "../../lib/qr";
import { href } from "../../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync, VerifiedBadge } from "../../lib/ui";
import { holderKey } from "../holder";
import { IN_PERSON_AUDIENCE, REFRESH_SEC } from "../verifier/constants";
import { tid } from "../verifier/strings";
import { presentRecord } from "./present";

/** A record as the server answers it; its `binding` says how this device stands with it: only `device` can be shown. */
type IdRecord = components["schemas"]["Record"];

/** The agency's name for the record's type, else ours. */
const idTypeName = (r: IdRecord): string => (r.display && r.display.name !== r.type ? r.display.name : typeLabel(r.type));
/** The agency's label for a claim, else the claim in our words (derived ones such as age_over_18). */
const idClaimLabel = (r: IdRecord, name: string): string => labelOf(name, r.display);

/**
 * Loads after this device's holder key is published, so a record waiting for its first device is bound to
 * this one by the read and shows as `device` rather than `pending`. A failure to publish leaves the record
 * as it stands; the page then says it is not on this device yet.
 */
const withKey = async <T,>(load: () => Promise<T>): Promise<T> => {
  await holderKey().catch(() => undefined);
  return load();
};

/** What the list says about a record this device cannot show. */
const BINDING_NOTE = { pending: "bindingPending", other_device: "bindingOther", none: "bindingNone" } as const;
/** What the record's page says instead of a code. */
const BINDING_HELP = { pending: "idNotBoundYet", other_device: "idOtherDevice", none: "idOnNoDevice" } as const;

const AGE_CLAIM = /^age_over_\d+$/;

/** A record that can be shown: not revoked and not past its expiry. */
const presentable = (r: IdRecord, now = Date.now()) => !r.revoked && (r.expiresAt === null || Date.parse(r.expiresAt) > now);

/** What the Digital ID discloses unless the citizen chooses otherwise: the derived age claims, or nothing. */
const defaultClaims = (r: IdRecord) => Object.keys(r.claims).filter((name) => AGE_CLAIM.test(name));

export function DigitalIdView({ id }: { id?: string }) {
  return id ? <DigitalIdRecord key={id} id={id} /> : <DigitalIdChoice />;
}

function DigitalIdChoice() {
  const records = useAsync(() => withKey(() => api.get("/records")), []);
  const usable = records.data?.records.filter((r) => presentable(r)) ?? [];
  // Those on this device first, then proof of age: it is what a Digital ID is shown for most.
  const rank = (r: IdRecord) => (r.binding === "device" ? 2 : 0) + (defaultClaims(r).length > 0 ? 1 : 0);
  usable.sort((a, b) => rank(b) - rank(a));
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{tid("idTitle")}</ScreenTitle>
      <p class="muted">{tid("idLead")}</p>
      {records.loading && !records.data && <Loading />}
      <ErrorNote error={records.error} onRetry={records.reload} />
      {records.data && usable.length === 0 && <p class="muted">{tid("idNoRecords")}</p>}
      <ul class="cards">
        {usable.map((r) => (
          <li key={r.id}>
            <a class="card link-card" href={href("services", "digital-id", r.id)}>
              <strong>{idTypeName(r)}</strong>
              <span class="muted">
                {t("issuedBy", { agency: r.agency.name })}
                {r.agency.verified && <VerifiedBadge />}
              </span>
              {defaultClaims(r).length > 0 && (
                <span>
                  {defaultClaims(r)
                    .map((n) => idClaimLabel(r, n))
                    .join(", ")}
                </span>
              )}
              {r.binding !== "device" && <span class="status">{t(BINDING_NOTE[r.binding])}</span>}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function DigitalIdRecord({ id }: { id: string }) {
  const data = useAsync(() => withKey(() => api.get("/records/{id}", { path: { id } })), [id]);
  const record = data.data?.record;
  const [chosen, setChosen] = useState<string[] | null>(null);
  const disclose = chosen ?? (record ? defaultClaims(record) : []);
  return (
    <div class="page">
      <ScreenTitle back={href("services", "digital-id")}>{record ? idTypeName(record) : tid("idTitle")}</ScreenTitle>
      {data.loading && !record && <Loading />}
      <ErrorNote error={data.error} onRetry={data.reload} />
      {record && !presentable(record) && (
        <p class="status status-cancelled" role="alert">
          {record.revoked ? tid("idRevoked") : tid("idExpired")}
        </p>
      )}
      {record && presentable(record) && record.binding !== "device" && (
        <section class="card" data-testid="digital-id-elsewhere">
          <p class="status" role="alert">
            {tid(BINDING_HELP[record.binding])}
          </p>
          {record.binding === "other_device" && (
            <p>
              <a class="button" href={href("services", "records")}>
                {tid("idOpenRecords")}
              </a>
            </p>
          )}
          {record.binding === "pending" && (
            <p>
              <button type="button" onClick={data.reload}>
                {t("retry")}
              </button>
            </p>
          )}
        </section>
      )}
      {record && presentable(record) && record.binding === "device" && (
        <>
          {disclose.length > 0 && (
            <LiveCode recordId={record.id} disclose={disclose} labels={disclose.map((n) => idClaimLabel(record, n))} />
          )}
          <fieldset class="card group">
            <legend>{tid("idChoose")}</legend>
            <p class="muted">{tid("idChooseHint")}</p>
            {Object.entries(record.claims).map(([name, value]) => (
              <div class="field check" key={name}>
                <input
                  id={`id-claim-${name}`}
                  type="checkbox"
                  checked={disclose.includes(name)}
                  onChange={(e) => {
                    const next = disclose.filter((n) => n !== name);
                    if (e.currentTarget.checked) next.push(name);
                    setChosen(Object.keys(record.claims).filter((n) => next.includes(n)));
                  }}
                />
                <label for={`id-claim-${name}`}>
                  {idClaimLabel(record, name)}: {claimValue(value)}
                </label>
              </div>
            ))}
          </fieldset>
          <p class="muted">
            {t("issuedBy", { agency: record.agency.name })}
            {record.agency.verified && <VerifiedBadge />} · {formatDate(record.createdAt)}
          </p>
        </>
      )}
    </div>
  );
}

const nonce = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
};

/** The refreshing code: a new presentation every REFRESH_SEC while the page is visible, and on coming back. */
function LiveCode({ recordId, disclose, labels }: { recordId: string; disclose: string[]; labels: string[] }) {
  const [code, setCode] = useState<{ text: string; madeAt: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  const key = disclose.join(",");
  useEffect(() => {
    let live = true;
    let madeAt = 0;
    let inFlight = false;
    const make = async () => {
      if (inFlight) return;
      inFlight = true;
      try {
        const text = await presentRecord(recordId, disclose, { audience: IN_PERSON_AUDIENCE, nonce: nonce() });
        if (!live) return;
        madeAt = Date.now();
        setCode({ text, madeAt });
        setError(null);
      } catch (err) {
        if (live) setError(err);
      } finally {
        inFlight = false;
      }
    };
    const tick = () => {
      setNow(Date.now());
      // A hidden page makes no codes; an old one is never left on screen when it comes back.
      if (document.visibilityState === "visible" && Date.now() - madeAt >= REFRESH_SEC * 1000) void make();
    };
    setCode(null);
    void make();
    const timer = setInterval(tick, 1000);
    document.addEventListener("visibilitychange", tick);
    return () => {
      live = false;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", tick);
    };
  }, [recordId, key]);

  const left = code ? Math.max(0, REFRESH_SEC - Math.floor((now - code.madeAt) / 1000)) : REFRESH_SEC;
  return (
    <section class="card digital-id" aria-labelledby="digital-id-heading" data-testid="digital-id">
      <h2 id="digital-id-heading">{tid("idShowThis")}</h2>
      <p>
        {tid("idDiscloses")} <strong data-testid="digital-id-claims">{labels.join(", ")}</strong>
      </p>
      {code ? (
        <div data-testid="digital-id-code" data-length={code.text.length}>
          <QrCode text={code.text} label={tid("idQrLabel")} large />
          <p class="muted" aria-live="off">
            {tid("idRefreshes", { seconds: left, time: formatTime(new Date(code.madeAt).toISOString()) })}
          </p>
        </div>
      ) : (
        !error && <Loading />
      )}
      <ErrorNote error={error} />
    </section>
  );
}
