import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { present, verifyPresentation } from "../../../src/records/sdjwt";
import { disclosureNamed, ISSUER, issueLicence, LICENCE_CLAIMS, newKey, partsOf, trusting, userClaims } from "./fixtures";

// Key binding: a presentation made for one verifier (audience) and one request (nonce), signed by the key the
// credential is bound to, so it cannot be replayed elsewhere or presented by someone who merely copied it.

const agency = await newKey("agency");
const holder = await newKey("holder");
const jwks = trusting(ISSUER, agency);
const AUDIENCE = "https://bank.example";
const NONCE = "n-0S6_WzA2Mj";

const boundCredential = await issueLicence(agency, { holderJwk: holder.publicJwk });

function bound(disclose: string[], opts: { audience?: string; nonce?: string } = {}) {
  return present(boundCredential, disclose, { audience: AUDIENCE, nonce: NONCE, holderKey: holder, ...opts });
}

async function sha256b64url(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

describe("key binding", () => {
  it("appends a kb+jwt over the presentation: iat, aud, nonce, sd_hash", async () => {
    const presentation = await bound(["given_name"]);
    const { kb } = partsOf(presentation);
    expect(kb).not.toBe("");
    expect(decodeProtectedHeader(kb)).toEqual({ alg: "ES256", typ: "kb+jwt" });
    const claims = decodeJwt(kb);
    expect(claims).toMatchObject({ aud: AUDIENCE, nonce: NONCE });
    expect(typeof claims.iat).toBe("number");
    expect(claims.sd_hash).toBe(await sha256b64url(presentation.slice(0, presentation.lastIndexOf("~") + 1)));
  });

  it("passes with the expected audience and nonce", async () => {
    const result = await verifyPresentation(await bound(["given_name", "birthdate"]), { jwks, audience: AUDIENCE, nonce: NONCE });
    expect(result.valid).toBe(true);
    expect(userClaims(result.claims)).toEqual({ given_name: LICENCE_CLAIMS.given_name, birthdate: LICENCE_CLAIMS.birthdate });
    // The binding key is machinery, not a claim.
    expect(result.claims).not.toHaveProperty("cnf");
  });

  it("is checked even when the verifier did not ask for it", async () => {
    expect((await verifyPresentation(await bound(["given_name"]), { jwks })).valid).toBe(true);
    const other = await newKey();
    const wrongKey = await present(boundCredential, ["given_name"], { audience: AUDIENCE, nonce: NONCE, holderKey: other });
    expect(await verifyPresentation(wrongKey, { jwks })).toEqual({ valid: false, error: "key_binding_invalid" });
  });

  it("fails with another nonce", async () => {
    const result = await verifyPresentation(await bound(["given_name"]), { jwks, audience: AUDIENCE, nonce: "another" });
    expect(result).toEqual({ valid: false, error: "key_binding_invalid" });
  });

  it("fails with another audience", async () => {
    const result = await verifyPresentation(await bound(["given_name"]), { jwks, audience: "https://shop.example", nonce: NONCE });
    expect(result).toEqual({ valid: false, error: "key_binding_invalid" });
  });

  it("fails when the KB-JWT is signed with a key other than cnf.jwk", async () => {
    const thief = await newKey("thief");
    const presentation = await present(boundCredential, ["given_name"], { audience: AUDIENCE, nonce: NONCE, holderKey: thief });
    expect(await verifyPresentation(presentation, { jwks, audience: AUDIENCE, nonce: NONCE })).toEqual({
      valid: false,
      error: "key_binding_invalid",
    });
  });

  it("fails when the presentation is altered after binding (sd_hash)", async () => {
    const presentation = await bound(["given_name"]);
    const { kb } = partsOf(presentation);
    const signedPart = presentation.slice(0, -kb.length);
    // Adding a genuine disclosure of the same credential: every digest checks out, only sd_hash does not.
    const widened = `${signedPart}${disclosureNamed(boundCredential, "birthdate").encoded}~${kb}`;
    expect(await verifyPresentation(widened, { jwks, audience: AUDIENCE, nonce: NONCE })).toEqual({
      valid: false,
      error: "key_binding_invalid",
    });
    // Dropping the disclosure the holder chose to show.
    const narrowed = `${partsOf(presentation).jwt}~${kb}`;
    expect(await verifyPresentation(narrowed, { jwks, audience: AUDIENCE, nonce: NONCE })).toEqual({
      valid: false,
      error: "key_binding_invalid",
    });
  });

  it("fails for a KB-JWT whose sd_hash is for another presentation", async () => {
    const first = await bound(["given_name"]);
    const second = await bound(["family_name"]);
    const spliced = second.slice(0, second.lastIndexOf("~") + 1) + partsOf(first).kb;
    expect(await verifyPresentation(spliced, { jwks, audience: AUDIENCE, nonce: NONCE })).toEqual({
      valid: false,
      error: "key_binding_invalid",
    });
  });

  it("fails when the KB-JWT is stale or from the future", async () => {
    const presentation = await bound(["given_name"]);
    const tenMinutes = 10 * 60_000;
    for (const now of [new Date(Date.now() + tenMinutes), new Date(Date.now() - tenMinutes)]) {
      expect(await verifyPresentation(presentation, { jwks, audience: AUDIENCE, nonce: NONCE, now })).toEqual({
        valid: false,
        error: "key_binding_invalid",
      });
    }
  });

  it("fails for a KB-JWT without the kb+jwt type or without sd_hash", async () => {
    const presentation = await present(boundCredential, ["given_name"]);
    const sdHash = await sha256b64url(presentation);
    const sign = (header: { typ: string }, claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", ...header })
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .sign(holder.privateKey);
    const wrongTyp = await sign({ typ: "JWT" }, { nonce: NONCE, sd_hash: sdHash });
    const noHash = await sign({ typ: "kb+jwt" }, { nonce: NONCE });
    const good = await sign({ typ: "kb+jwt" }, { nonce: NONCE, sd_hash: sdHash });
    const opts = { jwks, audience: AUDIENCE, nonce: NONCE };
    expect(await verifyPresentation(presentation + wrongTyp, opts)).toEqual({ valid: false, error: "key_binding_invalid" });
    expect(await verifyPresentation(presentation + noHash, opts)).toEqual({ valid: false, error: "key_binding_invalid" });
    expect((await verifyPresentation(presentation + good, opts)).valid).toBe(true);
  });

  it("a verifier expecting a nonce or audience refuses a presentation without a KB-JWT", async () => {
    const unbound = await present(boundCredential, ["given_name"]);
    expect(await verifyPresentation(unbound, { jwks, nonce: NONCE })).toEqual({ valid: false, error: "key_binding_required" });
    expect(await verifyPresentation(unbound, { jwks, audience: AUDIENCE })).toEqual({ valid: false, error: "key_binding_required" });
  });

  it("without a holder key, audience and nonce yield a presentation without key binding", async () => {
    // The citizen's app holds no key in the first version; the verifier then sees that nothing is bound.
    const presentation = await present(boundCredential, ["given_name"], { audience: AUDIENCE, nonce: NONCE });
    expect(presentation.endsWith("~")).toBe(true);
    expect((await verifyPresentation(presentation, { jwks })).valid).toBe(true);
    expect(await verifyPresentation(presentation, { jwks, audience: AUDIENCE, nonce: NONCE })).toEqual({
      valid: false,
      error: "key_binding_required",
    });
  });

  it("a KB-JWT on a credential that binds no key is refused", async () => {
    const unboundCredential = await issueLicence(agency);
    await expect(present(unboundCredential, ["given_name"], { audience: AUDIENCE, nonce: NONCE, holderKey: holder })).rejects.toMatchObject(
      {
        code: "not_key_bound",
      },
    );
    const presentation = await present(unboundCredential, ["given_name"]);
    const kb = await new SignJWT({ nonce: NONCE, sd_hash: await sha256b64url(presentation) })
      .setProtectedHeader({ alg: "ES256", typ: "kb+jwt" })
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .sign(holder.privateKey);
    expect(await verifyPresentation(presentation + kb, { jwks, audience: AUDIENCE, nonce: NONCE })).toEqual({
      valid: false,
      error: "key_binding_invalid",
    });
  });

  it("a holder key needs both an audience and a nonce", async () => {
    await expect(present(boundCredential, [], { audience: AUDIENCE, holderKey: holder })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(present(boundCredential, [], { nonce: NONCE, holderKey: holder })).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("presenting a presentation that already carries a KB-JWT is refused", async () => {
    await expect(present(await bound(["given_name"]), ["given_name"])).rejects.toMatchObject({ code: "malformed" });
  });
});
