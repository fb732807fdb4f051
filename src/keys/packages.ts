// MLS KeyPackages (RFC 9420 §10): what lets someone add a device to a group while the device is offline.
// The server stores them opaquely (the client verifies a claimed package's signature and its key against the
// key log) and hands each out once. A device's newest package is never consumed: when only it is left, a
// claim gets it without removing it (a "last resort" package, as RFC 9420 §16.8 and Signal's last-resort
// prekey do), so a device can always be reached; a client replenishes when its count runs low.

import { ApiError } from "../lib/errors";
import type { Device } from "./devices";
import { decodeBase64url } from "./encoding";

/** Packages one device may keep waiting; a client tops up to about this many. */
export const MAX_PACKAGES_PER_DEVICE = 100;
/** Packages in one upload (the JSON body limit is 64 KB). */
export const MAX_PACKAGES_PER_UPLOAD = 20;
/** Bytes of one encoded KeyPackage (an Ed25519/X25519 one is about 300). */
export const MAX_PACKAGE_BYTES = 2048;

/** The bytes of `needle` occur in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return needle.length === 0;
}

/**
 * Stores a device's new packages. Each must carry the device's published MLS signature key (its leaf node's
 * `signature_key`): a cheap check that catches a package made for another key; the full check is the
 * claimer's (signature, credential, key log). Answers how many are waiting now.
 */
export async function addPackages(db: D1Database, device: Device, packages: readonly string[], now = Date.now()): Promise<number> {
  if (device.mlsKey === null) throw new ApiError(409, "mls_key_required", "Publish this device's mlsKey (PUT /me/device) first.");
  const key = decodeBase64url(device.mlsKey);
  for (const [i, p] of packages.entries()) {
    const bytes = decodeBase64url(p);
    if (bytes === null || key === null || !contains(bytes, key)) {
      throw new ApiError(400, "key_package_mismatch", "A key package does not carry this device's MLS signature key.", {
        errors: [{ path: `keyPackages.${i}`, message: "not signed by the device's published mlsKey" }],
      });
    }
  }
  // The cap is checked in the INSERTs themselves, so concurrent uploads cannot pass it together.
  const results = await db.batch<{ n: number }>([
    ...packages.map((p) =>
      db
        .prepare(
          `INSERT INTO key_packages (device_id, user_id, package, created_at)
           SELECT ?1, ?2, ?3, ?4 WHERE (SELECT COUNT(*) FROM key_packages WHERE device_id = ?1) < ?5`,
        )
        .bind(device.id, device.userId, p, now, MAX_PACKAGES_PER_DEVICE),
    ),
    db.prepare("SELECT COUNT(*) AS n FROM key_packages WHERE device_id = ?1").bind(device.id),
  ]);
  const stored = results.slice(0, packages.length).reduce((sum, r) => sum + r.meta.changes, 0);
  const count = results.at(-1)?.results[0]?.n ?? 0;
  if (stored < packages.length) {
    // Some did not fit: none are kept, so the client's view of what it uploaded stays simple.
    await db
      .prepare("DELETE FROM key_packages WHERE device_id = ?1 AND created_at = ?2 AND package IN (SELECT value FROM json_each(?3))")
      .bind(device.id, now, JSON.stringify(packages))
      .run();
    throw new ApiError(
      409,
      "key_packages_full",
      `A device keeps at most ${MAX_PACKAGES_PER_DEVICE} key packages; ${count - stored} are waiting.`,
    );
  }
  return count;
}

/** How many packages a device has waiting. */
export async function packageCount(db: D1Database, deviceId: string): Promise<number> {
  const row = await db.prepare("SELECT COUNT(*) AS n FROM key_packages WHERE device_id = ?1").bind(deviceId).first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * One package of each device, consumed atomically: the oldest is deleted and returned while more than one is
 * waiting; the last one is returned and kept. Devices without any are left out.
 */
export async function claimPackages(db: D1Database, devices: readonly Device[]): Promise<{ deviceId: string; keyPackage: string }[]> {
  const withKeys = devices.filter((d) => d.mlsKey !== null);
  if (withKeys.length === 0) return [];
  const results = await db.batch<{ package: string }>(
    withKeys.flatMap((d) => [
      db
        .prepare(
          `DELETE FROM key_packages WHERE id = (SELECT MIN(id) FROM key_packages WHERE device_id = ?1)
           AND (SELECT COUNT(*) FROM key_packages WHERE device_id = ?1) > 1 RETURNING package`,
        )
        .bind(d.id),
      // Read after the DELETE in the same transaction: the last resort, used only when nothing was deleted.
      db.prepare("SELECT package FROM key_packages WHERE device_id = ?1 ORDER BY id DESC LIMIT 1").bind(d.id),
    ]),
  );
  const out: { deviceId: string; keyPackage: string }[] = [];
  for (const [i, d] of withKeys.entries()) {
    const taken = results[2 * i]?.results[0]?.package ?? results[2 * i + 1]?.results[0]?.package;
    if (taken !== undefined) out.push({ deviceId: d.id, keyPackage: taken });
  }
  return out;
}
