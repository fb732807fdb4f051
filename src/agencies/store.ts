// Agencies: registration (operator or dev), credentials, signing keys, and official chats with citizens.
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import * as z from "zod";
import { normalizePhone } from "../auth/phone";
import { inboxStub, roomStub } from "../chat/access";
import type { ActionState, MessageAction } from "../chat/protocol";
import { database } from "../db";
import { hmacHex, seal, timingSafeEqual, unseal } from "../lib/crypto";
import { ApiError, notFound } from "../lib/errors";
import { newId, randomToken } from "../lib/ids";
import { log } from "../lib/log";
import { findOrCreateUserByPhone } from "../users/store";

export const AGENCY_SCOPES = ["bills", "forms", "records", "consents"] as const;
export type AgencyScope = (typeof AGENCY_SCOPES)[number];

export interface AgencyRow {
  id: string;
  name: string;
  verified: number;
  logo_url: string | null;
  client_id: string;
  client_secret_hash: string;
  scopes: string;
  webhook_url: string | null;
  webhook_secret_sealed: string;
  created_at: number;
}

export const publicAgency = (a: AgencyRow) => ({ id: a.id, name: a.name, verified: a.verified === 1, logoUrl: a.logo_url });

const secretHash = (env: Env, secret: string) => hmacHex(env.CREDENTIAL_HASH_KEY, `agency-secret\n${secret}`);

export interface NewAgency {
  name: string;
  webhookUrl?: string | null;
  logoUrl?: string | null;
  verified?: boolean;
  scopes?: readonly AgencyScope[];
}

/** Registers an agency with fresh credentials and an ES256 signing key; the secrets are returned once. */
export async function createAgency(env: Env, input: NewAgency, now = Date.now()) {
  const id = newId(now);
  const clientId = `agency_${randomToken(12)}`;
  const clientSecret = randomToken(32);
  const webhookSecret = randomToken(32);
  const kid = `${id}-1`;
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO agencies (id, name, verified, logo_url, client_id, client_secret_hash, scopes, webhook_url, webhook_secret_sealed, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
    ).bind(
      id,
      input.name,
      input.verified === false ? 0 : 1,
      input.logoUrl ?? null,
      clientId,
      await secretHash(env, clientSecret),
      (input.scopes ?? AGENCY_SCOPES).join(" "),
      input.webhookUrl ?? null,
      await seal(env.DATA_ENCRYPTION_KEY, webhookSecret, `webhook:${id}`),
      now,
    ),
    env.DB.prepare("INSERT INTO agency_keys (kid, agency_id, public_jwk, private_jwk_sealed, created_at) VALUES (?1, ?2, ?3, ?4, ?5)").bind(
      kid,
      id,
      JSON.stringify(publicJwk),
      await seal(env.DATA_ENCRYPTION_KEY, JSON.stringify(privateJwk), `agency-key:${kid}`),
      now,
    ),
  ]);
  const agency = await getAgency(env.DB, id);
  if (!agency) throw new Error("agency missing after insert");
  return { agency, clientId, clientSecret, webhookSecret };
}

export function getAgency(db: D1Database, id: string): Promise<AgencyRow | null> {
  return db.prepare("SELECT * FROM agencies WHERE id = ?1").bind(id).first<AgencyRow>();
}

export async function listAgencies(db: D1Database): Promise<AgencyRow[]> {
  return (await db.prepare("SELECT * FROM agencies ORDER BY name").all<AgencyRow>()).results;
}

/** The agency these credentials belong to, or null. The comparison does not leak how close a guess was. */
export async function checkCredentials(env: Env, clientId: string, clientSecret: string): Promise<AgencyRow | null> {
  const agency = await env.DB.prepare("SELECT * FROM agencies WHERE client_id = ?1").bind(clientId).first<AgencyRow>();
  const presented = await secretHash(env, clientSecret);
  if (!agency) return null;
  return timingSafeEqual(presented, agency.client_secret_hash) ? agency : null;
}

const PublicJwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string(), kid: z.string() }).passthrough();

/** The agency's public keys (current and retired), for offline verification of what it signed. */
export async function agencyJwks(db: D1Database, agencyId: string): Promise<{ keys: JWK[] }> {
  const { results } = await db
    .prepare("SELECT public_jwk FROM agency_keys WHERE agency_id = ?1 ORDER BY created_at DESC")
    .bind(agencyId)
    .all<{ public_jwk: string }>();
  return { keys: results.map((r) => PublicJwk.parse(JSON.parse(r.public_jwk)) as JWK) };
}

/** The agency's current signing key, unsealed for this request only. */
export async function agencySigningKey(env: Env, agencyId: string): Promise<{ kid: string; privateKey: CryptoKey }> {
  const row = await env.DB.prepare(
    "SELECT kid, private_jwk_sealed FROM agency_keys WHERE agency_id = ?1 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
  )
    .bind(agencyId)
    .first<{ kid: string; private_jwk_sealed: string }>();
  if (!row) throw new Error(`agency ${agencyId} has no signing key`);
  const jwk = JSON.parse(await unseal(env.DATA_ENCRYPTION_KEY, row.private_jwk_sealed, `agency-key:${row.kid}`)) as JWK;
  return { kid: row.kid, privateKey: (await importJWK(jwk, "ES256")) as CryptoKey };
}

