import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are integer milliseconds since the epoch; the API renders them as RFC 3339.

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    phone: text("phone").notNull(),
    displayName: text("display_name"),
    // Lower-case; unique among users who have one.
    username: text("username"),
    /** Who sees the phone number (privacy setting `phone`). */
    phoneVisibility: text("phone_visibility", { enum: ["nobody", "contacts", "everyone"] })
      .notNull()
      .default("nobody"),
    /** Who sees online / last seen (privacy setting `lastSeen`). */
    presenceVisibility: text("presence_visibility", { enum: ["nobody", "contacts", "everyone"] })
      .notNull()
      .default("everyone"),
    /** Who may add this user to a group or channel (privacy setting `groupInvites`). */
    groupInvites: text("group_invites", { enum: ["nobody", "contacts", "everyone"] })
      .notNull()
      .default("everyone"),
    /** Who may open a direct chat with this user (privacy setting `directMessages`). */
    directMessages: text("direct_messages", { enum: ["contacts", "everyone"] })
      .notNull()
      .default("everyone"),
    /** Open inbox sockets > 0, maintained by the user's Inbox DO. */
    online: integer("online", { mode: "boolean" }).notNull().default(false),
    lastSeenAt: integer("last_seen_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /**
     * When the account let go of its number: it was dormant past DORMANT_AFTER_MS and someone signed in on the
     * number (src/users/store.ts). `phone` then holds `released:<id>` so the number can belong to a new user.
     */
    releasedAt: integer("released_at"),
    /** The number a released account had, so an agency that confirms the holder's identity can find it again. */
    formerPhone: text("former_phone"),
    /** When the citizen deleted the account: its profile is erased and `phone` holds `deleted:<id>`. */
    deletedAt: integer("deleted_at"),
    /** The profile photo: a JPEG the user uploaded (media id), readable by everyone signed in; null for none. */
    avatarId: text("avatar_id"),
  },
  (t) => [
    uniqueIndex("users_phone_uq").on(t.phone),
    uniqueIndex("users_username_uq").on(t.username),
    index("users_former_phone_idx").on(t.formerPhone),
    index("users_avatar_idx").on(t.avatarId).where(sql`avatar_id IS NOT NULL`),
  ],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    deviceName: text("device_name"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    revokedReason: text("revoked_reason", { enum: ["logout", "revoked", "refresh_token_reused"] }),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

/** Every refresh token ever issued, by keyed hash. A used one is kept so that its reuse can be detected. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    createdAt: integer("created_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("refresh_tokens_session_idx").on(t.sessionId)],
);

/** At most one outstanding sign-in code per phone; a new request replaces it. */
export const otpCodes = sqliteTable("otp_codes", {
  phone: text("phone").primaryKey(),
  codeHash: text("code_hash").notNull(),
  expiresAt: integer("expires_at").notNull(),
  attempts: integer("attempts").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});

/** Fixed-window request counters, keyed by purpose and subject (a phone, an address). */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

/** Development-only SMS outbox: what would have been sent. Never written outside development. */
export const devOutbox = sqliteTable("dev_outbox", {
  phone: text("phone").primaryKey(),
  code: text("code").notNull(),
  createdAt: integer("created_at").notNull().default(sql`(unixepoch() * 1000)`),
});

/**
 * The chat directory. The room Durable Object owns the message log; these columns are its summary,
 * written by the room after each batch of messages so the chat list is one query.
 */
export const chats = sqliteTable(
  "chats",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: ["direct", "group", "channel", "official", "secret"] }).notNull(),
    title: text("title"),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
    /** For direct chats: the two user ids, sorted and joined, so each pair has one chat. */
    directKey: text("direct_key"),
    memberCount: integer("member_count").notNull().default(0),
    lastSeq: integer("last_seq").notNull().default(0),
    /** JSON of the last message (see ChatMessage), or null. */
    lastMessage: text("last_message"),
    lastActivityAt: integer("last_activity_at").notNull(),
    /** For official chats: the agency on the other side. */
    agencyId: text("agency_id"),
    /**
     * A public channel's username, lower-case; null for every other chat. One namespace with users' usernames
     * (as on t.me): triggers in migrations/0012 refuse a name the other table holds.
     */
    username: text("username"),
    /** A group's or channel's photo (media id, granted to the chat); null for none and for direct chats. */
    avatarId: text("avatar_id"),
  },
  (t) => [
    uniqueIndex("chats_direct_key_uq").on(t.directKey),
    uniqueIndex("chats_username_uq").on(t.username),
    index("chats_avatar_idx").on(t.avatarId).where(sql`avatar_id IS NOT NULL`),
  ],
);

