import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { issueCredential, present, SdJwtError, verifyPresentation } from "../../../src/records/sdjwt";
import {
  b64url,
  b64urlJson,
  disclosureNamed,
  fromB64url,
  ISSUER,
  issueLicence,
  jwksOf,
  LICENCE_CLAIMS,
  newKey,
  partsOf,
  trusting,
  userClaims,
  VCT,
} from "./fixtures";

// Issuing, presenting and verifying a record, and every way a tampered one is refused.

const agency = await newKey("traffic-2026");
const jwks = trusting(ISSUER, agency);

async function rejectsWith(presentation: string, code: string) {
  const result = await verifyPresentation(presentation, { jwks });
  expect(result).toEqual({ valid: false, error: code });
}

describe("issueCredential", () => {
  it("issues an SD-JWT VC: dc+sd-jwt header, clear iss/iat/exp/vct, sorted _sd with decoys, trailing tilde", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    const credential = await issueLicence(agency, { expiresAt, status: { uri: "https://veche.test/status/1", idx: 7 } });
    expect(credential.endsWith("~")).toBe(true);
    const { jwt, disclosures, kb } = partsOf(credential);
    expect(kb).toBe("");
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "ES256", typ: "dc+sd-jwt", kid: "traffic-2026" });

    const payload = decodeJwt(jwt);
    expect(payload.iss).toBe(ISSUER);
    expect(payload.vct).toBe(VCT);
    expect(payload._sd_alg).toBe("sha-256");
    expect(payload.exp).toBe(Math.floor(expiresAt.getTime() / 1000));
    expect(typeof payload.iat).toBe("number");
    expect(payload.status).toEqual({ status_list: { idx: 7, uri: "https://veche.test/status/1" } });
    expect(payload.cnf).toBeUndefined();
    // No claim value is readable from the signed part.
    for (const name of Object.keys(LICENCE_CLAIMS)) expect(payload[name]).toBeUndefined();
    expect(JSON.stringify(payload)).not.toContain("Петрова");

    const sd = payload._sd as string[];
    expect(disclosures).toHaveLength(Object.keys(LICENCE_CLAIMS).length);
    expect(sd.length).toBeGreaterThanOrEqual(disclosures.length + 2);
    expect([...sd].sort()).toEqual(sd);
    for (const d of disclosures) {
      const parsed = JSON.parse(fromB64url(d)) as unknown[];
      expect(parsed).toHaveLength(3);
      // 128-bit salts: 16 bytes are 22 base64url characters.
      expect(parsed[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it("uses a fresh salt per claim and per credential", async () => {
    const a = await issueLicence(agency);
    const b = await issueLicence(agency);
    expect(disclosureNamed(a, "given_name").salt).not.toBe(disclosureNamed(b, "given_name").salt);
    const salts = partsOf(a).disclosures.map((d) => (JSON.parse(fromB64url(d)) as string[])[0]);
    expect(new Set(salts).size).toBe(salts.length);
  });

  it("binds a holder key as cnf.jwk, public coordinates only", async () => {
    const holder = await newKey("holder");
    const credential = await issueLicence(agency, { holderJwk: holder.publicJwk });
    const { kty, crv, x, y } = holder.publicJwk;
    expect(decodeJwt(partsOf(credential).jwt).cnf).toEqual({ jwk: { kty, crv, x, y } });
  });

  it("makes the subject a disclosable claim", async () => {
    const credential = await issueLicence(agency, { subject: "01JCITIZEN0000000000000000" });
    expect(decodeJwt(partsOf(credential).jwt).sub).toBeUndefined();
    const shown = await verifyPresentation(await present(credential, ["sub"]), { jwks });
    expect(userClaims(shown.claims)).toEqual({ sub: "01JCITIZEN0000000000000000" });
  });

  it.each([
    ["a reserved claim name", { vct: "x" }, "reserved_claim"],
    ["the _sd key inside a value", { nested: { _sd: ["x"] } }, "reserved_claim"],
    ["a {'...': x} array element", { list: [{ "...": "x" }] }, "reserved_claim"],
    ["undefined", { gone: undefined }, "invalid_claim_value"],
    ["NaN", { n: Number.NaN }, "invalid_claim_value"],
    ["a Date", { when: new Date() }, "invalid_claim_value"],
    ["a function", { f: () => 1 }, "invalid_claim_value"],
  ])("refuses %s", async (_label, claims, code) => {
    const err = await issueCredential({ issuer: ISSUER, vct: VCT, claims, key: agency }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SdJwtError);
    expect((err as SdJwtError).code).toBe(code);
  });

  it("refuses a private holder key and both subject and claims.sub", async () => {
    const holder = await newKey();
    await expect(issueLicence(agency, { holderJwk: { ...holder.publicJwk, d: "secret" } })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(issueCredential({ issuer: ISSUER, vct: VCT, claims: { sub: "a" }, subject: "b", key: agency })).rejects.toMatchObject({
      code: "reserved_claim",
    });
  });
});

describe("present and verify", () => {
  it("verifies a presentation of a subset and returns exactly the disclosed claims", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    const credential = await issueLicence(agency, { expiresAt });
    const presentation = await present(credential, ["family_name", "categories", "address"]);
    expect(partsOf(presentation).disclosures).toHaveLength(3);
    expect(presentation.endsWith("~")).toBe(true);

    const result = await verifyPresentation(presentation, { jwks });
    expect(result.valid).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.issuer).toBe(ISSUER);
    expect(result.vct).toBe(VCT);
    expect(result.revoked).toBe(false);
    expect(userClaims(result.claims)).toEqual({
      family_name: LICENCE_CLAIMS.family_name,
      categories: LICENCE_CLAIMS.categories,
      address: LICENCE_CLAIMS.address,
    });
    expect(result.claims).toMatchObject({ iss: ISSUER, vct: VCT, exp: Math.floor(expiresAt.getTime() / 1000) });
    expect(typeof result.claims?.iat).toBe("number");
    // The SD-JWT machinery is not part of the answer.
    expect(Object.keys(result.claims ?? {})).not.toEqual(expect.arrayContaining(["_sd"]));
    expect(result.claims).not.toHaveProperty("_sd_alg");
  });

  it("verifies the full issuance form as a presentation of everything", async () => {
    const result = await verifyPresentation(await issueLicence(agency), { jwks });
    expect(result.valid).toBe(true);
    expect(userClaims(result.claims)).toEqual(LICENCE_CLAIMS);
  });

  it("presenting nothing discloses no record claims", async () => {
    const presentation = await present(await issueLicence(agency), []);
    expect(partsOf(presentation).disclosures).toEqual([]);
    const result = await verifyPresentation(presentation, { jwks });
    expect(result.valid).toBe(true);
    expect(userClaims(result.claims)).toEqual({});
    expect(Object.keys(result.claims ?? {}).sort()).toEqual(["iat", "iss", "vct"]);
  });

  it("refuses to present an unknown claim, naming it", async () => {
    const credential = await issueLicence(agency);
    const err = await present(credential, ["given_name", "salary"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SdJwtError);
    expect((err as SdJwtError).code).toBe("unknown_claim");
    expect((err as SdJwtError).message).toContain("salary");
    // Clear claims are not disclosable: they are always shown.
    await expect(present(credential, ["iss"])).rejects.toMatchObject({ code: "unknown_claim" });
  });

  it("refuses to present something that is not an issued credential", async () => {
    await expect(present("not an sd-jwt", [])).rejects.toMatchObject({ code: "malformed" });
    await expect(present("a.b.c~", [])).rejects.toMatchObject({ code: "malformed" });
  });

  it("presenting the same claim twice discloses it once", async () => {
    const presentation = await present(await issueLicence(agency), ["points", "points"]);
    expect(partsOf(presentation).disclosures).toHaveLength(1);
    expect((await verifyPresentation(presentation, { jwks })).valid).toBe(true);
  });
});

describe("tampering", () => {
  it("a changed byte in the signed payload breaks the signature", async () => {
    const { jwt, disclosures } = partsOf(await present(await issueLicence(agency), ["given_name"]));
    const [header, payload, signature] = jwt.split(".");
    const json = fromB64url(payload ?? "");
    const flipped = json.replace(VCT, `${VCT.slice(0, -1)}${VCT.endsWith("e") ? "E" : "e"}`);
    expect(flipped).not.toBe(json);
    const forged = [header, b64url(new TextEncoder().encode(flipped)), signature].join(".");
    await rejectsWith(`${[forged, ...disclosures].join("~")}~`, "bad_signature");
  });

  it("a changed signature byte breaks the signature", async () => {
    const presentation = await present(await issueLicence(agency), ["given_name"]);
    const { jwt } = partsOf(presentation);
    const at = jwt.length - 10;
    const swapped = jwt.slice(0, at) + (jwt[at] === "A" ? "B" : "A") + jwt.slice(at + 1);
    await rejectsWith(presentation.replace(jwt, swapped), "bad_signature");
  });

  it("an altered disclosure value has a digest the issuer never signed", async () => {
    const credential = await issueLicence(agency);
    const { salt } = disclosureNamed(credential, "points");
    const altered = b64urlJson([salt, "points", 0 - 12]);
    const presentation = await present(credential, ["given_name"]);
    await rejectsWith(`${presentation}${altered}~`, "digest_mismatch");
    // Replacing the genuine disclosure rather than adding one is caught the same way.
    const genuine = await present(credential, ["points"]);
    await rejectsWith(genuine.replace(disclosureNamed(credential, "points").encoded, altered), "digest_mismatch");
  });

  it("a forged disclosure is refused", async () => {
    const presentation = await present(await issueLicence(agency), ["given_name"]);
    const forged = b64urlJson(["c2FsdHNhbHRzYWx0c2FsdA", "is_admin", true]);
    await rejectsWith(`${presentation}${forged}~`, "digest_mismatch");
  });

  it("a disclosure from another credential is refused", async () => {
    const other = await issueLicence(agency);
    const presentation = await present(await issueLicence(agency), ["given_name"]);
    await rejectsWith(`${presentation}${disclosureNamed(other, "birthdate").encoded}~`, "digest_mismatch");
  });

  it("a duplicated disclosure is refused", async () => {
    const presentation = await present(await issueLicence(agency), ["given_name"]);
    const [disclosure = ""] = partsOf(presentation).disclosures;
    await rejectsWith(`${presentation}${disclosure}~`, "duplicate_disclosure");
  });

  it.each([
    ["an empty string", ""],
    ["no tilde", "abc.def.ghi"],
    ["garbage", "~~~~"],
    ["a JWT that does not decode", "a.b.c~"],
    ["an empty disclosure between tildes", "eyJhbGciOiJFUzI1NiJ9.e30.sig~~x~"],
  ])("%s is malformed", async (_label, input) => {
    await rejectsWith(input, "malformed");
  });

  it("a disclosure that is not a disclosure is malformed", async () => {
    const presentation = await present(await issueLicence(agency), []);
    await rejectsWith(`${presentation}!!!~`, "malformed");
    await rejectsWith(`${presentation}${b64urlJson({ not: "an array" })}~`, "malformed");
    await rejectsWith(`${presentation}${b64url(new Uint8Array([0xff, 0xfe, 0xfd]))}~`, "malformed");
  });

  it("input that is far too large is refused before any work", async () => {
    await rejectsWith(`${"a".repeat(300_000)}~`, "too_large");
  });

  it("never throws, whatever it is given", async () => {
    for (const input of [null, undefined, 42, {}, ["x~"]]) {
      // Callers in JavaScript can pass anything; the answer is still a result.
      const result = await verifyPresentation(input as unknown as string, { jwks });
      expect(result).toEqual({ valid: false, error: "malformed" });
    }
  });
});

describe("issuers and keys", () => {
  it("a credential signed with another key (same kid) is refused with bad_signature", async () => {
    const impostor = await newKey("traffic-2026");
    await rejectsWith(await issueLicence(impostor), "bad_signature");
  });

  it("a kid the issuer never published is refused with bad_signature", async () => {
    await rejectsWith(await issueLicence(await newKey("made-up")), "bad_signature");
  });

  it("an issuer the verifier does not know is refused with unknown_issuer", async () => {
    const credential = await issueCredential({ issuer: "https://elsewhere.example", vct: VCT, claims: { a: 1 }, key: agency });
    await rejectsWith(credential, "unknown_issuer");
  });

  it("an issuer whose published key set is unusable is unknown_issuer", async () => {
    const result = await verifyPresentation(await issueLicence(agency), { jwks: () => ({ keys: "nope" }) as unknown as { keys: [] } });
    expect(result).toEqual({ valid: false, error: "unknown_issuer" });
  });

  it("accepts any key of a rotated key set, and looks the issuer up by iss", async () => {
    const next = await newKey("traffic-2027");
    const seen: string[] = [];
    const result = await verifyPresentation(await issueLicence(next), {
      jwks: async (iss) => {
        seen.push(iss);
        return jwksOf(next, agency);
      },
    });
    expect(result.valid).toBe(true);
    expect(seen).toEqual([ISSUER]);
  });

  it("pins ES256: a JWT with another alg is refused", async () => {
    const { jwt, disclosures } = partsOf(await issueLicence(agency));
    const [, payload, signature] = jwt.split(".");
    const hs256 = [b64urlJson({ alg: "HS256", typ: "dc+sd-jwt", kid: "traffic-2026" }), payload, signature].join(".");
    await rejectsWith(`${[hs256, ...disclosures].join("~")}~`, "unsupported_algorithm");
    const none = [b64urlJson({ alg: "none", typ: "dc+sd-jwt" }), payload, ""].join(".");
    await rejectsWith(`${none}~`, "unsupported_algorithm");
  });

  it("requires typ dc+sd-jwt", async () => {
    const { jwt } = partsOf(await issueLicence(agency));
    const [, payload, signature] = jwt.split(".");
    const other = [b64urlJson({ alg: "ES256", typ: "JWT", kid: "traffic-2026" }), payload, signature].join(".");
    await rejectsWith(`${other}~`, "wrong_type");
  });

  it("errors from the caller's own key store propagate instead of looking like forgery", async () => {
    const outage = new Error("D1 is down");
    await expect(
      verifyPresentation(await issueLicence(agency), {
        jwks: () => {
          throw outage;
        },
      }),
    ).rejects.toBe(outage);
  });
});

describe("validity period and revocation", () => {
  it("an expired credential is refused with expired", async () => {
    const credential = await issueLicence(agency, { expiresAt: new Date(Date.now() + 60_000) });
    expect((await verifyPresentation(credential, { jwks })).valid).toBe(true);
    const later = new Date(Date.now() + 2 * 60_000);
    expect(await verifyPresentation(credential, { jwks, now: later })).toEqual({ valid: false, error: "expired" });
  });

  it("forgives a little clock skew around exp", async () => {
    const credential = await issueLicence(agency, { expiresAt: new Date(Date.now() + 60_000) });
    expect((await verifyPresentation(credential, { jwks, now: new Date(Date.now() + 70_000) })).valid).toBe(true);
  });

  it("reports revocation from the status callback, with the credential's own status reference", async () => {
    const status = { uri: "https://veche.test/api/v1/status-lists/1", idx: 42 };
    const credential = await issueLicence(agency, { status });
    const asked: { uri: string; idx: number }[] = [];
    const check = (revoked: boolean) => async (s: { uri: string; idx: number }) => {
      asked.push(s);
      return revoked;
    };
    const live = await verifyPresentation(await present(credential, ["given_name"]), { jwks, isRevoked: check(false) });
    expect(live).toMatchObject({ valid: true, revoked: false });
    const revoked = await verifyPresentation(await present(credential, ["given_name"]), { jwks, isRevoked: check(true) });
    expect(revoked).toMatchObject({ valid: true, revoked: true, claims: { given_name: LICENCE_CLAIMS.given_name } });
    expect(asked).toEqual([status, status]);
  });

  it("does not ask about revocation for a presentation that is invalid anyway", async () => {
    let asked = false;
    const credential = await issueLicence(await newKey("traffic-2026"), { status: { uri: "u", idx: 1 } });
    const result = await verifyPresentation(credential, {
      jwks,
      isRevoked: async () => {
        asked = true;
        return true;
      },
    });
    expect(result).toEqual({ valid: false, error: "bad_signature" });
    expect(asked).toBe(false);
  });

  it("leaves revoked unset when a credential has a status but the verifier cannot check it", async () => {
    const credential = await issueLicence(agency, { status: { uri: "u", idx: 1 } });
    const result = await verifyPresentation(credential, { jwks });
    expect(result.valid).toBe(true);
    expect(result).not.toHaveProperty("revoked");
  });
});
