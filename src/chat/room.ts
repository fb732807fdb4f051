import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { countD1 } from "../lib/d1-count";
import { errorFields, log } from "../lib/log";
import { attachOwnMedia, revoke } from "../media/store";
import { inboxStub } from "./access";
import * as calls from "./calls/call";
import { BATCH_TAG, SocketHub, sessionTag } from "./hub";
import type { Inbox } from "./inbox";
import type { DialogUpdate } from "./inbox/dialogs";
import { type LimitRefusal, SendGate } from "./limits";
import { canDelete, canEdit, canPin, canPost, canReact, isPair } from "./policy";
import {
  type ActionState,
  AgencyRef,
  type CallRecord,
  type ChangeFrame,
  type ChatMessage,
  ChatType,
  CLOSE,
  type MessageAction,
  type NewChange,
  type Role,
  type RoomFrame,
  readClientFrame,
} from "./protocol";
import { RelayFanout } from "./relay/fanout";
import { relayConfig } from "./relay/plan";
import { Blocks } from "./room/blocks";
import { ChangeLog } from "./room/changes";
import { ChannelCounts, LIVE_VIEWS } from "./room/counts";
import { MessageLog } from "./room/log";
import { type Member, Members, type NewMember, type Profile } from "./room/members";
import { type Envelope, SecretGroup, serverTag } from "./room/secret";
import { extractMentions, ftsQuery } from "./text";

export type { ChatType, Role };

/** What a chat is, as the room keeps it: given by the Worker when the chat is made. */
export interface ChatInfo {
  chatId: string;
  type: ChatType;
  title: string | null;
  agency: AgencyRef | null;
  createdAt: number;
  /** A public channel's username (anyone signed in may read its posts); absent or null for every other chat. */
  username?: string | null;
  /** A group's or channel's photo (media id); absent or null for none. */
  avatar?: string | null;
}

export interface PostInput {
  senderId: string;
  clientId: string;
  text?: string | null;
  attachments?: string[];
  replyTo?: number;
  forwardOf?: { chatId: string; seq: number; senderId: string };
  /** The sender's trust from their access token: tighter sending limits (src/chat/limits.ts). */
  trust?: "reduced" | "restricted";
  /** Socket sends: the room checks the sender owns the attachments (the Worker does it for HTTP). */
  checkAttachments?: boolean;
  /** Official messages: posted by an agency (the sender id is the agency's), with buttons. */
  official?: { actions: MessageAction[] };
  /** A call's message, written by the room when the call ends (src/chat/calls/call.ts): no text, no limit. */
  call?: CallRecord;
  /** Secret chats: the envelope fields as sent (the room checks their combination). */
  envelope?: Partial<Envelope>;
}

/** The chat-wide part of a chat's summary. */
export interface ChatHead {
  title: string | null;
  avatar: string | null;
  memberCount: number;
  lastSeq: number;
  lastMessage: ChatMessage | null;
  /** ms since the epoch */
  lastActivityAt: number;
  pts: number;
}

/** Subscribers of a channel: their joins, leaves and read markers are theirs alone. */
const privateInChannel = (type: ChatType, role: Role): boolean => type === "channel" && role === "member";

/** Room calls answer with a value or a refusal the Worker turns into a problem response. */
export type RoomResult<T> =
  | { ok: true; value: T }
  | { ok: false; status: 400 | 403 | 404 | 409; code: string; detail: string }
  | LimitRefusal;

const ok = <T>(value: T): RoomResult<T> => ({ ok: true, value });
const refuse = (status: 400 | 403 | 404 | 409, code: string, detail: string): RoomResult<never> => ({ ok: false, status, code, detail });
const NO_CHAT = refuse(404, "not_found", "No such chat, or you may not see it.");
const NO_MESSAGE = refuse(404, "not_found", "No such message in this chat.");
/** A direct chat's blocked person: their sends, edits, reactions and pins do not reach the blocker. */
const BLOCKED = refuse(403, "blocked", "This person does not accept messages from you.");
/** Secret chats' messages are ciphertext only: the server never holds their text. */
const PLAINTEXT = refuse(400, "plaintext_not_allowed", "Secret chats carry ciphertext only: encrypt on the device.");

/** A chat list's preview of a message: a secret message without its ciphertext (the devices read it from the room). */
function preview(m: ChatMessage): ChatMessage {
  if (m.ciphertext === undefined) return m;
  const { ciphertext: _ciphertext, to: _to, devices: _devices, franking: _franking, ...rest } = m;
  return rest;
}

/** What the Worker forwards with a socket upgrade, after it authenticated the user. */
const UpgradeHeaders = z.object({
  upgrade: z.string().regex(/^websocket$/i),
  "x-veche-user": z.string().min(1).max(64),
  "x-veche-chat": z.string().min(1).max(64),
  "x-veche-batch": z.literal("1").optional(),
  "x-veche-session": z.string().min(1).max(64),
  "x-veche-trust": z.enum(["reduced", "restricted"]).optional(),
});
const ResumeParams = z.object({ after: z.coerce.number().int().min(0).optional(), pts: z.coerce.number().int().min(0).optional() });
const SocketAttachment = z.object({
  userId: z.string().min(1),
  connectedAt: z.number(),
  trust: z.enum(["reduced", "restricted"]).optional(),
});
const StoredInfo = z.object({
  chatId: z.string(),
  type: ChatType,
  title: z.string().nullable(),
  agency: AgencyRef.nullable(),
  createdAt: z.number(),
  username: z.string().nullable().optional(),
  avatar: z.string().nullable().optional(),
});

/** How long after a failed inbox push the alarm tries again. */
const PUSH_RETRY_MS = 2_000;
/** A room pushes summaries to its members' inboxes at most this often (HTTP callers wait for a push). */
const SUMMARY_INTERVAL_MS = 1_000;
const TYPING_INTERVAL_MS = 2_000;
/** A channel's reaction and view counts go out at most this often (src/chat/room/counts.ts). */
const COUNTS_TICK_MS = 1_000;
/** Channels up to this many members push each post's summary to every subscriber's inbox, as groups do. */
export const CHANNEL_PUSH_LIMIT = 1_000;
/** Inbox calls in flight at once during a push. */
const PUSH_CONCURRENCY = 100;
/** Inbox stubs a room keeps (a group's members; a big channel's pushed moderators). */
const MAX_CACHED_INBOXES = 5_000;
/** Replays go out in sends of this many frames. */
const REPLAY_CHUNK = 200;
/** A relay's `?after=` replay goes up to this many messages (beyond, `too_long`: ?pts= is the way). */
const RELAY_AFTER_LIMIT = 5_000;

/** What a relay sends a socket before live frames: encoded change frames up to `pts`, or `too_long`. */
export interface RelayCatchUp {
  frames: string[];
  pts: number;
  tooLong: boolean;
}

