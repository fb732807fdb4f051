import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { present, verifyPresentation } from "../../../src/records/sdjwt";
import { b64urlJson, newKey, type TestKey, trusting, userClaims } from "./fixtures";

// Credentials shaped by other issuers' software: nested and array-element disclosures, nbf, and the structures
// the SD-JWT spec says a verifier must refuse. Built by hand, so these test the verifier against the spec rather
// than against our own issuer.

const ISS = "https://other-issuer.example";
const key = await newKey("other-1");
const jwks = trusting(ISS, key);

async function digest(disclosure: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(disclosure)));
  return btoa(String.fromCharCode(...hash))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function sign(payload: Record<string, unknown>, signer: TestKey = key): Promise<string> {
  return new SignJWT({ iss: ISS, vct: "urn:example:pid", _sd_alg: "sha-256", ...payload })
    .setProtectedHeader({ alg: "ES256", typ: "dc+sd-jwt", kid: signer.kid })
    .setIssuedAt()
    .sign(signer.privateKey);
}

const city = b64urlJson(["c2FsdC1jaXR5LTAwMDAwMA", "city", "Нижний Новгород"]);
const second = b64urlJson(["c2FsdC1uYXQtMDAwMDAwMA", "DE"]);
const address = b64urlJson(["c2FsdC1hZGRyZXNzLTAwMDA", "address", { country: "RU", _sd: [await digest(city)] }]);
const nationalities = b64urlJson(["c2FsdC1uYXRzLTAwMDAwMA", "nationalities", ["RU", { "...": await digest(second) }]]);
const name = b64urlJson(["c2FsdC1uYW1lLTAwMDAwMDA", "given_name", "Ольга"]);

const nested = `${await sign({
  _sd: [await digest(address), await digest(nationalities), await digest(name)].sort(),
  plain_claim: "always shown",
})}~${[address, city, nationalities, second, name].join("~")}~`;

describe("credentials from other issuers", () => {
  it("resolves nested and array-element disclosures", async () => {
    const result = await verifyPresentation(nested, { jwks });
    expect(result.valid).toBe(true);
    expect(userClaims(result.claims)).toEqual({
      plain_claim: "always shown",
      address: { country: "RU", city: "Нижний Новгород" },
      nationalities: ["RU", "DE"],
      given_name: "Ольга",
    });
  });

  it("leaves out undisclosed nested claims and array elements", async () => {
    const jwt = nested.split("~")[0];
    const result = await verifyPresentation(`${jwt}~${address}~${nationalities}~`, { jwks });
    expect(result.valid).toBe(true);
    expect(userClaims(result.claims)).toEqual({ plain_claim: "always shown", address: { country: "RU" }, nationalities: ["RU"] });
  });

  it("present() keeps a disclosed claim's nested disclosures with it", async () => {
    const presentation = await present(nested, ["address"]);
    expect(presentation.split("~").slice(1, -1)).toEqual([address, city]);
    const result = await verifyPresentation(presentation, { jwks });
    expect(userClaims(result.claims)).toEqual({ plain_claim: "always shown", address: { country: "RU", city: "Нижний Новгород" } });
  });

  it("refuses a nested disclosure whose parent is not disclosed", async () => {
    const jwt = nested.split("~")[0];
    expect(await verifyPresentation(`${jwt}~${city}~`, { jwks })).toEqual({ valid: false, error: "digest_mismatch" });
  });

  it("refuses a credential that is not valid yet (nbf)", async () => {
    const jwt = await sign({ nbf: Math.floor(Date.now() / 1000) + 3600, _sd: [] });
    expect(await verifyPresentation(`${jwt}~`, { jwks })).toEqual({ valid: false, error: "not_yet_valid" });
    expect((await verifyPresentation(`${jwt}~`, { jwks, now: new Date(Date.now() + 2 * 3600_000) })).valid).toBe(true);
  });

  it("refuses another digest algorithm", async () => {
    const jwt = await sign({ _sd_alg: "sha-1", _sd: [] });
    expect(await verifyPresentation(`${jwt}~`, { jwks })).toEqual({ valid: false, error: "unsupported_algorithm" });
  });

  it("accepts an absent _sd_alg as the default sha-256", async () => {
    const jwt = await new SignJWT({ iss: ISS, vct: "urn:example:pid", _sd: [await digest(name)] })
      .setProtectedHeader({ alg: "ES256", typ: "dc+sd-jwt", kid: key.kid })
      .sign(key.privateKey);
    const result = await verifyPresentation(`${jwt}~${name}~`, { jwks });
    expect(userClaims(result.claims)).toEqual({ given_name: "Ольга" });
  });

  /** A signed payload and the disclosures presented with it. */
  type Case = () => Promise<{ payload: Record<string, unknown>; disclosures: string[] }>;
  const withDisclosure =
    (disclosure: string, extra: Record<string, unknown> = {}): Case =>
    async () => ({ payload: { _sd: [await digest(disclosure)], ...extra }, disclosures: [disclosure] });
  const cases: [string, Case][] = [
    ["a digest listed twice", async () => ({ payload: { _sd: [await digest(name), await digest(name)] }, disclosures: [name] })],
    ["a disclosure named _sd", withDisclosure(b64urlJson(["c2FsdHNhbHQ", "_sd", ["x"]]))],
    ["a disclosure named ...", withDisclosure(b64urlJson(["c2FsdHNhbHQ", "...", "x"]))],
    ["a disclosure clashing with a clear claim", withDisclosure(b64urlJson(["c2FsdHNhbHQ", "plain", 2]), { plain: 1 })],
    ["a disclosure of a reserved claim (exp)", withDisclosure(b64urlJson(["c2FsdHNhbHQ", "exp", 1]))],
    ["an array-element disclosure in _sd", withDisclosure(b64urlJson(["c2FsdHNhbHQ", "x"]))],
    ["an _sd that is not a list of strings", async () => ({ payload: { _sd: "nope" }, disclosures: [] })],
    [
      "a status without a usable status list",
      async () => ({ payload: { _sd: [], status: { status_list: { idx: -1, uri: "u" } } }, disclosures: [] }),
    ],
  ];

  it.each(cases)("refuses %s as malformed", async (_label, build) => {
    const { payload, disclosures } = await build();
    const jwt = await sign(payload);
    expect(await verifyPresentation(`${[jwt, ...disclosures].join("~")}~`, { jwks })).toEqual({ valid: false, error: "malformed" });
  });

  it("refuses an object-property disclosure used as an array element", async () => {
    const jwt = await sign({ _sd: [], list: [{ "...": await digest(name) }] });
    expect(await verifyPresentation(`${jwt}~${name}~`, { jwks })).toEqual({ valid: false, error: "malformed" });
  });

  it("refuses absurdly deep nesting without throwing", async () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const jwt = await sign({ _sd: [], deep });
    expect(await verifyPresentation(`${jwt}~`, { jwks })).toEqual({ valid: false, error: "malformed" });
  });

  it("refuses a credential without vct", async () => {
    const jwt = await new SignJWT({ iss: ISS, _sd: [] })
      .setProtectedHeader({ alg: "ES256", typ: "dc+sd-jwt", kid: key.kid })
      .sign(key.privateKey);
    expect(await verifyPresentation(`${jwt}~`, { jwks })).toEqual({ valid: false, error: "malformed" });
  });
});
