// The WebSocket protocol: zod schemas of every frame, both ways (docs/protocol.md). Shared by the rooms, the
// inbox and the web client, so what the server sends, what it validates and what clients parse cannot drift
// apart: a new frame type is added here, and the compiler finds every switch that must handle it.
// A namespace import: esbuild then keeps only the zod it uses; `import { z }` pulls in every locale (~65 KB gzipped).
import * as z from "zod";

export const MAX_TEXT_LENGTH = 4096;
/** Larger frames are refused before parsing; a maximal `send` is far below this. */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_ATTACHMENTS = 10;
export const MAX_TITLE_LENGTH = 128;

export const ClientId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");
export const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A change number (a chat's or a user's); 0 means "nothing seen yet". */
export const Pts = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const MediaId = z.string().min(1).max(64);
export const MessageText = z.string().max(MAX_TEXT_LENGTH);

export const ChatType = z.enum(["direct", "group", "channel", "official", "secret"]);
export type ChatType = z.infer<typeof ChatType>;
export const Role = z.enum(["owner", "admin", "member"]);
export type Role = z.infer<typeof Role>;

// ---- secret chats (end-to-end encrypted: docs/protocol.md "Secret chats") ----

/** Bytes of one secret message's ciphertext (an MLS message: application, commit or welcome). */
export const MAX_CIPHERTEXT_BYTES = 16 * 1024;
/** Devices in one secret chat's group (two people, each with a few devices). */
export const MAX_GROUP_DEVICES = 32;
const Base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, "base64url without padding");
const DeviceId = z.string().min(1).max(64);
/** The envelope fields of a secret message (all absent in other chats); their combinations are the room's to check. */
export const EnvelopeFields = {
  ciphertext: Base64url.min(1)
    .max(Math.ceil((MAX_CIPHERTEXT_BYTES * 4) / 3))
    .optional(),
  mls: z.enum(["application", "commit", "welcome"]).optional(),
  epoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  to: z.array(DeviceId).min(1).max(MAX_GROUP_DEVICES).optional(),
  devices: z.array(DeviceId).min(1).max(MAX_GROUP_DEVICES).optional(),
  /** base64url of HMAC-SHA-256(frankingKey, plaintext): 32 bytes. */
  franking: Base64url.length(43).optional(),
};

// ---- client → room ----

export const SendFrame = z
  .object({
    type: z.literal("send"),
    clientId: ClientId,
    text: MessageText.optional(),
    attachments: z.array(MediaId).max(MAX_ATTACHMENTS).optional(),
    replyTo: Seq.optional(),
    ...EnvelopeFields,
  })
  .strict();
export const ReadFrame = z.object({ type: z.literal("read"), seq: z.number().int().min(0) }).strict();
export const TypingFrame = z.object({ type: z.literal("typing") }).strict();

// ---- calls (one-to-one, signalled through the direct chat's room; docs/protocol.md "Calls") ----

/** A call's id: the caller's client makes it (a UUID), and the room keys the call and its message by it. */
export const CallId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _");
/** An SDP offer or answer as RTCPeerConnection makes it (a few KB; the frame limit bounds it anyway). */
export const Sdp = z
  .string()
  .min(1)
  .max(24 * 1024);
