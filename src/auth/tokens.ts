import { type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { unauthorized } from "../lib/errors";
import { keyRing } from "./keys";

/** Access tokens live 15 minutes: the longest the contract allows. */
export const ACCESS_TOKEN_TTL_SEC = 15 * 60;

/** Each kind of token has its own audience, so one kind is never accepted where the other is required. */
export const AUDIENCE = { citizen: "veche:citizen", agency: "veche:agency" } as const;
export type TokenKind = keyof typeof AUDIENCE;

export interface AccessClaims {
  kind: TokenKind;
  /** The user id (citizen) or agency id (agency). */
  sub: string;
  /** The session id (citizens) or token id (agencies). */
  sid: string;
  scope?: string[];
  /**
   * Citizens many people blocked or reported lately (src/safety/trust.ts), set when the token is issued, so
   * the sending limits can be tighter for them without a database read per message.
   */
  trust?: "reduced" | "restricted";
}

export async function signAccessToken(env: Env, claims: AccessClaims): Promise<string> {
  const ring = await keyRing(env.JWT_PRIVATE_KEYS);
  const payload: JWTPayload = { sid: claims.sid };
  if (claims.scope) payload.scope = claims.scope.join(" ");
  if (claims.trust) payload.trust = claims.trust;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", kid: ring.current.kid, typ: "at+jwt" })
    .setIssuer(env.ISSUER)
    .setAudience(AUDIENCE[claims.kind])
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SEC}s`)
    .sign(ring.current.privateKey);
}

/**
 * Verifies an access token of the given kind. The algorithm, issuer, audience and `typ` are pinned;
 * the key is chosen by `kid` from our own ring only. Any failure is a 401 with a stable code.
 */
export async function verifyAccessToken(env: Env, token: string, kind: TokenKind): Promise<AccessClaims> {
  const ring = await keyRing(env.JWT_PRIVATE_KEYS);
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? ring.byKid.get(header.kid) : undefined;
        if (!key) throw new joseErrors.JWKSNoMatchingKey();
        return key.publicKey;
      },
      {
        algorithms: ["ES256"],
        issuer: env.ISSUER,
        audience: AUDIENCE[kind],
        typ: "at+jwt",
        requiredClaims: ["sub", "sid", "iat", "exp"],
        maxTokenAge: ACCESS_TOKEN_TTL_SEC,
        clockTolerance: 5,
      },
    );
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string") throw new Error("bad claims");
    const scope = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : undefined;
    const trust = payload.trust === "reduced" || payload.trust === "restricted" ? payload.trust : undefined;
    return { kind, sub: payload.sub, sid: payload.sid, ...(scope ? { scope } : {}), ...(trust ? { trust } : {}) };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthorized("token_expired", "The access token has expired; refresh it.");
    throw unauthorized("invalid_token", "The access token is not valid.");
  }
}
