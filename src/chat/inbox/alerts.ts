// What a Web Push notification carries (the payload a device's service worker decrypts and shows): enough
// to say who wrote where and to open the chat, the text only when the user allows previews, and never for a
// secret chat (whose messages have no text on the server: the device shows its own preview, if any).
import type { PushPayload } from "../../push/send";
import type { ChatType } from "../protocol";

export interface MessageAlert {
  chatId: string;
  seq: number;
  chatType: ChatType;
  chatTitle: string | null;
  senderName: string | null;
  text: string | null;
  mention: boolean;
}

export function messagePayload(alert: MessageAlert, previews: boolean, unread: number): PushPayload {
  return {
    type: "message",
    chatId: alert.chatId,
    seq: alert.seq,
    chatType: alert.chatType,
    chatTitle: alert.chatTitle,
    senderName: alert.senderName,
    ...(previews && alert.text && alert.chatType !== "secret" ? { text: alert.text } : {}),
    mention: alert.mention,
    unread,
  };
}
