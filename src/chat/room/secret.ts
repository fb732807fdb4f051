// A secret chat's room is the MLS Delivery Service (RFC 9420 §3, RFC 9750) of its group: it orders handshake
// and application messages and never sees a key or a plaintext. It keeps what ordering needs: the group's
// epoch (a commit declared against another epoch is stale), the group's device ids as the last commit declared
// them, and the devices it was told were revoked (signed out, revoked, expired: src/keys/devices.ts). While
// the declared group holds a revoked device, application messages are refused, so a signed-out device can
// read nothing sent afterwards: the next message needs a commit that removes it, and that commit's new epoch
// secrets never reach it. docs/protocol.md "Secret chats".

import { hmacHex } from "../../lib/crypto";

export type MlsKind = "application" | "commit" | "welcome";

/** The envelope of a secret message, as sent (HTTP body or `send` frame) and as stored. */
export interface Envelope {
  ciphertext: string;
  mls: MlsKind;
  epoch: number;
  /** Welcome: the devices it is for. */
  to?: string[];
  /** Commit: the group's device ids after it. */
  devices?: string[];
  /** Application: HMAC-SHA-256(frankingKey, plaintext), base64url (message franking). */
  franking?: string;
}

/** A device-level refusal, in the room's RoomResult terms. */
export interface Refusal {
  status: 400 | 409;
  code: string;
  detail: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revoked_devices (device_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
`;

export class SecretGroup {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  epoch(): number {
    return Number(this.meta("mls_epoch") ?? 0);
  }

  devices(): string[] {
    const raw = this.meta("mls_devices");
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  /** Disappearing messages: seconds after which new messages are deleted, or null. */
  ttl(): number | null {
    const raw = this.meta("message_ttl");
    return raw === null ? null : Number(raw);
  }

  setTtl(seconds: number | null): void {
    if (seconds === null) this.sql.exec("DELETE FROM meta WHERE key = 'message_ttl'");
    else this.setMeta("message_ttl", String(seconds));
  }

  revoke(deviceId: string, now = Date.now()): void {
    this.sql.exec("INSERT OR IGNORE INTO revoked_devices (device_id, at) VALUES (?, ?)", deviceId, now);
  }

  revokedAmong(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    return this.sql
      .exec<{ device_id: string }>(`SELECT device_id FROM revoked_devices WHERE device_id IN (${ids.map(() => "?").join(",")})`, ...ids)
      .toArray()
      .map((r) => r.device_id);
  }

  /**
   * Whether a message may be stored now, before any D1 check. `activeOf` (commits only) answers which of the
   * declared devices are active devices of the chat's members, read from D1: commits are rare.
   */
  check(e: Envelope): Refusal | null {
    if (e.mls === "commit") {
      if (!e.devices || e.devices.length === 0) return invalid("A commit declares the group's devices after it (devices).");
      if (e.to || e.franking) return invalid("Only a welcome has `to`, only an application message `franking`.");
      if (e.epoch !== this.epoch()) return stale(this.epoch());
      const revoked = this.revokedAmong(e.devices);
      if (revoked.length > 0) return outdated(revoked);
      return null;
    }
    if (e.devices) return invalid("Only a commit declares `devices`.");
    if (e.mls === "welcome") {
      if (!e.to || e.to.length === 0) return invalid("A welcome names the devices it is for (to).");
      if (e.franking) return invalid("Only an application message has `franking`.");
      if (e.epoch !== this.epoch()) return stale(this.epoch());
      const group = new Set(this.devices());
      const strangers = e.to.filter((d) => !group.has(d));
      if (strangers.length > 0)
        return invalid(`Welcome recipients must be in the group the last commit declared: ${strangers.join(", ")}.`);
      const revoked = this.revokedAmong(e.to);
      if (revoked.length > 0) return outdated(revoked);
      return null;
    }
    if (e.to) return invalid("Only a welcome has `to`.");
    if (e.epoch !== this.epoch()) return stale(this.epoch());
    const revoked = this.revokedAmong(this.devices());
    if (revoked.length > 0) return outdated(revoked);
    return null;
  }

  /** An accepted commit: the next epoch, and its group. */
  accept(e: Envelope): void {
    if (e.mls !== "commit" || !e.devices) return;
    this.setMeta("mls_epoch", String(this.epoch() + 1));
    this.setMeta("mls_devices", JSON.stringify([...new Set(e.devices)]));
  }

  private meta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}

const invalid = (detail: string): Refusal => ({ status: 400, code: "invalid_envelope", detail });
const stale = (epoch: number): Refusal => ({
  status: 409,
  code: "stale_epoch",
  detail: `The group is at epoch ${epoch}: fetch the commits you are missing, then send again.`,
});
const outdated = (revoked: string[]): Refusal => ({
  status: 409,
  code: "group_outdated",
  detail: `The group still holds signed-out devices (${revoked.join(", ")}): commit their removal first.`,
});

/**
 * The server's franking tag (Facebook's "message franking", Grubbs, Lu and Ristenpart, CRYPTO 2017): an
 * HMAC-SHA-256 under the server's key binding the sender's commitment to where and when it was accepted, so a
 * later report can prove this sender sent that commitment here (src/safety/franking.ts).
 */
export function serverTag(
  key: string,
  m: { chatId: string; seq: number; senderId: string; franking: string; sentAt: string },
): Promise<string> {
  return hmacHex(key, `${m.chatId}|${m.seq}|${m.senderId}|${m.franking}|${m.sentAt}`);
}
