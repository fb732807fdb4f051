// Records bound to the citizen's devices. Each signed-in browser makes its own ES256 holder key (private half
// non-extractable, in IndexedDB) and publishes the public JWK (`PUT /me/device { holderKey }`, src/keys). A
// record keeps one credential per active holder device, each re-issued under the issuing agency's key with
// that device's key as `cnf.jwk`, so only that device can sign a presentation's key-binding JWT. The server
// holds no holder private key at all (migration 0014 dropped the old server-held ones).
//
// How a device gets a record (docs/architecture.md, "Holder keys on devices"):
// - issued while the citizen has holder devices: bound to all of them at once;
// - issued while there were none, or before migration 0014 (`bound_at` NULL): bound to every holder device
//   the first time one is there (bindPending, on the citizen's next read of their records);
// - otherwise a new device gets records only by a transfer approved on an old one (transfers.ts), or a
//   re-issue by the agency (POST /agency/records/:id/reissue), never by merely signing in.
// A device that signs out or is revoked loses its credentials (a trigger in migration 0014, and the read
// paths here skip any device that is no longer active).

import type { JWK } from "jose";
import { agencySigningKey } from "../agencies/store";
import type { PublicJwk } from "../keys/chain";
import { activeDevices, deviceOfSession } from "../keys/devices";
// issue.ts imports this module too; only functions cross, called long after both modules loaded.
import { issuerUrl, vctOf } from "./issue";
import { issueCredential } from "./sdjwt";
import type { RecordRow } from "./store";

/** A P-256 public key as a JWK, exactly the members `cnf.jwk` carries. */
export interface HolderJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
}

export interface HolderDevice {
  id: string;
  key: HolderJwk;
  /** The key exactly as the device store keeps it (devices.holder_key), compared as text. */
  keyText: string;
}

/** The device of a signed-in session, with its holder key when it has published one. */
export interface CallerDevice {
  id: string;
  key: HolderJwk | null;
  keyText: string | null;
}

/** What issuing needs of a record to sign it again for another key (the store's row, src/records/store.ts). */
export type BindableRecord = Pick<RecordRow, "id" | "agencyId" | "type" | "claims" | "statusIdx" | "expiresAt">;

export function parseHolderJwk(text: string | null | undefined): HolderJwk | null {
  if (!text) return null;
  try {
    const jwk = JSON.parse(text) as Record<string, unknown>;
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.x !== "string" || typeof jwk.y !== "string" || "d" in jwk) return null;
    return { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  } catch {
    return null;
  }
}

// An active device: not revoked, and its session neither ended nor expired (as src/keys/devices.ts has it).
const ACTIVE = "d.revoked_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > ?2";

/**
 * The stored text of a device's holder key. src/keys/devices.ts writes JSON.stringify of the parsed key and
 * reads it back with JSON.parse, which keeps member order, so this is exactly `devices.holder_key`; the SQL
 * here compares credentials' `holder_jwk` with that column as text.
 */
const keyText = (k: PublicJwk) => JSON.stringify(k);

/** The caller's device (one per session), or null when this session has not registered one. */
export async function callerDevice(env: Env, sessionId: string, now = Date.now()): Promise<CallerDevice | null> {
  const device = await deviceOfSession(env, sessionId, now);
  if (!device) return null;
  const key = device.holderKey ? parseHolderJwk(keyText(device.holderKey)) : null;
  return { id: device.id, key, keyText: key && device.holderKey ? keyText(device.holderKey) : null };
}

/** Every active device of the user that has a holder key. */
export async function holderDevices(env: Env, userId: string, now = Date.now()): Promise<HolderDevice[]> {
  return (await activeDevices(env.DB, userId, now)).flatMap((d) => {
    const key = d.holderKey ? parseHolderJwk(keyText(d.holderKey)) : null;
    return key && d.holderKey ? [{ id: d.id, key, keyText: keyText(d.holderKey) }] : [];
  });
}

/**
 * Signs the record again under its agency's key, for one holder key: the same claims, type, expiry and
 * status-list bit (so revoking the record revokes every copy), fresh salts (copies are unlinkable).
 */
export async function signFor(
  env: Env,
  record: BindableRecord,
  key: HolderJwk | null,
  agencyKey?: { kid: string; privateKey: CryptoKey },
): Promise<string> {
  const signing = agencyKey ?? (await agencySigningKey(env, record.agencyId));
  const iss = issuerUrl(env, record.agencyId);
  return issueCredential({
    issuer: iss,
    vct: vctOf(record.type),
    claims: JSON.parse(record.claims) as Record<string, unknown>,
    status: { uri: `${iss}/status-list`, idx: record.statusIdx },
    ...(record.expiresAt == null ? {} : { expiresAt: new Date(record.expiresAt) }),
    ...(key ? { holderJwk: key as JWK } : {}),
    key: signing,
  });
}

/** Insert-or-replace statements binding each record to each device; marks the records bound. */
export async function bindStatements(
  env: Env,
  userId: string,
  records: readonly BindableRecord[],
  devices: readonly HolderDevice[],
  now = Date.now(),
): Promise<D1PreparedStatement[]> {
  const keys = new Map<string, { kid: string; privateKey: CryptoKey }>();
  const out: D1PreparedStatement[] = [];
  for (const record of records) {
    let key = keys.get(record.agencyId);
    if (!key) {
      key = await agencySigningKey(env, record.agencyId);
      keys.set(record.agencyId, key);
    }
    for (const device of devices) {
      const credential = await signFor(env, record, device.key, key);
      out.push(
        env.DB.prepare(
          `INSERT INTO record_credentials (record_id, device_id, user_id, holder_jwk, credential, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
           ON CONFLICT (record_id, device_id) DO UPDATE SET holder_jwk = excluded.holder_jwk, credential = excluded.credential, created_at = excluded.created_at`,
        ).bind(record.id, device.id, userId, device.keyText, credential, now),
      );
    }
    if (devices.length > 0)
      out.push(env.DB.prepare("UPDATE records SET bound_at = COALESCE(bound_at, ?2) WHERE id = ?1").bind(record.id, now));
  }
  return out;
}

