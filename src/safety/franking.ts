// Reporting a secret-chat message: message franking, after Facebook Messenger's "message franking" (Facebook,
// "Messenger Secret Conversations" technical whitepaper, 2016) as analysed and formalised by Grubbs, Lu and
// Ristenpart, "Message Franking via Committing Authenticated Encryption", CRYPTO 2017. Built from HMAC-SHA-256
// (WebCrypto) only:
//
//   sender's device:  frankingKey = 32 random bytes, put inside the MLS plaintext;
//                     franking    = HMAC-SHA-256(frankingKey, plaintext)          (the commitment, in the envelope)
//   room, accepting:  serverTag   = HMAC-SHA-256(FRANKING_KEY, chatId|seq|senderId|franking|sentAt)   (stored)
//   reporter:         sends plaintext and frankingKey (which it decrypted);
//   server:           checks HMAC(frankingKey, plaintext) = franking, and recomputes serverTag.
//
// The first check binds the reported plaintext to the commitment the sender sent (HMAC is a commitment when the
// key is committed to as well: the recipient's device checks, on decryption, that the franking key inside the
// plaintext reproduces the envelope's `franking`, so a sender cannot send a message whose report would fail);
// the second binds the commitment to this sender, chat, seq and time, as only the server can. A forged
// plaintext (or key) fails the first check and is refused with `franking_mismatch`.
import { serverTag } from "../chat/room/secret";
import { decodeBase64url, encodeBase64url } from "../keys/encoding";
import { timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";

export interface FrankedMessage {
  chatId: string;
  seq: number;
  senderId: string;
  franking: string;
  serverTag: string;
  sentAt: string;
}

const mismatch = () =>
  new ApiError(400, "franking_mismatch", "This plaintext and key do not match what the sender committed to: the report was not stored.");

/** Verifies a report's plaintext against the message's commitment and the server's tag; throws franking_mismatch. */
export async function verifyFranking(key: string, m: FrankedMessage, plaintext: string, frankingKey: string): Promise<Uint8Array> {
  const bytes = decodeBase64url(plaintext);
  const rawKey = decodeBase64url(frankingKey);
  if (bytes === null || rawKey === null || rawKey.length !== 32) throw mismatch();
  const hmac = await crypto.subtle.importKey("raw", rawKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const commitment = encodeBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, bytes)));
  if (!timingSafeEqual(commitment, m.franking)) throw mismatch();
  // The stored tag is recomputed, so a row altered in storage (another sender, seq or commitment) fails too.
  const expected = await serverTag(key, m);
  if (!timingSafeEqual(expected, m.serverTag)) throw mismatch();
  return bytes;
}
