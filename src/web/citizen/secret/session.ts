// One open secret chat, all on the device: the chat's MLS group (its state sealed in IndexedDB), the
// server's ciphertext messages read in seq order (welcomes join, commits move the epoch, application
// messages decrypt into a local cache, since MLS keys are used once and deleted), sending with
// re-sync-and-retry on a stale epoch, the group kept equal to both users' active devices whose keys
// check out in their key logs, encrypted attachments, search over the decrypted messages, the
// disappearing-message timer and reports with franking.
import * as z from "zod";
import { CallRecord } from "../../../chat/protocol";
import { ApiError, mediaBytes, randomId, request, upload } from "../../lib/api";
import { type KeyLogEntry, verifyKeyLog } from "../../lib/chain";
import { LiveSocket, type SocketStatus } from "../../lib/ws";
import { type DeviceRecord, device, takePackage } from "./device";
import * as mls from "./mls";
import { keySetId } from "./safety-number";
import { forget, seal, unseal } from "./vault";

/** What a message says, inside the encryption. */
export interface Content {
  text?: string;
  file?: SecretFile;
  /** A call in this chat, recorded by the caller's device (the server writes no call message here). */
  call?: CallRecord;
}

/** An attachment: the ciphertext's media id, and the key and IV to decrypt it with (AES-256-GCM). */
export interface SecretFile {
  mediaId: string;
  key: string;
  iv: string;
  type: string;
  name: string;
  size: number;
}

export interface Decrypted {
  seq: number;
  senderId: string;
  at: string;
  content: Content | null;
  /** Why there is no content: sent before this device joined, or not readable. */
  unreadable?: "before_join" | "failed";
  /** For reports: the exact bytes the franking tag covers, and its key. */
  franking?: { body: string; key: string };
  expiresAt?: string | null;
}

export interface Person {
  userId: string;
  devices: { id: string; mlsKey: string }[];
  /** The MLS keys of those devices, each found live in the user's key log. */
  keys: string[];
  logValid: boolean;
}

export interface SecretSnapshot {
  messages: Decrypted[];
  status: SocketStatus;
  loading: boolean;
  /** No group state yet: waiting for another of my devices (or the contact's) to add this one. */
  waiting: boolean;
  /** This device was removed from the group (signed out elsewhere): it reads nothing new. */
  removed: boolean;
  sending: number;
  me: Person | null;
  peer: Person | null;
  /** The contact's keys differ from those seen before (or verified). */
  keysChanged: boolean;
  verified: boolean;
  /** The disappearing-message timer in seconds, null when off. */
  ttl: number | null;
  error: unknown;
}

const Envelope = z.object({
  mls: z.enum(["application", "commit", "welcome"]),
  epoch: z.number().int(),
  to: z.array(z.string()).optional(),
  devices: z.array(z.string()).optional(),
  franking: z.string().optional(),
});

/** A secret chat's message as the server keeps it: the envelope's fields sit on the message itself. */
const ServerMessage = z.looseObject({
  seq: z.number().int(),
  senderId: z.string(),
  clientId: z.string(),
  createdAt: z.string(),
  ciphertext: z.string().optional(),
  mls: Envelope.shape.mls.optional(),
  epoch: z.number().int().optional(),
  to: z.array(z.string()).optional(),
  devices: z.array(z.string()).optional(),
  franking: z.string().optional(),
  expiresAt: z.string().nullable().optional(),
});
type ServerMessage = z.infer<typeof ServerMessage>;

const Page = z.object({ messages: z.array(z.unknown()) });
const GroupState = z.looseObject({ messageTtl: z.number().int().nullable() });
const TimerFrame = z.looseObject({ type: z.literal("chat_updated"), messageTtl: z.number().int().nullable().optional() });
const Devices = z.object({ devices: z.array(z.looseObject({ id: z.string(), mlsKey: z.string().nullable() })) });
// Loose: any member the server adds is kept, so the recomputed hash covers exactly what was served.
const KeyLogEntrySchema = z.looseObject({
  seq: z.number().int(),
  at: z.string(),
  userId: z.string(),
  deviceId: z.string(),
  action: z.string(),
  key: z.union([z.string(), z.record(z.string(), z.unknown())]),
  use: z.string().optional(),
  prevHash: z.string(),
  hash: z.string(),
});
const KeyLog = z.object({ entries: z.array(KeyLogEntrySchema), head: z.string() });
const Claimed = z.object({ keyPackages: z.array(z.object({ deviceId: z.string(), keyPackage: z.string() })) });
const Members = z.object({ members: z.array(z.looseObject({ userId: z.string() })) });
const Posted = z.object({
  message: z.looseObject({ seq: z.number().int(), createdAt: z.string(), expiresAt: z.string().nullable().optional() }),
});