/**
 * Invite links to a group or channel. Only the keyed hash of the token is kept (CREDENTIAL_HASH_KEY), so the
 * table alone lets nobody in; `id` names an invite in lists and for revoking.
 */
export const chatInvites = sqliteTable(
  "chat_invites",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
    /** How many people joined with it. */
    uses: integer("uses").notNull().default(0),
  },
  (t) => [uniqueIndex("chat_invites_token_uq").on(t.tokenHash), index("chat_invites_chat_idx").on(t.chatId, t.createdAt)],
);

/** People banned from a group or channel: they cannot join it again, by its username or by an invite. */
export const chatBans = sqliteTable(
  "chat_bans",
  {
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id),
    userId: text("user_id").notNull(),
    bannedBy: text("banned_by").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.userId] })],
);

/** Membership is authoritative here; each room keeps a mirror that the Worker updates on every change. */
export const chatMembers = sqliteTable(
  "chat_members",
  {
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    joinedAt: integer("joined_at").notNull(),
    /** The highest seq this member has read; only moves forward. */
    readSeq: integer("read_seq").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.userId] }), index("chat_members_user_idx").on(t.userId)],
);

/** Single-use WebSocket tickets for browsers, stored as HMACs, valid 60 seconds. */
export const wsTickets = sqliteTable("ws_tickets", {
  ticketHash: text("ticket_hash").primaryKey(),
  userId: text("user_id").notNull(),
  sessionId: text("session_id").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * Uploaded media. The bytes are in R2 under the same id. `attachedAt` stays null until a message or a form
 * submission carries the media; unattached uploads are removed after a day.
 */
export const media = sqliteTable(
  "media",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    contentType: text("content_type").notNull(),
    kind: text("kind", { enum: ["photo", "video", "voice", "document", "file"] }).notNull(),
    /** Bytes as stored (after metadata stripping); for an upload in progress, the declared size. */
    size: integer("size").notNull(),
    sha256: text("sha256"),
    filename: text("filename"),
    width: integer("width"),
    height: integer("height"),
    durationMs: integer("duration_ms"),
    thumbhash: text("thumbhash"),
    status: text("status", { enum: ["uploading", "ready"] }).notNull(),
    /** Multipart uploads: R2's upload id and the part size every part but the last must have. */
    r2UploadId: text("r2_upload_id"),
    partSize: integer("part_size"),
    createdAt: integer("created_at").notNull(),
    attachedAt: integer("attached_at"),
  },
  (t) => [index("media_owner_idx").on(t.ownerId), index("media_cleanup_idx").on(t.attachedAt, t.createdAt)],
);

/** Parts of a multipart upload received so far; a retried part replaces its row. */
export const mediaParts = sqliteTable(
  "media_parts",
  {
    mediaId: text("media_id")
      .notNull()
      .references(() => media.id),
    partNumber: integer("part_number").notNull(),
    etag: text("etag").notNull(),
    size: integer("size").notNull(),
  },
  (t) => [primaryKey({ columns: [t.mediaId, t.partNumber] })],
);

/** Which chats carry a message with the media: their members may read it. */
export const mediaGrants = sqliteTable(
  "media_grants",
  {
    mediaId: text("media_id")
      .notNull()
      .references(() => media.id),
    chatId: text("chat_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.mediaId, t.chatId] })],
);

/** Bytes each user uploaded per UTC day, for the daily quota. */
export const mediaUsage = sqliteTable(
  "media_usage",
  {
    userId: text("user_id").notNull(),
    day: text("day").notNull(),
    bytes: integer("bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day] })],
);

/** Agencies, registered by the operator. The client secret is stored as an HMAC; private keys sealed. */
export const agencies = sqliteTable(
  "agencies",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    verified: integer("verified", { mode: "boolean" }).notNull().default(false),
    logoUrl: text("logo_url"),
    clientId: text("client_id").notNull(),
    clientSecretHash: text("client_secret_hash").notNull(),
    /** Space-separated capabilities: bills forms records consents. */
    scopes: text("scopes").notNull(),
    webhookUrl: text("webhook_url"),
    webhookSecretSealed: text("webhook_secret_sealed").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("agencies_client_id_uq").on(t.clientId)],
);

/** An agency's signing keys: the public JWK in the clear, the private one sealed (DATA_ENCRYPTION_KEY). */
export const agencyKeys = sqliteTable(
  "agency_keys",
  {
    kid: text("kid").primaryKey(),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    publicJwk: text("public_jwk").notNull(),
    privateJwkSealed: text("private_jwk_sealed").notNull(),
    createdAt: integer("created_at").notNull(),
    retiredAt: integer("retired_at"),
  },
  (t) => [index("agency_keys_agency_idx").on(t.agencyId)],
);

/** The one official chat between an agency and each citizen it serves, created on first contact. */
export const officialChats = sqliteTable(
  "official_chats",
  {
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agencyId, t.userId] })],
);

/** Bills in integer minor units. `externalRef` makes issuing idempotent per agency. */
export const bills = sqliteTable(
  "bills",
  {
    id: text("id").primaryKey(),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    citizenId: text("citizen_id")
      .notNull()
      .references(() => users.id),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    purpose: text("purpose").notNull(),
    dueDate: text("due_date"),
    externalRef: text("external_ref").notNull(),
    /** unpaid → paying (a charge is in flight) → paid; or back to unpaid when declined; cancelled by the agency. */
    status: text("status", { enum: ["unpaid", "paying", "paid", "cancelled"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    paidAt: integer("paid_at"),
    /** The receipt (a record signed by the agency) issued when the bill was paid. */
    receiptId: text("receipt_id"),
  },
  (t) => [
    uniqueIndex("bills_agency_ref_uq").on(t.agencyId, t.externalRef),
    index("bills_citizen_idx").on(t.citizenId),
    index("bills_agency_created_idx").on(t.agencyId, t.createdAt),
  ],
);

/** Payments. Card numbers are never stored: only the brand and last four digits. */
export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    billId: text("bill_id")
      .notNull()
      .references(() => bills.id),
    citizenId: text("citizen_id").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["succeeded", "declined", "pending"] }).notNull(),
    providerRef: text("provider_ref").notNull(),
    cardBrand: text("card_brand").notNull(),
    cardLast4: text("card_last4").notNull(),
    createdAt: integer("created_at").notNull(),
    settledAt: integer("settled_at"),
  },
  (t) => [index("payments_bill_idx").on(t.billId)],
);

