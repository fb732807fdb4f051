// The in-person verifier's verdicts (src/web/citizen/verifier/check.ts), as a cashier reads them: a live
// Digital ID code is valid once and shows only what was disclosed; an altered one is tampered; a revoked
// record (its bit set in the cached status list), an expired one, a code older than the 60 s window and a
// code shown a second time are each told apart. Everything runs offline on cached keys and lists.
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { encodeStatusList, issueCredential, newStatusList, present, setStatus } from "../../src/records/sdjwt";
import {
  ACCEPT_WINDOW_SEC,
  checkCode,
  IN_PERSON_AUDIENCE,
  memorySeen,
  type Trust,
  type TrustedIssuer,
} from "../../src/web/citizen/verifier/check";
import { fromB64url, newKey, type TestKey } from "../records/sdjwt/fixtures";

const ISSUER = "https://veche.test/api/v1/agencies/01JCIVILREGISTRY0000000000";
const STATUS_URI = `${ISSUER}/status-list`;

async function holder(): Promise<{ publicJwk: JWK; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { publicJwk: await exportJWK(publicKey), privateKey };
}

interface World {
  agency: TestKey;
  holder: { publicJwk: JWK; privateKey: CryptoKey };
  revoked: number[];
  trust: Trust;
  fetchedAt: number;
}

async function world(revoked: number[] = []): Promise<World> {
  const agency = await newKey("registry-1");
  const bits = newStatusList(1024);
  for (const idx of revoked) setStatus(bits, idx);
  const fetchedAt = Date.now() - 5 * 60_000;
  const entry: TrustedIssuer = {
    issuer: ISSUER,
    agencyId: "01JCIVILREGISTRY0000000000",
    name: "ЗАГС",
    verified: true,
    jwks: { keys: [agency.publicJwk] },
    statusList: { lst: await encodeStatusList(bits), fetchedAt },
  };
  return {
    agency,
    holder: await holder(),
    revoked,
    fetchedAt,
    trust: { issuer: async (iss) => (iss === ISSUER ? entry : null) },
  };
}

async function ageCredential(w: World, opts: { idx?: number; expiresAt?: Date } = {}): Promise<string> {
  return issueCredential({
    issuer: ISSUER,
    vct: "urn:veche:vct:age_confirmation",
    claims: { age_over_18: true, age_over_21: true, given_name: "Анна" },
    subject: "01JCITIZEN0000000000000000",
    status: { uri: STATUS_URI, idx: opts.idx ?? 7 },
    holderJwk: w.holder.publicJwk,
    key: w.agency,
    ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
  });
}

/** A live code, as the Digital ID makes one every 30 s: one disclosure, a fresh nonce, key-bound. */
function liveCode(w: World, credential: string, nonce = crypto.randomUUID()): Promise<string> {
  return present(credential, ["age_over_18"], { audience: IN_PERSON_AUDIENCE, nonce, holderKey: w.holder });
}