/** The plaintext inside an application message. `body` is what the franking tag covers. */
const Plain = z.object({ body: z.string(), fk: z.string() });
const Body = z.object({
  from: z.object({ userId: z.string(), deviceId: z.string() }),
  text: z.string().max(4096).optional(),
  file: z
    .object({
      mediaId: z.string(),
      key: z.string(),
      iv: z.string(),
      type: z.string().max(200),
      name: z.string().max(200),
      size: z.number().int().min(0),
    })
    .optional(),
  call: CallRecord.optional(),
});

const PAGE = 200;
/** Sending tries again this many times after a stale epoch (another device committed first). */
const RETRIES = 4;
/** How often an open chat checks both users' devices (a new one to add, a signed-out one to remove). */
const DEVICE_CHECK_MS = 15_000;

interface GroupRecord {
  state: Uint8Array | null;
  /** Every message up to this seq has been read. */
  seq: number;
  /** The seq of the welcome this device joined with (what came before is not readable here). */
  joinedAt: number | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", new Uint8Array(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)));
}

/** A user's whole key log, page by page (the head is the chain's, whatever the page). */
async function keyLog(userId: string): Promise<{ entries: KeyLogEntry[]; head: string }> {
  const entries: KeyLogEntry[] = [];
  for (;;) {
    const page = KeyLog.parse(await request<unknown>(`/users/${encodeURIComponent(userId)}/key-log?after=${entries.length}&limit=1000`));
    entries.push(...page.entries);
    if (page.entries.length < 1000) return { entries, head: page.head };
  }
}

/** Known people's checked keys: the same devices are read by every open secret chat with them. */
async function person(userId: string): Promise<Person> {
  const [d, log] = await Promise.all([
    request<unknown>(`/users/${encodeURIComponent(userId)}/devices`).then((r) => Devices.parse(r)),
    keyLog(userId),
  ]);
  const checked = await verifyKeyLog(log.entries, log.head, userId);
  const devices: Person["devices"] = [];
  for (const x of d.devices) {
    if (!x.mlsKey) continue;
    // A device key the log does not list as live for that device is the server's word only: left out.
    const live = checked.valid ? checked.live.get(x.mlsKey) : undefined;
    if (live && live.deviceId === x.id && live.use === "mls") devices.push({ id: x.id, mlsKey: x.mlsKey });
  }
  return { userId, devices, keys: devices.map((x) => x.mlsKey), logValid: checked.valid };
}

export class SecretSession {
  readonly chatId: string;
  readonly me: string;
  private dev: DeviceRecord | null = null;
  private group: GroupRecord = { state: null, seq: 0, joinedAt: null };
  private cache = new Map<number, Decrypted>();
  private peerId: string | null = null;
  private snapshot: SecretSnapshot;
  private listeners = new Set<() => void>();
  private socket: LiveSocket<{ type: string }>;
  /** Everything that reads or changes the group runs one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** When both users' devices were last checked (sending checks again when it is older than a round). */
  private checkedAt = 0;

  constructor(chatId: string, me: string) {
    this.chatId = chatId;
    this.me = me;
    this.snapshot = {
      messages: [],
      status: "closed",
      loading: true,
      waiting: false,
      removed: false,
      sending: 0,
      me: null,
      peer: null,
      keysChanged: false,
      verified: false,
      ttl: null,
      error: null,
    };
    this.socket = new LiveSocket({
      url: () => `/api/v1/chats/${encodeURIComponent(chatId)}/ws`,
      schema: z.looseObject({ type: z.string() }),
      // Any frame may mean new ciphertext: read on from the last seq (the server's order is the group's).
      onFrame: (f) => {
        const timer = TimerFrame.safeParse(f);
        if (timer.success && timer.data.messageTtl !== undefined) this.update({ ttl: timer.data.messageTtl });
        if (f.type !== "typing" && f.type !== "presence") this.later(() => this.sync());
      },
      onOpen: () => this.later(() => this.sync()),
      onStatus: (status) => this.update({ status }),
    });
  }

