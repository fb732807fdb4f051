// Documents (records): the list, one record with the claims to disclose, its presentation as a QR code and
// as a chat message (key-bound by this device when a verifier asks), moving documents to a new device with
// the old one's approval, and verifying a presentation someone shared.
import { useEffect, useState } from "preact/hooks";
import { api, randomId, request } from "../../lib/api";
import type { components } from "../../lib/api-schema";
import { labelledClaims, recordTypeName } from "../../lib/claim-labels";
import type { RecordDisplay } from "../../lib/format";
import { formatDate, lang, t } from "../../lib/i18n";
import { QrCode } from "../../lib/qr";
import { href, navigate } from "../../lib/router";
import { CopyButton, ErrorNote, Loading, ScreenTitle, useAsync, useStore, VerifiedBadge } from "../../lib/ui";
import { chatTitle } from "../chat-list";
import { holderKey, type PublicJwk, signJws, thumbprint, unb64u } from "../holder";
import type { ChatList } from "../state";
import { VerificationResult } from "../verification";
import { tid } from "../verifier/strings";
import { presentRecord } from "./present";

/** A record as the server answers it: `status` and `binding` (docs/api.md, "Records on devices") say what it can do. */
type RecordItem = components["schemas"]["Record"];

type Transfer = components["schemas"]["RecordTransfer"];

/** The holder key published first, so records waiting for this device's first key are bound by the read. */
const withKey = async <T,>(load: () => Promise<T>): Promise<T> => {
  await holderKey().catch(() => undefined);
  return load();
};

const BINDING_KEYS = { pending: "bindingPending", other_device: "bindingOther", none: "bindingNone" } as const;

/** The document's name as people know it ("Водительское удостоверение"): the issuer's, else ours for a type we know. */
export const recordName = (r: { type: string; display?: RecordDisplay }) => recordTypeName(r);

/** The mark of a record that is no longer valid ("Отозван", "Истёк срок"), or nothing. */
function RecordMark({ record }: { record: Pick<RecordItem, "status" | "revoked" | "expiresAt"> }) {
  // The status as the server saw it when it answered; an expiry passed since then counts too.
  const expired = record.status === "expired" || (record.expiresAt !== null && Date.parse(record.expiresAt) <= Date.now());
  if (record.status === "revoked" || record.revoked)
    return (
      <span class="status status-cancelled" data-testid="record-mark">
        {t("revoked")}
      </span>
    );
  if (expired)
    return (
      <span class="status status-expired" data-testid="record-mark">
        {t("expired")}
      </span>
    );
  return null;
}

const presentable = (r: RecordItem) => r.status === "valid" && !r.revoked && (r.expiresAt === null || Date.parse(r.expiresAt) > Date.now());

