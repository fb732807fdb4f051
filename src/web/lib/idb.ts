// The citizen app's IndexedDB, shared by the page and the service worker (src/web/sw): the unsent outbox
// per chat (it must outlive a closed tab, and localStorage is not readable from a service worker), a few
// preferences the service worker needs without a page (the UI language for notification texts), this
// device's keys (the SD-JWT holder key: a non-extractable WebCrypto key, which IndexedDB stores as the key
// object itself, so its private half is never readable, not even by this app's scripts), and the in-person
// verifier's offline cache (agency keys and status lists) and the codes it has accepted. Secret chats keep
// their device keys, group states and decrypted messages in SECRET, sealed (src/web/citizen/secret/vault.ts).
// Nothing here touches the DOM, so the service worker bundle can import it.

const DB_NAME = "veche";
// 2 and 3 added stores (device keys, the verifier's, secret chats'); opening at 3 creates whatever is missing,
// whichever upgrade a browser had.
const DB_VERSION = 3;
export const OUTBOX = "outbox";
export const PREFS = "prefs";
/** Device keys, keyed by what they are for ("holder"). */
export const KEYS = "keys";
/** The verifier's cache: the agency directory and each agency's keys and status list (citizen/verifier/store.ts). */
export const VERIFIER = "verifier";
/** Digital ID codes the verifier accepted: key → when (ms), for the replay rule. */
export const SEEN = "seen";
export const SECRET = "secret";
type Store = typeof OUTBOX | typeof PREFS | typeof KEYS | typeof VERIFIER | typeof SEEN | typeof SECRET;
const STORES: readonly Store[] = [OUTBOX, PREFS, KEYS, VERIFIER, SEEN, SECRET];

let opening: Promise<IDBDatabase> | null = null;

/** The database, opened once (a failed open is tried again on the next call). */
export function openDb(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === "undefined") return reject(new Error("IndexedDB is not available"));
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      // Out-of-line keys: the outbox is keyed by chat id, a preference by its name, and so on.
      for (const store of STORES) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab's newer code wants to upgrade: let it, and open again next time.
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      resolve(db);
    };
    req.onerror = () => reject(req.error ?? new Error("IndexedDB open failed"));
    req.onblocked = () => reject(new Error("IndexedDB open blocked"));
  });
  opening.catch(() => {
    opening = null;
  });
  return opening;
}

const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });

export async function idbGet(store: Store, key: string): Promise<unknown> {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const req = db.transaction(store, "readonly").objectStore(store).get(key);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB read failed"));
  });
}

/** Every key and value of a store. */
export async function idbEntries(store: Store): Promise<[string, unknown][]> {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const os = db.transaction(store, "readonly").objectStore(store);
    const keys = os.getAllKeys();
    const values = os.getAll();
    values.onsuccess = () => resolve(keys.result.map((k, i) => [String(k), values.result[i]]));
    values.onerror = () => reject(values.error ?? new Error("IndexedDB read failed"));
  });
}

/**
 * Writes (or, with `undefined`, deletes) one key. Transactions on the same store run in the order they are
 * created, so writes made one after another land in that order.
 */
export async function idbPut(store: Store, key: string, value: unknown): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  if (value === undefined) tx.objectStore(store).delete(key);
  else tx.objectStore(store).put(value, key);
  return done(tx);
}

/** Writes several keys in one transaction (all or none). */
export async function idbPutMany(store: Store, entries: [string, unknown][]): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  for (const [key, value] of entries) tx.objectStore(store).put(value, key);
  return done(tx);
}

export async function idbClear(store: Store): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).clear();
  return done(tx);
}
