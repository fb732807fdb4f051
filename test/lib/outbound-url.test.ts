import { describe, expect, it } from "vitest";
import { checkOutboundUrl } from "../../src/lib/outbound-url";

const prod = { development: false };
const dev = { development: true };
const allowed = (url: string, options = prod) => checkOutboundUrl(url, options).ok;

// Only validation is exercised here: nothing is sent anywhere.
describe("checkOutboundUrl", () => {
  it.each([
    // Loopback, in every IPv4 notation the URL parser normalises.
    "https://127.0.0.1/hook",
    "https://127.0.0.2/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://0x7f.0.0.1/hook",
    "https://0177.0.0.1/hook",
    "https://017700000001/hook",
    "https://127.1/hook",
    "https://127.0.1/hook",
    "https://127.0.0.1./hook",
    "https://%31%32%37.0.0.1/hook",
    "https://１２７．０．０．１/hook",
    // Unspecified, private, link-local, CGNAT and other non-public IPv4.
    "https://0.0.0.0/hook",
    "https://0/hook",
    "https://10.0.0.1/hook",
    "https://10.255.255.255/hook",
    "https://172.16.0.1/hook",
    "https://172.31.255.255/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://0xa9fea9fe/hook",
    "https://100.64.0.1/hook",
    "https://100.127.255.255/hook",
    "https://192.0.2.1/hook",
    "https://198.18.0.1/hook",
    "https://224.0.0.1/hook",
    "https://255.255.255.255/hook",
    // IPv6: loopback, unspecified, unique local, link-local, IPv4-mapped and friends.
    "https://[::1]/hook",
    "https://[0:0:0:0:0:0:0:1]/hook",
    "https://[::]/hook",
    "https://[fc00::1]/hook",
    "https://[fd12:3456:789a::1]/hook",
    "https://[fe80::1]/hook",
    "https://[febf::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:7f00:1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://[::127.0.0.1]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[2002:7f00:1::]/hook",
    "https://[2002:a9fe:a9fe::1]/hook",
    "https://[2001:db8::1]/hook",
    "https://[ff02::1]/hook",
    // Local names.
    "https://localhost/hook",
    "https://LOCALHOST/hook",
    "https://localhost./hook",
    "https://api.localhost/hook",
    "https://ⓛocalhost/hook",
    "https://printer.local/hook",
    "https://db.internal/hook",
    "https://router.home.arpa/hook",
    "https://metadata/hook",
    // Not https in production; not http(s) at all; credentials.
    "http://agency.example/hook",
    "ftp://agency.example/hook",
    "https://user:pass@agency.example/hook",
    "not a url",
  ])("refuses %s", (url) => {
    expect(allowed(url)).toBe(false);
  });

  it.each([
    "https://agency.example/hook",
    "https://hooks.gov.example:8443/veche?x=1",
    "https://8.8.8.8/hook",
    "https://1.1.1.1/hook",
    "https://172.32.0.1/hook",
    "https://100.128.0.1/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://[2002:808:808::1]/hook",
    "https://xn--80ak6aa92e.xn--p1ai/hook",
  ])("allows the public %s", (url) => {
    expect(allowed(url)).toBe(true);
  });

  it("allows http://127.0.0.1 on any port in development only, and no other loopback there", () => {
    for (const url of [
      "http://127.0.0.1:8787/api/v1/dev/webhook-sink",
      "http://127.0.0.1:1/x",
      "http://127.0.0.1/x",
      "http://127.0.0.1:65535",
    ]) {
      expect(allowed(url, dev), url).toBe(true);
      expect(allowed(url, prod), url).toBe(false);
    }
    for (const url of [
      // Only so written: https to it, or other spellings of the same loopback, are refused there too.
      "https://127.0.0.1:9/x",
      "http://2130706433:8787/x",
      "http://127.1:8787/x",
      "http://0x7f000001/x",
      "http://[::ffff:127.0.0.1]:8787/x",
      "http://localhost:8787/x",
      "http://127.0.0.2:8787/x",
      "http://[::1]:8787/x",
      "http://10.0.0.1/x",
      "http://169.254.169.254/",
    ]) {
      expect(allowed(url, dev), url).toBe(false);
    }
    expect(allowed("http://agency.example/hook", dev)).toBe(true);
  });

  it("answers the normalised URL that was checked", () => {
    const check = checkOutboundUrl("https://AGENCY.example:443/a/../hook", prod);
    expect(check.ok && check.url.href).toBe("https://agency.example/hook");
  });
});
