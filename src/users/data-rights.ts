// A citizen's data rights: a copy of everything Veche holds about them (one ZIP), and deleting the account.
// What agencies must keep by law stays, and both the export and the deletion answer say so by name
// (docs/api.md, "Data rights").
import { Zip, ZipPassThrough } from "fflate";
import { listEntries, MAX_PAGE } from "../audit/log";
import { inboxStub, roomStub } from "../chat/access";
import { removeFromChat } from "../chat/leave";
import type { ChatMessage, ChatSummary } from "../chat/protocol";
import { closeSessionSockets } from "../chat/sockets";
import { chatsOf } from "../chat/store";
import { log } from "../lib/log";
import { revoke } from "../media/store";

/** Pages of room history read at once; the room's own maximum. */
const HISTORY_PAGE = 200;

/** Every message of one chat the user may read, page by page, oldest first. */
async function* messagesOf(env: Env, chatId: string, userId: string): AsyncGenerator<ChatMessage> {
  let after = 0;
  for (;;) {
    const page = await roomStub(env, chatId).history(chatId, userId, { after, limit: HISTORY_PAGE });
    if (!page.ok) return;
    yield* page.value;
    const last = page.value.at(-1);
    if (!last || page.value.length < HISTORY_PAGE) return;
    after = last.seq;
  }
}

/**
 * Which messages of a chat the export carries. Direct and official chats: all of them, since the other side
 * wrote them to this citizen (an agency's notices are about them). Groups and channels: only their own,
 * since everyone else's words there are those people's data, and a channel can hold millions.
 */
const exportsAll = (type: ChatSummary["type"]) => type === "direct" || type === "official";

const rows = async (db: D1Database, sql: string, ...params: unknown[]) =>
  (
    await db
      .prepare(sql)
      .bind(...params)
      .all<Record<string, unknown>>()
  ).results;

/** What deletion keeps, and why: the same list the export's README and the deletion answer name. */
export const KEPT = [
  { what: "bills", why: "Issued bills and their payments are accounting records the issuing agency must keep." },
  { what: "payments", why: "Payments (card brand and last four digits only) are kept with the bills they paid." },
  { what: "records", why: "Documents and receipts agencies issued stay with the issuing agency's register." },
  { what: "submissions", why: "Applications and the files attached to them are kept by the agency that received them." },
  { what: "consents", why: "Consents prove what an agency was allowed to read, and when." },
  {
    what: "accessLog",
    why: "The access log is append-only and hash-chained; removing entries would break the chain, so it stays verifiable.",
  },
] as const;

interface Gathered {
  files: { name: string; json: unknown }[];
  media: { id: string; name: string }[];
}

