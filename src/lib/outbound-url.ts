// Which URLs the server may send requests to on someone else's behalf (agency webhooks now, Web Push
// endpoints later). Such a URL is chosen by an outsider, so it must not reach our own network: no loopback,
// private, link-local, CGNAT, unspecified or otherwise non-public address, whether written as an IP
// literal in any notation or as a local name. The WHATWG URL parser already turns every IPv4 spelling
// (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) into dotted decimal and every IPv6 one into its
// compressed hex form, so the checks below read the normalised hostname only.
//
// This is a check of what the URL says. A public name whose DNS answer is private (rebinding) is not
// caught here; on Cloudflare's network a Worker's fetch cannot reach private addresses in any case.

export interface OutboundUrlOptions {
  /** Development also allows `http://127.0.0.1:<any port>` (so written), for local receivers and tests. */
  development: boolean;
}

export type OutboundUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The one address development may use besides public ones, and how it must be written. */
const DEV_LOOPBACK = "127.0.0.1";
const DEV_SPELLING = /^http:\/\/127\.0\.0\.1(?::\d{1,5})?(?:[/?#]|$)/i;

/** Names that are never public: RFC 6761 `localhost`, mDNS `.local`, and the private-use suffixes. */
const LOCAL_SUFFIXES = ["localhost", "local", "internal", "intranet", "lan", "home.arpa", "localdomain", "corp"];

/** IPv4 ranges that are not publicly routable (RFC 6890 and friends), as [base address, prefix length]. */
const BLOCKED_V4: [number, number][] = [
  [ipv4ToInt(0, 0, 0, 0), 8], // "this network", unspecified
  [ipv4ToInt(10, 0, 0, 0), 8], // private
  [ipv4ToInt(100, 64, 0, 0), 10], // CGNAT
  [ipv4ToInt(127, 0, 0, 0), 8], // loopback
  [ipv4ToInt(169, 254, 0, 0), 16], // link-local (cloud metadata lives here)
  [ipv4ToInt(172, 16, 0, 0), 12], // private
  [ipv4ToInt(192, 0, 0, 0), 24], // IETF protocol assignments
  [ipv4ToInt(192, 0, 2, 0), 24], // documentation
  [ipv4ToInt(192, 88, 99, 0), 24], // 6to4 relay anycast
  [ipv4ToInt(192, 168, 0, 0), 16], // private
  [ipv4ToInt(198, 18, 0, 0), 15], // benchmarking
  [ipv4ToInt(198, 51, 100, 0), 24], // documentation
  [ipv4ToInt(203, 0, 113, 0), 24], // documentation
  [ipv4ToInt(224, 0, 0, 0), 4], // multicast
  [ipv4ToInt(240, 0, 0, 0), 4], // reserved, and broadcast
];

function ipv4ToInt(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function v4Blocked(address: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => address >>> (32 - bits) === base >>> (32 - bits));
}

function parseV4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  const [a, b, c, d] = octets as [number, number, number, number];
  return ipv4ToInt(a, b, c, d);
}

/** The eight 16-bit groups of an IPv6 address as the URL parser serialises it (hex, `::` compression). */
function parseV6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  // Be liberal: a trailing dotted IPv4 (the parser never emits one, but a caller might pass raw text).
  const last = (tail.length > 0 ? tail : head).at(-1);
  const v4 = last !== undefined ? parseV4(last) : null;
  if (v4 !== null) {
    (tail.length > 0 ? tail : head).splice(-1, 1, (v4 >>> 16).toString(16), (v4 & 0xffff).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => Number.parseInt(g, 16));
}

/**
 * Only global unicast (2000::/3) may be used, which leaves out loopback `::1`, unspecified `::`, unique local
 * fc00::/7, link-local fe80::/10, multicast, IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96` and the rest of
 * the reserved space; inside it, Teredo (2001::/32) and documentation (2001:db8::/32) addresses are refused and
 * a 6to4 address (2002::/16) is judged by the IPv4 address it carries.
 */
function v6Blocked(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0] = groups;
  if ((g0 & 0xe000) !== 0x2000) return true;
  if (g0 === 0x2001 && (g1 === 0 || g1 === 0xdb8)) return true;
  if (g0 === 0x2002) return v4Blocked(((g1 << 16) | g2) >>> 0);
  return false;
}

function localName(host: string): boolean {
  const name = host.replace(/\.+$/, "").toLowerCase();
  // A single label ("metadata", "router") is resolved through the resolver's search list: a local name.
  if (!name.includes(".")) return true;
  return LOCAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/**
 * Whether the server may send to this URL: `https` (in development `http` too), no credentials, and a host
 * that is a public name or a public IP address; in development also `http://127.0.0.1:<any port>`.
 */
export function checkOutboundUrl(raw: string, options: OutboundUrlOptions): OutboundUrlCheck {
  if (!URL.canParse(raw)) return { ok: false, reason: "not a URL" };
  const url = new URL(raw);
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "only https URLs" };
  if (url.username || url.password) return { ok: false, reason: "no credentials in the URL" };
  const host = url.hostname;
  // Only as written, `http://127.0.0.1[:port]`: other spellings of loopback stay refused even here.
  if (options.development && url.protocol === "http:" && host === DEV_LOOPBACK && DEV_SPELLING.test(raw)) return { ok: true, url };
  if (url.protocol !== "https:" && !options.development) return { ok: false, reason: "only https URLs" };
  if (host.startsWith("[")) {
    const groups = parseV6(host.slice(1, -1));
    if (!groups || v6Blocked(groups)) return { ok: false, reason: "not a public address" };
    return { ok: true, url };
  }
  const v4 = parseV4(host);
  if (v4 !== null) return v4Blocked(v4) ? { ok: false, reason: "not a public address" } : { ok: true, url };
  // The parser leaves a host that is all digits and dots but not a valid IPv4 address as an error; any
  // other host is a name.
  if (/^[\d.]+$/.test(host)) return { ok: false, reason: "not a public address" };
  if (localName(host)) return { ok: false, reason: "not a public name" };
  return { ok: true, url };
}