/**
 * One chat. A thin shell over its stores: the message log (seq), the change log (pts), the membership that
 * decides who may do what, and the socket hub. It is the single writer of all of them: a change is stored
 * before it is acknowledged or fanned out (the output gate holds socket sends until the write is durable),
 * and members' inboxes get the chat's new summary, coalesced, one call per inbox per push.
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly log: MessageLog;
  private readonly changes: ChangeLog;
  private readonly members: Members;
  /** A channel's reaction and view counts, sent per tick. */
  private readonly counts: ChannelCounts;
  private countsTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly blocks: Blocks;
  /** Secret chats: the MLS group's epoch, devices and revoked devices (room/secret.ts). */
  private readonly secret: SecretGroup;
  private readonly hub: SocketHub<RoomFrame>;
  private readonly gate: SendGate;
  /** A big channel's relays (src/chat/relay/fanout.ts): one call per first-level relay per batch. */
  private readonly relays: RelayFanout;
  private info: ChatInfo | null = null;
  private loading: Promise<ChatInfo | null> | null = null;
  private absent = false;
  /** Push revisions: a member marked at rev r is pushed a summary taken at a rev ≥ r. */
  private rev: number;
  /** Sends are applied one at a time, in arrival order, even when one waits (on D1 for attachments). */
  private queue: Promise<unknown> = Promise.resolve();
  private summaryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPushAt = 0;
  /** When the alarm this instance last set fires (0: none set, or it fired). */
  private alarmAt = 0;
  private pushing: Promise<void> | null = null;
  private pendingFull = false;
  private readonly pendingOnly = new Set<string>();
  private readonly lastTyping = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countD1(env));
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.log = new MessageLog(
      this.sql,
      () => this.info?.chatId ?? "",
      () => this.info?.type === "channel",
    );
    this.changes = new ChangeLog(this.sql);
    this.members = new Members(this.sql);
    this.counts = new ChannelCounts(this.sql);
    this.blocks = new Blocks(this.sql);
    this.secret = new SecretGroup(this.sql);
    this.hub = new SocketHub(ctx);
    this.gate = new SendGate(this.env);
    this.relays = new RelayFanout(this.sql, this.env, relayConfig(this.env), () => this.info?.chatId ?? "");
    this.rev = Math.max(this.members.maxRev(), Number(this.meta("head_dirty") ?? 0));
    const stored = this.meta("info");
    if (stored) this.info = StoredInfo.parse(JSON.parse(stored));
    // Reaction counts stored as changed before an eviction go out now.
    if (this.info?.type === "channel" && this.counts.pending()) this.scheduleCounts();
  }

  // ---- identity and membership ----

  /**
   * A new chat, made by the Worker after it wrote the directory in D1. Idempotent: a retry, or the loser of
   * two people starting the same direct chat at once, makes sure the room and the members' inboxes have it.
   */
  async init(info: ChatInfo, members: NewMember[]): Promise<void> {
    this.absent = false;
    if (!this.info) {
      // A room from before the room kept its chat's details takes them, and its members, from D1.
      if (!this.log.isEmpty() || this.members.count() > 0) await this.ready(info.chatId);
      else this.bindInfo(info);
    }
    const rev = this.nextRev();
    for (const m of members) if (!this.members.role(m.userId)) this.members.upsert(m, rev);
    this.relays.resize(info.type, this.members.count());
    this.headChanged(rev);
    await this.pushNow();
  }

  /**
   * The chat as the room knows it. A room made before the room held its chat's details and profiles (or never
   * told of its chat) reads them from D1 once; a chat that does not exist answers null.
   */
  private async ready(chatId: string): Promise<ChatInfo | null> {
    if (this.info) return this.info.chatId === chatId ? this.info : null;
    // A chat id that is not in D1 stays unknown for this instance's life: probing random ids costs D1 once.
    if (this.absent) return null;
    this.loading ??= this.hydrate(chatId).finally(() => {
      this.loading = null;
    });
    const info = await this.loading;
    return info?.chatId === chatId ? info : null;
  }

  private async hydrate(chatId: string): Promise<ChatInfo | null> {
    const [chat, people] = await this.env.DB.batch([
      this.env.DB.prepare(
        `SELECT c.type, c.title, c.created_at, c.username, c.avatar_id, a.id AS agency_id, a.name AS agency_name, a.verified AS agency_verified
         FROM chats c LEFT JOIN agencies a ON a.id = c.agency_id WHERE c.id = ?1`,
      ).bind(chatId),
      this.env.DB.prepare(
        `SELECT m.user_id AS userId, m.role, m.read_seq AS readSeq, u.username, COALESCE(u.display_name, '@' || u.username) AS name,
           u.avatar_id AS avatar
         FROM chat_members m JOIN users u ON u.id = m.user_id WHERE m.chat_id = ?1`,
      ).bind(chatId),
    ]);
    const row = z
      .object({
        type: ChatType,
        title: z.string().nullable(),
        created_at: z.number(),
        username: z.string().nullable(),
        avatar_id: z.string().nullable(),
        agency_id: z.string().nullable(),
        agency_name: z.string().nullable(),
        agency_verified: z.number().nullable(),
      })
      .safeParse(chat?.results[0]);
    if (!row.success) {
      this.absent = true;
      return null;
    }
    if (this.info) return this.info;
    const r = row.data;
    const info: ChatInfo = {
      chatId,
      type: r.type,
      title: r.title,
      agency: r.agency_id ? { id: r.agency_id, name: r.agency_name ?? "", verified: r.agency_verified === 1 } : null,
      createdAt: r.created_at,
      username: r.username,
      avatar: r.avatar_id,
    };
    const rev = this.nextRev();
    const listed = z
      .array(
        z.object({
          userId: z.string(),
          role: z.enum(["owner", "admin", "member"]),
          readSeq: z.number(),
          username: z.string().nullable(),
          name: z.string().nullable(),
          avatar: z.string().nullable(),
        }),
      )
      .parse(people?.results ?? []);
    // Before this version D1 was the membership authority: the room takes its list, keeping read markers.
    const keep = new Set(listed.map((p) => p.userId));
    for (const m of this.members.all()) if (!keep.has(m.userId)) this.members.forget(m.userId);
    for (const p of listed) this.members.upsert(p, rev);
    if (!this.log.isEmpty()) this.changes.startAfterUnnumberedHistory();
    this.bindInfo(info);
    this.relays.resize(info.type, this.members.count());
    return info;
  }

  private bindInfo(info: ChatInfo): void {
    this.info = info;
    this.setMeta("info", JSON.stringify(info));
  }

  /** The caller's role in the chat, or a 404 that does not reveal whether it exists. */
  async access(chatId: string, userId: string): Promise<RoomResult<{ type: ChatType; role: Role }>> {
    const info = await this.ready(chatId);
    const role = info ? this.members.role(userId) : null;
    return info && role ? ok({ type: info.type, role }) : NO_CHAT;
  }

  /** Reading messages: members, and for a public channel anyone signed in (the preview before joining). */
  private async mayRead(chatId: string, userId: string): Promise<RoomResult<null>> {
    const access = await this.access(chatId, userId);
    if (access.ok) return ok(null);
    const info = this.info;
    return info?.chatId === chatId && info.type === "channel" && info.username ? ok(null) : access;
  }

  /** Members join (or change profile) after the Worker wrote the directory. Each newcomer is a change. */
  async addMembers(chatId: string, members: NewMember[], actorId?: string): Promise<RoomResult<null>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    return this.serial(async () => {
      const rev = this.nextRev();
      for (const m of members) {
        const before = this.members.upsert(m, rev);
        if (!before) {
          // A subscriber joining a channel is private: no frame to the others, no chat pts.
          if (!privateInChannel(info.type, m.role))
            this.record({ type: "member", userId: m.userId, action: "joined", role: m.role, memberCount: this.members.count() });
        } else if (before.role !== m.role)
          this.record({ type: "member", userId: m.userId, action: "role_changed", role: m.role, memberCount: this.members.count() });
      }
      this.relays.resize(info.type, this.members.count());
      this.headChanged(rev);
      if (actorId) this.members.markDirty(actorId, rev);
      // The newcomers' lists now; everyone's member count with the next coalesced push (adding people one by
      // one to a big group must not cost a call to every member's inbox per add).
      await this.pushNow([...members.map((m) => m.userId), ...(actorId ? [actorId] : [])]);
      return ok(null);
    });
  }

  /** `actorId`: who made the change over HTTP, whose chat list must show it when they get the answer. */
  async setRole(chatId: string, userId: string, role: Role, actorId?: string): Promise<RoomResult<Member>> {
    if (!(await this.ready(chatId))) return NO_CHAT;
    return this.serial(async () => {
      const before = this.members.get(userId);
      if (!before) return refuse(404, "not_found", "No such member.");
      if (before.role !== role) {
        const rev = this.nextRev();
        this.members.upsert({ ...before, role }, rev);
        this.record({ type: "member", userId, action: "role_changed", role, memberCount: this.members.count() });
        // As with adds and removals: the actor's list shows the chat's new pts when they get the answer.
        if (actorId && actorId !== userId) this.members.markDirty(actorId, rev);
        await this.moveSockets(userId, before.role, role);
        await this.pushNow(actorId && actorId !== userId ? [userId, actorId] : [userId]);
      }
      return ok({ ...before, role });
    });
  }

  /** A member leaves or is removed: their sockets here close at once and their inbox drops the chat. */
  async removeMember(chatId: string, userId: string, action: "left" | "removed", actorId?: string): Promise<RoomResult<null>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    return this.serial(async () => {
      const rev = this.nextRev();
      const before = this.members.remove(userId, rev);
      if (!before) return ok(null);
      if (!privateInChannel(info.type, before.role))
        this.record({ type: "member", userId, action, role: null, memberCount: this.members.count() });
      this.hub.closeTagged(userId, CLOSE.removed, "removed from chat");
      await this.relays.closeUser(userId);
      this.headChanged(rev);
      // As with adds: the one who left and the one who acted now, the others with the next push.
      if (actorId && actorId !== userId) this.members.markDirty(actorId, rev);
      await this.pushNow(actorId ? [userId, actorId] : [userId]);
      return ok(null);
    });
  }

  /**
   * A group's or channel's new title or photo (a media id; null removes it), written in D1 first: a numbered
   * change for open sockets, and a new summary for every member's list. The same details again change nothing.
   */
  async setDetails(chatId: string, change: { title?: string; avatar?: string | null }): Promise<RoomResult<null>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    return this.serial(async () => {
      const now = this.info ?? info;
      const title = change.title ?? now.title;
      const avatar = change.avatar === undefined ? (now.avatar ?? null) : change.avatar;
      if (title === now.title && avatar === (now.avatar ?? null)) return ok(null);
      this.bindInfo({ ...now, title, avatar });
      this.record({ type: "chat_updated", title, avatar });
      this.headChanged(this.nextRev());
      await this.pushNow();
      return ok(null);
    });
  }

  /** A channel's username was set, changed or cleared in D1: its posts become readable to all, or to members only. */
  async setUsername(chatId: string, username: string | null): Promise<RoomResult<null>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    return this.serial(async () => {
      // The details as they are now: a rename queued before this one may have replaced them.
      this.bindInfo({ ...(this.info ?? info), username });
      return ok(null);
    });
  }

  /** A member renamed themselves: mentions resolve the new username; a direct chat's peer sees the new title. */
  async setProfile(chatId: string, userId: string, profile: Profile): Promise<void> {
    const info = await this.ready(chatId);
    if (!info || !this.members.setProfile(userId, profile)) return;
    if (!isPair(info.type)) return;
    const rev = this.nextRev();
    for (const m of this.members.all()) if (m.userId !== userId) this.members.markDirty(m.userId, rev);
    await this.pushNow();
  }

  /** A block set or lifted in D1 (src/safety/routes.ts): the room refuses, or again takes, the blocked member's sends. */
  async setBlocked(chatId: string, blockerId: string, blockedId: string, on: boolean): Promise<RoomResult<null>> {
    const info = await this.ready(chatId);
    if (!info || !isPair(info.type)) return NO_CHAT;
    // In the send queue, so a send that arrived before the block is stored and one after it is refused.
    return this.serial(async () => {
      this.blocks.set(blockerId, blockedId, on);
      return ok(null);
    });
  }

  /**
   * A big channel's subscribers are the relays' and its owners and admins the room's (they post): a role change
   * across that line closes the member's sockets with `moved`, and the client reconnects to where it now belongs.
   */
  private async moveSockets(userId: string, from: Role, to: Role): Promise<void> {
    if (this.relays.count() === 0 || (from === "member") === (to === "member")) return;
    if (to === "member") this.hub.closeTagged(userId, CLOSE.moved, "role changed; reconnect");
    else await this.relays.closeUser(userId, CLOSE.moved);
  }

  /** A session was signed out: its sockets here close at once (the device must sign in again). */
  async closeSession(sessionId: string, userId?: string): Promise<void> {
    this.hub.closeTagged(sessionTag(sessionId), CLOSE.sessionEnded, "signed out");
    if (userId) await this.relays.closeSession(userId, sessionId);
  }

  async readMarkers(chatId: string, userId: string): Promise<RoomResult<Record<string, number>>> {
    const access = await this.access(chatId, userId);
    return access.ok ? ok(this.members.readMarkers()) : access;
  }

  // ---- secret chats ----

  /** A secret message's envelope as the room accepts it, or why not (room/secret.ts, docs/protocol.md). */
  private async secretEnvelope(input: PostInput): Promise<RoomResult<Envelope>> {
    if (input.forwardOf) return refuse(400, "forward_not_allowed", "Forward in a secret chat by sending the content again, encrypted.");
    if (input.text != null) return PLAINTEXT;
    const e = input.envelope;
    if (!e?.ciphertext || !e.mls || e.epoch === undefined)
      return refuse(400, "ciphertext_required", "A secret chat's message carries ciphertext, mls and epoch.");
    const envelope: Envelope = {
      ciphertext: e.ciphertext,
      mls: e.mls,
      epoch: e.epoch,
      ...(e.to ? { to: [...new Set(e.to)] } : {}),
      ...(e.devices ? { devices: [...new Set(e.devices)] } : {}),
      ...(e.franking ? { franking: e.franking } : {}),
    };
    const refusal = this.secret.check(envelope);
    if (refusal) return refuse(refusal.status, refusal.code, refusal.detail);
    if (envelope.mls === "commit" && envelope.devices) {
      // Commits are rare: the one D1 read of the secret path, so a commit cannot bring in a stranger's device
      // or one whose revocation has not reached this room yet.
      const members = this.members.all().map((m) => m.userId);
      const ids = envelope.devices;
      const { results } = await this.env.DB.prepare(
        `SELECT d.id FROM devices d JOIN sessions s ON s.id = d.session_id
         WHERE d.id IN (SELECT value FROM json_each(?1)) AND d.user_id IN (SELECT value FROM json_each(?2))
           AND d.revoked_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > ?3 AND d.mls_key IS NOT NULL`,
      )
        .bind(JSON.stringify(ids), JSON.stringify(members), Date.now())
        .all<{ id: string }>();
      const active = new Set(results.map((r) => r.id));
      const gone = ids.filter((id) => !active.has(id));
      if (gone.length > 0) {
        for (const id of gone) this.secret.revoke(id);
        return refuse(409, "group_outdated", `Not active devices of this chat's members: ${gone.join(", ")}.`);
      }
    }
    return ok(envelope);
  }

  /** A device was signed out, revoked or expired (src/keys/devices.ts): the group must drop it before more is sent. */
  async deviceRevoked(chatId: string, deviceId: string): Promise<void> {
    const info = await this.ready(chatId);
    if (info?.type !== "secret") return;
    await this.serial(async () => this.secret.revoke(deviceId));
  }

  /** What a device needs to re-sync: the group's epoch and devices as the room has them, and the timer. */
  async secretState(
    chatId: string,
    userId: string,
  ): Promise<RoomResult<{ epoch: number; devices: string[]; revoked: string[]; messageTtl: number | null }>> {
    const access = await this.access(chatId, userId);
    if (!access.ok) return access;
    if (access.value.type !== "secret") return refuse(400, "not_secret", "This is not a secret chat.");
    const devices = this.secret.devices();
    return ok({ epoch: this.secret.epoch(), devices, revoked: this.secret.revokedAmong(devices), messageTtl: this.secret.ttl() });
  }

  /** Disappearing messages: either member sets the timer for messages sent from now on (null: off). */
  async setMessageTtl(chatId: string, userId: string, seconds: number | null): Promise<RoomResult<{ messageTtl: number | null }>> {
    const info = await this.ready(chatId);
    if (!info || !this.members.role(userId)) return NO_CHAT;
    if (info.type !== "secret") return refuse(400, "not_secret", "Disappearing messages are for secret chats.");
    return this.serial(async () => {
      if (this.secret.ttl() !== seconds) {
        this.secret.setTtl(seconds);
        this.record({ type: "chat_updated", title: info.title, messageTtl: seconds });
      }
      return ok({ messageTtl: seconds });
    });
  }

  /** Deletes the disappearing messages that are due, as deletions for everyone (tombstones, `deleted` frames). */
  private async expire(): Promise<void> {
    const info = this.info;
    if (info?.type !== "secret") return;
    const orphaned = await this.serial(async () => {
      const out: string[] = [];
      let last = false;
      for (const seq of this.log.expired(Date.now())) {
        const row = this.log.row(seq);
        if (!row || row.deleted_at !== null) continue;
        const attachments = this.log.toMessage(row, []).attachments;
        const tombstone = this.log.tombstone(seq);
        this.changes.scrub(tombstone);
        this.record({ type: "deleted", seq });
        if (seq === this.log.lastSeq()) last = true;
        out.push(...attachments.filter((id) => !this.log.carries(id)));
      }
      if (last) this.headChanged(this.nextRev());
      return out;
    });
    if (orphaned.length > 0) await revoke(this.env.DB, info.chatId, orphaned);
  }

  /** The alarm also fires for the next disappearing message; one that is set sooner (a push backstop) is kept. */
  private armExpiry(): void {
    const next = this.log.nextExpiry();
    if (next === null) return;
    void (async () => {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > next) await this.ctx.storage.setAlarm(next);
    })();
  }

  // ---- the message log ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The id of the call this chat has now (ringing or answered), if any: an inbox checks a claim it holds. */
  async currentCall(chatId: string): Promise<string | null> {
    if (!(await this.ready(chatId))) return null;
    return this.loadCall()?.callId ?? null;
  }

  /** Stores a change under the chat's next pts and sends it to every socket. */
  private record(change: NewChange): ChangeFrame {
    const { frame, encoded } = this.changes.append(change);
    this.hub.broadcastEncoded(encoded);
    this.relays.enqueue(frame.pts, encoded);
    return frame;
  }

  /** Posts over HTTP (and official messages): like a socket `send`; members' inboxes have it before the answer. */
  async post(chatId: string, input: PostInput): Promise<RoomResult<{ message: ChatMessage; created: boolean }>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    const result = await this.append(info, input);
    if (result.ok && result.value.created) await this.pushNow();
    return result;
  }

  /** Stores a message (or finds the one this sender already stored under this clientId) and fans it out. */
  private append(info: ChatInfo, input: PostInput, origin?: WebSocket): Promise<RoomResult<{ message: ChatMessage; created: boolean }>> {
    // The sender's limit across their chats (src/chat/limits.ts), asked as the send arrives; official messages are the agency's.
    const limited = input.official || input.call ? null : this.gate.check(input.senderId, input.trust);
    return this.serial(async () => {
      const role = this.members.role(input.senderId);
      if (!input.official && !role) return NO_CHAT;
      const existing = this.log.byClientId(input.senderId, input.clientId);
      if (existing) return ok({ message: this.log.toMessage(existing), created: false });
      const refusal = await limited;
      if (refusal) return refusal;
      if (!input.official && !canPost(info.type, role)) {
        return refuse(
          403,
          "not_allowed",
          info.type === "channel"
            ? "Only owners and admins post in a channel."
            : info.type === "official"
              ? "Official chats are read-only."
              : "You cannot post here.",
        );
      }
      if (!input.official && this.blocks.isBlocked(input.senderId)) return BLOCKED;
      let envelope: Envelope | null = null;
      if (info.type === "secret") {
        const checked = await this.secretEnvelope(input);
        if (!checked.ok) return checked;
        envelope = checked.value;
      } else if (input.envelope && Object.values(input.envelope).some((v) => v !== undefined)) {
        return refuse(400, "ciphertext_not_allowed", "Only secret chats carry ciphertext and MLS envelopes.");
      }
      const text = input.text?.trim() ? (input.text ?? null) : null;
      const attachments = input.attachments ?? [];
      if (text === null && attachments.length === 0 && !input.forwardOf && !input.call && !envelope)
        return refuse(400, "empty_message", "A message needs text or attachments.");
      if (input.replyTo !== undefined && input.replyTo > this.log.lastSeq())
        return refuse(400, "invalid_reply", "replyTo must be the seq of a message in this chat.");
      if (input.checkAttachments && attachments.length > 0) {
        // Media records live in D1: a message with attachments costs their ownership check there.
        const opaque = info.type === "secret";
        const missing = await attachOwnMedia(this.env.DB, input.senderId, info.chatId, attachments, Date.now(), { opaque });
        if (missing.length > 0)
          return opaque
            ? refuse(
                400,
                "media_not_encrypted",
                `Secret chats carry only encrypted uploads (application/octet-stream) of yours: ${missing.join(", ")}.`,
              )
            : refuse(400, "unknown_media", `Not your uploaded media: ${missing.join(", ")}.`);
      }
      const now = Date.now();
      const ttl = envelope ? this.secret.ttl() : null;
      // The franking tag binds the sender's commitment to this chat, seq, sender and time (room/secret.ts).
      const tag =
        envelope?.franking && this.env.FRANKING_KEY
          ? await serverTag(this.env.FRANKING_KEY, {
              chatId: info.chatId,
              seq: this.log.lastSeq() + 1,
              senderId: input.senderId,
              franking: envelope.franking,
              sentAt: new Date(now).toISOString(),
            })
          : null;
      const message = this.log.append(
        {
          envelope,
          serverTag: tag,
          expiresAt: ttl === null ? null : now + ttl * 1000,
          senderId: input.senderId,
          clientId: input.clientId,
          text,
          attachments,
          replyTo: input.replyTo ?? null,
          forwardOf: input.forwardOf ?? null,
          mentions: text ? this.members.withUsernames(extractMentions(text)) : [],
          actions: input.official?.actions ?? [],
          call: input.call ?? null,
        },
        now,
      );
      if (envelope) this.secret.accept(envelope);
      if (ttl !== null) this.armExpiry();
      const rev = this.nextRev();
      // The sender has read everything up to their own message (implied by the message; no change of its own).
      this.moveMarker(input.senderId, message.seq, rev);
      const { frame, encoded } = this.changes.append({ type: "message", message });
      if (origin) this.hub.send(origin, { type: "ack", clientId: message.clientId, seq: message.seq, pts: frame.pts });
      this.hub.broadcastEncoded(encoded);
      this.relays.enqueue(frame.pts, encoded);
      if (message.mentions.length > 0) this.tellMentioned(info.chatId, message);
      // Members away read the chat's state when they are back (resume): with nobody here, no push to plan.
      if (this.members.anyPresent()) {
        this.headChanged(rev);
        this.schedulePush();
      }
      return ok({ message, created: true });
    });
  }

  /** A secret message's franking record for a report (src/safety/franking.ts): members only; null without one. */
  async frankingOf(
    chatId: string,
    userId: string,
    seq: number,
  ): Promise<RoomResult<{ chatId: string; seq: number; senderId: string; franking: string; serverTag: string; sentAt: string } | null>> {
    const access = await this.access(chatId, userId);
    if (!access.ok) return access;
    const row = this.log.row(seq);
    if (!row) return NO_MESSAGE;
    const franking = row.envelope === null ? undefined : this.log.toMessage(row, []).franking;
    if (row.server_tag === null || franking === undefined) return ok(null);
    return ok({
      chatId,
      seq,
      senderId: row.sender_id,
      franking,
      serverTag: row.server_tag,
      sentAt: new Date(row.created_at).toISOString(),
    });
  }

  async getMessage(chatId: string, userId: string, seq: number): Promise<RoomResult<ChatMessage>> {
    const access = await this.access(chatId, userId);
    if (!access.ok) return access;
    const row = this.log.row(seq);
    const [message] = row ? this.withViews([this.log.toMessage(row, undefined, userId)]) : [];
    return message ? ok(message) : NO_MESSAGE;
  }

  async history(chatId: string, userId: string, q: { after?: number; before?: number; limit: number }): Promise<RoomResult<ChatMessage[]>> {
    const access = await this.mayRead(chatId, userId);
    return access.ok ? ok(this.withViews(this.log.history(q, userId))) : access;
  }

  async pins(chatId: string, userId: string): Promise<RoomResult<ChatMessage[]>> {
    const access = await this.access(chatId, userId);
    return access.ok ? ok(this.withViews(this.log.pins(userId))) : access;
  }

  /** Full-text search, newest first. Words match by prefix, so Russian word forms are found from their stem. */
  async search(chatId: string, userId: string, q: string, limit: number): Promise<RoomResult<ChatMessage[]>> {
    const access = await this.access(chatId, userId);
    if (!access.ok) return access;
    if (access.value.type === "secret") return refuse(400, "not_searchable", "Secret chats are searched on the device.");
    const match = ftsQuery(q);
    return ok(match ? this.withViews(this.log.search(match, limit, userId)) : []);
  }

  /** The changes after `pts`, as the frames sent live. */
  async changesSince(
    chatId: string,
    userId: string,
    pts: number,
    limit: number,
  ): Promise<RoomResult<{ changes: ChangeFrame[]; pts: number; tooLong: boolean }>> {
    const access = await this.access(chatId, userId);
    if (!access.ok) return access;
    const since = this.changes.since(pts, limit);
    return ok({ changes: since.frames.map((f) => JSON.parse(f) as ChangeFrame), pts: since.pts, tooLong: since.tooLong });
  }

  /**
   * A relay opens a subscriber's socket: the room checks membership (null: not a member) and answers what the
   * socket must get before live frames, as its own replay would (?pts= or ?after=), and the pts that brings it to.
   */
  async relayJoin(chatId: string, userId: string, resume: { pts?: number; after?: number }): Promise<RelayCatchUp | null> {
    const info = await this.ready(chatId);
    if (!info || !this.members.role(userId) || this.blocks.isBlocked(userId)) return null;
    if (resume.pts !== undefined) return this.since(resume.pts);
    const frames: string[] = [];
    if (resume.after !== undefined) {
      for (let from = resume.after; ; ) {
        const page = this.log.history({ after: from, limit: REPLAY_CHUNK });
        if (page.length === 0) break;
        const pts = this.changes.messagePts(page[0]?.seq ?? 0, page[page.length - 1]?.seq ?? 0);
        for (const message of page) frames.push(JSON.stringify({ type: "message", message, pts: pts.get(message.seq) ?? 0 }));
        from = page[page.length - 1]?.seq ?? from;
        // Over this many, ?pts= is the way: the relay says too_long, and the client reloads over HTTP.
        if (frames.length > RELAY_AFTER_LIMIT) return { frames: [], pts: this.changes.current(), tooLong: true };
        if (page.length < REPLAY_CHUNK) break;
      }
    }
    return { frames, pts: this.changes.current(), tooLong: false };
  }

  /** A relay's gap: every change after `pts` (consecutive, so the relay numbers them by position). */
  async relaySince(chatId: string, pts: number): Promise<RelayCatchUp> {
    await this.ready(chatId);
    return this.since(pts);
  }

  private since(pts: number): RelayCatchUp {
    const frames: string[] = [];
    for (let from = pts; ; ) {
      const page = this.changes.since(from, REPLAY_CHUNK);
      if (page.tooLong) return { frames: [], pts: page.pts, tooLong: true };
      frames.push(...page.frames);
      from += page.frames.length;
      if (page.frames.length < REPLAY_CHUNK) return { frames, pts: from, tooLong: false };
    }
  }

  async edit(chatId: string, userId: string, seq: number, text: string): Promise<RoomResult<ChatMessage>> {
    if (!(await this.ready(chatId))) return NO_CHAT;
    const result = await this.serial(async (): Promise<RoomResult<ChatMessage>> => {
      if (!this.members.role(userId)) return NO_CHAT;
      // An edit in a secret chat is an encrypted message of its own, which the devices apply.
      if (this.info?.type === "secret") return PLAINTEXT;
      const row = this.log.row(seq);
      if (!row) return NO_MESSAGE;
      if (!canEdit(row.sender_id, userId)) return refuse(403, "not_sender", "Only the sender can edit a message.");
      if (row.call !== null) return refuse(403, "not_allowed", "A call's message cannot be edited.");
      if (row.deleted_at !== null) return refuse(409, "message_deleted", "The message was deleted.");
      // Changing what the blocker sees reaches them as a send would; withdrawing (deleting) stays possible.
      if (this.blocks.isBlocked(userId)) return BLOCKED;
      if (!text.trim() && JSON.parse(row.attachments).length === 0)
        return refuse(400, "empty_message", "A message needs text or attachments.");
      const message = this.log.edit(seq, text.trim() ? text : null, this.members.withUsernames(extractMentions(text)));
      this.record({ type: "edited", message });
      if (seq === this.log.lastSeq()) this.headChanged(this.nextRev());
      return ok(message);
    });
    if (result.ok) await this.pushNow();
    return result;
  }

  /**
   * The live state of an official message's buttons: every message of `senderId` (the agency) with a
   * `type` button acting on `ref` gets `state` on that button, as an `edited` change every client receives
   * with its pts, so a paid bill's message stops offering to pay it on every device. Answers the messages
   * changed (none when already in that state).
   */
  async setActionState(
    chatId: string,
    senderId: string,
    type: MessageAction["type"],
    ref: string,
    state: ActionState,
  ): Promise<RoomResult<ChatMessage[]>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    if (info.type !== "official") return refuse(403, "not_allowed", "Only official messages have buttons.");
    const result = await this.serial(async (): Promise<RoomResult<ChatMessage[]>> => {
      const changed: ChatMessage[] = [];
      for (const row of this.log.withAction(senderId, type, ref)) {
        const actions = this.log.actionsOf(row);
        const next = actions.map((a) => (a.type === type && a.ref === ref ? { ...a, state } : a));
        if (JSON.stringify(next) === JSON.stringify(actions)) continue;
        const message = this.log.setActions(row.seq, next);
        this.record({ type: "edited", message });
        if (row.seq === this.log.lastSeq()) this.headChanged(this.nextRev());
        changed.push(message);
      }
      return ok(changed);
    });
    if (result.ok && result.value.length > 0) await this.pushNow();
    return result;
  }

  /** Deletes for everyone: the message stays as a tombstone with no content, in the log and in the change log. */
  /**
   * Answers the attachments no other live message of this chat still carries: the Worker then takes back
   * the chat's grant to read them (contract v1.1: a deleted message's media is not readable through it).
   */
  async remove(chatId: string, userId: string, seq: number): Promise<RoomResult<{ orphaned: string[] }>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    const result = await this.serial(async (): Promise<RoomResult<{ orphaned: string[] }>> => {
      const role = this.members.role(userId);
      if (!role) return NO_CHAT;
      const row = this.log.row(seq);
      if (!row) return NO_MESSAGE;
      if (!canDelete(info.type, role, row.sender_id, userId))
        return refuse(403, "not_sender", "Only the sender or a chat admin can delete a message.");
      if (row.deleted_at !== null) return ok({ orphaned: [] });
      const attachments = this.log.toMessage(row, []).attachments;
      const tombstone = this.log.tombstone(seq);
      this.changes.scrub(tombstone);
      this.record({ type: "deleted", seq });
      if (seq === this.log.lastSeq()) this.headChanged(this.nextRev());
      return ok({ orphaned: attachments.filter((id) => !this.log.carries(id)) });
    });
    if (result.ok) await this.pushNow();
    return result;
  }

  async react(chatId: string, userId: string, seq: number, emoji: string, on: boolean): Promise<RoomResult<null>> {
    if (!(await this.ready(chatId))) return NO_CHAT;
    return this.serial(async () => {
      if (!canReact(this.members.role(userId))) return NO_CHAT;
      if (this.info?.type === "secret")
        return refuse(400, "reactions_not_supported", "Reactions in a secret chat travel inside encrypted messages.");
      if (this.blocks.isBlocked(userId)) return BLOCKED;
      const row = this.log.row(seq);
      if (!row) return NO_MESSAGE;
      if (row.deleted_at !== null) return refuse(409, "message_deleted", "The message was deleted.");
      // A reaction is not a chat-list change: no inbox push.
      if (!this.log.react(seq, emoji, userId, on)) return ok(null);
      // A channel's go out as counts with the next tick, however many subscribers tap.
      if (this.info?.type === "channel") {
        this.counts.reacted(seq);
        this.scheduleCounts();
      } else this.record({ type: "reaction", seq, emoji, userId, on });
      return ok(null);
    });
  }

  async pin(chatId: string, userId: string, seq: number, on: boolean): Promise<RoomResult<null>> {
    const info = await this.ready(chatId);
    if (!info) return NO_CHAT;
    return this.serial(async () => {
      const role = this.members.role(userId);
      if (!role) return NO_CHAT;
      if (!canPin(info.type, role)) return refuse(403, "not_allowed", "Only owners and admins pin messages.");
      if (this.blocks.isBlocked(userId)) return BLOCKED;
      const row = this.log.row(seq);
      if (!row) return NO_MESSAGE;
      if (row.deleted_at !== null) return refuse(409, "message_deleted", "The message was deleted.");
      if (this.log.pin(seq, on)) this.record({ type: "pinned", seq, on });
      return ok(null);
    });
  }

  /** Moves a member's read marker forward (never back) and tells the chat and the reader's inbox. */
  async read(chatId: string, userId: string, seq: number): Promise<RoomResult<{ seq: number }>> {
    if (!(await this.ready(chatId))) return NO_CHAT;
    const result = await this.markRead(userId, seq);
    if (result.ok) await this.pushNow();
    return result;
  }

  private markRead(userId: string, seq: number): Promise<RoomResult<{ seq: number }>> {
    return this.serial(async () => {
      if (!this.members.role(userId)) return NO_CHAT;
      const target = Math.min(seq, this.log.lastSeq());
      if (this.moveMarker(userId, target, this.nextRev())) {
        // In a channel read markers are private: only the reader's own inbox hears of it.
        if (this.info?.type !== "channel") this.record({ type: "read", userId, seq: target });
        this.schedulePush();
      }
      return ok({ seq: target });
    });
  }

  /** Moves a member's read marker forward; in a channel it also counts as a view of every post it passes. */
  private moveMarker(userId: string, seq: number, rev: number): boolean {
    if (this.info?.type !== "channel") return this.members.markRead(userId, seq, rev);
    const from = this.members.get(userId)?.readSeq ?? 0;
    if (!this.members.markRead(userId, seq, rev)) return false;
    this.counts.read(from, seq);
    this.scheduleCounts();
    return true;
  }

  private scheduleCounts(): void {
    this.countsTimer ??= setTimeout(() => {
      this.countsTimer = null;
      this.serial(async () => this.sendCounts()).catch((err: unknown) => log.error("channel counts failed", errorFields(err)));
    }, COUNTS_TICK_MS);
  }

  /** One `reactions` change per message whose reactions changed this tick, and one live `views` frame. */
  private sendCounts(): void {
    const last = this.log.lastSeq();
    const latest = Array.from({ length: Math.min(LIVE_VIEWS, last) }, (_, i) => last - Math.min(LIVE_VIEWS, last) + 1 + i);
    const { reactions, views } = this.counts.take(latest);
    for (const r of reactions) {
      if (this.log.row(r.seq)?.deleted_at === null) this.record({ type: "reactions", seq: r.seq, reactions: r.reactions });
    }
    if (views) {
      // Live only: views are a count of read markers, each already stored, not a change of their own.
      const encoded = JSON.stringify({ type: "views", views } satisfies RoomFrame);
      this.hub.broadcastEncoded(encoded);
      this.relays.enqueueLive(encoded);
    }
  }

  /** A channel's posts read over HTTP carry their views. */
  private withViews(messages: ChatMessage[]): ChatMessage[] {
    if (this.info?.type !== "channel" || messages.length === 0) return messages;
    const views = this.counts.views(messages.map((m) => m.seq).sort((a, b) => a - b));
    return messages.map((m) => ({ ...m, views: views.get(m.seq) ?? 0 }));
  }

  // ---- sockets ----

  /** The Worker has authenticated the user; the room checks membership and resumes from `?pts=` or `?after=`. */
  override async fetch(request: Request): Promise<Response> {
    const upgrade = UpgradeHeaders.safeParse(Object.fromEntries(request.headers));
    if (!upgrade.success) return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    const {
      "x-veche-user": userId,
      "x-veche-chat": chatId,
      "x-veche-batch": batch,
      "x-veche-session": sessionId,
      "x-veche-trust": trust,
    } = upgrade.data;
    const resume = ResumeParams.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!resume.success) return new Response("bad after or pts", { status: 400 });
    const info = await this.ready(chatId);
    // The room's membership decides, so a removal that raced this connect cannot leave a socket open.
    if (!info || !this.members.role(userId)) return new Response("not a member", { status: 404 });
    if (this.blocks.isBlocked(userId)) return new Response("blocked", { status: 403 });
    // A big channel's subscribers are served by its relays; owners and admins (who post) stay here.
    const relay = this.relays.route(userId, this.members.role(userId) ?? "member");
    if (relay !== null) return new Response(null, { status: 307, headers: { "x-veche-relay": String(relay) } });

    // Changes already stored but not yet fanned out would reach the new socket twice: once in the replay,
    // once in the fan-out. Send them to the current sockets first.
    this.hub.flush();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.hub.accept(server, batch ? [userId, sessionTag(sessionId), BATCH_TAG] : [userId, sessionTag(sessionId)], {
      userId,
      connectedAt: Date.now(),
      ...(trust ? { trust } : {}),
    });
    // The replay runs without yielding, so no live frame can slip in before or between it.
    const { pts, after } = resume.data;
    if (pts !== undefined) this.replayChanges(server, pts, batch === "1");
    else if (after !== undefined) this.replayMessages(server, after, batch === "1");
    this.callOnConnect(server, info, userId);
    return new Response(null, { status: 101, webSocket: client });
  }

  private replayChanges(ws: WebSocket, pts: number, batched: boolean): void {
    let from = pts;
    for (;;) {
      const since = this.changes.since(from, REPLAY_CHUNK);
      if (since.tooLong) {
        this.hub.send(ws, { type: "too_long", pts: since.pts });
        return;
      }
      if (since.frames.length === 0) return;
      const raw = since.frames;
      try {
        if (batched) ws.send(`[${raw.join(",")}]`);
        else for (const f of raw) ws.send(f);
      } catch {
        return;
      }
      from = (JSON.parse(raw[raw.length - 1] as string) as { pts: number }).pts;
      if (raw.length < REPLAY_CHUNK) return;
    }
  }

  private replayMessages(ws: WebSocket, after: number, batched: boolean): void {
    for (let from = after; ; ) {
      const page = this.log.history({ after: from, limit: REPLAY_CHUNK });
      if (page.length === 0) return;
      // Resuming by seq replays messages only (in their current state), each with the pts that stored it
      // (0 for history from before the change log).
      const pts = this.changes.messagePts(page[0]?.seq ?? 0, page[page.length - 1]?.seq ?? 0);
      this.hub.sendMany(
        ws,
        page.map((message): RoomFrame => ({ type: "message", message, pts: pts.get(message.seq) ?? 0 })),
        batched,
      );
      from = page[page.length - 1]?.seq ?? from;
      if (page.length < REPLAY_CHUNK) return;
    }
  }

  /** Who a socket belongs to, read from its attachment once per socket and instance, not per frame. */
  private readonly identities = new WeakMap<WebSocket, z.infer<typeof SocketAttachment>>();

  private identityOf(ws: WebSocket): z.infer<typeof SocketAttachment> | null {
    const known = this.identities.get(ws);
    if (known) return known;
    const parsed = SocketAttachment.safeParse(ws.deserializeAttachment());
    if (!parsed.success) return null;
    this.identities.set(ws, parsed.data);
    return parsed.data;
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    // A socket we closed (signed out, removed) may still deliver frames until its client answers the close.
    if (!this.hub.isOpen(ws)) return;
    try {
      const identity = this.identityOf(ws);
      const info = this.info;
      if (!identity || !info) return this.hub.close(ws, CLOSE.internal, "lost socket identity; reconnect");
      const { userId, trust } = identity;
      const frame = readClientFrame(data);
      if (!frame.ok) return this.hub.send(ws, frame.error);
      switch (frame.frame.type) {
        case "send": {
          const { clientId, text, attachments, replyTo, ciphertext, mls, epoch, to, devices, franking } = frame.frame;
          const result = await this.append(
            info,
            {
              senderId: userId,
              clientId,
              text,
              attachments,
              replyTo,
              checkAttachments: true,
              envelope: { ciphertext, mls, epoch, to, devices, franking },
              ...(trust ? { trust } : {}),
            },
            ws,
          );
          // The refusal names the send it refuses, so the client can mark that message failed.
          if (!result.ok)
            this.hub.send(ws, {
              type: "error",
              code: result.code,
              detail: result.detail,
              clientId,
              ...("retryAfter" in result ? { retryAfter: result.retryAfter } : {}),
            });
          // A retried clientId: acknowledge again with the stored seq; the message itself was already delivered.
          else if (!result.value.created) {
            const seq = result.value.message.seq;
            this.hub.send(ws, { type: "ack", clientId, seq, pts: this.changes.messagePts(seq, seq).get(seq) ?? 0 });
          }
          return;
        }
        case "read": {
          const result = await this.markRead(userId, frame.frame.seq);
          if (!result.ok) this.hub.send(ws, { type: "error", code: result.code, detail: result.detail });
          return;
        }
        case "call_invite":
        case "call_answer":
        case "call_ice":
        case "call_decline":
        case "call_busy":
        case "call_hangup":
        case "call_media":
          return await this.onCallFrame(ws, info, userId, frame.frame);
        case "typing": {
          const now = Date.now();
          if (
            now - (this.lastTyping.get(userId) ?? 0) < TYPING_INTERVAL_MS ||
            !canPost(info.type, this.members.role(userId)) ||
            this.blocks.isBlocked(userId)
          )
            return;
          this.lastTyping.set(userId, now);
          this.hub.relay({ type: "typing", userId }, ws);
          return;
        }
        default: {
          const unhandled: never = frame.frame;
          return unhandled;
        }
      }
    } catch (err) {
      log.error("room socket message failed", { chatId: this.info?.chatId, ...errorFields(err) });
      this.hub.send(ws, { type: "error", code: "internal_error", detail: "The frame could not be processed; try again." });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.hub.reciprocate(ws, code, reason);
    await this.callDeviceGone(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.hub.failed(ws, error, { chatId: this.info?.chatId });
  }

  /** The chat's summary for each member, as of now: what pushes carry and `resume` answers. */
  private summaries(info: ChatInfo): (m: Member) => DialogUpdate {
    const last = this.log.lastRow();
    const base = {
      chatId: info.chatId,
      type: info.type,
      memberCount: this.members.count(),
      lastSeq: this.log.lastSeq(),
      lastMessage: last ? preview(this.log.toMessage(last)) : null,
      lastActivityAt: Math.max(info.createdAt, last?.created_at ?? 0),
      agency: info.agency,
      pts: this.changes.current(),
      lastSenderName: last ? (this.members.get(last.sender_id)?.name ?? null) : null,
    };
    const all = isPair(info.type) ? this.members.all() : [];
    // A direct chat shows the other person's name and photo; a group or channel its own title and photo.
    // (A direct chat's own title and photo are null: with the other person gone, so are the name and photo.)
    return (m) => {
      const peer = all.find((p) => p.userId !== m.userId);
      return {
        ...base,
        title: peer ? peer.name : info.title,
        avatar: peer ? peer.avatar : (info.avatar ?? null),
        role: m.role,
        readSeq: m.readSeq,
      };
    };
  }

  /**
   * A member's inbox that was told of no device online asks for the chat's state (the user is back, or
   * listing chats): the answer is their summary now, and pushes to that inbox start again. `epoch` orders
   * this against an "away" answer still in flight. Null: not a member (their inbox learns by `removeChat`).
   */
  async resume(chatId: string, userId: string, epoch: number): Promise<DialogUpdate | null> {
    const info = await this.ready(chatId);
    const member = info ? this.members.get(userId) : null;
    if (!info || !member) return null;
    this.members.resume(userId, epoch);
    return this.summaries(info)(member);
  }

  /**
   * Members mentioned in a message are told at once, whether their inbox takes pushes or not (a muted chat's
   * mentions still notify). Best effort: the message itself is stored and reaches them as any other.
   */
  private tellMentioned(chatId: string, message: ChatMessage): void {
    const senderName = this.members.get(message.senderId)?.name ?? null;
    for (const userId of message.mentions) {
      if (userId === message.senderId) continue;
      this.inbox(userId)
        .mentioned(userId, { chatId, seq: message.seq, senderName, text: message.text })
        .catch((err: unknown) => log.warn("telling a mentioned member failed", { chatId, ...errorFields(err) }));
    }
  }

  /** What a chat list shows of a channel: read by subscribers' inboxes instead of a push per post. */
  async head(chatId: string): Promise<ChatHead | null> {
    const info = await this.ready(chatId);
    if (!info) return null;
    const last = this.log.lastRow();
    return {
      title: info.title,
      avatar: info.avatar ?? null,
      memberCount: this.members.count(),
      lastSeq: this.log.lastSeq(),
      lastMessage: last ? preview(this.log.toMessage(last)) : null,
      lastActivityAt: Math.max(info.createdAt, last?.created_at ?? 0),
      pts: this.changes.current(),
    };
  }

  // ---- calls (src/chat/calls/call.ts decides; the room stores, sends and records) ----

  private loadCall(): calls.StoredCall | null {
    const raw = this.meta("call");
    const parsed = raw ? calls.StoredCall.safeParse(JSON.parse(raw)) : null;
    return parsed?.success ? parsed.data : null;
  }

  private saveCall(call: calls.StoredCall | null): void {
    if (call) this.setMeta("call", JSON.stringify(call));
    else this.sql.exec("DELETE FROM meta WHERE key = 'call'");
  }

  /** When each member last started a call here (in memory: a brake on ringing floods, not an exact quota). */
  private readonly lastInvite = new Map<string, number>();

  private sessionOf(ws: WebSocket): string | null {
    return calls.sessionOfTags(this.ctx.getTags(ws));
  }

  private sendTo(to: calls.Target, frame: RoomFrame): void {
    for (const ws of this.hub.sockets("user" in to ? to.user : sessionTag(to.session))) this.hub.send(ws, frame);
  }

  private async onCallFrame(ws: WebSocket, info: ChatInfo, userId: string, frame: calls.CallFrame): Promise<void> {
    const sessionId = this.sessionOf(ws);
    if (!sessionId) return this.hub.close(ws, CLOSE.internal, "lost socket identity; reconnect");
    const ctx: calls.CallContext = {
      chatId: info.chatId,
      type: info.type,
      members: this.members.all().map((m) => m.userId),
      blocked: this.blocks.isBlocked(userId),
      connected: (session) => this.hub.sockets(sessionTag(session)).length > 0,
    };
    const now = Date.now();
    const result = calls.step(this.loadCall(), ctx, { userId, sessionId }, frame, now);
    if (!result.ok) return this.hub.send(ws, { type: "error", code: result.code, detail: result.detail });
    if (result.ring) {
      // Each call rings someone's every device (and pushes): a person starts at most one every few seconds.
      const wait = (this.lastInvite.get(userId) ?? 0) + calls.INVITE_INTERVAL_MS - now;
      if (wait > 0) {
        const retryAfter = Math.ceil(wait / 1000);
        return this.hub.send(ws, { type: "error", code: "rate_limited", detail: "Wait a moment before calling again.", retryAfter });
      }
      this.lastInvite.set(userId, now);
    }
    if (result.ring && result.call) return this.ring(info, result.call);
    await this.applyCallStep(info, result);
  }

  /** Stores and sends what a step decided, tells the inboxes, and writes the call's message when it ended. */
  private async applyCallStep(info: ChatInfo, result: Extract<calls.Step, { ok: true }>): Promise<void> {
    const before = this.loadCall();
    if (result.call !== undefined) this.saveCall(result.call);
    for (const r of result.relay ?? []) this.sendTo(r.to, r.frame);
    const state = result.state;
    if (!state) return;
    this.sendTo({ user: state.callerId }, state);
    this.sendTo({ user: state.calleeId }, state);
    // The callee's other devices stop ringing; when it ended, both people are free for other calls.
    const inboxes = state.state === "ended" ? [state.calleeId, state.callerId] : [state.calleeId];
    for (const u of inboxes)
      this.inbox(u)
        .callState(state)
        .catch((err: unknown) => log.warn("telling an inbox of a call failed", { chatId: info.chatId, ...errorFields(err) }));
    if (result.ended && before && calls.serverWritesCallMessage(info.type)) {
      // Through the normal message path: a seq, a pts, the chat lists' last message, pushes.
      await this.append(info, { senderId: before.callerId, clientId: `call:${before.callId}`, call: result.ended.record });
    }
  }

  /** A new call: the callee's inbox rings every device (and says busy when they are in another call). */
  private async ring(info: ChatInfo, call: calls.StoredCall): Promise<void> {
    // Stored first, so a second invite arriving meanwhile finds this call.
    this.saveCall(call);
    const caller = this.members.get(call.callerId);
    const claim = async () => {
      // The caller first: a caller already in another call must not make the callee's devices ring at all.
      const self = await this.inbox(call.callerId).claimCall(call.callerId, { chatId: info.chatId, callId: call.callId });
      if (self.busy) return self;
      return this.inbox(call.calleeId).claimCall(call.calleeId, {
        chatId: info.chatId,
        callId: call.callId,
        ring: { callerId: call.callerId, callerName: caller?.name ?? null, video: call.video },
      });
    };
    const { busy } = await claim().catch((err: unknown) => {
      log.warn("ringing a call failed", { chatId: info.chatId, ...errorFields(err) });
      return { busy: false };
    });
    const now = this.loadCall();
    // Hung up while the inboxes were asked: that step already ended it.
    if (now?.callId !== call.callId) return;
    if (busy) {
      const ended = calls.endCall(call, "busy", Date.now());
      return this.applyCallStep(info, { ok: true, call: null, state: calls.stateFrame(info.chatId, call, "ended", "busy"), ended });
    }
    this.sendTo(
      { user: call.calleeId },
      { type: "call_invite", callId: call.callId, callerId: call.callerId, video: call.video, sdp: call.offer },
    );
    const state = calls.stateFrame(info.chatId, call, "ringing");
    this.sendTo({ user: call.callerId }, state);
    this.sendTo({ user: call.calleeId }, state);
    const alarm = await this.ctx.storage.getAlarm();
    // Only ever earlier: a push retry set sooner fires first, and the alarm then arms the ring's own time again.
    if (alarm === null || alarm > call.ringUntil) await this.ctx.storage.setAlarm(call.ringUntil);
  }

  private async callAlarm(): Promise<void> {
    const info = this.info;
    const call = this.loadCall();
    if (!info || !call) return;
    const result = calls.timeout(call, info.chatId, Date.now());
    if (result?.ok) return this.applyCallStep(info, result);
    if (call.state === "ringing") {
      const alarm = await this.ctx.storage.getAlarm();
      if (alarm === null || alarm > call.ringUntil) await this.ctx.storage.setAlarm(call.ringUntil);
    }
  }

  /** A device's last socket here closed: a call it was in ends (calls.deviceGone). */
  private async callDeviceGone(ws: WebSocket): Promise<void> {
    const info = this.info;
    const sessionId = this.sessionOf(ws);
    if (!info || !sessionId || this.hub.sockets(sessionTag(sessionId)).length > 0) return;
    const result = calls.deviceGone(this.loadCall(), info.chatId, sessionId, Date.now());
    if (result?.ok) await this.applyCallStep(info, result);
  }

  /** A socket that connects while a call rings for its user gets the invite; one in the call, the state. */
  private callOnConnect(ws: WebSocket, info: ChatInfo, userId: string): void {
    const call = this.loadCall();
    if (!call || (userId !== call.callerId && userId !== call.calleeId)) return;
    if (call.state === "ringing" && userId === call.calleeId)
      this.hub.send(ws, { type: "call_invite", callId: call.callId, callerId: call.callerId, video: call.video, sdp: call.offer });
    this.hub.send(ws, calls.stateFrame(info.chatId, call, call.state));
  }

  // ---- members' inboxes ----

  private nextRev(): number {
    this.rev += 1;
    return this.rev;
  }

  /** The chat-level summary (last message, title, member count) changed: every member's inbox needs it. */
  private headChanged(rev: number): void {
    this.setMeta("head_dirty", String(rev));
  }

  private clearHead(upTo: number): void {
    this.sql.exec("DELETE FROM meta WHERE key = 'head_dirty' AND CAST(value AS INTEGER) <= ?", upTo);
  }

  /** Starts a push within the interval: a quiet room pushes at once (after its fan-out), a busy one coalesces. */
  private schedulePush(): void {
    if (this.summaryTimer) return;
    const wait = Math.max(0, this.lastPushAt + SUMMARY_INTERVAL_MS - Date.now());
    // The timer dies with the instance; the alarm is the backstop, so an evicted room still pushes in time.
    this.backstop(Date.now() + wait + PUSH_RETRY_MS);
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      void this.push().catch(() => undefined);
    }, wait);
  }

  /**
   * For HTTP callers: their change is in members' inboxes before they get the answer. With `only`, just those
   * members' inboxes now (a membership change), the rest with the next coalesced push.
   */
  private async pushNow(only?: string[]): Promise<void> {
    await this.push(only).catch(() => undefined);
    if (only) this.schedulePush();
  }

  /** Pushes coalesce: while one is in flight, later requests ride on the next round, which callers await too. */
  private push(only?: string[]): Promise<void> {
    if (only) for (const u of only) this.pendingOnly.add(u);
    else this.pendingFull = true;
    this.pushing ??= (async () => {
      try {
        while (this.pendingFull || this.pendingOnly.size > 0) {
          // A full round includes every marked member, so the targeted ones ride on it.
          const onlySet = this.pendingFull ? null : new Set(this.pendingOnly);
          this.pendingFull = false;
          this.pendingOnly.clear();
          await this.pushSummaries(onlySet);
        }
      } finally {
        this.pushing = null;
      }
    })();
    return this.pushing;
  }

  /**
   * Sets the alarm that pushes if the timer dies with the instance, unless one this instance set is still
   * ahead: moving the alarm on every push cost a storage write a second per active room, and an alarm that
   * fires early only pushes early (a push with nothing marked does nothing).
   */
  private backstop(at: number): void {
    if (this.alarmAt > Date.now()) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = 0;
    await this.expire();
    await this.push();
    await this.callAlarm();
    this.armExpiry();
  }

  /**
   * One call per member inbox that needs it: everyone after a chat-level change, otherwise the members whose
   * own state (read marker, role, a direct peer's name) moved. What fails stays marked, persisted, and the
   * alarm retries it, so an evicted or failing push loses nothing.
   */
  private async pushSummaries(only: Set<string> | null = null): Promise<void> {
    const info = this.info;
    if (!info) return;
    const upTo = this.rev;
    // A targeted round leaves the chat-level mark to the next full one.
    const head = only ? 0 : Number(this.meta("head_dirty") ?? 0);
    // A big channel's posts are not pushed to every subscriber (one call each per push): their inboxes read
    // the channel's head when they list chats. Moderators, and members whose own state moved, still get pushes.
    const everyone = head > 0 && (info.type !== "channel" || this.members.count() <= CHANNEL_PUSH_LIMIT);
    const marked = head > 0 && !everyone ? this.members.needingPush(false, true) : this.members.needingPush(everyone);
    const targets = only ? marked.filter((m) => only.has(m.userId)) : marked;
    const departed = this.members.departed().filter((d) => !only || only.has(d.userId));
    if (targets.length === 0 && departed.length === 0) {
      // Nobody to tell (every member away): the chat-level change is read from the room when they are back.
      if (head > 0) this.clearHead(upTo);
      return;
    }
    this.lastPushAt = Date.now();
    const updateFor = this.summaries(info);
    const pts = this.changes.current();
    const away: { userId: string; epoch: number }[] = [];
    const calls: (() => Promise<() => void>)[] = [
      ...targets.map((m) => async () => {
        const answer = await this.inbox(m.userId).applyChat(m.userId, updateFor(m));
        if (!answer.online) away.push({ userId: m.userId, epoch: answer.epoch });
        return () => this.members.pushed(m.userId, upTo);
      }),
      ...departed.map((d) => async () => {
        await this.inbox(d.userId).removeChat(d.userId, info.chatId, pts);
        return () => this.members.departedPushed(d.userId, upTo);
      }),
    ];
    // A bounded number of calls in flight, so a big group's push does not hold thousands of requests at once.
    const results: PromiseSettledResult<() => void>[] = [];
    for (let i = 0; i < calls.length; i += PUSH_CONCURRENCY) {
      results.push(...(await Promise.allSettled(calls.slice(i, i + PUSH_CONCURRENCY).map((call) => call()))));
    }
    let failed = 0;
    // Everyone got it in a full round: one statement clears the marks, not one per member.
    const allThrough = results.every((r) => r.status === "fulfilled");
    if (allThrough && !only && departed.length === 0) this.members.allPushed(upTo);
    // Members with no device online get no more pushes until their inbox asks (ChatRoom.resume).
    for (const a of away) this.members.markAway(a.userId, a.epoch);
    for (const [i, r] of results.entries()) {
      if (r.status === "fulfilled") {
        if (!allThrough || only || departed.length > 0) r.value();
      } else {
        failed += 1;
        // A chat-level change reached the others; this member keeps its own mark until it gets through.
        const m = targets[i];
        if (m) this.members.markDirty(m.userId, upTo);
      }
    }
    if (head > 0 && head <= upTo) this.clearHead(upTo);
    if (failed > 0) {
      log.warn("inbox pushes failed; will retry", { chatId: info.chatId, failed });
      this.alarmAt = Date.now() + PUSH_RETRY_MS;
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /** Members' inbox stubs, kept: a push calls the same inboxes every second, and an id costs a hash to derive. */
  private readonly inboxes = new Map<string, DurableObjectStub<Inbox>>();

  private inbox(userId: string): DurableObjectStub<Inbox> {
    let stub = this.inboxes.get(userId);
    if (!stub) {
      if (this.inboxes.size >= MAX_CACHED_INBOXES) this.inboxes.clear();
      stub = inboxStub(this.env, userId);
      this.inboxes.set(userId, stub);
    }
    return stub;
  }

  private meta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}
