// The unsent outbox, per chat, in IndexedDB (lib/idb.ts): it survives a reload and a closed tab, and the
// service worker can read it. Outboxes an older version kept in localStorage (`veche.outbox.<chatId>`) are
// moved over once, on the first read after an update. Without IndexedDB (some private modes) localStorage
// is used as before.
import { idbClear, idbGet, idbPut, idbPutMany, OUTBOX } from "../lib/idb";

export interface Outgoing {
  clientId: string;
  text?: string;
  attachments?: string[];
  replyTo?: number;
  createdAt: string;
  /** Set when the server refused it for good (it stays visible so nothing is silently lost). */
  error?: string;
}

const LEGACY_PREFIX = "veche.outbox.";
const legacyKey = (chatId: string) => `${LEGACY_PREFIX}${chatId}`;

const valid = (raw: unknown): Outgoing[] =>
  Array.isArray(raw) ? raw.filter((o): o is Outgoing => typeof (o as Outgoing | null)?.clientId === "string") : [];

function legacyKeys(): string[] {
  try {
    return Object.keys(localStorage).filter((k) => k.startsWith(LEGACY_PREFIX));
  } catch {
    return [];
  }
}

function readLegacy(key: string): Outgoing[] {
  try {
    return valid(JSON.parse(localStorage.getItem(key) ?? "[]"));
  } catch {
    return [];
  }
}

let migrating: Promise<boolean> | null = null;

/**
 * Moves localStorage outboxes into IndexedDB (merged with what is there, by clientId), then removes them.
 * Answers whether IndexedDB works; when it does not, the outbox stays in localStorage.
 */
export function migrateOutboxes(): Promise<boolean> {
  migrating ??= (async () => {
    try {
      const keys = legacyKeys();
      const entries: [string, Outgoing[]][] = [];
      for (const key of keys) {
        const chatId = key.slice(LEGACY_PREFIX.length);
        const stored = valid(await idbGet(OUTBOX, chatId));
        const known = new Set(stored.map((o) => o.clientId));
        entries.push([chatId, [...stored, ...readLegacy(key).filter((o) => !known.has(o.clientId))]]);
      }
      if (entries.length > 0) await idbPutMany(OUTBOX, entries);
      // Only once they are safely in IndexedDB.
      for (const key of keys) localStorage.removeItem(key);
      return true;
    } catch {
      return false;
    }
  })();
  return migrating;
}

export async function loadOutbox(chatId: string): Promise<Outgoing[]> {
  if (!(await migrateOutboxes())) return readLegacy(legacyKey(chatId));
  try {
    return valid(await idbGet(OUTBOX, chatId));
  } catch {
    return [];
  }
}

export async function saveOutbox(chatId: string, items: Outgoing[]): Promise<void> {
  const copy = items.map((o) => ({ ...o }));
  if (await migrateOutboxes()) {
    try {
      await idbPut(OUTBOX, chatId, copy.length === 0 ? undefined : copy);
      return;
    } catch {
      // fall through to localStorage
    }
  }
  try {
    if (copy.length === 0) localStorage.removeItem(legacyKey(chatId));
    else localStorage.setItem(legacyKey(chatId), JSON.stringify(copy));
  } catch {
    // storage full or disabled: the outbox still lives in memory
  }
}

/** Every unsent message of this browser (sign-out: they belong to the account, not to the next one). */
export async function clearOutboxes(): Promise<void> {
  for (const key of legacyKeys()) localStorage.removeItem(key);
  await idbClear(OUTBOX).catch(() => undefined);
}
