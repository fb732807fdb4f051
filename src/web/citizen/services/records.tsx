// Documents (records): the list, one record with the claims to disclose, its presentation as a QR code and
// as a chat message, and verifying a presentation someone shared.
import { useState } from "preact/hooks";
import { randomId, request } from "../../lib/api";
import { formatDate, t } from "../../lib/i18n";
import { QrCode } from "../../lib/qr";
import { href, navigate } from "../../lib/router";
import { CopyButton, ErrorNote, Loading, ScreenTitle, useAsync, useStore, VerifiedBadge } from "../../lib/ui";
import { chatTitle } from "../chat-list";
import { VerificationResult } from "../message";
import type { ChatList } from "../state";

interface RecordItem {
  id: string;
  agency: { id: string; name: string; verified: boolean };
  type: string;
  claims: Record<string, unknown>;
  revoked: boolean;
  /** `revoked` or `expired`: shown as such everywhere, and it can no longer be presented. */
  status: "valid" | "revoked" | "expired";
  expiresAt: string | null;
  createdAt: string;
}

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
  const records = useAsync(() => request<{ records: RecordItem[] }>("/records"), []);
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("records")}</ScreenTitle>
      {records.loading && !records.data && <Loading />}
      <ErrorNote error={records.error} onRetry={records.reload} />
      {records.data?.records.length === 0 && <p class="muted">{t("noRecords")}</p>}
      <ul class="cards">
        {records.data?.records.map((r) => (
          <li key={r.id}>
            <a class="card link-card" href={href("services", "records", r.id)}>
              <span class="row spread">
                <strong>{r.type}</strong>
                <RecordMark record={r} />
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
  const data = useAsync(() => request<{ record: RecordItem }>(`/records/${encodeURIComponent(id)}`), [id]);
  const record = data.data?.record;
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [presentation, setPresentation] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const present = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await request<{ presentation: string }>(`/records/${encodeURIComponent(id)}/presentations`, {
        body: { disclose: [...chosen] },
      });
      setPresentation(r.presentation);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <ScreenTitle back={href("services", "records")}>{record?.type ?? t("records")}</ScreenTitle>
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
                {Object.entries(record.claims).map(([name, value]) => (
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
                      <span class="claim-name">{name}</span>: {Array.isArray(value) ? value.join(", ") : String(value)}
                    </label>
                  </div>
                ))}
              </fieldset>
              <ErrorNote error={error} />
              <button type="submit" class="primary" disabled={busy || chosen.size === 0}>
                {t("present")}
              </button>
            </form>
          )}
          {presentation && <PresentationPanel presentation={presentation} chats={chats} />}
        </>
      )}
    </div>
  );
}

function PresentationPanel({ presentation, chats }: { presentation: string; chats: ChatList }) {
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
            await request(`/chats/${encodeURIComponent(target)}/messages`, { body: { clientId: randomId(), text: presentation } });
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
