// The Digital ID's and the verifier's shared numbers, in a module with no imports, so the Digital ID screen
// (services chunk) does not load the verifier's crypto with them.

/**
 * The Key Binding JWT's `aud` for a code shown face to face. A QR code is one-way (the verifier cannot send
 * a challenge), so the holder's app picks the nonce and the verifier checks freshness and replay instead.
 */
export const IN_PERSON_AUDIENCE = "veche:in-person";
/** A code is accepted for this many seconds after the holder's app made it (its KB-JWT `iat`). */
export const ACCEPT_WINDOW_SEC = 60;
/** The Digital ID makes a new code this often: half the window, so a shown code is always acceptable. */
export const REFRESH_SEC = 30;
/**
 * How long a seen code's nonce is remembered. Past ACCEPT_WINDOW_SEC + 30 s of clock skew after it was made a
 * code is "too old" anyway, so forgetting it later than that loses no replay.
 */
export const SEEN_RETENTION_MS = 10 * 60_000;
