// Records on a new device, approved on an old one. The new device (signed in, holder key published) asks; the
// citizen's other devices list the request and one approves it with an ES256 JWS made with its own holder key
// over the new device's key (its RFC 7638 thumbprint) and the request's id; the server checks that signature
// against the approving device's published key and re-binds, under each issuing agency's key, every record the
// approving device holds to the new device's key. A signature the approving device's key did not make changes
// nothing, so the operator alone (who can sign anyone in by SMS) cannot move records to a device of its own.

import { createRoute } from "@hono/zod-openapi";
import { calculateJwkThumbprint, compactVerify, importJWK } from "jose";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, iso, isoOrNull, json, jsonBody, problems, router } from "../lib/hono";
import { newId } from "../lib/ids";
import { bindLikeDevice, callerDevice, type HolderDevice, type HolderJwk, holderDevices, parseHolderJwk } from "./holders";

/** A request waits this long for an approval: the citizen is holding both devices, or soon will. */
export const TRANSFER_TTL_MS = 15 * 60_000;
/** `typ` of the approval JWS, so no other signature by the holder key (a KB-JWT) can pass for one. */
export const TRANSFER_TYP = "holder-transfer+jwt";
/** How old an approval may be when it arrives. */
const APPROVAL_MAX_AGE_SEC = 5 * 60;

interface TransferRow {
  id: string;
  user_id: string;
  to_device_id: string;
  to_holder_jwk: string;
  device_name: string | null;
  status: "pending" | "approved" | "denied";
  approved_by: string | null;
  records: number | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
}

const HolderKey = z
  .object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() })
  .openapi("HolderKey", { description: "A device's public ES256 holder key (JWK)." });

const Transfer = z
  .object({
    id: z.string(),
    deviceName: z.string().nullable().openapi({ description: "The new device's name, as its sign-in gave it." }),
    holderKey: HolderKey,
    thumbprint: z.string().openapi({ description: "RFC 7638 SHA-256 thumbprint of `holderKey`, what an approval signs." }),
    status: z.enum(["pending", "approved", "denied"]),
    fromThisDevice: z.boolean().openapi({ description: "Whether the calling device made the request (then it cannot approve it)." }),
    records: z.number().int().nullable().openapi({ description: "How many records were bound to the new device on approval." }),
    createdAt: z.string(),
    expiresAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .openapi("RecordTransfer");

async function toTransfer(r: TransferRow, callerDeviceId: string | null) {
  // Written from a device's validated key (holderDevice), so this only fails on a corrupted row.
  const key = parseHolderJwk(r.to_holder_jwk);
  if (!key) throw new Error(`transfer ${r.id} holds no valid holder key`);
  return {
    id: r.id,
    deviceName: r.device_name,
    holderKey: key,
    thumbprint: await calculateJwkThumbprint(key, "sha256"),
    status: r.status,
    fromThisDevice: r.to_device_id === callerDeviceId,
    records: r.records,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    decidedAt: isoOrNull(r.decided_at),
  };
}

/** The caller's device with its holder key, or a problem saying the app must publish one first. */
async function holderDevice(env: Env, sessionId: string): Promise<HolderDevice> {
  const device = await callerDevice(env, sessionId);
  if (!device?.key || !device.keyText)
    throw new ApiError(409, "no_holder_key", "This device has no holder key yet: publish one with PUT /me/device { holderKey }.");
  return { id: device.id, key: device.key, keyText: device.keyText };
}

const transferById = (db: D1Database, id: string) =>
  db.prepare("SELECT * FROM holder_transfers WHERE id = ?1").bind(id).first<TransferRow>();

/**
 * Checks an approval: an ES256 compact JWS of typ holder-transfer+jwt by `signer`'s key whose payload names
 * this transfer and the new device's key thumbprint, made in the last few minutes. Answers false for anything else.
 */
export async function approvalIsValid(
  jws: string,
  signer: HolderJwk,
  transferId: string,
  thumbprint: string,
  now = Date.now(),
): Promise<boolean> {
  try {
    const key = await importJWK(signer, "ES256");
    const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ["ES256"] });
    if (protectedHeader.typ !== TRANSFER_TYP) return false;
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (claims.transfer !== transferId || claims.jkt !== thumbprint || typeof claims.iat !== "number") return false;
    const age = now / 1000 - claims.iat;
    return age <= APPROVAL_MAX_AGE_SEC && age >= -30;
  } catch {
    return false;
  }
}