// Aliased to the store's camelCase row (BindableRecord).
const BINDABLE = "r.id, r.agency_id AS agencyId, r.type, r.claims, r.status_idx AS statusIdx, r.expires_at AS expiresAt";

/**
 * Binds the citizen's never-bound records (issued while they had no device key, or before migration 0014)
 * to every holder device they have now. Answers how many records were bound.
 */
export async function bindPending(env: Env, userId: string): Promise<number> {
  const { results } = await env.DB.prepare(`SELECT ${BINDABLE} FROM records r WHERE r.citizen_id = ?1 AND r.bound_at IS NULL`)
    .bind(userId)
    .all<BindableRecord>();
  if (results.length === 0) return 0;
  const devices = await holderDevices(env, userId);
  if (devices.length === 0) return 0;
  await env.DB.batch(await bindStatements(env, userId, results, devices));
  return results.length;
}

/**
 * Re-binds to `target` every record the `from` device holds a current credential for (a transfer approved on
 * that device). Answers how many.
 */
export async function bindLikeDevice(env: Env, userId: string, from: HolderDevice, target: HolderDevice): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT ${BINDABLE} FROM records r JOIN record_credentials c ON c.record_id = r.id
     WHERE r.citizen_id = ?1 AND c.device_id = ?2 AND c.holder_jwk = ?3`,
  )
    .bind(userId, from.id, from.keyText)
    .all<BindableRecord>();
  if (results.length > 0) await env.DB.batch(await bindStatements(env, userId, results, [target]));
  return results.length;
}

/**
 * Deletes the user's credentials that no active device can use: devices that ended (signed out, revoked,
 * expired) or whose holder key was replaced since. The trigger in migration 0014 does this at revocation;
 * this catches sessions that merely expired.
 */
export async function dropStale(env: Env, userId: string, now = Date.now()): Promise<void> {
  await env.DB.prepare(
    `DELETE FROM record_credentials WHERE user_id = ?1 AND NOT EXISTS (
       SELECT 1 FROM devices d JOIN sessions s ON s.id = d.session_id
       WHERE d.id = record_credentials.device_id AND d.holder_key = record_credentials.holder_jwk AND ${ACTIVE})`,
  )
    .bind(userId, now)
    .run();
}

/** Every user's stale credentials (the scheduled prune). */
export async function pruneStaleCredentials(db: D1Database, now = Date.now()): Promise<number> {
  const res = await db
    .prepare(
      `DELETE FROM record_credentials WHERE NOT EXISTS (
         SELECT 1 FROM devices d JOIN sessions s ON s.id = d.session_id
         WHERE d.id = record_credentials.device_id AND d.holder_key = record_credentials.holder_jwk
           AND d.revoked_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > ?1)`,
    )
    .bind(now)
    .run();
  return res.meta.changes ?? 0;
}

/**
 * How the caller's device stands with one record:
 * - `device`: `credential` is bound to this device's key, so the device can add key binding;
 * - `pending`: no device ever held it; it binds as soon as this device publishes a holder key;
 * - `other_device`: other devices of the citizen hold it; ask for a transfer on one of them;
 * - `none`: it was bound once but no active device holds it now (all were lost): ask the agency to re-issue.
 */
export type Binding = "device" | "pending" | "other_device" | "none";

export interface HeldCredential {
  recordId: string;
  deviceId: string;
  keyText: string;
  credential: string;
}

/** The credentials of the user's records that active devices hold with their current key (one record, or all). */
export async function heldCredentials(
  env: Env,
  userId: string,
  recordId: string | null = null,
  now = Date.now(),
): Promise<HeldCredential[]> {
  const { results } = await env.DB.prepare(
    `SELECT c.record_id, c.device_id, c.holder_jwk, c.credential FROM record_credentials c
     JOIN devices d ON d.id = c.device_id JOIN sessions s ON s.id = d.session_id
     WHERE c.user_id = ?1 AND (?3 IS NULL OR c.record_id = ?3) AND d.holder_key = c.holder_jwk AND ${ACTIVE}`,
  )
    .bind(userId, now, recordId)
    .all<{ record_id: string; device_id: string; holder_jwk: string; credential: string }>();
  return results.map((r) => ({ recordId: r.record_id, deviceId: r.device_id, keyText: r.holder_jwk, credential: r.credential }));
}

/** The caller's device's standing with one record (see Binding), and the credential it should use. */
export function standing(
  record: Pick<RecordRow, "id" | "credential" | "boundAt">,
  held: readonly HeldCredential[],
  device: CallerDevice | null,
): { credential: string; binding: Binding } {
  const mine = device?.keyText
    ? held.find((h) => h.recordId === record.id && h.deviceId === device.id && h.keyText === device.keyText)
    : undefined;
  if (mine) return { credential: mine.credential, binding: "device" };
  const binding: Binding = record.boundAt === null ? "pending" : held.some((h) => h.recordId === record.id) ? "other_device" : "none";
  return { credential: record.credential, binding };
}
