import { useState } from "preact/hooks";
import { href } from "../../lib/router";
import { api } from "../api";
import { formatDateTime } from "../format";
import { hasKey, t } from "../i18n";
import type { AgencyProfile, Delivery, DeliveryStatus } from "../types";
import { Badge, ErrorAlert, ListCard, ListTable, PageTitle, StatusFilter, StatusNote, type Tone, useLoader } from "../ui";

const TONES: Record<DeliveryStatus, Tone> = { pending: "info", delivered: "ok", failed: "bad" };
const STATUSES: DeliveryStatus[] = ["pending", "delivered", "failed"];
const RECHECK_MS = 1500;

/** The server names a class of failure (`http_5xx`, `timeout`, …); shown in words, an unknown class as sent. */
const failureText = (failure: string): string => {
  const key = `failure.${failure}`;
  return hasKey(key) ? t(key) : failure;
};

export function WebhooksPage(props: { profile: AgencyProfile | null }) {
  const loaded = useLoader(async () => (await api.get("/agency/webhook-deliveries")).deliveries, []);
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
      const answer = await api.post("/agency/webhook-deliveries/{id}/retry", { path: { id: delivery.id } });
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
      <ListCard
        id="hooks-list"
        title={t("hooks.list")}
        loaded={loaded}
        toolbar={
          <StatusFilter
            label={t("common.status")}
            value={status}
            statuses={STATUSES}
            name={(s) => t(`delivery.${s}`)}
            onChange={setStatus}
          />
        }
      >
        <ErrorAlert error={error} />
        <StatusNote text={note} />
        <ListTable
          loaded={loaded}
          label={t("hooks.list")}
          columns={[
            t("common.created"),
            t("hooks.col.event"),
            t("common.status"),
            { label: t("hooks.col.attempts"), num: true },
            t("hooks.col.lastStatus"),
            t("hooks.col.lastError"),
            t("hooks.col.when"),
            t("common.actions"),
          ]}
          items={deliveries}
          cells={(d) => (
            <>
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
              <td class="error-cell">{d.lastError ? failureText(d.lastError) : t("common.dash")}</td>
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
            </>
          )}
        />
      </ListCard>
    </>
  );
}
