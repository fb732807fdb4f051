import { useState } from "preact/hooks";
import { href } from "../../lib/router";
import { api, download } from "../api";
import { formatDateTime, formatDay, formatSize, serverFieldErrors } from "../format";
import { t } from "../i18n";
import type { Attachment, Form, Submission, SubmissionStatus } from "../types";
import { Badge, Dialog, ErrorAlert, Field, ListCard, ListTable, PageTitle, StatusFilter, StatusNote, type Tone, useLoader } from "../ui";

const STATUSES: SubmissionStatus[] = ["submitted", "in_review", "approved", "rejected"];
const TONES: Record<SubmissionStatus, Tone> = { submitted: "info", in_review: "warn", approved: "ok", rejected: "bad" };

function SubmissionBadge(props: { status: SubmissionStatus }) {
  return <Badge tone={TONES[props.status]}>{t(`sub.${props.status}`)}</Badge>;
}

const EXTENSIONS: Record<string, string> = {
  "application/pdf": "pdf",
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/heic": "heic",
  "video/mp4": "mp4",
  "text/plain": "txt",
};

const fileName = (a: Attachment) => a.filename || `${a.id}${EXTENSIONS[a.contentType] ? `.${EXTENSIONS[a.contentType]}` : ""}`;

function formLabel(forms: Map<string, Form>, formId: string): string {
  const form = forms.get(formId);
  return form ? `${form.title} (${t("forms.version", { version: form.version })})` : t("subs.unknownForm", { id: formId });
}

function property(form: Form | undefined, name: string): { title?: unknown; format?: unknown } | null {
  const properties = form?.schema.properties;
  if (typeof properties !== "object" || properties === null) return null;
  const found = (properties as Record<string, unknown>)[name];
  return typeof found === "object" && found !== null ? (found as { title?: unknown; format?: unknown }) : null;
}

function propertyTitle(form: Form | undefined, name: string): string {
  const title = property(form, name)?.title;
  return typeof title === "string" && title ? title : name;
}

/** A submitted value as text: dates as dates, yes/no for booleans, JSON for lists and objects. */
function showValue(form: Form | undefined, name: string, value: unknown, attachments: Attachment[] = []): string {
  if (value === null || value === undefined || value === "") return t("common.dash");
  // A file field holds the upload's id: people know the file by its name (it is among the attachments below).
  if (property(form, name)?.format === "file") {
    const file = attachments.find((a) => a.id === value);
    if (file) return `📎 ${file.filename ?? file.id}`;
  }
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (typeof value === "object") return JSON.stringify(value, null, 2);
  const format = property(form, name)?.format;
  if (typeof value === "string" && format === "date") return formatDay(value);
  if (typeof value === "string" && format === "date-time") return formatDateTime(value);
  return String(value);
}

type Decision = "approved" | "rejected";

function BackLink() {
  return (
    <p>
      <a href={href("submissions")} class="back-link">
        ← {t("subs.back")}
      </a>
    </p>
  );
}

