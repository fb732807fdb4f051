// The one way the citizen app presents a record (the records screen, the Digital ID): every presentation
// goes through presentRecord, so how key binding is made can change in one place. Today the server holds
// the holder key and appends the Key Binding JWT when given audience and nonce; with device-held keys this
// body changes (the server answers the disclosures and the device signs the KB-JWT), the signature does not.
import { request } from "../../lib/api";

/**
 * An SD-JWT presentation of the record disclosing only `disclose` (claim names). With `audience` and
 * `nonce` it is key-bound (a KB-JWT with those and the time it was made); without them it is not.
 */
export async function presentRecord(recordId: string, disclose: string[], opts: { audience?: string; nonce?: string }): Promise<string> {
  const body = {
    disclose,
    ...(opts.audience !== undefined && opts.nonce !== undefined ? { audience: opts.audience, nonce: opts.nonce } : {}),
  };
  const r = await request<{ presentation: string }>(`/records/${encodeURIComponent(recordId)}/presentations`, { body });
  return r.presentation;
}
