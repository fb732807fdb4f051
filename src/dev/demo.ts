// The demo data `npm start` seeds through the public API (scripts/seed.mjs). While it is being created the
// server is up but not ready: /health answers 503 until it is in, so nothing that waits for /health signs in to
// a half-made demo. Only `npm start` expects a demo (it passes DEMO_DATA); tests and the benchmark do not.

declare global {
  interface Env {
    /** "expected" when the local server was started to hold the demo data (scripts/start.mjs). */
    DEMO_DATA?: string;
  }
}

// Once in, the demo stays in: later /health calls need no D1 read.
let seeded = false;

/** True while this development server expects the demo data and it is not in yet. */
export async function demoPending(env: Env): Promise<boolean> {
  if (seeded || env.ENVIRONMENT !== "development" || env.DEMO_DATA !== "expected") return false;
  // The seed's last step is the tax service's consent request (scripts/seed.mjs keeps it last); nothing else
  // in a fresh development state makes one, so one existing means every step before it is done.
  const row = await env.DB.prepare("SELECT EXISTS (SELECT 1 FROM consents) AS done").first<{ done: number }>();
  seeded = row?.done === 1;
  return !seeded;
}