/** An RTCIceCandidateInit; null says the sender has gathered every candidate. */
export const IceCandidate = z
  .object({
    candidate: z.string().max(2048),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict()
  .nullable();
export type IceCandidate = z.infer<typeof IceCandidate>;

export const CallInviteFrame = z.object({ type: z.literal("call_invite"), callId: CallId, video: z.boolean(), sdp: Sdp }).strict();
export const CallAnswerFrame = z.object({ type: z.literal("call_answer"), callId: CallId, sdp: Sdp }).strict();
export const CallIceFrame = z.object({ type: z.literal("call_ice"), callId: CallId, candidate: IceCandidate }).strict();
export const CallDeclineFrame = z.object({ type: z.literal("call_decline"), callId: CallId }).strict();
/** The callee's device is in another call: like a decline, recorded as busy. */
export const CallBusyFrame = z.object({ type: z.literal("call_busy"), callId: CallId }).strict();
/** Ends the call: the caller cancelling while it rings, or either side once it is answered. */
export const CallHangupFrame = z.object({ type: z.literal("call_hangup"), callId: CallId }).strict();
/** The sender's microphone and camera are on or off (the tracks are toggled on the device; this tells the other UI). */
export const CallMediaFrame = z.object({ type: z.literal("call_media"), callId: CallId, audio: z.boolean(), video: z.boolean() }).strict();

/** Every frame a client may send to a room. */
export const ClientFrame = z.discriminatedUnion("type", [
  SendFrame,
  ReadFrame,
  TypingFrame,
  CallInviteFrame,
  CallAnswerFrame,
  CallIceFrame,
  CallDeclineFrame,
  CallBusyFrame,
  CallHangupFrame,
  CallMediaFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

// ---- messages ----

/** In a channel `userIds` lists only the reader, if they reacted: who else reacted is not shown, nor sent to every subscriber. */
export const Reaction = z.object({ emoji: z.string(), count: z.number().int(), userIds: z.array(z.string()) });

/**
 * What became of the thing an official message's button acts on: a bill paid or cancelled, a consent request
 * decided, a record revoked. Clients show it in place of the button (a paid bill has nothing left to pay).
 * `at` is when it happened (RFC 3339), null when unknown.
 */
export const ActionState = z.object({
  status: z.enum(["paid", "cancelled", "approved", "denied", "revoked"]),
  at: z.string().nullable(),
});
export type ActionState = z.infer<typeof ActionState>;

/** A button on an official message: what it does and what it acts on (a bill, a form, a record, a consent). */
export const MessageAction = z.object({
  type: z.enum(["pay", "open_form", "view_record", "view_submission", "review_consent"]),
  label: z.string(),
  ref: z.string(),
  /** Set by the room when the agency's side changes it (an `edited` change, with its pts). */
  state: ActionState.optional(),
  /**
   * When what it acts on stops being valid by itself (a record's or a consent's expiry, RFC 3339): nothing
   * happens at that moment, so clients compare it with their clock.
   */
  expiresAt: z.string().optional(),
});
export type MessageAction = z.infer<typeof MessageAction>;

/**
 * What a call message records: written by the room when a call ends (the caller is its sender). `outcome`:
 * `answered` (with its length), `missed` (no answer, or the caller hung up while it rang), `declined`, `busy`.
 */
export const CallRecord = z.object({
  callId: z.string(),
  video: z.boolean(),
  outcome: z.enum(["answered", "missed", "declined", "busy"]),
  /** Seconds from answer to hang-up; 0 unless answered. */
  durationSec: z.number().int().min(0),
});
export type CallRecord = z.infer<typeof CallRecord>;

export const ChatMessage = z.object({
  id: z.string(),
  chatId: z.string(),
  seq: z.number().int(),
  senderId: z.string(),
  clientId: z.string(),
  text: z.string().nullable(),
  attachments: z.array(z.string()),
  replyTo: z.number().int().nullable(),
  forwardOf: z.object({ chatId: z.string(), seq: z.number().int(), senderId: z.string() }).nullable(),
  mentions: z.array(z.string()),
  /** Buttons on official messages (empty otherwise). */
  actions: z.array(MessageAction),
  reactions: z.array(Reaction),
  pinned: z.boolean(),
  /** Channel posts read over HTTP: how many subscribers have read up to it (their read marker reached it). */
  views: z.number().int().optional(),
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  deletedAt: z.string().nullable(),
  /** Only on a call message (no text then): the call it records. */
  call: CallRecord.optional(),
  // Secret chats only (absent elsewhere; gone from a deleted message): the envelope as sent.
  ciphertext: z.string().optional(),
  mls: z.enum(["application", "commit", "welcome"]).optional(),
  epoch: z.number().int().optional(),
  to: z.array(z.string()).optional(),
  devices: z.array(z.string()).optional(),
  franking: z.string().optional(),
  /** Disappearing messages: when the room deletes it. */
  expiresAt: z.string().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

// ---- room → client ----

/** Frames that report a stored change carry the chat's change number `pts` (consecutive, no gaps). */
export const MessageFrame = z.object({ type: z.literal("message"), message: ChatMessage, pts: Pts });
export const EditedFrame = z.object({ type: z.literal("edited"), message: ChatMessage, pts: Pts });
export const DeletedFrame = z.object({ type: z.literal("deleted"), seq: z.number().int(), pts: Pts });
export const ReactionFrame = z.object({
  type: z.literal("reaction"),
  seq: z.number().int(),
  emoji: z.string(),
  userId: z.string(),
  on: z.boolean(),
  pts: Pts,
});
/** A channel's reactions on a message, as counts, at most once per message per tick (contract v1.1 "Sync"). */
export const ReactionsFrame = z.object({
  type: z.literal("reactions"),
  seq: z.number().int(),
  reactions: z.array(z.object({ emoji: z.string(), count: z.number().int() })),
  pts: Pts,
});
export const PinnedFrame = z.object({ type: z.literal("pinned"), seq: z.number().int(), on: z.boolean(), pts: Pts });
export const ReadMarkerFrame = z.object({ type: z.literal("read"), userId: z.string(), seq: z.number().int(), pts: Pts });
/**
 * Membership: `joined` (added, or joined), `left` (of their own accord), `removed` (by an owner or admin),
 * `role_changed`. `role` is the member's role after the change, null once they are out.
 */
export const MemberFrame = z.object({
  type: z.literal("member"),
  userId: z.string(),
  action: z.enum(["joined", "left", "removed", "role_changed"]),
  role: Role.nullable(),
  memberCount: z.number().int(),
  pts: Pts,
});
export const ChatUpdatedFrame = z.object({
  type: z.literal("chat_updated"),
  title: z.string().nullable(),
  /** The chat's photo (media id) as of this change; null for none. Absent in changes from before photos. */
  avatar: z.string().nullable().optional(),
  /** Secret chats: the disappearing-messages timer in seconds (null: off), when it is what changed. */
  messageTtl: z.number().int().nullable().optional(),
  pts: Pts,
});

/** Every frame that is a stored change of a chat, as the change log keeps and replays it. */
export const ChangeFrame = z.discriminatedUnion("type", [
  MessageFrame,
  EditedFrame,
  DeletedFrame,
  ReactionFrame,
  ReactionsFrame,
  PinnedFrame,
  ReadMarkerFrame,
  MemberFrame,
  ChatUpdatedFrame,
]);
export type ChangeFrame = z.infer<typeof ChangeFrame>;
/** A change as the room stores it before it has its number. */
export type NewChange = ChangeFrame extends infer F ? (F extends ChangeFrame ? Omit<F, "pts"> : never) : never;

export const AckFrame = z.object({ type: z.literal("ack"), clientId: z.string(), seq: z.number().int(), pts: Pts });
export const TypingNoticeFrame = z.object({ type: z.literal("typing"), userId: z.string() });
/** The client is further behind than the change log reaches: reload over HTTP, continue from `pts`. */
/** A channel's view counts of its latest posts, live only (no pts), at most once per tick when readers moved. */
export const ViewsFrame = z.object({
  type: z.literal("views"),
  views: z.array(z.object({ seq: z.number().int(), count: z.number().int() })),
});
export const TooLongFrame = z.object({ type: z.literal("too_long"), pts: Pts });
export const ErrorFrame = z.object({
  type: z.literal("error"),
  code: z.string(),
  detail: z.string(),
  /** The refused `send`, when a send was refused. */
  clientId: z.string().optional(),
  /** Seconds to wait, with `rate_limited`. */
  retryAfter: z.number().optional(),
});

/** Relayed to the callee's sockets of the chat (and sent again to each one that connects while it rings). */
export const CallInviteNotice = z.object({
  type: z.literal("call_invite"),
  callId: z.string(),
  callerId: z.string(),
  video: z.boolean(),
  sdp: z.string(),
});
/** Relayed to the caller's device that invited. */
export const CallAnswerNotice = z.object({ type: z.literal("call_answer"), callId: z.string(), sdp: z.string() });
/** Relayed between the two devices in the call. */
export const CallIceNotice = z.object({ type: z.literal("call_ice"), callId: z.string(), candidate: IceCandidate });
export const CallMediaNotice = z.object({
  type: z.literal("call_media"),
  callId: z.string(),
  userId: z.string(),
  audio: z.boolean(),
  video: z.boolean(),
});
export const CallStateName = z.enum(["ringing", "active", "ended"]);
export const CallEndReason = z.enum(["hangup", "cancelled", "declined", "busy", "no_answer"]);
/**
 * Where a call is, to both people's sockets of the chat and to the callee's inbox (so every device that rang
 * stops once one answers). `reason` only when ended.
 */
export const CallStateFrame = z.object({
  type: z.literal("call_state"),
  chatId: z.string(),
  callId: z.string(),
  state: CallStateName,
  callerId: z.string(),
  calleeId: z.string(),
  video: z.boolean(),
  reason: CallEndReason.optional(),
});
export type CallStateFrame = z.infer<typeof CallStateFrame>;

/** Every frame a room sends. */
export const RoomFrame = z.discriminatedUnion("type", [
  ...ChangeFrame.options,
  AckFrame,
  TypingNoticeFrame,
  ViewsFrame,
  TooLongFrame,
  ErrorFrame,
  CallInviteNotice,
  CallAnswerNotice,
  CallIceNotice,
  CallMediaNotice,
  CallStateFrame,
]);
export type RoomFrame = z.infer<typeof RoomFrame>;

// ---- chat list (inbox) ----

export const AgencyRef = z.object({ id: z.string(), name: z.string(), verified: z.boolean() });
export type AgencyRef = z.infer<typeof AgencyRef>;

export const ChatSummary = z.object({
  id: z.string(),
  type: ChatType,
  title: z.string().nullable(),
  memberCount: z.number().int(),
  role: Role,
  lastSeq: z.number().int(),
  unreadCount: z.number().int(),
  lastMessage: ChatMessage.nullable(),
  lastActivityAt: z.string(),
  /** For an official chat: the agency behind it (clients show a verified badge); null otherwise. */
  agency: AgencyRef.nullable(),
  /** The chat's change number as of this summary. */
  pts: Pts,
  /** The caller's own read marker. */
  readSeq: z.number().int(),
  /** Until when the caller muted the chat (no pushes but mentions); `FOREVER` for "until unmuted"; null when not muted. */
  mutedUntil: z.string().nullable(),
  /** A message after the caller's read marker mentions them (the list's "@" mark). */
  unreadMention: z.boolean(),
  /** The chat's photo (media id; GET /media/{id}): a direct chat's is the other person's profile photo; null for none. */
  avatar: z.string().nullable(),
});
export type ChatSummary = z.infer<typeof ChatSummary>;

/** A service notification (bill, record, form status, consent request), stored by the inbox. */
export const Notification = z
  .object({
    kind: z.string(),
    /** When the inbox stored it. */
    at: z.string(),
    pts: Pts,
  })
  .catchall(z.unknown());
export type Notification = z.infer<typeof Notification>;

/** Frames that report a change of the user's chat list carry the user's change number `pts`. */
export const ChatFrame = z.object({ type: z.literal("chat"), chat: ChatSummary, pts: Pts });
export const ChatRemovedFrame = z.object({ type: z.literal("chat_removed"), chatId: z.string(), pts: Pts });
export const NotificationFrame = Notification.extend({ type: z.literal("notification") });

/**
 * A device says whether the app is on screen (sent when the socket opens and whenever that changes): a device
 * whose app is hidden counts as away and gets Web Push notifications although its socket is open.
 */
export const VisibilityFrame = z.object({ type: z.literal("visibility"), visible: z.boolean() }).strict();
/** Every frame a client may send to its inbox. */
export const InboxClientFrame = z.discriminatedUnion("type", [VisibilityFrame]);
export type InboxClientFrame = z.infer<typeof InboxClientFrame>;

/** `mutedUntil` of a chat muted until unmuted. */
export const FOREVER = "9999-12-31T23:59:59Z";

/** A call rings: on every device's inbox socket, whatever screen it shows (the SDP comes on the room socket). */
export const CallIncomingFrame = z.object({
  type: z.literal("call_incoming"),
  chatId: z.string(),
  callId: z.string(),
  callerId: z.string(),
  callerName: z.string().nullable(),
  video: z.boolean(),
});
export type CallIncomingFrame = z.infer<typeof CallIncomingFrame>;

/** Every frame an inbox sends. */
export const InboxFrame = z.discriminatedUnion("type", [
  ChatFrame,
  ChatRemovedFrame,
  NotificationFrame,
  TooLongFrame,
  ErrorFrame,
  CallIncomingFrame,
  CallStateFrame,
]);
export type InboxFrame = z.infer<typeof InboxFrame>;

/**
 * Reads one client frame as a room (or a relay standing in for one) takes it: the error frame to answer
 * otherwise, with the codes docs/protocol.md lists.
 */
export function readClientFrame(
  data: string | ArrayBuffer,
): { ok: true; frame: ClientFrame } | { ok: false; error: { type: "error"; code: string; detail: string } } {
  const error = (code: string, detail: string) => ({ ok: false as const, error: { type: "error" as const, code, detail } });
  if (typeof data !== "string") return error("unsupported_frame", "Frames are JSON text.");
  if (data.length > MAX_FRAME_BYTES) return error("frame_too_large", `Frames are limited to ${MAX_FRAME_BYTES} bytes.`);
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return error("malformed_json", "The frame is not valid JSON.");
  }
  const frame = ClientFrame.safeParse(raw);
  if (!frame.success)
    return error("invalid_frame", frame.error.issues.map((i) => `${i.path.join(".") || "frame"}: ${i.message}`).join("; "));
  return { ok: true, frame: frame.data };
}

/** Parses what a socket received: one frame, or (with `?batch=1`) a JSON array of frames, in order. */
export function parseFrames<T extends z.ZodType>(schema: T, data: string): { frames: z.infer<T>[]; rejected: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { frames: [], rejected: 1 };
  }
  const items = Array.isArray(raw) ? raw : [raw];
  const frames: z.infer<T>[] = [];
  let rejected = 0;
  for (const item of items) {
    const parsed = schema.safeParse(item);
    if (parsed.success) frames.push(parsed.data);
    else rejected += 1;
  }
  return { frames, rejected };
}

/** Close codes a room or inbox uses (4000–4999 are application-defined). */
export const CLOSE = {
  /** The device's session was signed out (logout, revoked from another device, a reused refresh token). */
  sessionEnded: 4001,
  removed: 4003,
  /** The member's role changed where that moves their socket (a channel subscriber made admin): reconnect now. */
  moved: 4005,
  internal: 1011,
} as const;
