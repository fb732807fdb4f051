// Leaving a chat or being removed from it: one path for DELETE /chats/:id/members/:userId and for an account
// being deleted, so the directory, the room (which closes the member's sockets) and the inboxes hear alike.
import { roomStub, unwrap } from "./access";
import type { Role } from "./protocol";
import { removeMember, setRole, successor } from "./store";

/** Removes `userId` (whose role was `role`) from the chat; an owner who goes hands the chat to a successor. */
export async function removeFromChat(
  env: Env,
  chatId: string,
  userId: string,
  role: Role,
  action: "left" | "removed",
  actorId: string = userId,
): Promise<void> {
  await removeMember(env.DB, chatId, userId);
  unwrap(await roomStub(env, chatId).removeMember(chatId, userId, action, actorId));
  if (role === "owner") {
    const next = await successor(env.DB, chatId);
    if (next && (await setRole(env.DB, chatId, next, "owner"))) unwrap(await roomStub(env, chatId).setRole(chatId, next, "owner"));
  }
}
