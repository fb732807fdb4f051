// Issuing records: an SD-JWT VC signed with the agency's key, with a status-list index for revocation, stored
// in the same D1 batch as the citizen's access-log entry. The record keeps one copy bound to no key (presentable
// without key binding only) and one per holder device the citizen has now, each with that device's public key
// as `cnf.jwk` (holders.ts); the server never holds a holder private key.

// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";
import { type AgencyRow, agencySigningKey } from "../agencies/store";
import { type NewEntry, withAccessLog } from "../audit/log";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { bindStatements, holderDevices } from "./holders";
import { issueCredential, SdJwtError } from "./sdjwt";
import { isRecordType, RECORD_TYPE_MAX } from "./type";

/** An agency's issuer identifier is its URL here; `${iss}/jwks.json` is its key set, for offline checks. */
export const issuerUrl = (env: Env, agencyId: string) => `${env.ISSUER}/api/v1/agencies/${agencyId}`;
/** Our credentials' `vct` is the record type behind one fixed prefix, so `verify` can give the type back unchanged. */
const VCT_PREFIX = "urn:veche:vct:";
export const vctOf = (type: string) => `${VCT_PREFIX}${type}`;
/** The record type of a `vct` we issued (the prefix removed once); another issuer's `vct` as it is. */
export const typeOfVct = (vct: string) => (vct.startsWith(VCT_PREFIX) ? vct.slice(VCT_PREFIX.length) : vct);

/** A record type as agencies send it (src/records/type.ts says what is allowed). */
export const RecordType = z
  .string()
  .refine(isRecordType, `1 to ${RECORD_TYPE_MAX} printable characters, no leading or trailing space`)
  .openapi({
    description: `The agency's own name for the record type: 1–${RECORD_TYPE_MAX} printable characters, returned unchanged (also by verify).`,
    examples: ["DriverLicense", "driver_license", "https://gov.example/vct/passport"],
  });

export interface IssueOptions {
  /** When the credential stops being valid (its `exp`), epoch ms; none when null or absent. */
  expiresAt?: number | null;
  /** Why, for the citizen's access log (e.g. "receipt"). */
  purpose?: string;
  /** Statements that must commit with the record, or not at all (given the new record's id). */
  with?: (recordId: string) => D1PreparedStatement[];
}

const UNIQUE = /UNIQUE constraint failed: records\.agency_id, records\.status_idx/;

/**
 * Signs and stores a record for the citizen; answers its id. Two issues racing for the same status-list
 * index cannot share it (a unique index): the loser signs again with the next index.
 */
export async function issueRecord(
  env: Env,
  agency: AgencyRow,
  citizenId: string,
  type: string,
  claims: Record<string, unknown>,
  opts: IssueOptions = {},
): Promise<string> {
  const devices = await holderDevices(env, citizenId);
  const key = await agencySigningKey(env, agency.id);
  const iss = issuerUrl(env, agency.id);
  for (let attempt = 0; ; attempt++) {
    const next = await env.DB.prepare("SELECT COALESCE(MAX(status_idx), -1) + 1 AS idx FROM records WHERE agency_id = ?1")
      .bind(agency.id)
      .first<{ idx: number }>();
    const statusIdx = next?.idx ?? 0;
    let credential: string;
    try {
      credential = await issueCredential({
        issuer: iss,
        vct: vctOf(type),
        claims,
        status: { uri: `${iss}/status-list`, idx: statusIdx },
        ...(opts.expiresAt == null ? {} : { expiresAt: new Date(opts.expiresAt) }),
        key,
      });
    } catch (err) {
      if (err instanceof SdJwtError) throw new ApiError(400, "invalid_claims", err.message);
      throw err;
    }
    const id = newId();
    const now = Date.now();
    const bound = await bindStatements(
      env,
      citizenId,
      [{ id, agencyId: agency.id, type, claims: JSON.stringify(claims), statusIdx, expiresAt: opts.expiresAt ?? null }],
      devices,
      now,
    );
    const entry: NewEntry = {
      actor: { type: "agency", id: agency.id, name: agency.name },
      action: "create",
      resource: `record:${id}`,
      purpose: opts.purpose ?? null,
    };
    try {
      await withAccessLog(
        env.DB,
        citizenId,
        [entry],
        [
          env.DB.prepare(
            "INSERT INTO records (id, agency_id, citizen_id, type, claims, credential, status_idx, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
          ).bind(id, agency.id, citizenId, type, JSON.stringify(claims), credential, statusIdx, now, opts.expiresAt ?? null),
          ...bound,
          ...(opts.with?.(id) ?? []),
        ],
      );
      return id;
    } catch (err) {
      if (attempt < 3 && UNIQUE.test(String(err))) continue;
      throw err;
    }
  }
}