  private update(patch: Partial<SecretSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  getSnapshot = (): SecretSnapshot => this.snapshot;

  /** Runs `fn` after everything queued before it. */
  private later<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch((err: unknown) => {
      if (!this.closed) this.update({ error: err });
    });
    return run;
  }

  private get groupName() {
    return `group:${this.me}:${this.chatId}`;
  }
  private get cacheName() {
    return `messages:${this.me}:${this.chatId}`;
  }

  async open(): Promise<void> {
    live.set(this.liveKey, this);
    this.dev = await device(this.me);
    const stored = await unseal(this.groupName);
    if (stored && typeof stored === "object" && "seq" in stored) this.group = stored as GroupRecord;
    const cached = await unseal(this.cacheName);
    if (Array.isArray(cached)) for (const m of cached as Decrypted[]) this.cache.set(m.seq, m);
    const members = Members.parse(await request<unknown>(`/chats/${encodeURIComponent(this.chatId)}/members`));
    this.peerId = members.members.find((m) => m.userId !== this.me)?.userId ?? null;
    const group = GroupState.safeParse(await request<unknown>(`/chats/${encodeURIComponent(this.chatId)}/secret`).catch(() => null));
    if (group.success) this.update({ ttl: group.data.messageTtl });
    this.dropExpired();
    this.emitMessages();
    await this.later(async () => {
      await this.sync();
      await this.checkDevices();
    });
    this.update({ loading: false });
    if (this.closed) return;
    this.socket.start();
    // Each round also reads on, in case a socket frame was missed (a reconnect, a dropped push).
    this.timer = setInterval(() => {
      this.dropExpired();
      void this.later(async () => {
        await this.sync();
        await this.checkDevices();
      }).catch(() => undefined);
    }, DEVICE_CHECK_MS);
  }

  private get liveKey() {
    return `${this.me}:${this.chatId}`;
  }

  close(): void {
    if (live.get(this.liveKey) === this) live.delete(this.liveKey);
    this.closed = true;
    this.socket.stop();
    clearInterval(this.timer);
    this.listeners.clear();
  }

  private emitMessages(): void {
    const messages = [...this.cache.values()].sort((a, b) => a.seq - b.seq);
    const s = this.group.state;
    this.update({
      messages,
      waiting: s === null,
      removed: s !== null && !mls.isActive(s),
    });
  }

  /** Disappearing messages leave the device too once their time is up. */
  private dropExpired(): void {
    const now = Date.now();
    let dropped = false;
    for (const [seq, m] of this.cache) {
      if (m.expiresAt && Date.parse(m.expiresAt) <= now) {
        this.cache.delete(seq);
        dropped = true;
      }
    }
    if (dropped) {
      this.emitMessages();
      void this.persistCache();
    }
  }

  private persistCache(): Promise<void> {
    return seal(this.cacheName, [...this.cache.values()]);
  }

  private persistGroup(): Promise<void> {
    return seal(this.groupName, this.group);
  }

  /** Reads every message after the last one read, in order, and applies it. */
  private async sync(): Promise<void> {
    for (;;) {
      const page = Page.parse(
        await request<unknown>(`/chats/${encodeURIComponent(this.chatId)}/messages?after=${this.group.seq}&limit=${PAGE}`),
      );
      const msgs = page.messages
        .map((m) => ServerMessage.safeParse(m))
        .flatMap((r) => (r.success ? [r.data] : []))
        .filter((m) => m.seq > this.group.seq)
        .sort((a, b) => a.seq - b.seq);
      for (const m of msgs) await this.apply(m);
      if (msgs.length > 0) {
        await this.persistGroup();
        await this.persistCache();
        this.emitMessages();
      }
      if (page.messages.length < PAGE) return;
    }
  }