/** Reads everything held about the user (D1, rooms, inbox, access log) before any byte of the archive is sent. */
async function gather(env: Env, userId: string): Promise<Gathered> {
  const db = env.DB;
  const profile = await db
    .prepare(
      "SELECT id, phone, display_name, username, phone_visibility, presence_visibility, created_at, updated_at FROM users WHERE id = ?1",
    )
    .bind(userId)
    .first();
  const sessions = await rows(
    db,
    "SELECT id, device_name, created_at, last_used_at, expires_at, revoked_at, revoked_reason FROM sessions WHERE user_id = ?1 ORDER BY created_at",
    userId,
  );
  // Each device's Web Push subscriptions: the push service's origin, not the endpoint's path (a capability
  // token of the browser's, of no use to the citizen).
  const pushSubscriptions = await inboxStub(env, userId).subscriptionList();
  const { chats } = await inboxStub(env, userId).list(userId);
  const messageFiles: Gathered["files"] = [];
  for (const chat of chats) {
    const messages: ChatMessage[] = [];
    for await (const m of messagesOf(env, chat.id, userId)) if (exportsAll(chat.type) || m.senderId === userId) messages.push(m);
    messageFiles.push({ name: `messages/${chat.id}.json`, json: { chat: { id: chat.id, type: chat.type, title: chat.title }, messages } });
  }
  const media = await rows(
    db,
    "SELECT id, content_type, kind, size, sha256, filename, width, height, duration_ms, status, created_at, attached_at FROM media WHERE owner_id = ?1 ORDER BY created_at",
    userId,
  );
  const bills = await rows(
    db,
    "SELECT b.*, a.name AS agency_name FROM bills b JOIN agencies a ON a.id = b.agency_id WHERE b.citizen_id = ?1",
    userId,
  );
  const payments = await rows(
    db,
    "SELECT id, bill_id, amount, currency, status, card_brand, card_last4, created_at, settled_at FROM payments WHERE citizen_id = ?1",
    userId,
  );
  const records = await rows(
    db,
    "SELECT r.*, a.name AS agency_name FROM records r JOIN agencies a ON a.id = r.agency_id WHERE r.citizen_id = ?1",
    userId,
  );
  const submissions = await rows(
    db,
    `SELECT s.*, f.title AS form_title, f.key AS form_key, f.version AS form_version,
       (SELECT json_group_array(sa.media_id) FROM submission_attachments sa WHERE sa.submission_id = s.id) AS attachments
     FROM submissions s JOIN forms f ON f.id = s.form_id WHERE s.citizen_id = ?1`,
    userId,
  );
  const consents = await rows(
    db,
    "SELECT c.*, a.name AS agency_name FROM consents c JOIN agencies a ON a.id = c.agency_id WHERE c.citizen_id = ?1",
    userId,
  );
  // The copies of records bound to each device's public holder key (the private halves never left the devices).
  const recordCredentials = await rows(
    db,
    "SELECT record_id, device_id, holder_jwk, credential, created_at FROM record_credentials WHERE user_id = ?1",
    userId,
  );
  const entries: unknown[] = [];
  let head = "";
  for (let after = 0; ; ) {
    const page = await listEntries(db, userId, { after, limit: MAX_PAGE });
    entries.push(...page.entries);
    head = page.head;
    const last = page.entries.at(-1);
    if (!last || page.entries.length < MAX_PAGE) break;
    after = last.seq;
  }
  return {
    files: [
      {
        name: "README.json",
        json: {
          exportedAt: new Date().toISOString(),
          userId,
          contents: {
            "profile.json": "your profile",
            "sessions.json": "every device that signed in, and when",
            "push-subscriptions.json": "the devices' Web Push subscriptions (their push service, not the endpoint's token)",
            "chats.json": "your chat list",
            "messages/<chat>.json":
              "direct and official chats: every message; groups and channels: the messages you sent (others' words there are theirs)",
            "media.json, media/<id>": "the files you uploaded, with their bytes",
            "bills.json, payments.json, records.json, submissions.json, consents.json": "your citizen services",
            "record-credentials.json": "your records as bound to each of your devices' public holder keys",
            "access-log.json":
              'every read or change of your data by someone else; hash = hex(SHA-256(prevHash + "\\n" + JCS(entry without hash))), head is the last hash',
          },
          keptWhenDeleted: KEPT,
        },
      },
      { name: "profile.json", json: profile },
      { name: "sessions.json", json: sessions },
      { name: "push-subscriptions.json", json: pushSubscriptions },
      { name: "chats.json", json: chats },
      ...messageFiles,
      { name: "media.json", json: media },
      { name: "bills.json", json: bills },
      { name: "payments.json", json: payments },
      { name: "records.json", json: records },
      { name: "submissions.json", json: submissions },
      { name: "consents.json", json: consents },
      { name: "record-credentials.json", json: recordCredentials },
      { name: "access-log.json", json: { entries, head } },
    ],
    media: media.filter((m) => m.status === "ready").map((m) => ({ id: String(m.id), name: `media/${String(m.id)}` })),
  };
}

/**
 * The archive as a stream: the JSON is gathered first (so a failure is still a problem response), then files
 * are stored (not compressed: media is compressed already) and media bytes flow from R2 chunk by chunk, so
 * memory stays bounded however much the citizen uploaded.
 */
