// The HTTP client: JSON calls under /api/v1 with the citizen's bearer token, one refresh on a 401, problem+json
// errors as ApiError, uploads with progress, and authorised media fetched into blob: URLs.
//
// Tokens: the access token (15 minutes) lives in memory only; the refresh token lives in localStorage so a
// reload or a new tab stays signed in. localStorage is readable by any script on the origin, so an XSS would
// expose it; the strict CSP (scripts from 'self' only, no inline code) is what keeps scripts out, refresh
// tokens rotate on every use and a stolen, already-used one signs the whole session out (reuse detection).
// An HttpOnly cookie would hide it from scripts, but the public API takes refresh tokens in the body.

import { typedClient } from "./api-call";
import { ApiError, BASE, jsonInit, problemOf, readJson, send, sendAuthorized, type TokenSource } from "./http";

export { ApiError, type FieldError, isTransient } from "./http";

const REFRESH_KEY = "veche.refreshToken";
/** Refresh this long before the access token expires, so a request never starts with a dying token. */
const EXPIRY_MARGIN_MS = 30_000;

let accessToken: string | null = null;
let accessExpiresAt = 0;
const authListeners = new Set<(signedIn: boolean) => void>();

export function onAuthChange(listener: (signedIn: boolean) => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function hasSession(): boolean {
  return readRefreshToken() !== null;
}

function readRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export function setSession(tokens: Tokens): void {
  const wasSignedIn = hasSession();
  accessToken = tokens.accessToken;
  accessExpiresAt = Date.now() + tokens.expiresIn * 1000;
  localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
  if (!wasSignedIn) for (const l of authListeners) l(true);
}

export function clearSession(): void {
  accessToken = null;
  accessExpiresAt = 0;
  localStorage.removeItem(REFRESH_KEY);
  for (const l of authListeners) l(false);
}

// Another tab signing out removes the refresh token; follow it.
addEventListener("storage", (e) => {
  if (e.key === REFRESH_KEY && e.newValue === null && accessToken !== null) {
    accessToken = null;
    for (const l of authListeners) l(false);
  }
});

let refreshing: Promise<string> | null = null;

/**
 * Rotates the refresh token. One refresh at a time per browser: within a tab through `refreshing`, across
 * tabs through a Web Lock, inside which the newest token is read again from localStorage (two tabs
 * presenting the same refresh token would count as reuse and sign the session out).
 */
function refresh(): Promise<string> {
  refreshing ??= (async () => {
    const run = async (): Promise<string> => {
      const token = readRefreshToken();
      if (!token) throw new ApiError(401, "signed_out", "Not signed in.");
      const res = await send("/auth/refresh", jsonInit("POST", { refreshToken: token }));
      if (res.status === 401) {
        const err = await problemOf(res);
        // Another tab may have rotated it meanwhile; only a token that is still ours is dead.
        if (readRefreshToken() === token) clearSession();
        throw err;
      }
      const tokens = await readJson<Tokens>(res);
      setSession(tokens);
      return tokens.accessToken;
    };
    return navigator.locks ? navigator.locks.request("veche-refresh", run) : run();
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A valid access token, refreshed first when it is missing or about to expire. */
export async function token(): Promise<string> {
  if (accessToken && Date.now() < accessExpiresAt - EXPIRY_MARGIN_MS) return accessToken;
  return refresh();
}

/** The citizen's tokens: an access token in memory, renewed with the rotating refresh token. */
const tokens: TokenSource = { current: token, renew: refresh };

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** No Authorization header (sign-in, verification). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

/** Calls typed by the server's route schemas (lib/api-call.ts): `api.get("/bills/{id}", { path: { id } })`. */
export const api = typedClient((method, path, body, headers) => request(path, { method: method.toUpperCase(), body, headers }));

/** One API call; answers the parsed JSON body (or null for 204). Throws ApiError. `api` is the typed way in. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body === undefined ? "GET" : "POST");
  const init = jsonInit(method, opts.body, opts.headers, opts.signal);
  // An access token can die early (its session was revoked, keys rotated): sendAuthorized refreshes once.
  return readJson<T>(opts.anonymous ? await send(path, init) : await sendAuthorized(tokens, path, init));
}

export interface Media {
  id: string;
  contentType: string;
  kind: "photo" | "video" | "voice" | "document" | "file";
  size: number;
  filename: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
}

const INLINE_TYPES = /^(image\/(jpeg|png|webp|gif|heic|heif)|video\/(mp4|quicktime|webm)|audio\/(ogg|webm|mp4|x-m4a)|application\/pdf)$/;

export interface Upload {
  promise: Promise<Media>;
  abort(): void;
}

/**
 * Uploads a file in one request with XMLHttpRequest, which (unlike fetch) reports upload progress.
 * Types the server does not show inline go up as plain files (`as=file`).
 */
export function upload(file: File, onProgress: (fraction: number) => void, opts: { durationMs?: number } = {}): Upload {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const attempt = (bearer: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const x = new XMLHttpRequest();
      xhr = x;
      const type = file.type || "application/octet-stream";
      const query = new URLSearchParams({ filename: file.name.slice(0, 200) });
      if (!INLINE_TYPES.test(type)) query.set("as", "file");
      // A recording's length as the recorder measured it: MediaRecorder's WebM carries none in its header.
      if (opts.durationMs !== undefined) query.set("durationMs", String(Math.round(opts.durationMs)));
      x.open("POST", `${BASE}/media?${query}`);
      x.setRequestHeader("authorization", `Bearer ${bearer}`);
      x.setRequestHeader("content-type", type);
      x.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      x.onload = () => resolve({ status: x.status, body: x.responseText });
      x.onerror = () => reject(new ApiError(0, "network", "No connection."));
      x.onabort = () => reject(new ApiError(0, "aborted", "Cancelled."));
      x.send(file);
    });
  const promise = (async () => {
    let res = await attempt(await token());
    if (res.status === 401 && !aborted) res = await attempt(await refresh());
    if (res.status !== 201) {
      let p: { code?: string; detail?: string } = {};
      try {
        p = JSON.parse(res.body);
      } catch {
        // not problem+json
      }
      throw new ApiError(res.status, p.code ?? "http_error", p.detail ?? "Upload failed.");
    }
    onProgress(1);
    return (JSON.parse(res.body) as { media: Media }).media;
  })();
  return {
    promise,
    abort() {
      aborted = true;
      (xhr as XMLHttpRequest | null)?.abort();
    },
  };
}

const infoCache = new Map<string, Promise<Media>>();
const infoKnown = new Map<string, Media>();

/** Media metadata (kind, dimensions), cached: rendered before the bytes load so nothing shifts. */
export function mediaInfo(id: string): Promise<Media> {
  let p = infoCache.get(id);
  if (!p) {
    p = request<{ media: Media }>(`/media/${encodeURIComponent(id)}/info`).then((r) => {
      infoKnown.set(id, r.media);
      return r.media;
    });
    p.catch(() => infoCache.delete(id));
    infoCache.set(id, p);
  }
  return p;
}

/** The media info if it has already arrived (so the first render has the right box). */
export const knownMediaInfo = (id: string): Media | undefined => infoKnown.get(id);

/** Seeds the cache with what an upload answered. */
export function rememberMedia(media: Media): void {
  infoKnown.set(media.id, media);
  infoCache.set(media.id, Promise.resolve(media));
}

const blobCache = new Map<string, Promise<string>>();

/**
 * The media's bytes as a blob: URL. Media needs the Authorization header, which <img src> cannot send, so
 * it is fetched here (the CSP allows blob: for images and video).
 */
export function mediaUrl(id: string): Promise<string> {
  let p = blobCache.get(id);
  if (!p) {
    p = (async () => {
      const res = await sendAuthorized(tokens, `/media/${encodeURIComponent(id)}`);
      if (!res.ok) throw await problemOf(res);
      return URL.createObjectURL(await res.blob());
    })();
    p.catch(() => blobCache.delete(id));
    blobCache.set(id, p);
  }
  return p;
}

/** The media's raw bytes (a secret chat's encrypted attachment, decrypted by the caller). */
export async function mediaBytes(id: string): Promise<ArrayBuffer> {
  const res = await sendAuthorized(tokens, `/media/${encodeURIComponent(id)}`);
  if (!res.ok) throw await problemOf(res);
  return res.arrayBuffer();
}

/**
 * The citizen's data export (POST /me/export): the ZIP as a blob, with the file name the server chose. Not
 * through `request`, which parses JSON.
 */
export async function downloadExport(): Promise<{ blob: Blob; filename: string }> {
  const res = await sendAuthorized(tokens, "/me/export", { method: "POST" });
  if (!res.ok) throw await problemOf(res);
  const filename = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "veche.zip";
  return { blob: await res.blob(), filename };
}

/** Random ids for clientId and Idempotency-Key. */
export const randomId = (): string => crypto.randomUUID();