  private async apply(m: ServerMessage): Promise<void> {
    const bytes = m.ciphertext ? mls.fromB64u(m.ciphertext) : null;
    this.group.seq = Math.max(this.group.seq, m.seq);
    if (!m.mls || m.epoch === undefined || !bytes) return;
    const env = { mls: m.mls, epoch: m.epoch, to: m.to, franking: m.franking };
    const dev = this.dev;
    if (!dev) return;
    const state = this.group.state;
    if (env.mls === "welcome") {
      if (state !== null || (env.to && !env.to.includes(dev.deviceId))) return;
      try {
        const own = await takePackage(mls.welcomeRefs(bytes));
        if (!own) return;
        this.group.state = await mls.join(bytes, own);
        this.group.joinedAt = m.seq;
      } catch {
        // A welcome that does not open with our key package is not for us.
      }
      return;
    }
    if (env.mls === "commit") {
      // Our own commits are applied when the server accepts them; older epochs were applied already.
      if (state === null || env.epoch !== mls.epochOf(state) || !mls.isActive(state)) return;
      try {
        const r = await mls.receive(state, bytes);
        this.group.state = r.state;
      } catch {
        // A commit that does not apply (forged, or for a fork we lost) leaves the group as it was.
      }
      return;
    }
    // An application message: ours are in the cache already (MLS cannot decrypt one's own).
    if (this.cache.has(m.seq) && this.cache.get(m.seq)?.content) return;
    const base = { seq: m.seq, senderId: m.senderId, at: m.createdAt, expiresAt: m.expiresAt ?? null };
    if (state === null || (this.group.joinedAt !== null && m.seq < this.group.joinedAt)) {
      if (m.senderId !== this.me) this.cache.set(m.seq, { ...base, content: null, unreadable: "before_join" });
      return;
    }
    try {
      const r = await mls.receive(state, bytes);
      if (r.kind !== "application") throw new Error("not an application message");
      this.group.state = r.state;
      const plain = Plain.parse(JSON.parse(dec.decode(r.plaintext)));
      const body = Body.parse(JSON.parse(plain.body));
      // The sender's ids inside the encryption must be the server's: no member speaks in another's name.
      if (body.from.userId !== m.senderId) throw new Error("sender mismatch");
      // The franking tag the server keeps must be the one over these bytes, or a report could not prove it.
      if (env.franking && mls.b64u(await hmac(mls.fromB64u(plain.fk), plain.body)) !== env.franking) throw new Error("franking mismatch");
      this.cache.set(m.seq, {
        ...base,
        content: { text: body.text, file: body.file, call: body.call },
        franking: { body: plain.body, key: plain.fk },
      });
    } catch {
      this.cache.set(m.seq, { ...base, content: null, unreadable: m.senderId === this.me ? "before_join" : "failed" });
    }
  }

  /** Posts one ciphertext message; the answer's seq, or the API error. */
  private async post(ciphertext: Uint8Array, envelope: z.infer<typeof Envelope>, extra: Record<string, unknown> = {}) {
    const r = await request<unknown>(`/chats/${encodeURIComponent(this.chatId)}/messages`, {
      body: { clientId: randomId(), ciphertext: mls.b64u(ciphertext), ...envelope, ...extra },
    });
    return Posted.parse(r).message;
  }

