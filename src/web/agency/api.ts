// The console's tokens on the shared transport (lib/http.ts): agency tokens from client credentials, kept in
// sessionStorage (one tab, gone when it closes). The secret itself is never stored; it stays in memory for this
// page only, so an expiring token is renewed without asking again until the page is reloaded.

import { typedClient } from "../lib/api-call";
import { ApiError, jsonInit, problemOf, readJson, send, sendAuthorized, type TokenSource } from "../lib/http";

export { ApiError, type FieldError } from "../lib/http";

const SESSION_KEY = "veche.agency.session";
/** Renew this long before the token expires, so a request never leaves with a token about to lapse. */
const RENEW_MARGIN_MS = 30_000;

export interface Session {
  token: string;
  expiresAt: number;
  agencyId: string;
  scopes: string[];
}

let credentials: { clientId: string; clientSecret: string } | null = null;
let renewing: Promise<Session> | null = null;
/**
 * Counts sign-ins and sign-outs. An answer that arrives after the session it belongs to has ended (a renewal
 * or a refusal still under way when the operator signed out) must neither bring that session back nor end the
 * next one; comparing the count from when it left with the current one tells.
 */
let epoch = 0;
const listeners = new Set<(reason: "expired" | "signed_out") => void>();

/** Called when the session ends on its own (expired, revoked) or by signing out. */
export function onSignedOut(listener: (reason: "expired" | "signed_out") => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function base64UrlJson(part: string): unknown {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (ch) => ch.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Reads the token's own claims for display (scopes, agency id); the server is what checks them. */
function sessionFromToken(token: string, expiresIn: number): Session {
  let agencyId = "";
  let scopes: string[] = [];
  try {
    const claims = base64UrlJson(token.split(".")[1] ?? "") as { sub?: unknown; scope?: unknown };
    if (typeof claims.sub === "string") agencyId = claims.sub;
    if (typeof claims.scope === "string") scopes = claims.scope.split(" ").filter(Boolean);
  } catch {
    // An unreadable payload only costs the scope hints; requests still carry the token.
  }
  return { token, expiresAt: Date.now() + expiresIn * 1000, agencyId, scopes };
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.token === "string" &&
    typeof s.expiresAt === "number" &&
    typeof s.agencyId === "string" &&
    Array.isArray(s.scopes) &&
    s.scopes.every((x) => typeof x === "string")
  );
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

let lapsed = false;

/** Whether a stored session was found expired (so sign-in can say why it is asked for again). */
export const sessionLapsed = () => lapsed;

/** The stored session, if it has not expired yet. */
export function currentSession(): Session | null {
  const raw = storage()?.getItem(SESSION_KEY);
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isSession(parsed) && parsed.expiresAt > Date.now()) return parsed;
  } catch {
    // fall through: a damaged entry is dropped
  }
  storage()?.removeItem(SESSION_KEY);
  lapsed = true;
  return null;
}

async function fetchToken(clientId: string, clientSecret: string): Promise<Session> {
  const res = await send("/agency/token", jsonInit("POST", { clientId, clientSecret }));
  const body = await readJson<{ accessToken: string; expiresIn: number }>(res);
  return sessionFromToken(body.accessToken, body.expiresIn);
}

function keep(session: Session): void {
  storage()?.setItem(SESSION_KEY, JSON.stringify(session));
}

export async function signIn(clientId: string, clientSecret: string): Promise<Session> {
  const session = await fetchToken(clientId, clientSecret);
  epoch += 1;
  renewing = null;
  keep(session);
  credentials = { clientId, clientSecret };
  lapsed = false;
  return session;
}

export function signOut(reason: "expired" | "signed_out" = "signed_out"): void {
  epoch += 1;
  credentials = null;
  renewing = null;
  storage()?.removeItem(SESSION_KEY);
  for (const listener of listeners) listener(reason);
}

/** One renewal at a time: parallel requests that find the token stale share it. */
function renew(): Promise<Session> | null {
  const creds = credentials;
  if (!creds) return null;
  if (!renewing) {
    const started = epoch;
    const pending: Promise<Session> = fetchToken(creds.clientId, creds.clientSecret)
      .then((session) => {
        // Signed out (or in again) while the token was renewed: keeping it would sign the tab back in.
        if (epoch !== started) throw new ApiError(401, "token_expired", "The session has ended.");
        keep(session);
        return session;
      })
      .finally(() => {
        if (renewing === pending) renewing = null;
      });
    renewing = pending;
  }
  return renewing;
}

async function usableSession(): Promise<Session> {
  const session = currentSession();
  if (session && session.expiresAt - RENEW_MARGIN_MS > Date.now()) return session;
  const renewed = renew();
  if (renewed) return renewed;
  if (session) return session;
  signOut("expired");
  throw new ApiError(401, "token_expired", "The session has ended.");
}

/** The console's tokens: the stored session's, renewed with the client credentials while the page has them. */
const tokens: TokenSource = { current: async () => (await usableSession()).token, renew: () => renew()?.then((s) => s.token) ?? null };

async function authorized(path: string, init: RequestInit): Promise<Response> {
  const started = epoch;
  const res = await sendAuthorized(tokens, path, init);
  if (res.status === 401) {
    const problem = await problemOf(res);
    // A refusal ends the session it was sent with, not one the operator has signed out of or into since.
    if (epoch === started) signOut("expired");
    throw problem;
  }
  return res;
}

export interface Answer<T> {
  status: number;
  data: T;
}

/** One JSON call with its status (where 200 and 201 mean different things); `api` is the typed way in. */
export async function authorizedJson<T>(
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<Answer<T>> {
  const res = await authorized(path, jsonInit(method, body, headers));
  return { status: res.status, data: await readJson<T>(res) };
}

/** Calls typed by the server's route schemas (lib/api-call.ts): `api.get("/agency/bills", { query: { status } })`. */
export const api = typedClient(
  async (method, path, body, headers) =>
    (await authorizedJson(method.toUpperCase(), path, body ?? (method === "post" ? {} : undefined), headers)).data,
);

/** Fetches bytes with the agency token (a plain link cannot send it) and hands them to the browser as a file. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await authorized(path, { method: "GET" });
  if (!res.ok) throw await problemOf(res);
  const url = URL.createObjectURL(await res.blob());
  try {
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.rel = "noopener";
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // Revoking at once can cancel the download in some browsers; a minute is plenty to start it.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
