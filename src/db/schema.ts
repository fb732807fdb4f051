import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are integer milliseconds since the epoch; the API renders them as RFC 3339.

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    phone: text("phone").notNull(),
    displayName: text("display_name"),
    // Lower-case; unique among users who have one.
    username: text("username"),
    phoneVisibility: text("phone_visibility", { enum: ["nobody", "everyone"] })
      .notNull()
      .default("nobody"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("users_phone_uq").on(t.phone), uniqueIndex("users_username_uq").on(t.username)],
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
  (t) => [index("sessions_user_idx").on(t.userId)],
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