  /**
   * Makes the group equal to both users' active devices whose keys check out: creates it (the first
   * commit, epoch 0) when there is none yet, adds new devices (any member device does), removes revoked
   * ones. Also notices the contact's keys changing.
   */
  private async checkDevices(): Promise<void> {
    const dev = this.dev;
    if (!dev || this.closed) return;
    const [mine, peer] = await Promise.all([person(this.me), this.peerId ? person(this.peerId) : Promise.resolve(null)]);
    this.checkedAt = Date.now();
    await this.noticeKeys(mine, peer);
    const desired = [
      ...mine.devices.map((d) => ({ userId: this.me, ...d })),
      ...(peer?.devices ?? []).map((d) => ({ userId: peer?.userId ?? "", ...d })),
    ];
    let state = this.group.state;
    if (state === null) {
      // Nobody has made the group yet (nothing read but plain history): this device makes it.
      if (this.group.joinedAt !== null || (await this.anyCommit())) return;
      state = await mls.newGroup(dev.keys, dev, this.chatId);
    } else if (!mls.isActive(state)) {
      return;
    }
    const members = mls.members(state);
    const inGroup = new Set(members.map((m) => m.deviceId));
    const wanted = new Set(desired.map((d) => d.id));
    const removeDevices = members.filter((m) => !wanted.has(m.deviceId) && m.deviceId !== dev.deviceId).map((m) => m.deviceId);
    const adding = desired.filter((d) => !inGroup.has(d.id) && d.id !== dev.deviceId);
    if (adding.length === 0 && removeDevices.length === 0 && this.group.state !== null) return;
    const add: Uint8Array[] = [];
    const added: string[] = [];
    for (const userId of new Set(adding.map((d) => d.userId))) {
      const claimed = Claimed.parse(await request<unknown>(`/users/${encodeURIComponent(userId)}/key-packages/claim`, { body: {} }));
      for (const kp of claimed.keyPackages) {
        const target = adding.find((d) => d.id === kp.deviceId && d.userId === userId);
        if (!target || added.includes(target.id)) continue;
        const bytes = mls.fromB64u(kp.keyPackage);
        // The key package must be signed by the device key its user's log lists, and name that device.
        const owner = mls.keyPackageOwner(bytes);
        if (!owner || owner.userId !== userId || owner.deviceId !== target.id || mls.b64u(owner.signatureKey) !== target.mlsKey) continue;
        add.push(bytes);
        added.push(target.id);
      }
    }
    if (add.length === 0 && removeDevices.length === 0 && this.group.state !== null) return;
    const epoch = mls.epochOf(state);
    const r = await mls.commit(state, { add, removeDevices });
    const after = mls.members(r.state).map((m) => m.deviceId);
    try {
      const posted = await this.post(r.commit, { mls: "commit", epoch, devices: after });
      this.group = { state: r.state, seq: this.group.seq, joinedAt: this.group.joinedAt ?? posted.seq };
      await this.persistGroup();
    } catch (err) {
      // Another device committed first: read its commit, then look again on the next round.
      if (err instanceof ApiError && err.status === 409) {
        await this.sync();
        return;
      }
      throw err;
    }
    if (r.welcome) await this.post(r.welcome, { mls: "welcome", epoch: r.epoch, to: added });
    this.emitMessages();
  }

  private async anyCommit(): Promise<boolean> {
    const page = Page.parse(await request<unknown>(`/chats/${encodeURIComponent(this.chatId)}/messages?after=0&limit=${PAGE}`));
    return page.messages.some((m) => ServerMessage.safeParse(m).data?.mls === "commit");
  }

  private async noticeKeys(mine: Person, peer: Person | null): Promise<void> {
    if (!peer) {
      this.update({ me: mine });
      return;
    }
    const now = keySetId(peer.keys);
    const seenName = `seen:${this.me}:${peer.userId}`;
    const verifiedName = `verified:${this.me}:${peer.userId}`;
    const seen = await unseal(seenName);
    const verified = await unseal(verifiedName);
    if (typeof seen !== "string") await seal(seenName, now);
    const changed = (typeof seen === "string" && seen !== now) || !peer.logValid;
    this.update({ me: mine, peer, keysChanged: changed, verified: typeof verified === "string" && verified === now });
  }

  /** The contact's current keys are accepted as theirs (after comparing, or just acknowledged). */
  async acceptKeys(verified: boolean): Promise<void> {
    const peer = this.snapshot.peer;
    if (!peer) return;
    const now = keySetId(peer.keys);
    await seal(`seen:${this.me}:${peer.userId}`, now);
    if (verified) await seal(`verified:${this.me}:${peer.userId}`, now);
    else await forget(`verified:${this.me}:${peer.userId}`);
    this.update({ keysChanged: false, verified });
  }

