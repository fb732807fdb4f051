// The access log as a timeline, with its hash chain recomputed here in the browser (lib/chain.ts): the page
// says whether the chain holds, and where it breaks if it does not.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../lib/api";
import type { AnswerOf } from "../../lib/api-call";
import { type ChainResult, verifyChain } from "../../lib/chain";
import { recordTypeName } from "../../lib/claim-labels";
import { formatDateTime, lang, t } from "../../lib/i18n";
import { href } from "../../lib/router";
import { ErrorNote, Loading, ScreenTitle, useAsync } from "../../lib/ui";
import { type LogNames, logSentence } from "./log-words";

const PAGE = 1000;

type Entry = AnswerOf<"/me/access-log", "get">["entries"][number];

/**
 * Every entry, page by page. Each page comes with the head read in the same database batch, so the last
 * page's head is where the chain must end (entries appended meanwhile would be on a further page).
 */
async function loadAll(): Promise<{ entries: Entry[]; head: string }> {
  const entries: Entry[] = [];
  for (;;) {
    const after = entries.at(-1)?.seq ?? 0;
    const page = await api.get("/me/access-log", { query: { after, limit: PAGE } });
    entries.push(...page.entries);
    if (page.entries.length < PAGE) return { entries, head: page.head };
  }
}

/** What the citizen's own lists call the things the log names, so sentences say "«Водительское удостоверение»". */
async function loadNames(): Promise<LogNames> {
  const quietly = <T,>(p: Promise<T>) => p.catch(() => null);
  const [records, bills, submissions, forms] = await Promise.all([
    quietly(api.get("/records")),
    quietly(api.get("/bills")),
    quietly(api.get("/submissions")),
    quietly(api.get("/forms")),
  ]);
  const recordNames = new Map(records?.records.map((r) => [r.id, recordTypeName(r)]));
  const billNames = new Map(bills?.bills.map((b) => [b.id, b.purpose]));
  const formTitles = new Map(forms?.forms.map((f) => [f.id, f.title]));
  const submissionTitles = new Map(submissions?.submissions.map((s) => [s.id, formTitles.get(s.formId)]));
  return { record: (id) => recordNames.get(id), bill: (id) => billNames.get(id), submission: (id) => submissionTitles.get(id) };
}

export function AccessLogView() {
  const log = useAsync(loadAll, []);
  const names = useAsync(loadNames, [lang()]);
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
            <p class="log-sentence">{logSentence(e, names.data ?? {}, lang())}</p>
            <div class="hash mono" title={t("logHash")}>
              #{e.seq} · {e.hash.slice(0, 16)}…
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