/**
 * Idempotency keys (the Stripe model): the first request's result is stored and replayed for the same key
 * and body; the same key with another body is refused.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    userId: text("user_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status"),
    response: text("response"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);

/** Records (SD-JWT VCs) agencies issued to citizens. `statusIdx` is the record's bit in its agency's status list. */
export const records = sqliteTable(
  "records",
  {
    id: text("id").primaryKey(),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    citizenId: text("citizen_id")
      .notNull()
      .references(() => users.id),
    type: text("type").notNull(),
    /** JSON object of the claims, as issued (the citizen's own data, shown in their app). */
    claims: text("claims").notNull(),
    /**
     * The SD-JWT VC in issuance form (JWT~disclosure~…~) bound to no device: presentable without key binding
     * only. Device-bound copies are in record_credentials. (Records issued before migration 0014 hold a copy
     * bound to a server-held key that no longer exists.)
     */
    credential: text("credential").notNull(),
    statusIdx: integer("status_idx").notNull(),
    createdAt: integer("created_at").notNull(),
    /** The credential's `exp`, when the agency gave one; an expired record no longer prefills forms. */
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    /**
     * When the record was first bound to a device's holder key; null while the citizen had no device key (and
     * for records issued before holder keys moved to devices). Then the first device to publish a key gets it.
     */
    boundAt: integer("bound_at"),
  },
  (t) => [
    uniqueIndex("records_status_uq").on(t.agencyId, t.statusIdx),
    index("records_citizen_idx").on(t.citizenId),
    index("records_agency_created_idx").on(t.agencyId, t.createdAt),
  ],
);

/**
 * Record types an agency publishes (SD-JWT VC Type Metadata, simplified): the type's name and each claim's
 * label in Russian and optionally English, and how its values read (src/records/metadata.ts). JSON columns
 * are checked by zod on the way in and on the way out (src/records/store.ts).
 */
export const recordTypes = sqliteTable(
  "record_types",
  {
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    type: text("type").notNull(),
    /** JSON `{ ru, en? }`. */
    name: text("name").notNull(),
    /** JSON `{ <claim>: { label: { ru, en? }, format?, values? } }`. */
    claims: text("claims").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agencyId, t.type] })],
);

/**
 * One credential per record and active holder device: the record re-issued under the agency's key with that
 * device's public holder key as `cnf.jwk`. The private half never leaves the device, so only the device can
 * sign a presentation's key-binding JWT. Rows of a device that signed out or was revoked are deleted.
 */
