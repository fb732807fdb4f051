import { env } from "cloudflare:workers";
import {
  base64url,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callJson, expectProblem, type SignedIn, signIn } from "../helpers";

// Access tokens: what the JWKS publishes, what a real token carries, and forgeries that must all fail.

interface Jwks {
  keys: JWK[];
}

const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

/** The test environment's own signing key (the same secret the Worker signs with). */
async function signingKey() {
  const [jwk] = JSON.parse(env.JWT_PRIVATE_KEYS) as (JWK & { kid: string })[];
  if (!jwk) throw new Error("no signing key in JWT_PRIVATE_KEYS");
  return { kid: jwk.kid, key: await importJWK(jwk, "ES256") };
}

interface MintOptions {
  header?: Record<string, unknown>;
  claims?: JWTPayload;
  /** Claims to leave out of the otherwise complete set. */
  omit?: string[];
}

/** Signs a token with our real key: by default a complete, valid citizen token for `who`. */
async function mint(who: { sub: string; sid: string }, opts: MintOptions = {}): Promise<string> {
  const { kid, key } = await signingKey();
  const t = now();
  const payload: JWTPayload = { iss: env.ISSUER, aud: "veche:citizen", sub: who.sub, sid: who.sid, iat: t, exp: t + 900, ...opts.claims };
  for (const name of opts.omit ?? []) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt", ...opts.header }).sign(key);
}

const b64json = (value: unknown): string => base64url.encode(encoder.encode(JSON.stringify(value)));

function parts(token: string): [string, string, string] {
  const [h, p, s] = token.split(".");
  if (h === undefined || p === undefined || s === undefined) throw new Error("not a compact JWS");
  return [h, p, s];
}

async function expectRefused(token: string, code = "invalid_token") {
  const res = await call("/api/v1/me", { token });
  await expectProblem(res, 401, code);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
}

async function jwks(): Promise<Jwks> {
  const { status, body } = await callJson<Jwks>("/.well-known/jwks.json");
  expect(status).toBe(200);
  return body;
}

let alice: SignedIn;
let bob: SignedIn;
let aliceClaims: { sub: string; sid: string };

beforeAll(async () => {
  alice = await signIn(undefined, "alice's phone");
  bob = await signIn(undefined, "bob's phone");
  const { sub, sid } = decodeJwt(alice.accessToken);
  aliceClaims = { sub: String(sub), sid: String(sid) };
});

