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

export const ChatType = z.enum(["direct", "group", "channel", "official"]);
export type ChatType = z.infer<typeof ChatType>;
export const Role = z.enum(["owner", "admin", "member"]);
export type Role = z.infer<typeof Role>;

// ---- client → room ----

export const SendFrame = z
  .object({
    type: z.literal("send"),
    clientId: ClientId,
    text: MessageText.optional(),
    attachments: z.array(MediaId).max(MAX_ATTACHMENTS).optional(),
    replyTo: Seq.optional(),
  })
  .strict();
export const ReadFrame = z.object({ type: z.literal("read"), seq: z.number().int().min(0) }).strict();
export const TypingFrame = z.object({ type: z.literal("typing") }).strict();

/** Every frame a client may send to a room. */
export const ClientFrame = z.discriminatedUnion("type", [SendFrame, ReadFrame, TypingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

// ---- messages ----

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
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  deletedAt: z.string().nullable(),
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
export const ChatUpdatedFrame = z.object({ type: z.literal("chat_updated"), title: z.string().nullable(), pts: Pts });

/** Every frame that is a stored change of a chat, as the change log keeps and replays it. */
export const ChangeFrame = z.discriminatedUnion("type", [
  MessageFrame,
  EditedFrame,
  DeletedFrame,
  ReactionFrame,
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

/** Every frame a room sends. */
export const RoomFrame = z.discriminatedUnion("type", [...ChangeFrame.options, AckFrame, TypingNoticeFrame, TooLongFrame, ErrorFrame]);
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

/** Every frame an inbox sends. */
export const InboxFrame = z.discriminatedUnion("type", [ChatFrame, ChatRemovedFrame, NotificationFrame, TooLongFrame, ErrorFrame]);
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
  internal: 1011,
} as const;