export async function webhookSecret(env: Env, agency: AgencyRow): Promise<string> {
  return unseal(env.DATA_ENCRYPTION_KEY, agency.webhook_secret_sealed, `webhook:${agency.id}`);
}

/**
 * The official chat between an agency and a citizen, created on first contact. The citizen is its only
 * member (read-only: the room lets no member post in an official chat); the agency posts through the
 * Worker.
 */
export async function officialChat(env: Env, agency: AgencyRow, userId: string, now = Date.now()): Promise<string> {
  const existing = await env.DB.prepare("SELECT chat_id FROM official_chats WHERE agency_id = ?1 AND user_id = ?2")
    .bind(agency.id, userId)
    .first<{ chat_id: string }>();
  if (existing) return existing.chat_id;
  const chatId = newId(now);
  try {
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO chats (id, type, title, created_by, created_at, member_count, last_seq, last_activity_at, agency_id) VALUES (?1, 'official', ?2, NULL, ?3, 0, 0, ?3, ?4)",
      ).bind(chatId, agency.name, now, agency.id),
      // member_count becomes 1 with the member row (a trigger, migrations/0012).
      env.DB.prepare("INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES (?1, ?2, 'member', ?3)").bind(
        chatId,
        userId,
        now,
      ),
      env.DB.prepare("INSERT INTO official_chats (agency_id, user_id, chat_id, created_at) VALUES (?1, ?2, ?3, ?4)").bind(
        agency.id,
        userId,
        chatId,
        now,
      ),
    ]);
  } catch (err) {
    // A concurrent first contact created it: the primary key of official_chats picked one.
    const winner = await env.DB.prepare("SELECT chat_id FROM official_chats WHERE agency_id = ?1 AND user_id = ?2")
      .bind(agency.id, userId)
      .first<{ chat_id: string }>();
    if (!winner) throw err;
    return winner.chat_id;
  }
  await roomStub(env, chatId).init(
    {
      chatId,
      type: "official",
      title: agency.name,
      agency: { id: agency.id, name: agency.name, verified: agency.verified === 1 },
      createdAt: now,
    },
    [{ userId, role: "member", username: null, name: null }],
  );
  return chatId;
}

/** The calling agency and the citizen a request names by phone, made on first contact if need be. */
export async function agencyAndCitizen(
  env: Env,
  agencyId: string,
  citizenPhone: string,
): Promise<{ agency: AgencyRow; citizenId: string }> {
  const phone = await normalizePhone(env, citizenPhone);
  if (!phone)
    throw new ApiError(400, "invalid_phone", "citizenPhone is not a phone number.", {
      errors: [{ path: "citizenPhone", message: "not a phone number" }],
    });
  const agency = await getAgency(env.DB, agencyId);
  if (!agency) throw notFound("agency");
  const citizen = await findOrCreateUserByPhone(database(env.DB), phone);
  return { agency, citizenId: citizen.id };
}

/**
 * Posts an official message (with one button) into the agency's chat with the citizen and tells their
 * devices. `clientId` names the event (e.g. `bill:<id>`), so a retried announcement posts nothing twice. A
 * failure is logged, not thrown: the bill, record or request itself is already stored and listed.
 */
export async function announce(
  env: Env,
  agency: AgencyRow,
  citizenId: string,
  message: { clientId: string; text: string; action: MessageAction },
  notification: { kind: string; [key: string]: unknown },
): Promise<void> {
  try {
    const chatId = await officialChat(env, agency, citizenId);
    await roomStub(env, chatId).post(chatId, {
      senderId: agency.id,
      clientId: message.clientId,
      text: message.text,
      official: { actions: [message.action] },
    });
    await inboxStub(env, citizenId).notify(citizenId, notification);
  } catch (err) {
    log.error("official announcement failed", { event: message.clientId, error: String(err) });
  }
}

/**
 * Marks what became of the thing an official message's button acts on (a bill paid, a consent decided, a
 * record revoked): the room changes the agency's messages in place, and every device gets the `edited`
 * change. Like `announce`, a failure is logged, not thrown: the change itself is stored, and the lists and
 * pages show it.
 */
export async function settleAction(
  env: Env,
  agencyId: string,
  citizenId: string,
  action: { type: MessageAction["type"]; ref: string },
  state: ActionState,
): Promise<void> {
  try {
    const chat = await env.DB.prepare("SELECT chat_id FROM official_chats WHERE agency_id = ?1 AND user_id = ?2")
      .bind(agencyId, citizenId)
      .first<{ chat_id: string }>();
    if (!chat) return;
    const result = await roomStub(env, chat.chat_id).setActionState(chat.chat_id, agencyId, action.type, action.ref, state);
    if (!result.ok) log.warn("official message state not changed", { ref: action.ref, code: result.code });
  } catch (err) {
    log.error("official message state change failed", { ref: action.ref, error: String(err) });
  }
}
