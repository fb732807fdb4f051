// Browser-test harness: the real Veche server (workerd through Miniflare, as `npm start` runs it) on a free
// port with a fresh state directory, Debian's chromium driven by playwright-core, and small API helpers to
// seed what a test needs through the public API (the same paths real clients and agencies use).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { serve } from "../../scripts/serve.mjs";

export interface Server {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  /** The temporary state directory (D1, Durable Objects, R2), removed by close(). */
  state: string;
  close(): Promise<void>;
}

/**
 * Starts the whole app (API, sockets, static web client) with empty state; migrations are applied.
 * `observeLimits`: per-user limits refuse nothing (docs/api.md, "Limits"), for a test that seeds faster than a person sends.
 */
export async function startServer(opts: { observeLimits?: boolean } = {}): Promise<Server> {
  const state = mkdtempSync(join(tmpdir(), "veche-e2e-"));
  // Port 0: the OS picks a free one, so test files never collide with each other or with `npm start`.
  const { mf, url } = await serve({ port: 0, state, observeLimits: opts.observeLimits ?? false });
  const origin = url.origin;
  await waitForHealth(origin);
  return {
    origin,
    state,
    async close() {
      await mf.dispose();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

async function waitForHealth(origin: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${origin}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${origin}/health did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Chromium flags for a hermetic, offline, headless run (no sandbox: CI runs as root in a container). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's chromium (installed by .ci/run), or $CHROMIUM_PATH. Never a downloaded browser. `extraArgs`: e.g. a fake camera. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A failed API call, with the problem+json body the server answered. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown, what: string) {
    super(`${what} answered ${status}: ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  method?: string;
  headers?: Record<string, string>;
}

/** One JSON API call; throws ApiFailure on a non-2xx answer. */
export async function api<T = Record<string, unknown>>(origin: string, path: string, opts: ApiOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body === undefined ? "GET" : "POST");
  const res = await fetch(origin + path, {
    method,
    headers: {
      ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiFailure(res.status, body, `${method} ${path}`);
  return body as T;
}

let phoneCounter = 0;
/** A phone number no other test in this process uses (+7 999 …). */
export function uniquePhone(): string {
  phoneCounter += 1;
  const n = (Date.now() % 1_000_000) * 100 + (phoneCounter % 100);
  return `+7999${String(n).padStart(7, "0").slice(-7)}`;
}

export interface Citizen {
  id: string;
  phone: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs a citizen in without a code (dev-only POST /dev/sessions), optionally naming them. */
export async function citizen(
  origin: string,
  phone = uniquePhone(),
  profile?: { displayName?: string; username?: string },
): Promise<Citizen> {
  const s = await api<{ accessToken: string; refreshToken: string; user: { id: string } }>(origin, "/api/v1/dev/sessions", {
    body: { phone, deviceName: "e2e seed" },
  });
  if (profile) await api(origin, "/api/v1/me", { method: "PATCH", token: s.accessToken, body: profile });
  return { id: s.user.id, phone, accessToken: s.accessToken, refreshToken: s.refreshToken };
}

/** The last sign-in code sent to a phone (dev-only). */
export async function devCode(origin: string, phone: string): Promise<string> {
  return (await api<{ code: string }>(origin, `/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`)).code;
}

export interface Agency {
  agency: { id: string; name: string; verified: boolean };
  clientId: string;
  clientSecret: string;
  /** An agency access token (client credentials). */
  token: string;
}

/** Registers a verified agency (dev-only) and fetches an agency token for it. */
export async function agency(origin: string, name = "Тестовое ведомство"): Promise<Agency> {
  const created = await api<Omit<Agency, "token">>(origin, "/api/v1/dev/agencies", { body: { name } });
  const { accessToken } = await api<{ accessToken: string }>(origin, "/api/v1/agency/token", {
    body: { clientId: created.clientId, clientSecret: created.clientSecret },
  });
  return { ...created, token: accessToken };
}

/** Polls `probe` until it returns something truthy (for server-side effects a test waits on). */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
