// Devices: one per signed-in session, each with the public keys it published (an MLS signature key for
// secret chats, a P-256 holder key for SD-JWT key binding). The server is the directory of these keys (the
// MLS Authentication Service's public half); private keys never leave the browser. Every key published or
// revoked appends to the user's key log in the same D1 batch (src/keys/log.ts), so the log and the
// directory never disagree. A device whose session ends (sign-out, revocation, expiry) has its keys revoked.

import { roomStub } from "../chat/access";
import { ApiError, unauthorized } from "../lib/errors";
import { isoOrNull } from "../lib/hono";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { PublicJwk } from "./chain";
import { type NewKeyEntry, withKeyLog } from "./log";

export interface Device {
  id: string;
  userId: string;
  sessionId: string;
  name: string | null;
  mlsKey: string | null;
  holderKey: PublicJwk | null;
  createdAt: number;
  revokedAt: number | null;
}

interface DeviceRow {
  id: string;
  user_id: string;
  session_id: string;
  name: string | null;
  mls_key: string | null;
  holder_key: string | null;
  created_at: number;
  revoked_at: number | null;
}

const COLUMNS = "d.id, d.user_id, d.session_id, d.name, d.mls_key, d.holder_key, d.created_at, d.revoked_at";
/** A device is active while it is not revoked and its session is live (expiry included, before the hourly sweep). */
const ACTIVE = "d.revoked_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > ?";