export async function exportArchive(env: Env, userId: string): Promise<{ body: ReadableStream<Uint8Array>; done: Promise<void> }> {
  const gathered = await gather(env, userId);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const pending: Uint8Array[] = [];
  let zipError: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) zipError = err;
    else pending.push(chunk);
  });
  const flush = async () => {
    if (zipError) throw zipError;
    for (let chunk = pending.shift(); chunk; chunk = pending.shift()) await writer.write(chunk);
  };
  const encoder = new TextEncoder();
  const done = (async () => {
    try {
      for (const f of gathered.files) {
        const entry = new ZipPassThrough(f.name);
        zip.add(entry);
        entry.push(encoder.encode(JSON.stringify(f.json, null, 2)), true);
        await flush();
      }
      for (const m of gathered.media) {
        const object = await env.MEDIA.get(m.id);
        if (!object) continue;
        const entry = new ZipPassThrough(m.name);
        zip.add(entry);
        const reader = object.body.getReader();
        for (;;) {
          const { value, done: end } = await reader.read();
          if (end) break;
          entry.push(value);
          await flush();
        }
        entry.push(new Uint8Array(0), true);
        await flush();
      }
      zip.end();
      await flush();
      await writer.close();
    } catch (err) {
      log.error("data export failed mid-stream", { userId, error: String(err) });
      await writer.abort(err);
    }
  })();
  return { body: readable, done };
}

export interface Kept {
  what: (typeof KEPT)[number]["what"];
  why: string;
  count: number;
}

/**
 * Deletes the account. Order matters: devices are signed out first (their sockets found through the chats
 * the user is still in), then their messages are tombstoned while they may still delete them, then they leave
 * every chat that has members to leave, then their media and profile go. What the law makes agencies keep
 * is counted and returned.
 */
