// The WebSocket protocol: zod schemas of every frame (docs/protocol.md). Shared by the rooms, the inbox
// and the web client, so what the server validates and what clients send cannot drift apart.
import { z } from "zod";

export const MAX_TEXT_LENGTH = 4096;
/** Larger frames are refused before parsing; a maximal `send` is far below this. */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_ATTACHMENTS = 10;

export const ClientId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");
export const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const MediaId = z.string().min(1).max(64);
export const MessageText = z.string().max(MAX_TEXT_LENGTH);

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

export const Reaction = z.object({ emoji: z.string(), count: z.number().int(), userIds: z.array(z.string()) });

/** A button on an official message: what it does and what it acts on (a bill, a form, a record, a consent). */
export const MessageAction = z.object({
  type: z.enum(["pay", "open_form", "view_record", "view_submission", "review_consent"]),
  label: z.string(),
  ref: z.string(),
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

/** Every frame a room sends. */
export type RoomFrame =
  | { type: "message"; message: ChatMessage }
  | { type: "ack"; clientId: string; seq: number }
  | { type: "edited"; message: ChatMessage }
  | { type: "deleted"; seq: number }
  | { type: "reaction"; seq: number; emoji: string; userId: string; on: boolean }
  | { type: "pinned"; seq: number; on: boolean }
  | { type: "read"; userId: string; seq: number }
  | { type: "typing"; userId: string }
  | { type: "error"; code: string; detail: string; clientId?: string };

export const ChatSummary = z.object({
  id: z.string(),
  type: z.enum(["direct", "group", "channel", "official"]),
  title: z.string().nullable(),
  memberCount: z.number().int(),
  role: z.enum(["owner", "admin", "member"]),
  lastSeq: z.number().int(),
  unreadCount: z.number().int(),
  lastMessage: ChatMessage.nullable(),
  lastActivityAt: z.string(),
  /** For an official chat: the agency behind it (clients show a verified badge); null otherwise. */
  agency: z.object({ id: z.string(), name: z.string(), verified: z.boolean() }).nullable(),
});
export type ChatSummary = z.infer<typeof ChatSummary>;

/** Every frame an inbox sends. */
export type InboxFrame =
  | { type: "chat"; chat: ChatSummary }
  | { type: "chat_removed"; chatId: string }
  | { type: "notification"; kind: string; [key: string]: unknown }
  | { type: "error"; code: string; detail: string };

/** Close codes a room or inbox uses (4000–4999 are application-defined). */
export const CLOSE = {
  /** The device's session was signed out (logout, revoked from another device, a reused refresh token). */
  sessionEnded: 4001,
  removed: 4003,
  internal: 1011,
} as const;