export const recordCredentials = sqliteTable(
  "record_credentials",
  {
    recordId: text("record_id")
      .notNull()
      .references(() => records.id),
    deviceId: text("device_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    /** The device's public JWK the credential binds (JSON), so a replaced key's credentials are told apart. */
    holderJwk: text("holder_jwk").notNull(),
    credential: text("credential").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recordId, t.deviceId] }),
    index("record_credentials_device_idx").on(t.deviceId),
    index("record_credentials_user_idx").on(t.userId),
  ],
);

/**
 * A new device asking for the citizen's records. An old device that holds them approves with an ES256
 * signature by its holder key over the new device's key (docs/api.md, "Records on a new device"); the
 * server then re-binds the records to the new device.
 */
export const holderTransfers = sqliteTable(
  "holder_transfers",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    toDeviceId: text("to_device_id").notNull(),
    /** The new device's public holder JWK (JSON), as it was when the request was made. */
    toHolderJwk: text("to_holder_jwk").notNull(),
    deviceName: text("device_name"),
    status: text("status", { enum: ["pending", "approved", "denied"] }).notNull(),
    /** The device that approved or denied. */
    approvedBy: text("approved_by"),
    /** The approving device's compact JWS over the request (kept as proof of who allowed it). */
    signature: text("signature"),
    /** How many records were bound to the new device on approval. */
    records: integer("records"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    decidedAt: integer("decided_at"),
  },
  (t) => [index("holder_transfers_user_idx").on(t.userId, t.status)],
);

/**
 * Consents: an agency asks to read a citizen's records issued by others (`scope`: "records" for all, or
 * "records:<type>"), for a purpose, until a time. Only the citizen approves, denies or revokes.
 */
export const consents = sqliteTable(
  "consents",
  {
    id: text("id").primaryKey(),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    citizenId: text("citizen_id")
      .notNull()
      .references(() => users.id),
    scope: text("scope").notNull(),
    purpose: text("purpose").notNull(),
    expiresAt: integer("expires_at").notNull(),
    status: text("status", { enum: ["requested", "approved", "denied", "revoked"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    decidedAt: integer("decided_at"),
  },
  (t) => [
    index("consents_citizen_idx").on(t.citizenId),
    index("consents_agency_citizen_idx").on(t.agencyId, t.citizenId),
    index("consents_agency_created_idx").on(t.agencyId, t.createdAt),
  ],
);

/** Forms agencies publish; posting the same key again makes a new version, and old versions stay valid. */
export const forms = sqliteTable(
  "forms",
  {
    id: text("id").primaryKey(),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    key: text("key").notNull(),
    version: integer("version").notNull(),
    title: text("title").notNull(),
    /** The JSON Schema (supported subset, src/forms/schema.ts) the submissions are validated against. */
    schema: text("schema").notNull(),
    /**
     * JSON map of top-level fields to the record claim that may fill them, `{ field: { type, claim } }`, or
     * null. Only the citizen asks for it (POST /forms/:id/prefill), from their own records.
     */
    prefill: text("prefill"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("forms_agency_key_version_uq").on(t.agencyId, t.key, t.version)],
);

/** A citizen's submission of one exact form version: submitted → in_review → approved | rejected. */
export const submissions = sqliteTable(
  "submissions",
  {
    id: text("id").primaryKey(),
    formId: text("form_id")
      .notNull()
      .references(() => forms.id),
    agencyId: text("agency_id").notNull(),
    citizenId: text("citizen_id")
      .notNull()
      .references(() => users.id),
    data: text("data").notNull(),
    status: text("status", { enum: ["submitted", "in_review", "approved", "rejected"] }).notNull(),
    comment: text("comment"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /**
     * The human reference number, "<year>-<6 digits>" (shown as "№ 2026-000123"), unique per agency:
     * taken from `submissionCounters` in the submission's own insert batch (src/forms/store.ts).
     */
    reference: text("reference"),
  },
  (t) => [
    index("submissions_citizen_idx").on(t.citizenId),
    index("submissions_agency_idx").on(t.agencyId),
    uniqueIndex("submissions_agency_reference_uq").on(t.agencyId, t.reference),
  ],
);

/** Each agency's last reference number per (UTC) year; the submission's insert batch increments it first. */
export const submissionCounters = sqliteTable(
  "submission_counters",
  {
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    year: integer("year").notNull(),
    last: integer("last").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agencyId, t.year] })],
);

/**
 * Webhook events for agencies, one row per event: the payload is stored exactly as signed and sent, and
 * the row is written in the same batch as the change it reports, so an acknowledged change never loses
 * its event. The queue carries only the id; the consumer records each attempt here.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    /** The event id (`evt_…`), also the payload's `id`: agencies deduplicate on it. */
    id: text("id").primaryKey(),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    type: text("type").notNull(),
    payload: text("payload").notNull(),
    /** pending → delivered, or failed once the queue's retries are exhausted (dead-lettered). */
    status: text("status", { enum: ["pending", "delivered", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    /** When the queue will try again (or, while never attempted, when the sweep re-enqueues it). */
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    index("webhook_deliveries_agency_idx").on(t.agencyId, t.createdAt),
    index("webhook_deliveries_status_idx").on(t.status, t.nextAttemptAt),
  ],
);

/**
 * Media a citizen attached to a submission, in the order given. Attaching sets the media's `attachedAt`,
 * so the hourly cleanup of unattached uploads keeps it; the agency reads it through the submission.
 */
export const submissionAttachments = sqliteTable(
  "submission_attachments",
  {
    submissionId: text("submission_id")
      .notNull()
      .references(() => submissions.id),
    mediaId: text("media_id")
      .notNull()
      .references(() => media.id),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.submissionId, t.mediaId] }), index("submission_attachments_media_idx").on(t.mediaId)],
);

