// What a presentation's check found (POST /verify), in people's words: the verdict and why a document failed,
// its issuer, its type and the disclosed claims by name, never the API's codes or the claims' raw names
// (the issuer's record type names them where it has one, src/web/lib/claim-labels.ts otherwise). A chunk
// of its own, loaded by the first check: a chat's presentation card and the services' verify screen.
import { labelledClaims, recordTypeName } from "../lib/claim-labels";
import type { RecordDisplay } from "../lib/format";
import { dictionary, t } from "../lib/i18n";
import { VerifiedBadge } from "../lib/ui";

export interface Verification {
  valid: boolean;
  issuer: { id: string; name: string; verified: boolean } | null;
  type: string | null;
  claims: Record<string, unknown>;
  revoked: boolean | null;
  /** The type's name and the claims' labels in the page's language (the issuer's record type). */
  display?: RecordDisplay | null;
  error?: string;
}

/** Why a document failed, for the verifier's error codes (src/records/sdjwt/verify.ts). */
const why = dictionary({
  ru: {
    expired: "срок действия истёк",
    not_yet_valid: "срок действия ещё не начался",
    unknown_issuer: "его выдало ведомство не из справочника",
    bad_signature: "подпись не сходится: его изменили или подделали",
    malformed: "это не предъявление документа, или оно повреждено",
  },
  en: {
    expired: "it has expired",
    not_yet_valid: "it is not valid yet",
    unknown_issuer: "it was issued by an agency not in the directory",
    bad_signature: "the signature does not match: it was altered or forged",
    malformed: "this is not a document presentation, or it is damaged",
  },
});
type Why = Parameters<typeof why>[0];
const REASONS: Record<string, Why> = {
  expired: "expired",
  not_yet_valid: "not_yet_valid",
  unknown_issuer: "unknown_issuer",
  bad_signature: "bad_signature",
  digest_mismatch: "bad_signature",
  duplicate_disclosure: "bad_signature",
  key_binding_invalid: "bad_signature",
};
const reason = (code: string | undefined): string => why((code && Object.hasOwn(REASONS, code) ? REASONS[code] : undefined) ?? "malformed");

export function VerificationResult({ result }: { result: Verification }) {
  const ok = result.valid && !result.revoked;
  const display = result.display ?? undefined;
  return (
    <div class={`verification ${ok ? "ok" : "bad"}`} role="status" data-testid="verification">
      <p class="verdict">
        {result.valid ? (result.revoked ? t("verifyRevoked") : t("verifyValid")) : t("verifyInvalid", { error: reason(result.error) })}
      </p>
      {result.valid && (
        <>
          <p>
            {t("verifyIssuer", { issuer: result.issuer?.name ?? t("unknownIssuer") })}
            {result.issuer?.verified && <VerifiedBadge />}
          </p>
          {result.type && <p>{t("verifyType", { type: recordTypeName({ type: result.type, display }) })}</p>}
          <table class="claims">
            <caption>{t("disclosedClaims")}</caption>
            <tbody>
              {labelledClaims(result.claims, display).map((row) => (
                <tr key={row.name}>
                  <th scope="row">{row.label}</th>
                  <td>{row.image ? <img src={row.image} alt={row.label} class="claim-image" /> : row.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
