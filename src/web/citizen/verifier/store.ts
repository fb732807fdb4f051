// The verifier's offline cache, in IndexedDB (lib/idb.ts): the agency directory (`GET /agencies`, with each
// agency's issuer identifier), each agency's keys (`GET /agencies/:id/jwks.json`) and status list
// (`GET /agencies/:id/status-list`) and record types (`GET /agencies/:id/record-types`, for the claims'
// labels), refreshed when online; and the codes it accepted, for the replay rule.
// check.ts decides; this only keeps what it decides with. Everything here is public data: nothing is tied to
// whoever is signed in, so signing out keeps it.
import type { JSONWebKeySet } from "jose";
import { idbEntries, idbGet, idbPut, idbPutMany, SEEN, VERIFIER } from "../../lib/idb";
import { memorySeen, SEEN_RETENTION_MS, type Seen, type Trust, type TrustedIssuer, type TypeMeta } from "./check";

interface DirectoryEntry {
  id: string;
  name: string;
  verified: boolean;
  issuer: string;
}

interface Directory {
  agencies: DirectoryEntry[];
  fetchedAt: number;
}

interface AgencyCache {
  jwks: JSONWebKeySet;
  statusList: { lst: string; fetchedAt: number } | null;
  recordTypes?: Record<string, TypeMeta>;
  fetchedAt: number;
}

/** A check never waits longer than this for the network; the cached copy is used instead. */
const TIMEOUT_MS = 4000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// The answers are checked before they are kept: the cache decides what is trusted.
function asDirectory(body: unknown): DirectoryEntry[] {
  if (!isObject(body) || !Array.isArray(body.agencies)) throw new Error("not an agency directory");
  return body.agencies.flatMap((a: unknown) =>
    isObject(a) && typeof a.id === "string" && typeof a.name === "string" && typeof a.issuer === "string"
      ? [{ id: a.id, name: a.name, verified: a.verified === true, issuer: a.issuer }]
      : [],
  );
}

function asJwks(body: unknown): JSONWebKeySet {
  if (!isObject(body) || !Array.isArray(body.keys) || !body.keys.every(isObject)) throw new Error("not a JWKS");
  return { keys: body.keys };
}

function asStatusList(body: unknown): string {
  const list = isObject(body) ? body.status_list : undefined;
  if (!isObject(list) || list.bits !== 1 || typeof list.lst !== "string") throw new Error("not a status list");
  return list.lst;
}

const isLocalized = (v: unknown): v is { ru: string; en?: string } =>
  isObject(v) && typeof v.ru === "string" && (v.en === undefined || typeof v.en === "string");
const FORMATS = new Set(["text", "date", "money", "image", "enum"]);

/** The agency's record types by type; an entry that is not of the published shape is left out (raw names show). */
function asRecordTypes(body: unknown): Record<string, TypeMeta> {
  const list = isObject(body) && Array.isArray(body.recordTypes) ? body.recordTypes : [];
  const out: Record<string, TypeMeta> = {};
  for (const t of list) {
    if (!isObject(t) || typeof t.type !== "string" || !isLocalized(t.name) || !isObject(t.claims)) continue;
    const claims: TypeMeta["claims"] = {};
    for (const [name, c] of Object.entries(t.claims)) {
      if (!isObject(c) || !isLocalized(c.label)) continue;
      const format = typeof c.format === "string" && FORMATS.has(c.format) ? (c.format as TypeMeta["claims"][string]["format"]) : undefined;
      const values = isObject(c.values) ? Object.fromEntries(Object.entries(c.values).filter(([, v]) => isLocalized(v))) : undefined;
      claims[name] = {
        label: { ru: c.label.ru, ...(c.label.en ? { en: c.label.en } : {}) },
        ...(format ? { format } : {}),
        ...(values ? { values: values as Record<string, { ru: string; en?: string }> } : {}),
      };
    }
    out[t.type] = { name: { ru: t.name.ru, ...(t.name.en ? { en: t.name.en } : {}) }, claims };
  }
  return out;
}

const online = () => typeof navigator === "undefined" || navigator.onLine !== false;
/**
 * A public API read past the browser's HTTP cache (the status list is sent with max-age=60, and a check
 * online must see a revocation made a moment ago). No Authorization: these are public, and the verifier
 * works signed out.
 */