export function RecordsView() {
  // Names and labels come in the page's language: a language switch reads them again.
  const records = useAsync(() => withKey(() => api.get("/records")), [lang()]);
  const list = records.data?.records ?? [];
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("records")}</ScreenTitle>
      {records.loading && !records.data && <Loading />}
      <ErrorNote error={records.error} onRetry={records.reload} />
      <Transfers
        elsewhere={list.some((r) => r.binding === "other_device" && !r.revoked)}
        lost={list.some((r) => r.binding === "none" && !r.revoked)}
        onMoved={records.reload}
      />
      {records.data?.records.length === 0 && <p class="muted">{t("noRecords")}</p>}
      <ul class="cards">
        {records.data?.records.map((r) => (
          <li key={r.id}>
            <a class="card link-card" href={href("services", "records", r.id)}>
              <span class="row spread">
                <strong>{recordName(r)}</strong>
                <RecordMark record={r} />
                {presentable(r) && r.binding !== "device" && <span class="status">{t(BINDING_KEYS[r.binding])}</span>}
              </span>
              <span class="muted">
                {t("issuedBy", { agency: r.agency.name })}
                {r.agency.verified && <VerifiedBadge />} · {formatDate(r.createdAt)}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RecordView({ id, chats }: { id: string; chats: ChatList }) {
  const data = useAsync(() => withKey(() => api.get("/records/{id}", { path: { id } })), [id, lang()]);
  const record = data.data?.record;
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [audience, setAudience] = useState("");
  const [nonce, setNonce] = useState("");
  const [presentation, setPresentation] = useState<{ text: string; bound: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const present = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const opts = audience.trim() || nonce.trim() ? { audience: audience.trim(), nonce: nonce.trim() } : {};
      const text = await presentRecord(id, [...chosen], opts);
      setPresentation({ text, bound: "nonce" in opts });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <ScreenTitle back={href("services", "records")}>{record ? recordName(record) : t("records")}</ScreenTitle>
      {data.loading && !record && <Loading />}
      <ErrorNote error={data.error} onRetry={data.reload} />
      {record && (
        <>
          <section class="card">
            <p>
              {t("issuedBy", { agency: record.agency.name })}
              {record.agency.verified && <VerifiedBadge />}
            </p>
            <p class="muted">{t("issuedAt", { date: formatDate(record.createdAt) })}</p>
            {record.expiresAt && <p class="muted">{t("validUntil", { date: formatDate(record.expiresAt) })}</p>}
            <p>
              <RecordMark record={record} />
            </p>
            {presentable(record) && record.binding !== "device" && <p class="status">{t(BINDING_KEYS[record.binding])}</p>}
            {!record.revoked && record.binding === "none" && <p class="muted">{t("reissueHint")}</p>}
            {presentable(record) && (
              <p>
                <a class="button" href={href("services", "digital-id", record.id)}>
                  {tid("idShowAsId")}
                </a>
              </p>
            )}
          </section>
          {!presentable(record) && (
            <p class="note" role="status">
              {t("notPresentable")}
            </p>
          )}
          {presentable(record) && (
            <form class="card" onSubmit={present}>
              <fieldset class="group">
                <legend>{t("chooseClaims")}</legend>
                {labelledClaims(record.claims, record.display).map(({ name, label, value }) => (
                  <div class="field check" key={name}>
                    <input
                      id={`claim-${name}`}
                      type="checkbox"
                      checked={chosen.has(name)}
                      onChange={(e) => {
                        const next = new Set(chosen);
                        if (e.currentTarget.checked) next.add(name);
                        else next.delete(name);
                        setChosen(next);
                        setPresentation(null);
                      }}
                    />
                    <label for={`claim-${name}`}>
                      <span class="claim-name">{label}</span>: {value}
                    </label>
                  </div>
                ))}
              </fieldset>
              <details class="group">
                <summary>{t("verifierAsks")}</summary>
                <div class="field">
                  <label for="kb-audience">{t("verifierAudience")}</label>
                  <input
                    id="kb-audience"
                    value={audience}
                    onInput={(e) => {
                      setAudience(e.currentTarget.value);
                      setPresentation(null);
                    }}
                  />
                </div>
                <div class="field">
                  <label for="kb-nonce">{t("verifierNonce")}</label>
                  <input
                    id="kb-nonce"
                    value={nonce}
                    onInput={(e) => {
                      setNonce(e.currentTarget.value);
                      setPresentation(null);
                    }}
                  />
                </div>
              </details>
              <ErrorNote error={error} />
              <button type="submit" class="primary" disabled={busy || chosen.size === 0}>
                {t("present")}
              </button>
            </form>
          )}
          {presentation && <PresentationPanel presentation={presentation.text} bound={presentation.bound} chats={chats} />}
        </>
      )}
    </div>
  );
}

function PresentationPanel({ presentation, bound, chats }: { presentation: string; bound: boolean; chats: ChatList }) {
  const list = useStore(chats).chats.filter(
    (c) => c.type === "direct" || c.type === "group" || (c.type === "channel" && c.role !== "member"),
  );
  const [target, setTarget] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <section class="card presentation-panel" aria-labelledby="presentation-heading" data-testid="presentation">
      <h2 id="presentation-heading">{t("presentation")}</h2>
      <p class="muted">{t("presentationLead")}</p>
      {bound && <p role="status">{t("signedByDevice")}</p>}
      <QrCode text={presentation} label={t("qrLabel")} />
      <label for="presentation-text">{t("presentationText")}</label>
      <textarea id="presentation-text" class="mono" readOnly rows={4} value={presentation} />
      <div class="row">
        <CopyButton text={presentation} />
      </div>
      <form
        class="row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!target) return;
          setError(null);
          try {
            await api.post("/chats/{chatId}/messages", { path: { chatId: target }, body: { clientId: randomId(), text: presentation } });
            setSent(target);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <div class="field">
          <label for="share-chat">{t("chooseChat")}</label>
          <select id="share-chat" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
            <option value="">{t("chooseOne")}</option>
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {chatTitle(c)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary" disabled={!target}>
          {t("sendToChat")}
        </button>
      </form>
      <ErrorNote error={error} />
      {sent && (
        <p role="status">
          {t("sentToChat")}{" "}
          <button type="button" class="link" onClick={() => navigate("chats", sent)}>
            →
          </button>
        </p>
      )}
    </section>
  );
}

export function VerifyView() {
  const [text, setText] = useState("");
  const [result, setResult] = useState<Parameters<typeof VerificationResult>[0]["result"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("verifyTitle")}</ScreenTitle>
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          setResult(null);
          try {
            setResult(await request("/verify", { body: { presentation: text.trim() }, anonymous: true }));
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="verify-input">{t("pastePresentation")}</label>
        <textarea id="verify-input" class="mono" rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy || !text.trim()}>
          {busy ? t("verifying") : t("verify")}
        </button>
      </form>
      <ErrorNote error={error} />
      {result && (
        <section class="card">
          <VerificationResult result={result} />
        </section>
      )}
    </div>
  );
}

/** Six digits from a key's thumbprint, shown on both devices so the citizen can tell it is the same request. */
async function codeOf(key: PublicJwk): Promise<string> {
  const [a = 0, b = 0, c = 0] = unb64u(await thumbprint(key));
  const n = ((a << 16) | (b << 8) | c) % 1_000_000;
  const digits = String(n).padStart(6, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/** While the records page is open, new requests and answers show within a few seconds. */
const POLL_MS = 3000;

/**
 * Moving documents between the citizen's devices: on a device that lacks some, a button asks the other devices;
 * on a device that holds them, each request from a new device shows with its code, to allow or refuse.
 */
function Transfers({ elsewhere, lost, onMoved }: { elsewhere: boolean; lost: boolean; onMoved: () => void }) {
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [codes, setCodes] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [asked, setAsked] = useState(false);
  const [allowed, setAllowed] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const r = await api.get("/records/transfers");
        if (!live) return;
        setTransfers(r.transfers);
        const next: Record<string, string> = {};
        for (const tr of r.transfers) next[tr.id] = await codeOf(tr.holderKey);
        if (live) setCodes(next);
      } catch {
        // A failed poll is tried again on the next one.
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [tick]);

  const mine = transfers.find((tr) => tr.fromThisDevice);
  const moved = mine?.status === "approved";
  useEffect(() => {
    if (moved) onMoved();
  }, [moved]);
  const incoming = transfers.filter((tr) => !tr.fromThisDevice && tr.status === "pending");

  const ask = async () => {
    setError(null);
    try {
      await holderKey();
      await api.post("/records/transfers");
      setAsked(true);
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };

  const answer = async (tr: Transfer, allow: boolean) => {
    setError(null);
    try {
      if (allow) {
        const key = await holderKey();
        const signature = await signJws(
          { alg: "ES256", typ: "holder-transfer+jwt" },
          { transfer: tr.id, jkt: await thumbprint(tr.holderKey), iat: Math.floor(Date.now() / 1000) },
          key.privateKey,
        );
        await api.post("/records/transfers/{id}/approve", { path: { id: tr.id }, body: { signature } });
        setAllowed(tr.id);
      } else {
        await api.post("/records/transfers/{id}/deny", { path: { id: tr.id } });
      }
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };

  if (!elsewhere && !lost && !mine && incoming.length === 0 && !allowed && !error) return null;
  return (
    <section class="card" aria-labelledby="devices-heading" data-testid="transfers">
      <h2 id="devices-heading">{t("devicesTitle")}</h2>
      {incoming.map((tr) => (
        <div key={tr.id} class="group" data-testid="transfer-request">
          <p>{tr.deviceName ? t("transferRequest", { name: tr.deviceName }) : t("transferRequestUnnamed")}</p>
          <p>{t("transferCode", { code: codes[tr.id] ?? "…" })}</p>
          <div class="row">
            <button type="button" class="primary" onClick={() => void answer(tr, true)}>
              {t("transferAllow")}
            </button>
            <button type="button" onClick={() => void answer(tr, false)}>
              {t("transferDeny")}
            </button>
          </div>
        </div>
      ))}
      {allowed && <p role="status">{t("transferAllowed")}</p>}
      {mine?.status === "pending" && <p role="status">{t("transferWaiting", { code: codes[mine.id] ?? "…" })}</p>}
      {mine?.status === "approved" && <p role="status">{t("transferDone", { count: mine.records ?? 0 })}</p>}
      {mine?.status === "denied" && <p role="status">{t("transferDenied")}</p>}
      {elsewhere && mine?.status !== "pending" && !moved && (
        <>
          <p class="muted">{t("transferLead")}</p>
          <button type="button" class="primary" disabled={asked && !mine} onClick={() => void ask()}>
            {t("transferAsk")}
          </button>
        </>
      )}
      {lost && <p class="muted">{t("reissueHint")}</p>}
      <ErrorNote error={error} />
    </section>
  );
}
