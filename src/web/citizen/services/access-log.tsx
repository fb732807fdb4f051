// The access log as a timeline, with its hash chain recomputed here in the browser (lib/chain.ts): the page
// says whether the chain holds, and where it breaks if it does not.
import { useEffect, useState } from "preact/hooks";
import { request } from "../../lib/api";
import { type ChainResult, type LogEntry, verifyChain } from "../../lib/chain";
import { formatDateTime, t, tKey } from "../../lib/i18n";
import { href } from "../../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync } from "../../lib/ui";

const PAGE = 1000;

/**
 * Every entry, page by page. Each page comes with the head read in the same database batch, so the last
 * page's head is where the chain must end (entries appended meanwhile would be on a further page).
 */
async function loadAll(): Promise<{ entries: LogEntry[]; head: string }> {
  const entries: LogEntry[] = [];
  for (;;) {
    const after = entries.at(-1)?.seq ?? 0;
    const page = await request<{ entries: LogEntry[]; head: string }>(`/me/access-log?after=${after}&limit=${PAGE}`);
    entries.push(...page.entries);
    if (page.entries.length < PAGE) return { entries, head: page.head };
  }
}

export function AccessLogView() {
  const log = useAsync(loadAll, []);
  const [check, setCheck] = useState<ChainResult | null>(null);
  useEffect(() => {
    setCheck(null);
    if (log.data) void verifyChain(log.data.entries, log.data.head).then(setCheck);
  }, [log.data]);
  const entries = log.data?.entries ?? [];
  return (
    <div class="page">
      <ScreenTitle back={href("services")}>{t("accessLog")}</ScreenTitle>
      {log.loading && !log.data && <Loading />}
      <ErrorNote error={log.error} onRetry={log.reload} />
      {log.data && (
        <p class={`chain ${check ? (check.valid ? "ok" : "bad") : ""}`} role="status" data-testid="chain-status">
          {!check
            ? t("chainChecking")
            : check.valid
              ? t("chainVerified", { count: check.count, head: check.head.slice(0, 12) })
              : check.headMismatch
                ? t("chainHeadMismatch")
                : t("chainBroken", { seq: check.brokenAt })}
        </p>
      )}
      {log.data && entries.length === 0 && <p class="muted">{t("logEmpty")}</p>}
      <ol class="timeline">
        {[...entries].reverse().map((e) => (
          <li key={e.seq} class={check && !check.valid && e.seq >= check.brokenAt ? "suspect" : ""}>
            <time dateTime={e.at}>{formatDateTime(e.at)}</time>
            <div>
              <strong>{e.actor.name}</strong> — {tKey("action_", e.action)} <span class="mono">{e.resource}</span>
            </div>
            {e.purpose && <div class="muted">{t("logPurpose", { purpose: e.purpose })}</div>}
            <div class="hash mono" title={t("logHash")}>
              #{e.seq} · {e.hash.slice(0, 16)}…
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
