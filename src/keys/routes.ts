// The device and key directory (docs/api.md "Devices and keys"): a device publishes its public keys, anyone
// signed in reads a user's active devices and their whole key log, to check keys before encrypting to them.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, json, jsonBody, problems, router } from "../lib/hono";
import { hitUser, type Limit } from "../lib/rate-limit";
import type { PublicJwk } from "./chain";
import { activeDevices, deviceOfSession, deviceView, publishDevice } from "./devices";
import { decodeBase64url } from "./encoding";
import { listKeyLog } from "./log";
import { addPackages, claimPackages, MAX_PACKAGE_BYTES, MAX_PACKAGES_PER_DEVICE, MAX_PACKAGES_PER_UPLOAD } from "./packages";

/** Claims per claimer: enough to open secret chats with many people, too few to drain anyone's packages. */
const CLAIMS: Limit = { name: "kp:claim", max: 120, windowMs: 3600_000 };

const KeyPackage = z
  .string()
  .max(Math.ceil((MAX_PACKAGE_BYTES * 4) / 3))
  .refine((s) => (decodeBase64url(s)?.length ?? 0) > 0, "base64url (no padding) of an encoded MLS KeyPackage")
  .openapi({
    description: `base64url (no padding) of a TLS-encoded MLSMessage carrying a KeyPackage, at most ${MAX_PACKAGE_BYTES} bytes.`,
  });

/**
 * Sizes of an MLS SignaturePublicKey for the signature schemes of RFC 9420's ciphersuites: Ed25519 32,
 * Ed448 57, P-256 65, P-384 97, P-521 133 bytes (uncompressed points).
 */
export const MLS_KEY_SIZES = [32, 57, 65, 97, 133] as const;

const MlsKey = z
  .string()
  .max(200)
  .refine(
    (s) => {
      const bytes = decodeBase64url(s);
      return bytes !== null && (MLS_KEY_SIZES as readonly number[]).includes(bytes.length);
    },
    `base64url (no padding) of an MLS signature public key of ${MLS_KEY_SIZES.join(", ")} bytes`,
  )
  .openapi({ description: "base64url (no padding) of the device's MLS signature public key (RFC 9420 SignaturePublicKey)." });

const Coordinate = z
  .string()
  .max(64)
  .refine((s) => decodeBase64url(s)?.length === 32, "base64url of 32 bytes");

const JwkIn = z
  .looseObject({ kty: z.literal("EC"), crv: z.literal("P-256"), x: Coordinate, y: Coordinate })
  .openapi({ description: "A P-256 public JWK (ES256). Members other than kty, crv, x, y are dropped; a private `d` is refused." });

const Jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() }).openapi("PublicJwk");

export const DeviceSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    mlsKey: z.string().nullable(),
    holderKey: Jwk.nullable(),
    createdAt: z.string(),
  })
  .openapi("Device");

const KeyLogEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    userId: z.string(),
    deviceId: z.string(),
    action: z.enum(["added", "revoked"]),
    use: z.enum(["mls", "holder"]),
    key: z.union([z.string(), Jwk]).openapi({ description: "base64url for mls; the public JWK for holder." }),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi("KeyLogEntry");

const UserIdParam = z.object({ id: z.string().min(1).max(64) });

/** Whether a user exists (deleted accounts keep their key log, so they count). */
async function requireUser(db: D1Database, id: string): Promise<void> {
  const row = await db.prepare("SELECT 1 FROM users WHERE id = ?1").bind(id).first();
  if (!row) throw notFound("user");
}

/** A holder key as stored: exactly the public members, and a point WebCrypto accepts as on the curve. */
async function publicJwk(input: z.infer<typeof JwkIn>): Promise<PublicJwk> {
  if ("d" in input) {
    throw new ApiError(400, "private_key_not_allowed", "Send only the public key: the private key never leaves the device.", {
      errors: [{ path: "holderKey.d", message: "a private key member; remove it" }],
    });
  }
  const jwk: PublicJwk = { kty: "EC", crv: "P-256", x: input.x, y: input.y };
  try {
    await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  } catch {
    throw new ApiError(400, "invalid_key", "The holder key is not a point on P-256.", {
      errors: [{ path: "holderKey", message: "not a valid P-256 public key" }],
    });
  }
  return jwk;
}

