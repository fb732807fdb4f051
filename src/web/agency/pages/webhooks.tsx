import { useState } from "preact/hooks";
import { api } from "../api";
import { formatDateTime } from "../format";
import { t } from "../i18n";
import { href } from "../router";
import type { AgencyProfile, Delivery, DeliveryStatus } from "../types";
import { Badge, ErrorAlert, ListState, PageTitle, RefreshButton, StatusNote, TableWrap, type Tone, useLoader } from "../ui";

const TONES: Record<DeliveryStatus, Tone> = { pending: "info", delivered: "ok", failed: "bad" };
const STATUSES: DeliveryStatus[] = ["pending", "delivered", "failed"];
const RECHECK_MS = 1500;

export function WebhooksPage(props: { profile: AgencyProfile | null }) {
  const loaded = useLoader(async () => (await api.get<{ deliveries: Delivery[] }>("/agency/webhook-deliveries")).deliveries, []);
  const [status, setStatus] = useState<DeliveryStatus | "">("");
  const [retrying, setRetrying] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const deliveries = (loaded.data ?? []).filter((d) => !status || d.status === status);

  const retry = async (delivery: Delivery) => {
    setRetrying(delivery.id);
    setError(null);
    setNote(null);
    try {
      const answer = await api.post<{ delivery?: Delivery } | null>(`/agency/webhook-deliveries/${encodeURIComponent(delivery.id)}/retry`);
      const updated = answer?.delivery;
      if (updated) loaded.setData((list) => (list ?? []).map((d) => (d.id === updated.id ? updated : d)));
      setNote(t("hooks.retried"));
      // The attempt runs in the background; look again shortly so its outcome shows without a manual refresh.
      setTimeout(() => void loaded.reload(), RECHECK_MS);
    } catch (err) {
      setError(err);
    } finally {
      setRetrying(null);
    }
  };

  return (
    <>
      <PageTitle>{t("hooks.title")}</PageTitle>
      <p class="lead">{t("hooks.intro")}</p>
      {props.profile && !props.profile.webhookUrl ? (
        <p class="alert alert-info">
          {t("hooks.noUrl")} <a href={href("settings")}>{t("nav.settings")}</a>
        </p>
      ) : null}
      <section class="card" aria-labelledby="hooks-list">
        <div class="section-head">
          <h2 id="hooks-list">{t("hooks.list")}</h2>
          <div class="toolbar">
            <label class="inline-label">
              {t("common.status")}
              <select value={status} onChange={(e) => setStatus(e.currentTarget.value as DeliveryStatus | "")}>
                <option value="">{t("common.all")}</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {t(`delivery.${s}`)}
                  </option>
                ))}
              </select>
            </label>
            <RefreshButton onClick={() => void loaded.reload()} busy={loaded.loading} />
          </div>
        </div>
        <ErrorAlert error={error} />
        <StatusNote text={note} />
        <ListState loaded={loaded} count={deliveries.length} />
        {deliveries.length > 0 ? (
          <TableWrap label={t("hooks.list")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("common.created")}</th>
                  <th scope="col">{t("hooks.col.event")}</th>
                  <th scope="col">{t("common.status")}</th>
                  <th scope="col" class="num">
                    {t("hooks.col.attempts")}
                  </th>
                  <th scope="col">{t("hooks.col.lastStatus")}</th>
                  <th scope="col">{t("hooks.col.lastError")}</th>
                  <th scope="col">{t("hooks.col.when")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id} data-id={d.id}>
                    <td>{formatDateTime(d.createdAt)}</td>
                    <td class="event-cell">
                      <span class="mono nowrap">{d.type}</span>
                      <br />
                      <span class="mono muted small">{d.eventId}</span>
                    </td>
                    <td>
                      <Badge tone={TONES[d.status]}>{t(`delivery.${d.status}`)}</Badge>
                    </td>
                    <td class="num">{d.attempts}</td>
                    <td class="mono">{d.lastStatus ?? t("common.dash")}</td>
                    <td class="error-cell">{d.lastError ?? t("common.dash")}</td>
                    <td>{formatDateTime(d.status === "delivered" ? d.deliveredAt : d.nextAttemptAt)}</td>
                    <td>
                      {d.status !== "delivered" ? (
                        <button
                          type="button"
                          class="button button-small"
                          disabled={retrying === d.id}
                          aria-label={t("hooks.retryLabel", { type: d.type, date: formatDateTime(d.createdAt) })}
                          onClick={() => void retry(d)}
                        >
                          {t("hooks.retry")}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
    </>
  );
}