function toDevice(r: DeviceRow): Device {
  return {
    id: r.id,
    userId: r.user_id,
    sessionId: r.session_id,
    name: r.name,
    mlsKey: r.mls_key,
    holderKey: r.holder_key === null ? null : (JSON.parse(r.holder_key) as PublicJwk),
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

/** The public view (GET /users/:id/devices, PUT /me/device). */
export const deviceView = (d: Device) => ({
  id: d.id,
  name: d.name,
  mlsKey: d.mlsKey,
  holderKey: d.holderKey,
  createdAt: isoOrNull(d.createdAt) ?? "",
});

/** The active device of a session, or null (none published yet, or the session has ended). For holder-keys. */
export async function deviceOfSession(env: Env, sessionId: string, now = Date.now()): Promise<Device | null> {
  const row = await env.DB.prepare(
    `SELECT ${COLUMNS} FROM devices d JOIN sessions s ON s.id = d.session_id WHERE d.session_id = ?1 AND ${ACTIVE.replace("?", "?2")}`,
  )
    .bind(sessionId, now)
    .first<DeviceRow>();
  return row ? toDevice(row) : null;
}

/** The holder public key of an active device, or null. For holder-keys (SD-JWT key binding). */
export async function holderKeyOf(env: Env, deviceId: string, now = Date.now()): Promise<PublicJwk | null> {
  const row = await env.DB.prepare(
    `SELECT ${COLUMNS} FROM devices d JOIN sessions s ON s.id = d.session_id WHERE d.id = ?1 AND ${ACTIVE.replace("?", "?2")}`,
  )
    .bind(deviceId, now)
    .first<DeviceRow>();
  return row ? toDevice(row).holderKey : null;
}

/** A user's active devices, oldest first. */
export async function activeDevices(db: D1Database, userId: string, now = Date.now()): Promise<Device[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM devices d JOIN sessions s ON s.id = d.session_id WHERE d.user_id = ?1 AND ${ACTIVE.replace("?", "?2")} ORDER BY d.created_at, d.id`,
    )
    .bind(userId, now)
    .all<DeviceRow>();
  return results.map(toDevice);
}

export interface DeviceUpdate {
  name?: string;
  mlsKey?: string;
  holderKey?: PublicJwk;
}

const sameJwk = (a: PublicJwk | null, b: PublicJwk): boolean => a !== null && a.x === b.x && a.y === b.y && a.crv === b.crv;

/**
 * PUT /me/device: creates the session's device on first use and publishes its keys. A new key appends
 * `added`; a key replacing another first appends `revoked` for the old one; the same key again changes nothing.
 */
export async function publishDevice(env: Env, who: { userId: string; sessionId: string }, update: DeviceUpdate): Promise<Device> {
  const db = env.DB;
  const now = Date.now();
  // The row first (keys come with the log below); a second concurrent first use keeps the first row.
  await db
    .prepare(
      `INSERT INTO devices (id, session_id, user_id, name, created_at, updated_at)
       SELECT ?1, s.id, s.user_id, s.device_name, ?4, ?4 FROM sessions s
       WHERE s.id = ?2 AND s.user_id = ?3 AND s.revoked_at IS NULL AND s.expires_at > ?4
       ON CONFLICT (session_id) DO NOTHING`,
    )
    .bind(newId(now), who.sessionId, who.userId, now)
    .run();
  const out: { device: Device | null } = { device: null };
  const { results } = await withKeyLog(db, who.userId, async () => {
    const device = await deviceOfSession(env, who.sessionId);
    if (!device) throw sessionEnded();
    const entries: NewKeyEntry[] = [];
    let mlsKey = device.mlsKey;
    let holderKey = device.holderKey;
    if (update.mlsKey !== undefined && update.mlsKey !== mlsKey) {
      if (mlsKey !== null) entries.push({ deviceId: device.id, action: "revoked", use: "mls", key: mlsKey });
      entries.push({ deviceId: device.id, action: "added", use: "mls", key: update.mlsKey });
      mlsKey = update.mlsKey;
    }
    if (update.holderKey !== undefined && !sameJwk(holderKey, update.holderKey)) {
      if (holderKey !== null) entries.push({ deviceId: device.id, action: "revoked", use: "holder", key: holderKey });
      entries.push({ deviceId: device.id, action: "added", use: "holder", key: update.holderKey });
      holderKey = update.holderKey;
    }
    const name = update.name ?? device.name;
    out.device = { ...device, name, mlsKey, holderKey };
    return {
      entries,
      whileSessionLive: who.sessionId,
      statements: [
        // Guarded like the entries: nothing changes for a device whose session ended meanwhile.
        db
          .prepare(
            `UPDATE devices SET name = ?2, mls_key = ?3, holder_key = ?4, updated_at = ?5
             WHERE id = ?1 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM sessions WHERE id = ?6 AND revoked_at IS NULL AND expires_at > ?5)`,
          )
          .bind(device.id, name, mlsKey, holderKey === null ? null : JSON.stringify(holderKey), Date.now(), who.sessionId),
      ],
    };
  });
  if (!out.device || (results[0]?.meta.changes ?? 0) === 0) throw sessionEnded();
  return out.device;
}

const sessionEnded = () => unauthorized("session_ended", "This device was signed out; sign in again.");

/**
 * Ends a session's device in the same D1 batch as `sessionStatements` (the session's own revocation): the
 * device is marked revoked and each of its keys gets a `revoked` entry. Answers the results of
 * `sessionStatements` and the device, if it had one. A session without a device just runs its statements.
 */
export async function endDevice(
  db: D1Database,
  sessionId: string,
  sessionStatements: readonly D1PreparedStatement[],
  now = Date.now(),
): Promise<{ results: D1Result[]; device: Device | null }> {
  const owner = await db.prepare("SELECT user_id FROM devices WHERE session_id = ?1").bind(sessionId).first<{ user_id: string }>();
  if (!owner) return { results: sessionStatements.length > 0 ? await db.batch([...sessionStatements]) : [], device: null };
  const out: { device: Device | null } = { device: null };
  const { results } = await withKeyLog(db, owner.user_id, async () => {
    const row = await db.prepare(`SELECT ${COLUMNS} FROM devices d WHERE d.session_id = ?1`).bind(sessionId).first<DeviceRow>();
    const device = row ? toDevice(row) : null;
    if (!device || device.revokedAt !== null) {
      out.device = null;
      return { entries: [], statements: [...sessionStatements] };
    }
    out.device = device;
    const entries: NewKeyEntry[] = [];
    if (device.mlsKey !== null) entries.push({ deviceId: device.id, action: "revoked", use: "mls", key: device.mlsKey });
    if (device.holderKey !== null) entries.push({ deviceId: device.id, action: "revoked", use: "holder", key: device.holderKey });
    return {
      entries,
      statements: [
        ...sessionStatements,
        // The keys stay readable on the row for the record; revoked_at is what makes them inactive.
        db.prepare("UPDATE devices SET revoked_at = ?2, updated_at = ?2 WHERE id = ?1 AND revoked_at IS NULL").bind(device.id, now),
        // Nobody may add an ended device to a group any more.
        db.prepare("DELETE FROM key_packages WHERE device_id = ?1").bind(device.id),
      ],
    };
  });
  return { results, device: out.device };
}

/**
 * An ended device reaches every secret chat of its user, whose rooms then refuse application messages until a
 * commit removes it (src/chat/room/secret.ts): one D1 read per revocation, none per message. Awaited, so a
 * sign-out's answer comes after its rooms know; a room that could not be told learns at the next commit,
 * which checks the declared devices in D1.
 */
export async function announceEnded(env: Env, device: Device): Promise<void> {
  const { results } = await env.DB.prepare(
    "SELECT m.chat_id FROM chat_members m JOIN chats c ON c.id = m.chat_id WHERE m.user_id = ?1 AND c.type = 'secret'",
  )
    .bind(device.userId)
    .all<{ chat_id: string }>();
  const told = await Promise.allSettled(results.map((r) => roomStub(env, r.chat_id).deviceRevoked(r.chat_id, device.id)));
  const failed = told.filter((t) => t.status === "rejected").length;
  if (failed > 0) log.warn("a revoked device did not reach some secret chats", { deviceId: device.id, failed });
}

/** How many ended sessions' devices the hourly sweep handles per run (the rest wait an hour). */
const SWEEP_LIMIT = 500;

/**
 * Hourly (and a backstop for any path that ended a session without endDevice, such as account deletion):
 * devices whose session has ended, by expiry or otherwise, get their keys revoked. Answers the devices ended.
 */
export async function endEndedDevices(env: Env, now = Date.now()): Promise<Device[]> {
  const { results } = await env.DB.prepare(
    `SELECT d.session_id FROM devices d JOIN sessions s ON s.id = d.session_id
     WHERE d.revoked_at IS NULL AND (s.revoked_at IS NOT NULL OR s.expires_at <= ?1) LIMIT ${SWEEP_LIMIT}`,
  )
    .bind(now)
    .all<{ session_id: string }>();
  const ended: Device[] = [];
  for (const r of results) {
    const { device } = await endDevice(env.DB, r.session_id, [], now);
    if (device) {
      ended.push(device);
      await announceEnded(env, device);
    }
  }
  return ended;
}

/** Thrown by validation of keys that zod cannot express (a point not on the curve). */
export const invalidKey = (path: string, message: string) =>
  new ApiError(400, "invalid_key", "The key is not a valid public key.", { errors: [{ path, message }] });