const Id = z.object({ id: z.string().min(1).max(64) });
const Compact = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "a compact JWS");

export const recordTransfers = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/records/transfers",
      operationId: "requestRecordTransfer",
      tags: ["records"],
      summary: "Ask the citizen's other devices to pass their records to this device",
      description:
        "The calling device must have published a holder key. The request is shown on the citizen's other devices (GET /records/transfers) for 15 minutes; asking again while one is pending answers that one.",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: {
        201: json(z.object({ transfer: Transfer }), "Asked."),
        200: json(z.object({ transfer: Transfer }), "Already asked: the pending request."),
        ...problems([401, "unauthorized"], [409, "no_holder_key"]),
      },
    }),
    async (c) => {
      const { userId, sessionId } = c.var.citizen;
      const device = await holderDevice(c.env, sessionId);
      const now = Date.now();
      const existing = await c.env.DB.prepare(
        "SELECT * FROM holder_transfers WHERE user_id = ?1 AND to_device_id = ?2 AND to_holder_jwk = ?3 AND status = 'pending' AND expires_at > ?4",
      )
        .bind(userId, device.id, device.keyText, now)
        .first<TransferRow>();
      if (existing) return c.json({ transfer: await toTransfer(existing, device.id) }, 200);
      const name = await c.env.DB.prepare("SELECT device_name FROM sessions WHERE id = ?1")
        .bind(sessionId)
        .first<{ device_name: string | null }>();
      const id = newId();
      await c.env.DB.prepare(
        "INSERT INTO holder_transfers (id, user_id, to_device_id, to_holder_jwk, device_name, status, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
      )
        .bind(id, userId, device.id, device.keyText, name?.device_name ?? null, now, now + TRANSFER_TTL_MS)
        .run();
      const row = await transferById(c.env.DB, id);
      if (!row) throw new Error("transfer missing after insert");
      return c.json({ transfer: await toTransfer(row, device.id) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/records/transfers",
      operationId: "listRecordTransfers",
      tags: ["records"],
      summary: "The citizen's record transfer requests that have not expired, newest first",
      security: citizenSecurity,
      middleware: requireCitizen,
      responses: { 200: json(z.object({ transfers: z.array(Transfer) }), "Requests."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const device = await callerDevice(c.env, c.var.citizen.sessionId);
      const { results } = await c.env.DB.prepare(
        "SELECT * FROM holder_transfers WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC, id DESC LIMIT 20",
      )
        .bind(c.var.citizen.userId, Date.now())
        .all<TransferRow>();
      return c.json({ transfers: await Promise.all(results.map((r) => toTransfer(r, device?.id ?? null))) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/records/transfers/{id}/approve",
      operationId: "approveRecordTransfer",
      tags: ["records"],
      summary: "Approve a transfer on a device that holds the records, with a signature by its holder key",
      description:
        '`signature` is a compact JWS (ES256, protected header `typ: "holder-transfer+jwt"`) made with the calling device\'s holder key over `{ "transfer": <id>, "jkt": <thumbprint of the new device\'s holder key>, "iat": <unix seconds> }`. The server checks it against the key this device published, then binds every record this device holds to the new device. A bad signature answers `400 invalid_signature` and changes nothing.',
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: Id, body: jsonBody(z.object({ signature: Compact }).strict()) },
      responses: {
        200: json(z.object({ transfer: Transfer }), "Approved; the records are bound to the new device."),
        ...problems(
          [400, "validation_failed, invalid_signature"],
          [401, "unauthorized"],
          [404, "not_found"],
          [409, "no_holder_key, own_request, transfer_not_pending, device_changed"],
        ),
      },
    }),
    async (c) => {
      const { userId, sessionId } = c.var.citizen;
      const approver = await holderDevice(c.env, sessionId);
      const row = await transferById(c.env.DB, c.req.valid("param").id);
      const now = Date.now();
      if (!row || row.user_id !== userId) throw notFound("transfer");
      if (row.to_device_id === approver.id)
        throw new ApiError(409, "own_request", "Approve it on another of your devices, one that holds the records.");
      if (row.status !== "pending" || row.expires_at <= now)
        throw new ApiError(409, "transfer_not_pending", "This request was already answered or has expired; ask again on the new device.");
      // The new device must still be signed in with the very key the request named.
      const target = (await holderDevices(c.env, userId, now)).find((d) => d.id === row.to_device_id && d.keyText === row.to_holder_jwk);
      if (!target) throw new ApiError(409, "device_changed", "The new device signed out or changed its key; ask again on it.");
      const thumbprint = await calculateJwkThumbprint(target.key, "sha256");
      const { signature } = c.req.valid("json");
      if (!(await approvalIsValid(signature, approver.key, row.id, thumbprint, now)))
        throw new ApiError(400, "invalid_signature", "The approval is not signed by this device's holder key over this request.");
      // Claimed first, so two approvals racing bind once.
      const claimed = await c.env.DB.prepare(
        "UPDATE holder_transfers SET status = 'approved', approved_by = ?2, signature = ?3, decided_at = ?4 WHERE id = ?1 AND status = 'pending'",
      )
        .bind(row.id, approver.id, signature, now)
        .run();
      if (claimed.meta.changes !== 1) throw new ApiError(409, "transfer_not_pending", "This request was already answered.");
      const bound = await bindLikeDevice(c.env, userId, approver, target);
      await c.env.DB.prepare("UPDATE holder_transfers SET records = ?2 WHERE id = ?1").bind(row.id, bound).run();
      const updated = await transferById(c.env.DB, row.id);
      if (!updated) throw notFound("transfer");
      return c.json({ transfer: await toTransfer(updated, approver.id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/records/transfers/{id}/deny",
      operationId: "denyRecordTransfer",
      tags: ["records"],
      summary: "Refuse a transfer request (on another of the citizen's devices)",
      security: citizenSecurity,
      middleware: requireCitizen,
      request: { params: Id },
      responses: {
        200: json(z.object({ transfer: Transfer }), "Refused."),
        ...problems([401, "unauthorized"], [404, "not_found"], [409, "own_request, transfer_not_pending"]),
      },
    }),
    async (c) => {
      const { userId, sessionId } = c.var.citizen;
      const device = await callerDevice(c.env, sessionId);
      const row = await transferById(c.env.DB, c.req.valid("param").id);
      if (!row || row.user_id !== userId) throw notFound("transfer");
      if (row.to_device_id === device?.id) throw new ApiError(409, "own_request", "Refuse it on another of your devices.");
      const now = Date.now();
      const res = await c.env.DB.prepare(
        "UPDATE holder_transfers SET status = 'denied', approved_by = ?2, decided_at = ?3 WHERE id = ?1 AND status = 'pending' AND expires_at > ?3",
      )
        .bind(row.id, device?.id ?? null, now)
        .run();
      if (res.meta.changes !== 1) throw new ApiError(409, "transfer_not_pending", "This request was already answered or has expired.");
      const updated = await transferById(c.env.DB, row.id);
      if (!updated) throw notFound("transfer");
      return c.json({ transfer: await toTransfer(updated, device?.id ?? null) }, 200);
    },
  );
