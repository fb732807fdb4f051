// Drafts: what someone typed in a chat and did not send yet, kept per account and chat in this browser's
// storage, so it is there after switching chats or reloading, and shown in the chat list. Signing out removes
// every draft of this browser (they are the account's words).

const PREFIX = "veche.draft.";
const key = (userId: string, chatId: string) => `${PREFIX}${userId}.${chatId}`;
const listeners = new Set<() => void>();

export function loadDraft(userId: string, chatId: string): string {
  try {
    return localStorage.getItem(key(userId, chatId)) ?? "";
  } catch {
    return "";
  }
}

export function saveDraft(userId: string, chatId: string, text: string): void {
  try {
    if (text.trim()) localStorage.setItem(key(userId, chatId), text);
    else localStorage.removeItem(key(userId, chatId));
  } catch {
    // storage full or refused: the draft lives only while the chat is open
  }
  for (const l of listeners) l();
}

/** The chat list re-renders its "Черновик" previews when a draft changes. */
export function onDraftsChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function clearDrafts(): void {
  try {
    for (const k of Object.keys(localStorage)) if (k.startsWith(PREFIX)) localStorage.removeItem(k);
  } catch {
    // nothing stored
  }
}