/** Each user's own contacts: "contacts" in privacy settings means the people the owner put here. */
export const contacts = sqliteTable(
  "contacts",
  {
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id),
    contactId: text("contact_id")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
  },
  // The reverse index answers "who has this viewer in their contacts" when profiles are shown.
  (t) => [primaryKey({ columns: [t.ownerId, t.contactId] }), index("contacts_contact_idx").on(t.contactId)],
);

/**
 * Blocks, authoritative here. A direct chat's room keeps a copy of the blocks between its two members
 * (src/chat/room/blocks.ts), so refusing a blocked sender costs no D1 read per message.
 */
export const blocks = sqliteTable(
  "blocks",
  {
    blockerId: text("blocker_id")
      .notNull()
      .references(() => users.id),
    blockedId: text("blocked_id")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.blockerId, t.blockedId] }), index("blocks_blocked_idx").on(t.blockedId, t.createdAt)],
);

/**
 * Reports to the operator's review queue (docs/operations.md, "Reports"). A message report keeps a copy of
 * the message as the reporter saw it, so a later edit or deletion cannot hide it from the reviewer.
 */
export const reports = sqliteTable(
  "reports",
  {
    id: text("id").primaryKey(),
    reporterId: text("reporter_id")
      .notNull()
      .references(() => users.id),
    reason: text("reason", { enum: ["spam", "abuse", "violence", "illegal", "other"] }).notNull(),
    comment: text("comment"),
    chatId: text("chat_id"),
    seq: integer("seq"),
    /** The reported person: named by the reporter, or the reported message's sender. */
    userId: text("user_id"),
    /** JSON of the reported message when reported (see ChatMessage), or null. */
    message: text("message"),
    status: text("status", { enum: ["open", "actioned", "dismissed"] })
      .notNull()
      .default("open"),
    createdAt: integer("created_at").notNull(),
    reviewedAt: integer("reviewed_at"),
    reviewedBy: text("reviewed_by"),
  },
  (t) => [index("reports_status_created_idx").on(t.status, t.createdAt), index("reports_user_created_idx").on(t.userId, t.createdAt)],
);

/**
 * A device: one signed-in session's public keys (src/keys/devices.ts). `mlsKey` and `holderKey` are the keys it
 * has now; every key it ever published or revoked is in `key_log`. `revokedAt` is set when the session ends.
 */
export const devices = sqliteTable(
  "devices",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    name: text("name"),
    /** base64url MLS signature public key. */
    mlsKey: text("mls_key"),
    /** JSON of a P-256 public JWK { kty, crv, x, y }. */
    holderKey: text("holder_key"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("devices_session_uq").on(t.sessionId), index("devices_user_idx").on(t.userId)],
);

/** Each user's key log, hash-chained like access_log; append-only (triggers in migrations/0013). */
export const keyLog = sqliteTable(
  "key_log",
  {
    userId: text("user_id").notNull(),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    deviceId: text("device_id").notNull(),
    action: text("action", { enum: ["added", "revoked"] }).notNull(),
    use: text("use", { enum: ["mls", "holder"] }).notNull(),
    /** The key as the entry carries it: base64url for mls, JWK JSON for holder. */
    key: text("key").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.seq] })],
);

/** MLS KeyPackages waiting to be claimed (src/keys/packages.ts). */
export const keyPackages = sqliteTable(
  "key_packages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    userId: text("user_id").notNull(),
    /** base64url of the TLS-encoded KeyPackage (a MLSMessage). */
    package: text("package").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("key_packages_device_idx").on(t.deviceId, t.id)],
);
