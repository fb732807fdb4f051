// The transport both web apps stand on: calls under /api/v1, RFC 9457 problems as ApiError, a network
// failure as one too, and a bearer token renewed once when the server refuses it. Each app brings only its
// own way of getting tokens: the citizen app rotates refresh tokens (lib/api.ts), the agency console signs
// in with client credentials (agency/api.ts).

export const BASE = "/api/v1";

export interface FieldError {
  path: string;
  message: string;
}

/** An error the API answered (problem+json), or a network failure (status 0, code "network"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldError[];
  constructor(status: number, code: string, detail: string, errors: FieldError[] = []) {
    super(`${status} ${code}: ${detail}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }
}

/** True when the request may succeed if simply tried again later (offline, 5xx, 429). */
export const isTransient = (err: unknown): boolean =>
  err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

/** The problem a failed answer carries; one that is not problem+json is described by its status alone. */
export async function problemOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  if (typeof body === "object" && body !== null) {
    const p = body as Record<string, unknown>;
    const errors = Array.isArray(p.errors)
      ? p.errors.flatMap((e: unknown) => {
          if (typeof e !== "object" || e === null) return [];
          const { path, message } = e as Record<string, unknown>;
          return typeof path === "string" && typeof message === "string" ? [{ path, message }] : [];
        })
      : [];
    if (typeof p.code === "string")
      return new ApiError(res.status, p.code, typeof p.detail === "string" ? p.detail : res.statusText, errors);
  }
  return new ApiError(res.status, res.status >= 500 ? "internal_error" : "http_error", res.statusText || `HTTP ${res.status}`);
}

/** fetch under /api/v1; a request that never got an answer throws ApiError(0, "network") unless it was aborted. */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(BASE + path, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(0, "network", "No connection.");
  }
}

/** How an app gets its bearer tokens. */
export interface TokenSource {
  /** A token to send now (renewed first when it is about to expire). */
  current(): Promise<string>;
  /** A fresh token after the server refused the last one, or null when there is no way to get one. */
  renew(): Promise<string> | null;
}

/** `send` with the app's bearer token; a 401 renews the token once and tries again. Answers the last response. */
export async function sendAuthorized(tokens: TokenSource, path: string, init: RequestInit = {}): Promise<Response> {
  const withToken = (token: string): RequestInit => ({ ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
  const res = await send(path, withToken(await tokens.current()));
  if (res.status !== 401) return res;
  const renewed = tokens.renew();
  return renewed ? send(path, withToken(await renewed)) : res;
}

/** A JSON request's init: the page's language (answers with words for people come in it), the body as JSON. */
export function jsonInit(method: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): RequestInit {
  const all: Record<string, string> = { accept: "application/json", "accept-language": document.documentElement.lang || "ru", ...headers };
  if (body !== undefined) all["content-type"] = "application/json";
  return { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body), signal };
}

/** The answer's JSON, or null for 204 and empty bodies; a failure throws its problem. */
export async function readJson<T>(res: Response): Promise<T> {
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return null as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}