export async function deleteAccount(env: Env, userId: string, now = Date.now()): Promise<Kept[]> {
  const db = env.DB;
  // Only live sessions can have sockets open; each close is a call to every room the user is in.
  const sessionIds = (
    await rows(db, "SELECT id FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2", userId, now)
  ).map((r) => String(r.id));
  await db.batch([
    db
      .prepare(
        "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?2), revoked_reason = COALESCE(revoked_reason, 'revoked'), device_name = NULL WHERE user_id = ?1",
      )
      .bind(userId, now),
    db.prepare("DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?1)").bind(userId),
    db.prepare("DELETE FROM ws_tickets WHERE user_id = ?1").bind(userId),
  ]);
  await Promise.allSettled(sessionIds.map((id) => closeSessionSockets(env, id)));

  // Their messages become tombstones (no text, no attachments) for everyone: the rest of each conversation
  // stays with the people in it, without words from an account that no longer exists.
  const { chats } = await inboxStub(env, userId).list(userId);
  for (const chat of chats) {
    if (chat.type === "official") continue;
    for await (const m of messagesOf(env, chat.id, userId)) {
      if (m.senderId !== userId || m.deletedAt) continue;
      const removed = await roomStub(env, chat.id).remove(chat.id, userId, m.seq);
      if (!removed.ok) log.warn("a deleted account's message could not be tombstoned", { chatId: chat.id, seq: m.seq, code: removed.code });
      else await revoke(db, chat.id, removed.value.orphaned);
    }
  }
  // Groups, channels and official chats are left the way DELETE /chats/:id/members/:userId leaves them. A
  // direct (or secret) chat has no members to leave: it stays with the other person, showing a nameless peer.
  for (const chatId of await chatsOf(db, userId)) {
    const access = await roomStub(env, chatId).access(chatId, userId);
    if (!access.ok || access.value.type === "direct" || access.value.type === "secret") continue;
    await removeFromChat(env, chatId, userId, access.value.role, "left");
  }

  // Their profile photo, and photos they gave groups and channels, go with their media: D1 lets go of them
  // first (the media rows are referenced), and each such chat's room shows none from now on.
  const photoChats = await rows(db, "SELECT id FROM chats WHERE avatar_id IN (SELECT id FROM media WHERE owner_id = ?1)", userId);
  await db.batch([
    db.prepare("UPDATE users SET avatar_id = NULL WHERE id = ?1").bind(userId),
    db.prepare("UPDATE chats SET avatar_id = NULL WHERE avatar_id IN (SELECT id FROM media WHERE owner_id = ?1)").bind(userId),
  ]);
  await Promise.allSettled(photoChats.map(({ id }) => roomStub(env, String(id)).setDetails(String(id), { avatar: null })));

  // Media goes, except files attached to applications, which the receiving agency keeps with them.
  const media = await rows(
    db,
    "SELECT id, status, r2_upload_id FROM media m WHERE owner_id = ?1 AND NOT EXISTS (SELECT 1 FROM submission_attachments sa WHERE sa.media_id = m.id)",
    userId,
  );
  for (const m of media) {
    await db.batch([
      db.prepare("DELETE FROM media_parts WHERE media_id = ?1").bind(m.id),
      db.prepare("DELETE FROM media_grants WHERE media_id = ?1").bind(m.id),
      db.prepare("DELETE FROM media WHERE id = ?1").bind(m.id),
    ]);
    if (m.status === "uploading" && typeof m.r2_upload_id === "string") {
      await env.MEDIA.resumeMultipartUpload(String(m.id), m.r2_upload_id)
        .abort()
        .catch(() => undefined);
    } else await env.MEDIA.delete(String(m.id));
  }

  // The profile: the number is freed (anyone may sign up with it anew, as a new person), names erased.
  await db.batch([
    db
      .prepare(
        `UPDATE users SET phone = 'deleted:' || id, display_name = NULL, username = NULL, avatar_id = NULL, phone_visibility = 'nobody',
           presence_visibility = 'nobody', online = 0, last_seen_at = NULL, former_phone = NULL, deleted_at = ?2, updated_at = ?2
         WHERE id = ?1`,
      )
      .bind(userId, now),
    // Every device is signed out, so no copy bound to a device key is of use to anyone; the kept records keep
    // their unbound copy, which still verifies with the agency's published keys.
    db.prepare("DELETE FROM record_credentials WHERE user_id = ?1").bind(userId),
    db.prepare("DELETE FROM holder_transfers WHERE user_id = ?1").bind(userId),
    db.prepare("DELETE FROM media_usage WHERE user_id = ?1").bind(userId),
    db.prepare("DELETE FROM idempotency_keys WHERE user_id = ?1").bind(userId),
    // Their contacts and blocks, and the entries for them in other people's lists; nobody can invite them.
    db.prepare("DELETE FROM contacts WHERE owner_id = ?1 OR contact_id = ?1").bind(userId),
    db.prepare("DELETE FROM blocks WHERE blocker_id = ?1 OR blocked_id = ?1").bind(userId),
    db.prepare("UPDATE users SET group_invites = 'nobody', direct_messages = 'contacts' WHERE id = ?1").bind(userId),
  ]);
  // Their chat list and stored notifications go; the inbox takes nothing more.
  await inboxStub(env, userId).erase();
  // Rooms of the direct chats that remain learn the name and photo are gone.
  const gone = { username: null, name: null, avatar: null };
  await Promise.allSettled((await chatsOf(db, userId)).map((chatId) => roomStub(env, chatId).setProfile(chatId, userId, gone)));

  const [counts] = await db.batch<Record<Kept["what"], number>>([
    db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM bills WHERE citizen_id = ?1) AS bills, (SELECT COUNT(*) FROM payments WHERE citizen_id = ?1) AS payments,
           (SELECT COUNT(*) FROM records WHERE citizen_id = ?1) AS records, (SELECT COUNT(*) FROM submissions WHERE citizen_id = ?1) AS submissions,
           (SELECT COUNT(*) FROM consents WHERE citizen_id = ?1) AS consents, (SELECT COUNT(*) FROM access_log WHERE citizen_id = ?1) AS accessLog`,
      )
      .bind(userId),
  ]);
  const row = counts?.results[0];
  return KEPT.map((k) => ({ what: k.what, why: k.why, count: row?.[k.what] ?? 0 }));
}
