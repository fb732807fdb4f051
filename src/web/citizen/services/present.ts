// Presenting a record. The server answers the chosen disclosures without key binding (it holds no holder
// private key); when a verifier asked for proof of possession (an audience and its nonce), this device
// appends the Key Binding JWT (RFC 9901 §4.3: typ kb+jwt; iat, aud, nonce, sd_hash) signed with its own holder
// key, which the credential names as `cnf.jwk`.
import { api } from "../../lib/api";
import { t } from "../../lib/i18n";
import { holderKey, sha256b64u, signJws, unb64u } from "../holder";

export interface PresentOptions {
  /** Who the presentation is for (the KB-JWT's `aud`). */
  audience?: string;
  /** The verifier's challenge (the KB-JWT's `nonce`). */
  nonce?: string;
}

/** The `cnf.jwk` of an SD-JWT's issuer-signed JWT, or null. */
function boundKey(sdJwt: string): { x?: unknown; y?: unknown } | null {
  try {
    const payload = sdJwt.split("~")[0]?.split(".")[1] ?? "";
    const claims = JSON.parse(new TextDecoder().decode(unb64u(payload))) as { cnf?: { jwk?: { x?: unknown; y?: unknown } } };
    return claims.cnf?.jwk ?? null;
  } catch {
    return null;
  }
}

/**
 * A presentation of the record disclosing only `disclose`; with `audience` and `nonce`, key-bound by this
 * device. Throws when the record is not bound to this device's key yet (see the records page: pass the
 * records from another device, or ask the agency to re-issue).
 */
export async function presentRecord(recordId: string, disclose: string[], opts: PresentOptions): Promise<string> {
  const bind = Boolean(opts.audience || opts.nonce);
  if (bind && (!opts.audience || !opts.nonce)) throw new Error(t("kbNeedsBoth"));
  // Published before asking, so a record waiting for this device's first key is bound to it by this request.
  const key = bind ? await holderKey() : null;
  const { presentation } = await api.post("/records/{id}/presentations", { path: { id: recordId }, body: { disclose } });
  if (!key || !opts.audience || !opts.nonce) return presentation;
  const cnf = boundKey(presentation);
  if (cnf?.x !== key.publicJwk.x || cnf?.y !== key.publicJwk.y) throw new Error(t("notOnThisDevice"));
  const kbJwt = await signJws(
    { alg: "ES256", typ: "kb+jwt" },
    { iat: Math.floor(Date.now() / 1000), aud: opts.audience, nonce: opts.nonce, sd_hash: await sha256b64u(presentation) },
    key.privateKey,
  );
  return presentation + kbJwt;
}
