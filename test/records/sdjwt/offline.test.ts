import { createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet, jwtVerify } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { issueCredential, present, verifyPresentation } from "../../../src/records/sdjwt";

// Offline verification, written to be copied as the documented example: a verifier needs nothing but the
// agency's public JWKS (GET /api/v1/agencies/:id/jwks.json, saved once) — no network, no Veche account.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("offline verification", () => {
  it("verifies a presentation with only the agency's saved public JWKS", async () => {
    // --- The agency, once: a signing key whose public half it publishes as a JWKS. ---
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: "civil-registry-2026", alg: "ES256", use: "sig" };
    const publishedJwks = JSON.stringify({ keys: [publicJwk] });
    expect(publishedJwks).not.toContain('"d"');

    // --- The agency issues a record; the citizen presents one claim of it. ---
    const credential = await issueCredential({
      issuer: "https://veche.example/api/v1/agencies/civil-registry",
      vct: "urn:veche:record:birth-certificate",
      claims: { given_name: "Иван", family_name: "Смирнов", birthdate: "2001-09-30", birthplace: "Тверь" },
      key: { kid: "civil-registry-2026", privateKey },
    });
    const presentation = await present(credential, ["birthdate"]);

    // --- The verifier, offline: the saved JWKS is all it has. Any network use would fail this test. ---
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("offline"));
    const savedJwks = JSON.parse(publishedJwks) as JSONWebKeySet;
    const trusted = new Map([["https://veche.example/api/v1/agencies/civil-registry", savedJwks]]);

    const result = await verifyPresentation(presentation, { jwks: (iss) => trusted.get(iss) ?? null });

    expect(result.valid).toBe(true);
    expect(result.issuer).toBe("https://veche.example/api/v1/agencies/civil-registry");
    expect(result.vct).toBe("urn:veche:record:birth-certificate");
    expect(result.claims).toMatchObject({ birthdate: "2001-09-30" });
    expect(result.claims).not.toHaveProperty("given_name");
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("can be verified with jose and WebCrypto alone, without Veche's code", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const savedJwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid: "tax-1", alg: "ES256" }] };
    const credential = await issueCredential({
      issuer: "https://veche.example/api/v1/agencies/tax",
      vct: "urn:veche:record:tax-residency",
      claims: { resident: true, year: 2026, inn: "500100732259" },
      key: { kid: "tax-1", privateKey },
    });
    const presentation = await present(credential, ["resident", "year"]);

    // 1. Split: issuer-signed JWT ~ disclosures ~ (an empty Key Binding JWT here).
    const [jwt = "", ...rest] = presentation.split("~");
    const disclosures = rest.slice(0, -1);

    // 2. Verify the issuer's signature with the saved JWKS; pin the algorithm and the SD-JWT VC type.
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(savedJwks), { algorithms: ["ES256"], typ: "dc+sd-jwt" });
    expect(payload._sd_alg).toBe("sha-256");
    const signedDigests = new Set(payload._sd as string[]);

    // 3. Each disclosure counts only if its SHA-256 digest is one the issuer signed.
    const claims: Record<string, unknown> = {};
    for (const disclosure of disclosures) {
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(disclosure)));
      const digest = btoa(String.fromCharCode(...hash))
        .replaceAll("+", "-")
        .replaceAll("/", "_")
        .replace(/=+$/, "");
      expect(signedDigests.has(digest)).toBe(true);
      const json = new TextDecoder().decode(
        Uint8Array.from(atob(disclosure.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)),
      );
      const [, name, value] = JSON.parse(json) as [string, string, unknown];
      claims[name] = value;
    }

    expect(claims).toEqual({ resident: true, year: 2026 });
  });
});
