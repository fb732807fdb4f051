// How the Worker reaches a chat's room and a user's inbox (in the deployment's jurisdiction, src/lib/objects.ts),
// and the checks other folders need before they act on a chat. Membership is the room's to decide: no D1 read
// on the message path.
import type { Context } from "hono";
import { ApiError, notFound, tooManyRequests } from "../lib/errors";
import type { AppEnv } from "../lib/hono";
import { namespaceFor } from "../lib/objects";
import type { Inbox } from "./inbox";
import type { ChatType, Role } from "./protocol";
import type { ChannelRelay } from "./relay";
import type { ChatRoom, RoomResult } from "./room";

export function roomStub(env: Env, chatId: string): DurableObjectStub<ChatRoom> {
  const rooms = namespaceFor(env, "CHAT_ROOM");
  return rooms.get(rooms.idFromName(chatId));
}

/** One of a big channel's relays (src/chat/relay/plan.ts): named by chat and index, so every level finds it. */
export function relayStub(env: Env, chatId: string, index: number): DurableObjectStub<ChannelRelay> {
  const relays = namespaceFor(env, "CHAT_RELAY");
  return relays.get(relays.idFromName(`${chatId}#${index}`));
}

export function inboxStub(env: Env, userId: string): DurableObjectStub<Inbox> {
  const inboxes = namespaceFor(env, "INBOX");
  return inboxes.get(inboxes.idFromName(userId));
}

/** A room's refusal as the problem response it stands for. */
export function unwrap<T>(result: RoomResult<T>): T {
  if (!result.ok && result.status === 429) throw tooManyRequests(result.retryAfter, result.code, result.detail);
  if (!result.ok) throw new ApiError(result.status, result.code, result.detail);
  return result.value;
}

export interface Membership {
  type: ChatType;
  role: Role;
}

/** The caller's membership, from the room, or a 404 that does not reveal whether the chat exists. */
export async function requireMember(c: Context<AppEnv>, chatId: string): Promise<Membership> {
  const result = await roomStub(c.env, chatId).access(chatId, c.var.citizen.userId);
  if (!result.ok) throw notFound("chat");
  return result.value;
}