  /** Encrypts and sends; on a stale epoch or a group still holding a revoked device, re-syncs and retries. */
  send(content: Content): Promise<void> {
    this.update({ sending: this.snapshot.sending + 1 });
    return this.later(async () => {
      try {
        for (let attempt = 0; ; attempt++) {
          const dev = this.dev;
          // Before every message: a revoked device is removed, a new one added.
          if (attempt > 0 || Date.now() - this.checkedAt > DEVICE_CHECK_MS) await this.checkDevices();
          const state = this.group.state;
          if (!dev || state === null) throw new ApiError(409, "not_in_group", "This device is not in the chat yet.");
          if (!mls.isActive(state)) throw new ApiError(409, "removed_from_group", "This device was removed from the chat.");
          const fk = crypto.getRandomValues(new Uint8Array(32));
          const body = JSON.stringify({ from: { userId: this.me, deviceId: dev.deviceId }, ...content });
          const plain = enc.encode(JSON.stringify({ body, fk: mls.b64u(fk) }));
          const franking = mls.b64u(await hmac(fk, body));
          const epoch = mls.epochOf(state);
          const r = await mls.encrypt(state, plain);
          // The ratchet moved on whether or not the server takes it.
          this.group.state = r.state;
          await this.persistGroup();
          try {
            const extra = content.file ? { attachments: [content.file.mediaId] } : {};
            const posted = await this.post(r.message, { mls: "application", epoch, franking }, extra);
            this.cache.set(posted.seq, {
              seq: posted.seq,
              senderId: this.me,
              at: posted.createdAt,
              content,
              franking: { body, key: mls.b64u(fk) },
              expiresAt: posted.expiresAt ?? null,
            });
            await this.persistCache();
            this.emitMessages();
            return;
          } catch (err) {
            const retry = err instanceof ApiError && err.status === 409 && (err.code === "stale_epoch" || err.code === "group_outdated");
            if (!retry || attempt >= RETRIES) throw err;
            await this.sync();
          }
        }
      } finally {
        this.update({ sending: this.snapshot.sending - 1 });
      }
    });
  }

  /** Encrypts a file with a fresh AES-256-GCM key and IV, uploads the ciphertext, sends key and IV inside the message. */
  async sendFile(file: File, caption: string, onProgress: (fraction: number) => void): Promise<void> {
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, await file.arrayBuffer());
    // The server sees an opaque file: no name, no type, no dimensions.
    const media = await upload(new File([ct], "encrypted.bin", { type: "application/octet-stream" }), onProgress).promise;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
    await this.send({
      ...(caption ? { text: caption } : {}),
      file: {
        mediaId: media.id,
        key: mls.b64u(raw),
        iv: mls.b64u(iv),
        type: file.type || "application/octet-stream",
        name: file.name.slice(0, 200),
        size: file.size,
      },
    });
  }

  /** Search on the device, over the decrypted messages (the server cannot search a secret chat). */
  search(q: string): Decrypted[] {
    const needle = q.toLocaleLowerCase();
    return this.snapshot.messages.filter(
      (m) => m.content?.text?.toLocaleLowerCase().includes(needle) || m.content?.file?.name.toLocaleLowerCase().includes(needle),
    );
  }

  /** The disappearing-message timer (seconds; null: off), for both people. */
  async setTimer(seconds: number | null): Promise<void> {
    await request(`/chats/${encodeURIComponent(this.chatId)}`, { method: "PATCH", body: { messageTtl: seconds } });
    this.update({ ttl: seconds });
  }
}

/** The open session of each chat on this device (one ratchet per group: two would reuse its keys). */
const live = new Map<string, SecretSession>();

/**
 * Writes a call the caller's device placed in a secret chat as an encrypted message of that chat: through
 * the chat's open session, or one opened for it when the chat is no longer on screen.
 */
export async function recordCall(chatId: string, me: string, call: CallRecord): Promise<void> {
  const open = live.get(`${me}:${chatId}`);
  if (open) return open.send({ call });
  const session = new SecretSession(chatId, me);
  try {
    await session.open();
    await session.send({ call });
  } finally {
    session.close();
  }
}

const fileCache = new Map<string, Promise<string>>();

/** An attachment decrypted on the device, as a blob: URL of its real type. */
export function decryptedUrl(f: SecretFile): Promise<string> {
  let p = fileCache.get(f.mediaId);
  if (!p) {
    p = (async () => {
      const ct = await mediaBytes(f.mediaId);
      const key = await crypto.subtle.importKey("raw", new Uint8Array(mls.fromB64u(f.key)), "AES-GCM", false, ["decrypt"]);
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(mls.fromB64u(f.iv)) }, key, ct);
      return URL.createObjectURL(new Blob([plain], { type: f.type }));
    })();
    p.catch(() => fileCache.delete(f.mediaId));
    fileCache.set(f.mediaId, p);
  }
  return p;
}