async function get(path: string): Promise<unknown> {
  const res = await fetch(`/api/v1${path}`, { cache: "no-cache", signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return res.json();
}

// Without IndexedDB (a private window in some browsers) the cache lives as long as the page.
const memory = new Map<string, unknown>();
async function load(key: string): Promise<unknown> {
  try {
    return await idbGet(VERIFIER, key);
  } catch {
    return memory.get(key);
  }
}
async function save(key: string, value: unknown): Promise<void> {
  memory.set(key, value);
  await idbPut(VERIFIER, key, value).catch(() => undefined);
}

async function cachedDirectory(): Promise<Directory | null> {
  const d = await load("directory");
  return isObject(d) && Array.isArray(d.agencies) && typeof d.fetchedAt === "number" ? (d as unknown as Directory) : null;
}

async function cachedAgency(id: string): Promise<AgencyCache | null> {
  const a = await load(`agency:${id}`);
  return isObject(a) && isObject(a.jwks) && typeof a.fetchedAt === "number" ? (a as unknown as AgencyCache) : null;
}

async function refreshDirectory(): Promise<Directory> {
  const directory = { agencies: asDirectory(await get("/agencies")), fetchedAt: Date.now() };
  await save("directory", directory);
  return directory;
}

async function refreshAgency(id: string): Promise<AgencyCache> {
  const path = `/agencies/${encodeURIComponent(id)}`;
  const [jwks, lst, types] = await Promise.all([
    get(`${path}/jwks.json`).then(asJwks),
    get(`${path}/status-list`).then(asStatusList),
    // Labels only: without them the verdict still stands, with the claims' own names in words.
    get(`${path}/record-types`)
      .then(asRecordTypes)
      .catch(async () => (await cachedAgency(id))?.recordTypes),
  ]);
  const now = Date.now();
  const entry: AgencyCache = { jwks, statusList: { lst, fetchedAt: now }, ...(types ? { recordTypes: types } : {}), fetchedAt: now };
  await save(`agency:${id}`, entry);
  return entry;
}

export interface CacheSummary {
  agencies: number;
  /** When the oldest kept status list was fetched (ms), or null with nothing kept. */
  oldest: number | null;
}

/** What is kept for offline checks. */
export async function cacheSummary(): Promise<CacheSummary> {
  const directory = await cachedDirectory();
  let agencies = 0;
  let oldest: number | null = null;
  for (const a of directory?.agencies ?? []) {
    const cached = await cachedAgency(a.id);
    if (!cached) continue;
    agencies += 1;
    const at = cached.statusList?.fetchedAt ?? cached.fetchedAt;
    oldest = oldest === null ? at : Math.min(oldest, at);
  }
  return { agencies, oldest };
}

/** Fetches the directory and every agency's keys and status list (when online); answers what is kept then. */
export async function refreshAll(): Promise<CacheSummary> {
  if (online()) {
    const directory = await refreshDirectory();
    await Promise.all(directory.agencies.map((a) => refreshAgency(a.id).catch(() => null)));
  }
  return cacheSummary();
}

/**
 * Trust backed by the cache: an `iss` is trusted when it is exactly an agency's `issuer` in the directory.
 * Online, its keys and status list are fetched again first (two small reads), so a revocation made a moment
 * ago shows; offline, or when the network fails or is slow, the kept copies are used.
 */
export const cachedTrust: Trust = {
  async issuer(iss) {
    let directory = await cachedDirectory();
    let entry = directory?.agencies.find((a) => a.issuer === iss);
    if (!entry && online()) {
      directory = await refreshDirectory().catch(() => directory);
      entry = directory?.agencies.find((a) => a.issuer === iss);
    }
    if (!entry) return null;
    let cached = await cachedAgency(entry.id);
    if (online()) {
      const id = entry.id;
      cached = await refreshAgency(id).catch(() => cached);
    }
    if (!cached) return null;
    const trusted: TrustedIssuer = {
      issuer: entry.issuer,
      agencyId: entry.id,
      name: entry.name,
      verified: entry.verified,
      jwks: cached.jwks,
      statusList: cached.statusList,
      ...(cached.recordTypes ? { recordTypes: cached.recordTypes } : {}),
    };
    return trusted;
  },
};

const fallbackSeen = memorySeen();

/** The accepted codes, kept in IndexedDB for SEEN_RETENTION_MS (in memory without it). */
export const cachedSeen: Seen = {
  async has(keys, now) {
    try {
      const found = await Promise.all(keys.map((k) => idbGet(SEEN, k)));
      return found.some((at) => typeof at === "number" && now - at <= SEEN_RETENTION_MS);
    } catch {
      return fallbackSeen.has(keys, now);
    }
  },
  async add(keys, now) {
    await fallbackSeen.add(keys, now);
    try {
      await idbPutMany(
        SEEN,
        keys.map((k) => [k, now]),
      );
      // Forgetting what can no longer be accepted anyway keeps the store small.
      for (const [key, at] of await idbEntries(SEEN)) {
        if (typeof at !== "number" || now - at > SEEN_RETENTION_MS) await idbPut(SEEN, key, undefined);
      }
    } catch {
      // kept in memory only
    }
  },
};
