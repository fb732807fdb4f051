// Who may do what in a chat. Dependency-free, so the room, the routes and the web client decide alike.

export type ChatKind = "direct" | "group" | "channel" | "official" | "secret";

/** Two people and nobody else: a direct chat, or a secret (end-to-end encrypted) one. */
export const isPair = (type: ChatKind): boolean => type === "direct" || type === "secret";
export type MemberRole = "owner" | "admin" | "member";

export const isModerator = (role: MemberRole | null): boolean => role === "owner" || role === "admin";

/** Posting: anyone in a direct chat or group; owners and admins in a channel; nobody in an official chat (the agency posts through the Worker). */
export function canPost(type: ChatKind, role: MemberRole | null): boolean {
  if (!role) return false;
  if (type === "channel") return isModerator(role);
  return type !== "official";
}

/** Only the sender edits their message. */
export const canEdit = (senderId: string, userId: string): boolean => senderId === userId;

/** The sender deletes for everyone; so do owners and admins of groups and channels. */
export function canDelete(type: ChatKind, role: MemberRole | null, senderId: string, userId: string): boolean {
  if (!role) return false;
  return senderId === userId || (!isPair(type) && isModerator(role));
}

/** Anyone in a direct chat pins; owners and admins elsewhere. */
export const canPin = (type: ChatKind, role: MemberRole | null): boolean => role !== null && (isPair(type) || isModerator(role));

/** Reacting: any member of a chat whose messages they can see. */
export const canReact = (role: MemberRole | null): boolean => role !== null;

/** Members are added and removed only in groups and channels, by owners and admins; admins remove only members. */
export const hasMembers = (type: ChatKind): boolean => type === "group" || type === "channel";
export const canAddMembers = (type: ChatKind, role: MemberRole | null): boolean => hasMembers(type) && isModerator(role);
export function canRemove(type: ChatKind, role: MemberRole | null, targetRole: MemberRole, self: boolean): boolean {
  if (!hasMembers(type) || !role) return false;
  if (self) return true;
  return role === "owner" || (role === "admin" && targetRole === "member");
}
/** Only the owner changes roles, and not their own. */
export const canChangeRole = (role: MemberRole | null, self: boolean): boolean => role === "owner" && !self;
/** Owners and admins of groups and channels rename them. */
export const canRetitle = (type: ChatKind, role: MemberRole | null): boolean => hasMembers(type) && isModerator(role);