export const keys = router()
  .openapi(
    createRoute({
      method: "put",
      path: "/me/device",
      operationId: "publishDevice",
      tags: ["keys"],
      summary: "Publish this device's public keys",
      description:
        "A device is the signed-in session. Each new key appends `added` to the caller's key log; a key that replaces another first appends `revoked` for the old one; sending the same key again changes nothing. Sign-out, session revocation and expiry revoke the device's keys.",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: {
        body: jsonBody(
          z
            .object({
              name: z.string().trim().min(1).max(100).optional(),
              mlsKey: MlsKey.optional(),
              holderKey: JwkIn.optional(),
            })
            .strict(),
        ),
      },
      responses: {
        200: json(z.object({ device: DeviceSchema }), "The device as others see it."),
        ...problems(
          [400, "validation_failed; invalid_key: not a point on P-256; private_key_not_allowed: a JWK with `d`"],
          [401, "unauthorized; session_ended: this device was signed out"],
          [503, "key_log_busy"],
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const device = await publishDevice(c.env, c.var.citizen, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.mlsKey !== undefined ? { mlsKey: body.mlsKey } : {}),
        ...(body.holderKey !== undefined ? { holderKey: await publicJwk(body.holderKey) } : {}),
      });
      return c.json({ device: deviceView(device) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/me/device",
      operationId: "getOwnDevice",
      tags: ["keys"],
      summary: "This session's device",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: {
        200: json(z.object({ device: DeviceSchema }), "The device."),
        ...problems([401, "unauthorized"], [404, "not_found: nothing published from this session yet"]),
      },
    }),
    async (c) => {
      const device = await deviceOfSession(c.env, c.var.citizen.sessionId);
      if (!device) throw notFound("device");
      return c.json({ device: deviceView(device) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/me/device/key-packages",
      operationId: "uploadKeyPackages",
      tags: ["keys"],
      summary: "Upload MLS KeyPackages for others to add this device to groups",
      description: `At most ${MAX_PACKAGES_PER_UPLOAD} per request and ${MAX_PACKAGES_PER_DEVICE} waiting per device. Each must carry the device's published mlsKey. The newest is kept as a last resort (never consumed).`,
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { body: jsonBody(z.object({ keyPackages: z.array(KeyPackage).min(1).max(MAX_PACKAGES_PER_UPLOAD) }).strict()) },
      responses: {
        201: json(z.object({ available: z.number().int().openapi({ description: "Packages now waiting for this device." }) }), "Stored."),
        ...problems(
          [400, "validation_failed; key_package_mismatch: a package without the device's mlsKey"],
          [401, "unauthorized; session_ended"],
          [404, "not_found: no device yet (PUT /me/device first)"],
          [409, "mls_key_required: the device has no mlsKey; key_packages_full: over the cap, nothing stored"],
        ),
      },
    }),
    async (c) => {
      const device = await deviceOfSession(c.env, c.var.citizen.sessionId);
      if (!device) throw notFound("device");
      const available = await addPackages(c.env.DB, device, c.req.valid("json").keyPackages);
      return c.json({ available }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/users/{id}/key-packages/claim",
      operationId: "claimKeyPackages",
      tags: ["keys"],
      summary: "Take one KeyPackage of each of a user's active devices",
      description:
        "One per active device with an mlsKey and a package waiting (the caller's own device is left out when claiming one's own), each consumed atomically; a device's last package is handed out without being consumed (last resort), so the same one may come again.",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { params: UserIdParam },
      responses: {
        200: json(z.object({ keyPackages: z.array(z.object({ deviceId: z.string(), keyPackage: z.string() })) }), "The packages."),
        ...problems([401, "unauthorized"], [404, "not_found"], [429, "rate_limited"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await requireUser(c.env.DB, id);
      await hitUser(c.env, CLAIMS, c.var.citizen.userId);
      const devices = (await activeDevices(c.env.DB, id)).filter((d) => d.sessionId !== c.var.citizen.sessionId);
      return c.json({ keyPackages: await claimPackages(c.env.DB, devices) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/users/{id}/devices",
      operationId: "listUserDevices",
      tags: ["keys"],
      summary: "A user's active devices and their public keys",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { params: UserIdParam },
      responses: {
        200: json(z.object({ devices: z.array(DeviceSchema) }), "Active devices, oldest first."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await requireUser(c.env.DB, id);
      return c.json({ devices: (await activeDevices(c.env.DB, id)).map(deviceView) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/users/{id}/key-log",
      operationId: "getKeyLog",
      tags: ["keys"],
      summary: "Every device key a user published or revoked, hash-chained",
      description:
        'hash = hex(SHA-256(prevHash + "\\n" + JCS(entry without hash))), the first prevHash 64 zeros, as the access log; head is the last hash. Page with ?after=<seq>.',
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: {
        params: UserIdParam,
        query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      },
      responses: {
        200: json(z.object({ entries: z.array(KeyLogEntrySchema), head: z.string() }), "Entries in order, and the chain's head."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await requireUser(c.env.DB, id);
      return c.json(await listKeyLog(c.env.DB, id, c.req.valid("query")), 200);
    },
  );
