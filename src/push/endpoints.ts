// Which push endpoints a subscription may name. The server POSTs to them, so without a limit a subscription
// would make Veche an open relay: an endpoint follows the webhook URL rules (src/lib/outbound-url.ts: https,
// no credentials, no private or local address) and, in production, must belong to a browser push service
// below, in every environment. Development also takes `http://127.0.0.1:<port>`, spelled exactly so (the outbound
// URL rules' development exception), for local receivers and the tests' stand-in push service.

import { checkOutboundUrl } from "../lib/outbound-url";

/**
 * The browser push services (docs/api.md, "Push notifications"): a host is one of them when it equals an
 * entry or is a subdomain of an entry that starts with a dot.
 */
export const PUSH_SERVICES = [
  // Chrome, Edge on Android, Opera, Samsung Internet and other Chromium browsers (Firebase Cloud Messaging).
  "fcm.googleapis.com",
  // Legacy Chrome endpoints still handed out by old installs.
  "android.googleapis.com",
  // Firefox (Mozilla autopush).
  "updates.push.services.mozilla.com",
  // Safari on macOS and iOS (web.push.apple.com and regional hosts).
  ".push.apple.com",
  // Edge on Windows (Windows Push Notification Services): <region>.notify.windows.com.
  ".notify.windows.com",
] as const;

export function isPushService(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return PUSH_SERVICES.some((entry) => (entry.startsWith(".") ? name.endsWith(entry) && name.length > entry.length : name === entry));
}

export type EndpointCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Whether a subscription may name this endpoint; checked when it is stored and again before each send. */
export function checkPushEndpoint(raw: string, options: { development: boolean }): EndpointCheck {
  const outbound = checkOutboundUrl(raw, options);
  if (!outbound.ok) return outbound;
  const url = outbound.url;
  // checkOutboundUrl lets development use plain http to any public host too; push takes only the loopback one.
  if (options.development && url.protocol === "http:" && url.hostname === "127.0.0.1") return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "only https URLs" };
  if (!isPushService(url.hostname)) return { ok: false, reason: "not a known browser push service" };
  return { ok: true, url };
}