describe("the in-person verifier", () => {
  it("accepts a live code and shows only the disclosed claim, with the agency and how fresh it is", async () => {
    const w = await world();
    const code = await liveCode(w, await ageCredential(w));
    const verdict = await checkCode(code, { trust: w.trust, seen: memorySeen() });
    expect(verdict.state).toBe("valid");
    expect(verdict.claims).toEqual({ age_over_18: true });
    expect(verdict.issuer).toEqual({ id: "01JCIVILREGISTRY0000000000", name: "ЗАГС", verified: true });
    expect(verdict.type).toBe("age_confirmation");
    expect(verdict.statusAsOf).toBe(w.fetchedAt);
    expect(verdict.ageSec).toBeLessThanOrEqual(1);
  });

  it("carries the issuer's published names and labels for the code's record type, and no other type's", async () => {
    const w = await world();
    const trusted = await w.trust.issuer(ISSUER);
    if (!trusted) throw new Error("the world's issuer is trusted");
    const age = {
      name: { ru: "Справка о возрасте" },
      claims: { age_over_18: { label: { ru: "Исполнилось 18 лет", en: "Aged 18 or over" } } },
    };
    const other = { name: { ru: "Паспорт" }, claims: {} };
    const described: Trust = {
      issuer: async (iss) => (iss === ISSUER ? { ...trusted, recordTypes: { age_confirmation: age, passport: other } } : null),
    };
    const code = await liveCode(w, await ageCredential(w));
    const verdict = await checkCode(code, { trust: described, seen: memorySeen() });
    expect(verdict.state).toBe("valid");
    expect(verdict.typeMeta).toEqual(age);
    // A type the agency has not described carries none: the page then shows the claims in our words.
    const bare: Trust = { issuer: async (iss) => (iss === ISSUER ? { ...trusted, recordTypes: { passport: other } } : null) };
    expect((await checkCode(await liveCode(w, await ageCredential(w)), { trust: bare, seen: memorySeen() })).typeMeta).toBeUndefined();
  });

  it("calls an altered code tampered: a changed disclosure, a forged signature, a KB-JWT for another presentation", async () => {
    const w = await world();
    const credential = await ageCredential(w);
    const code = await liveCode(w, credential);
    const [jwt = "", disclosure = "", kb = ""] = code.split("~");
    const [salt] = JSON.parse(fromB64url(disclosure)) as [string];
    const forgedDisclosure = btoa(JSON.stringify([salt, "age_over_18", true]).replace("true", "true "))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    const seen = memorySeen();
    expect((await checkCode(`${jwt}~${forgedDisclosure}~${kb}`, { trust: w.trust, seen })).state).toBe("tampered");
    const sig = jwt.split(".")[2] ?? "";
    const badSig = `${jwt.split(".").slice(0, 2).join(".")}.${sig.startsWith("A") ? `B${sig.slice(1)}` : `A${sig.slice(1)}`}`;
    expect((await checkCode(`${badSig}~${disclosure}~${kb}`, { trust: w.trust, seen })).state).toBe("tampered");
    // A KB-JWT lifted from another code of the same holder: its sd_hash covers other disclosures.
    const other = await present(credential, ["age_over_21"], { audience: IN_PERSON_AUDIENCE, nonce: "n-2", holderKey: w.holder });
    const otherKb = other.split("~").at(-1) ?? "";
    const verdict = await checkCode(`${jwt}~${disclosure}~${otherKb}`, { trust: w.trust, seen });
    expect(verdict.state).toBe("tampered");
    expect(verdict.claims).toEqual({});
    // A KB-JWT signed by some other key than the credential's holder key.
    const thief = await holder();
    const stolen = await present(credential, ["age_over_18"], { audience: IN_PERSON_AUDIENCE, nonce: "n-3", holderKey: thief });
    expect((await checkCode(stolen, { trust: w.trust, seen })).state).toBe("tampered");
  });

  it("says revoked when the record's bit is set in the cached status list", async () => {
    const w = await world([7]);
    const verdict = await checkCode(await liveCode(w, await ageCredential(w, { idx: 7 })), { trust: w.trust, seen: memorySeen() });
    expect(verdict.state).toBe("revoked");
    expect(verdict.statusAsOf).toBe(w.fetchedAt);
    // Its neighbour in the same list is not revoked.
    const next = await checkCode(await liveCode(w, await ageCredential(w, { idx: 8 })), { trust: w.trust, seen: memorySeen() });
    expect(next.state).toBe("valid");
  });

  it("says expired for a credential past its expiry, even with a fresh code", async () => {
    const w = await world();
    const credential = await ageCredential(w, { expiresAt: new Date(Date.now() + 60_000) });
    const code = await liveCode(w, credential);
    const later = new Date(Date.now() + 61_000 + 30_000);
    // The code's own age is also past the window then; expiry is what the cashier is told first.
    expect((await checkCode(code, { trust: w.trust, seen: memorySeen(), now: later })).state).toBe("expired");
    expect((await checkCode(code, { trust: w.trust, seen: memorySeen() })).state).toBe("valid");
  });

  it("says too old for a code made more than 60 s ago, and accepts it just inside the window", async () => {
    const w = await world();
    const code = await liveCode(w, await ageCredential(w));
    const inside = new Date(Date.now() + (ACCEPT_WINDOW_SEC - 2) * 1000);
    const outside = new Date(Date.now() + (ACCEPT_WINDOW_SEC + 2) * 1000);
    const old = await checkCode(code, { trust: w.trust, seen: memorySeen(), now: outside });
    expect(old.state).toBe("too_old");
    expect(old.ageSec).toBeGreaterThan(ACCEPT_WINDOW_SEC);
    expect((await checkCode(code, { trust: w.trust, seen: memorySeen(), now: inside })).state).toBe("valid");
    // A clock far behind the holder's (the code "from the future") is not accepted either.
    const past = new Date(Date.now() - 120_000);
    expect((await checkCode(code, { trust: w.trust, seen: memorySeen(), now: past })).state).toBe("too_old");
  });

  it("says replayed for the same code shown twice, and for another code reusing a nonce", async () => {
    const w = await world();
    const credential = await ageCredential(w);
    const seen = memorySeen();
    const code = await liveCode(w, credential, "nonce-1");
    expect((await checkCode(code, { trust: w.trust, seen })).state).toBe("valid");
    const again = await checkCode(code, { trust: w.trust, seen });
    expect(again.state).toBe("replayed");
    // What was disclosed is still shown, so the cashier sees which document it was.
    expect(again.claims).toEqual({ age_over_18: true });
    const sameNonce = await liveCode(w, credential, "nonce-1");
    expect(sameNonce).not.toBe(code);
    expect((await checkCode(sameNonce, { trust: w.trust, seen })).state).toBe("replayed");
    // A fresh nonce is a fresh code.
    expect((await checkCode(await liveCode(w, credential, "nonce-2"), { trust: w.trust, seen })).state).toBe("valid");
    // Another verifier (its own memory) has not seen it.
    expect((await checkCode(code, { trust: w.trust, seen: memorySeen() })).state).toBe("valid");
  });

  it("tells an unknown issuer, a copied presentation without key binding and a QR code that is no document", async () => {
    const w = await world();
    const credential = await ageCredential(w);
    const stranger = await world();
    const strangerTrust: Trust = { issuer: async () => null };
    expect((await checkCode(await liveCode(w, credential), { trust: strangerTrust, seen: memorySeen() })).state).toBe("unknown_issuer");
    // Signed by a key the agency never published: the issuer is known, the signature is not its.
    const forged = await issueCredential({
      issuer: ISSUER,
      vct: "urn:veche:vct:age_confirmation",
      claims: { age_over_18: true },
      holderJwk: w.holder.publicJwk,
      key: stranger.agency,
    });
    expect((await checkCode(await liveCode(w, forged), { trust: w.trust, seen: memorySeen() })).state).toBe("tampered");
    const copied = await present(credential, ["age_over_18"]);
    expect((await checkCode(copied, { trust: w.trust, seen: memorySeen() })).state).toBe("not_live");
    expect((await checkCode("https://example.org/menu", { trust: w.trust, seen: memorySeen() })).state).toBe("unreadable");
  });
});
