// Issuing records: an SD-JWT VC signed with the agency's key, bound to the citizen's holder key, with a
// status-list index for revocation, stored in the same D1 batch as the citizen's access-log entry.

// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import * as z from "zod";
import { type AgencyRow, agencySigningKey } from "../agencies/store";
import { type NewEntry, withAccessLog } from "../audit/log";
import { seal, unseal } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
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

/** The citizen's holder key, made on first need and kept sealed. */
export async function holderKey(env: Env, userId: string): Promise<{ publicJwk: JWK; privateKey: CryptoKey }> {
  const select = env.DB.prepare("SELECT public_jwk, private_jwk_sealed FROM holder_keys WHERE user_id = ?1").bind(userId);
  let row = await select.first<{ public_jwk: string; private_jwk_sealed: string }>();
  if (!row) {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const pub = JSON.stringify(await exportJWK(publicKey));
    const sealed = await seal(env.DATA_ENCRYPTION_KEY, JSON.stringify(await exportJWK(privateKey)), `holder:${userId}`);
    await env.DB.prepare(
      "INSERT INTO holder_keys (user_id, public_jwk, private_jwk_sealed, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    )
      .bind(userId, pub, sealed, Date.now())
      .run();
    row = await select.first<{ public_jwk: string; private_jwk_sealed: string }>();
    if (!row) throw new Error("holder key missing after insert");
  }
  const privateJwk = JSON.parse(await unseal(env.DATA_ENCRYPTION_KEY, row.private_jwk_sealed, `holder:${userId}`)) as JWK;
  return { publicJwk: JSON.parse(row.public_jwk) as JWK, privateKey: (await importJWK(privateJwk, "ES256")) as CryptoKey };
}

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
  const holder = await holderKey(env, citizenId);
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
        holderJwk: holder.publicJwk,
        key,
      });
    } catch (err) {
      if (err instanceof SdJwtError) throw new ApiError(400, "invalid_claims", err.message);
      throw err;
    }
    const id = newId();
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
          ).bind(id, agency.id, citizenId, type, JSON.stringify(claims), credential, statusIdx, Date.now(), opts.expiresAt ?? null),
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