describe("JWKS and the tokens verify issues", () => {
  it("publishes the public signing key only: kid, ES256, no private parts", async () => {
    const set = await jwks();
    expect(set.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of set.keys) {
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
      expect(typeof key.kid).toBe("string");
      expect(typeof key.x).toBe("string");
      expect(typeof key.y).toBe("string");
      for (const secret of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(key).not.toHaveProperty(secret);
    }
    const { kid } = await signingKey();
    expect(set.keys.map((k) => k.kid)).toContain(kid);
  });

  it("a token from verify verifies against the JWKS and carries typ, iss, aud, sub, sid, iat and exp (at most 15 minutes)", async () => {
    const set = createLocalJWKSet(await jwks());
    const { payload, protectedHeader } = await jwtVerify(alice.accessToken, set, {
      algorithms: ["ES256"],
      typ: "at+jwt",
      issuer: env.ISSUER,
      audience: "veche:citizen",
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(typeof protectedHeader.kid).toBe("string");
    expect(payload.iss).toBe(env.ISSUER);
    expect(payload.aud).toBe("veche:citizen");
    expect(payload.sub).toBe(alice.user.id);
    expect(typeof payload.sid).toBe("string");
    expect(typeof payload.iat).toBe("number");
    expect(typeof payload.exp).toBe("number");
    const iat = payload.iat as number;
    const exp = payload.exp as number;
    expect(exp).toBeGreaterThan(iat);
    expect(exp - iat).toBeLessThanOrEqual(900);
    expect(Math.abs(iat - now())).toBeLessThan(60);

    // sid names the session the token was issued for.
    const sessions = await callJson<{ sessions: { id: string; current: boolean }[] }>("/api/v1/sessions", { token: alice.accessToken });
    expect(sessions.body.sessions.find((s) => s.current)?.id).toBe(payload.sid);
  });

  it("a token minted with the test key and the same claims is accepted (so the refusals below are about the one thing changed)", async () => {
    const { status, body } = await callJson<{ user: { id: string } }>("/api/v1/me", { token: await mint(aliceClaims) });
    expect(status).toBe(200);
    expect(body.user.id).toBe(alice.user.id);
  });
});

describe("the Authorization header", () => {
  it("accepts the Bearer scheme in any letter case (RFC 7235: auth schemes are case-insensitive)", async () => {
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      const res = await call("/api/v1/me", { headers: { authorization: `${scheme} ${alice.accessToken}` } });
      expect(res.status, scheme).toBe(200);
    }
  });
});

describe("access tokens that must be refused with 401", () => {
  it("no Authorization header, or one that is not a bearer token", async () => {
    await expectProblem(await call("/api/v1/me"), 401, "unauthorized");
    await expectProblem(await call("/api/v1/me", { headers: { authorization: `Basic ${btoa("a:b")}` } }), 401, "unauthorized");
    await expectRefused("garbage");
    await expectRefused("a.b.c");
  });

  it("alg: none", async () => {
    const [, payload] = parts(alice.accessToken);
    const header = { ...decodeProtectedHeader(alice.accessToken), alg: "none" };
    await expectRefused(`${b64json(header)}.${payload}.`);
    await expectRefused(`${b64json({ alg: "none", typ: "at+jwt" })}.${payload}.`);
  });

  it("HS256 signed with the public key as the HMAC secret", async () => {
    const [publicJwk] = (await jwks()).keys;
    if (!publicJwk?.x) throw new Error("no public key");
    const secrets = [
      encoder.encode(JSON.stringify(publicJwk)),
      base64url.decode(publicJwk.x),
      encoder.encode(publicJwk.x),
      encoder.encode(env.JWT_PRIVATE_KEYS),
    ];
    const payload = decodeJwt(alice.accessToken);
    for (const secret of secrets) {
      const token = await new SignJWT(payload).setProtectedHeader({ alg: "HS256", kid: publicJwk.kid, typ: "at+jwt" }).sign(secret);
      await expectRefused(token);
    }
  });

  it("a flipped signature byte", async () => {
    const [h, p, s] = parts(alice.accessToken);
    for (const index of [0, 17, 63]) {
      const sig = base64url.decode(s);
      sig[index] = (sig[index] ?? 0) ^ 0x01;
      await expectRefused(`${h}.${p}.${base64url.encode(sig)}`);
    }
    // An empty or truncated signature, too.
    await expectRefused(`${h}.${p}.`);
    await expectRefused(`${h}.${p}.${s.slice(0, -4)}`);
  });

  it("a payload with another user's id as sub, signature kept", async () => {
    const [h, , s] = parts(alice.accessToken);
    const payload = { ...decodeJwt(alice.accessToken), sub: bob.user.id };
    await expectRefused(`${h}.${b64json(payload)}.${s}`);
  });

  it("a token signed by a key that is not ours, under our kid", async () => {
    const { kid } = await signingKey();
    const { privateKey } = await generateKeyPair("ES256");
    const token = await new SignJWT(decodeJwt(alice.accessToken)).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).sign(privateKey);
    await expectRefused(token);
  });

  it("an expired token (token_expired)", async () => {
    const t = now();
    await expectRefused(await mint(aliceClaims, { claims: { iat: t - 3600, exp: t - 2700 } }), "token_expired");
    await expectRefused(await mint(aliceClaims, { claims: { iat: t - 600, exp: t - 60 } }), "token_expired");
  });

  it("a token whose nbf is in the future", async () => {
    await expectRefused(await mint(aliceClaims, { claims: { nbf: now() + 600 } }));
  });

  it("a token issued long ago whose exp was stretched", async () => {
    const t = now();
    await expectRefused(await mint(aliceClaims, { claims: { iat: t - 7200, exp: t + 3600 } }), "token_expired");
  });

  it("the wrong audience: an agency token is not a citizen token", async () => {
    await expectRefused(await mint(aliceClaims, { claims: { aud: "veche:agency" } }));
    await expectRefused(await mint(aliceClaims, { claims: { aud: "someone-else" } }));
    await expectRefused(await mint(aliceClaims, { omit: ["aud"] }));
  });

  it("the wrong issuer", async () => {
    await expectRefused(await mint(aliceClaims, { claims: { iss: "https://evil.example" } }));
    await expectRefused(await mint(aliceClaims, { omit: ["iss"] }));
  });

  it("the wrong typ", async () => {
    await expectRefused(await mint(aliceClaims, { header: { typ: "JWT" } }));
    await expectRefused(await mint(aliceClaims, { header: { typ: undefined } }));
  });

  it("an unknown or missing kid", async () => {
    await expectRefused(await mint(aliceClaims, { header: { kid: "no-such-key" } }));
    await expectRefused(await mint(aliceClaims, { header: { kid: undefined } }));
  });

  it("a missing sid, sub, iat or exp", async () => {
    await expectRefused(await mint(aliceClaims, { omit: ["sid"] }));
    await expectRefused(await mint(aliceClaims, { omit: ["sub"] }));
    await expectRefused(await mint(aliceClaims, { omit: ["iat"] }));
    await expectRefused(await mint(aliceClaims, { omit: ["exp"] }));
  });
});