function SubmissionDetail(props: {
  submission: Submission;
  form: Form | undefined;
  formLabel: string;
  onChanged: (s: Submission) => void;
}) {
  const { submission } = props;
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [comment, setComment] = useState("");
  const [commentMissing, setCommentMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [dialogError, setDialogError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);

  const change = async (status: Exclude<SubmissionStatus, "submitted">, text?: string): Promise<boolean> => {
    setBusy(true);
    setNote(null);
    try {
      const { submission: updated } = await api.patch("/agency/submissions/{id}", {
        path: { id: submission.id },
        body: { status, ...(text ? { comment: text } : {}) },
      });
      props.onChanged({ ...submission, ...updated });
      setNote(t("subs.changed", { status: t(`sub.${updated.status}`) }));
      return true;
    } catch (err) {
      if (deciding) setDialogError(err);
      else setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const decide = async (event: Event) => {
    event.preventDefault();
    if (!deciding) return;
    const text = comment.trim();
    if (deciding === "rejected" && !text) {
      setCommentMissing(true);
      return;
    }
    if (await change(deciding, text || undefined)) setDeciding(null);
  };

  const open = (decision: Decision) => {
    setComment("");
    setCommentMissing(false);
    setDialogError(null);
    setDeciding(decision);
  };

  const attachments = submission.attachments ?? [];
  const entries = Object.entries(submission.data);
  const final = submission.status === "approved" || submission.status === "rejected";

  return (
    <>
      <BackLink />
      <PageTitle>
        {t("subs.detail")}: {props.formLabel}
      </PageTitle>
      <section class="card" aria-labelledby="sub-status">
        <dl class="facts">
          {submission.reference ? (
            <>
              <dt>{t("submissions.reference")}</dt>
              <dd data-testid="submission-reference">№ {submission.reference}</dd>
            </>
          ) : null}
          <dt id="sub-status">{t("common.status")}</dt>
          <dd>
            <SubmissionBadge status={submission.status} />
          </dd>
          <dt>{t("common.created")}</dt>
          <dd>{formatDateTime(submission.createdAt)}</dd>
          <dt>{t("subs.col.updated")}</dt>
          <dd>{formatDateTime(submission.updatedAt)}</dd>
          {submission.citizenPhone ? (
            <>
              <dt>{t("subs.col.citizen")}</dt>
              <dd>{submission.citizenPhone}</dd>
            </>
          ) : null}
          {submission.comment ? (
            <>
              <dt>{t("subs.currentComment")}</dt>
              <dd class="prewrap">{submission.comment}</dd>
            </>
          ) : null}
          <dt>ID</dt>
          <dd class="mono">{submission.id}</dd>
        </dl>
        <ErrorAlert error={error} />
        <StatusNote text={note} />
        {final ? (
          <p class="muted">{t("subs.final")}</p>
        ) : (
          <div class="actions">
            {submission.status === "submitted" ? (
              <button type="button" class="button" disabled={busy} onClick={() => void change("in_review")}>
                {t("subs.toReview")}
              </button>
            ) : null}
            <button type="button" class="button button-primary" disabled={busy} onClick={() => open("approved")}>
              {t("subs.approve")}
            </button>
            <button type="button" class="button button-danger" disabled={busy} onClick={() => open("rejected")}>
              {t("subs.reject")}
            </button>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="sub-data">
        <h2 id="sub-data">{t("subs.data")}</h2>
        {entries.length === 0 ? (
          <p>{t("common.empty")}</p>
        ) : (
          <dl class="facts">
            {entries.map(([name, value]) => (
              <div key={name} class="fact">
                <dt>
                  {propertyTitle(props.form, name)}
                  {propertyTitle(props.form, name) !== name ? <span class="mono muted"> {name}</span> : null}
                </dt>
                <dd class="prewrap">{showValue(props.form, name, value, attachments)}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      <section class="card" aria-labelledby="sub-files">
        <h2 id="sub-files">{t("subs.attachments")}</h2>
        <ErrorAlert error={downloadError} />
        {attachments.length === 0 ? (
          <p>{t("subs.noAttachments")}</p>
        ) : (
          <ul class="plain-list attachments">
            {attachments.map((a) => (
              <li key={a.id}>
                <span class="mono">{fileName(a)}</span>{" "}
                <span class="muted">
                  {a.contentType}, {formatSize(a.size)}
                </span>{" "}
                <button
                  type="button"
                  class="button button-small"
                  aria-label={t("subs.downloadLabel", { name: fileName(a) })}
                  onClick={() => {
                    setDownloadError(null);
                    download(
                      `/agency/submissions/${encodeURIComponent(submission.id)}/attachments/${encodeURIComponent(a.id)}`,
                      fileName(a),
                    ).catch(setDownloadError);
                  }}
                >
                  {t("subs.download")}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Dialog
        open={deciding !== null}
        title={deciding === "rejected" ? t("subs.rejectTitle") : t("subs.approveTitle")}
        onClose={() => setDeciding(null)}
      >
        <form onSubmit={decide} noValidate>
          <ErrorAlert error={dialogError} />
          <Field
            label={t("subs.comment")}
            optional={deciding !== "rejected"}
            errors={[...(commentMissing ? [t("subs.commentRequired")] : []), ...serverFieldErrors(dialogError, "comment")]}
          >
            {(c) => (
              <textarea
                {...c}
                name="comment"
                rows={4}
                maxLength={2000}
                required={deciding === "rejected"}
                value={comment}
                onInput={(e) => setComment(e.currentTarget.value)}
              />
            )}
          </Field>
          <div class="actions">
            <button type="submit" class={`button ${deciding === "rejected" ? "button-danger" : "button-primary"}`} disabled={busy}>
              {deciding === "rejected" ? t("subs.reject") : t("subs.approve")}
            </button>
            <button type="button" class="button" onClick={() => setDeciding(null)}>
              {t("common.cancel")}
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

export function SubmissionsPage(props: { id: string | undefined }) {
  const loaded = useLoader(async () => (await api.get("/agency/submissions")).submissions, []);
  const formsLoaded = useLoader(async () => (await api.get("/agency/forms")).forms, []);
  const [status, setStatus] = useState<SubmissionStatus | "">("");
  const forms = new Map((formsLoaded.data ?? []).map((f) => [f.id, f]));
  // Submissions name their form, and the two lists arrive in either order: until the forms are known (or could
  // not be listed), a row or the detail would call a known form unknown ("form <id>"), so both wait for them.
  const formsPending = formsLoaded.loading && formsLoaded.data === undefined;
  const all = loaded.data ?? [];

  if (props.id !== undefined) {
    const submission = all.find((s) => s.id === props.id);
    if (!submission || formsPending) {
      return (
        <>
          <BackLink />
          <PageTitle>{t("subs.detail")}</PageTitle>
          {loaded.loading || formsPending ? (
            <p>{t("common.loading")}</p>
          ) : loaded.error ? (
            <ErrorAlert error={loaded.error} />
          ) : (
            <p>{t("subs.notFound")}</p>
          )}
        </>
      );
    }
    return (
      <SubmissionDetail
        key={submission.id}
        submission={submission}
        form={forms.get(submission.formId)}
        formLabel={formLabel(forms, submission.formId)}
        onChanged={(updated) => loaded.setData((list) => (list ?? []).map((s) => (s.id === updated.id ? updated : s)))}
      />
    );
  }

  const shown = all.filter((s) => !status || s.status === status);
  // The API may or may not name the citizen; a column of dashes says nothing.
  const withPhone = all.some((s) => s.citizenPhone);
  return (
    <>
      <PageTitle>{t("subs.title")}</PageTitle>
      <ListCard
        id="subs-list"
        title={t("subs.list")}
        loaded={loaded}
        toolbar={
          <StatusFilter label={t("subs.filter")} value={status} statuses={STATUSES} name={(s) => t(`sub.${s}`)} onChange={setStatus} />
        }
      >
        {/* Until the forms are known the list only says it is loading (see formsPending). */}
        <ListTable
          loaded={{ ...loaded, loading: loaded.loading || formsPending }}
          label={t("subs.list")}
          columns={[
            t("common.created"),
            t("submissions.reference"),
            t("subs.col.form"),
            ...(withPhone ? [t("subs.col.citizen")] : []),
            t("common.status"),
            t("subs.col.updated"),
            t("subs.attachments"),
          ]}
          items={formsPending ? [] : shown}
          cells={(s) => (
            <>
              <td>
                <a href={href("submissions", s.id)} aria-label={t("subs.open", { date: formatDateTime(s.createdAt) })}>
                  {formatDateTime(s.createdAt)}
                </a>
              </td>
              <td class="nowrap">{s.reference ? `№ ${s.reference}` : t("common.dash")}</td>
              <td>{formLabel(forms, s.formId)}</td>
              {withPhone ? <td class="nowrap">{s.citizenPhone ?? t("common.dash")}</td> : null}
              <td>
                <SubmissionBadge status={s.status} />
              </td>
              <td>{formatDateTime(s.updatedAt)}</td>
              <td class="num">{s.attachments?.length ?? 0}</td>
            </>
          )}
        />
      </ListCard>
    </>
  );
}
