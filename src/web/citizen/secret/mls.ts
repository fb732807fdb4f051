// A thin wrapper over ts-mls (RFC 9420) for secret chats: one MLS group per chat whose members are the
// devices (leaves) of its two users. Everything here is bytes in, bytes out, so the state store
// (device.ts) can seal it and the chat code never touches ts-mls types. Nothing here is home-made
// cryptography: key packages, commits, welcomes and application messages are ts-mls's.
//
// Each leaf's credential is a basic credential whose identity is "userId/deviceId" (utf-8): the app checks
// it against the server's device list and the user's key log (a leaf's signature key must be a key the log
// lists as added and not revoked for that device). ts-mls 1.6.4's processPrivateMessage does not answer
// which leaf sent an application message, so the sender's ids travel inside the (encrypted, group-
// authenticated) plaintext and are checked against the server's `senderId` (docs/e2ee-web.md).
//
// Loaded only with the secret chat chunk: ts-mls is far too big for the app's initial JavaScript.
// Deep imports, not "ts-mls": its index also pulls in the @noble-based provider, which this suite never uses.
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { type ClientState, createGroup, decodeGroupState, encodeGroupState, joinGroup } from "ts-mls/clientState.js";
import { createCommit } from "ts-mls/createCommit.js";
import { createApplicationMessage } from "ts-mls/createMessage.js";
import { type CiphersuiteImpl, getCiphersuiteFromName } from "ts-mls/crypto/ciphersuite.js";
import { getCiphersuiteImpl } from "ts-mls/crypto/getCiphersuiteImpl.js";
import { defaultCapabilities } from "ts-mls/defaultCapabilities.js";
import { generateKeyPackageWithKey, type KeyPackage, makeKeyPackageRef, type PrivateKeyPackage } from "ts-mls/keyPackage.js";
import { defaultLifetime } from "ts-mls/lifetime.js";
import { decodeMlsMessage, encodeMlsMessage } from "ts-mls/message.js";
import { processPrivateMessage, processPublicMessage } from "ts-mls/processMessages.js";
import type { Proposal } from "ts-mls/proposal.js";
import { emptyPskIndex } from "ts-mls/pskIndex.js";
import { zeroOutUint8Array } from "ts-mls/util/byteArray.js";

/**
 * X25519 HPKE, AES-128-GCM, SHA-256, Ed25519: RFC 9420's mandatory-to-implement suite, and the one whose
 * every primitive is WebCrypto in today's browsers (ts-mls loads no extra dependency for it).
 */
export const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";

let impl: Promise<CiphersuiteImpl> | null = null;
/** The suite's implementation, made once. */
export function suite(): Promise<CiphersuiteImpl> {
  impl ??= getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
  return impl;
}

/** A device's long-term MLS signature key pair (Ed25519; `signKey` is its PKCS#8 bytes). */
export interface SignatureKeys {
  signKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Who a leaf is: the user and the device, as the credential names them. */
export interface DeviceRef {
  userId: string;
  deviceId: string;
}

export interface Member extends DeviceRef {
  leaf: number;
  /** The leaf's signature public key, to be found in that user's key log. */
  signatureKey: Uint8Array;
}

/** A key package this device made: the public part goes to the server, the private part stays here. */
export interface OwnKeyPackage {
  /** base64url of the key package's ref (what a Welcome names its new member by). */
  ref: string;
  /** The MLSMessage (wire format mls_key_package) to upload. */
  message: Uint8Array;
  privatePackage: PrivateKeyPackage;
}

export type Incoming =
  | { kind: "application"; plaintext: Uint8Array; state: Uint8Array }
  | { kind: "commit"; state: Uint8Array; removed: boolean };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function newSignatureKeys(): Promise<SignatureKeys> {
  return suite().then((cs) => cs.signature.keygen());
}

const credentialOf = (who: DeviceRef) => ({ credentialType: "basic" as const, identity: enc.encode(`${who.userId}/${who.deviceId}`) });

function parseIdentity(identity: Uint8Array): DeviceRef | null {
  const [userId, deviceId, ...rest] = dec.decode(identity).split("/");
  return userId && deviceId && rest.length === 0 ? { userId, deviceId } : null;
}

export function b64u(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromB64u(s: string): Uint8Array {
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Decodes a whole MLSMessage; throws on trailing or malformed bytes (the server's bytes are not trusted). */
function decodeMessage(bytes: Uint8Array) {
  const decoded = decodeMlsMessage(bytes, 0);
  if (!decoded || decoded[1] !== bytes.length) throw new Error("malformed MLS message");
  return decoded[0];
}

/** `n` fresh key packages for this device, signed with its signature key. */
export async function makeKeyPackages(keys: SignatureKeys, who: DeviceRef, n: number): Promise<OwnKeyPackage[]> {
  const cs = await suite();
  const out: OwnKeyPackage[] = [];
  for (let i = 0; i < n; i++) {
    const kp = await generateKeyPackageWithKey(credentialOf(who), defaultCapabilities(), defaultLifetime, [], keys, cs);
    const message = encodeMlsMessage({ wireformat: "mls_key_package", version: "mls10", keyPackage: kp.publicPackage });
    out.push({
      ref: b64u(await makeKeyPackageRef(kp.publicPackage, cs.hash)),
      message,
      privatePackage: kp.privatePackage,
    });
  }
  return out;
}

function keyPackageOf(message: Uint8Array): KeyPackage {
  const m = decodeMessage(message);
  if (m.wireformat !== "mls_key_package") throw new Error("not a key package");
  return m.keyPackage;
}

/** Who a key package (as uploaded) belongs to, and its signature key. */
export function keyPackageOwner(message: Uint8Array): (DeviceRef & { signatureKey: Uint8Array }) | null {
  const kp = keyPackageOf(message);
  if (kp.leafNode.credential.credentialType !== "basic") return null;
  const who = parseIdentity(kp.leafNode.credential.identity);
  return who && { ...who, signatureKey: kp.leafNode.signaturePublicKey };
}

const encodeState = (s: ClientState) => encodeGroupState(s);

function decodeState(bytes: Uint8Array): ClientState {
  const decoded = decodeGroupState(bytes, 0);
  if (!decoded) throw new Error("malformed group state");
  return { ...decoded[0], clientConfig: defaultClientConfig };
}

/** A new group with this device as its only member (`groupId`: the chat's id). */
export async function newGroup(keys: SignatureKeys, who: DeviceRef, groupId: string): Promise<Uint8Array> {
  const cs = await suite();
  const kp = await generateKeyPackageWithKey(credentialOf(who), defaultCapabilities(), defaultLifetime, [], keys, cs);
  const state = await createGroup(enc.encode(groupId), kp.publicPackage, kp.privatePackage, [], cs);
  return encodeState(state);
}

export interface CommitResult {
  state: Uint8Array;
  commit: Uint8Array;
  /** For the added devices, when some were added. */
  welcome: Uint8Array | null;
  epoch: number;
}

/**
 * One commit that adds the devices behind `add` (uploaded key packages) and removes the leaves whose device
 * is in `removeDevices`. The group's new state is only to be kept once the server accepted the commit (a
 * commit that lost a race to another is thrown away with its state).
 */
export async function commit(state: Uint8Array, change: { add?: Uint8Array[]; removeDevices?: string[] }): Promise<CommitResult> {
  const cs = await suite();
  const s = decodeState(state);
  const removing = new Set(change.removeDevices ?? []);
  const proposals: Proposal[] = [
    ...(change.add ?? []).map((m) => ({ proposalType: "add" as const, add: { keyPackage: keyPackageOf(m) } })),
    ...membersOf(s)
      .filter((m) => removing.has(m.deviceId))
      .map((m) => ({ proposalType: "remove" as const, remove: { removed: m.leaf } })),
  ];
  // The welcome carries the ratchet tree, so a new device needs nothing but it to join.
  const r = await createCommit({ state: s, cipherSuite: cs }, { extraProposals: proposals, ratchetTreeExtension: true });
  r.consumed.forEach(zeroOutUint8Array);
  return {
    state: encodeState(r.newState),
    commit: encodeMlsMessage(r.commit),
    welcome: r.welcome ? encodeMlsMessage({ wireformat: "mls_welcome", version: "mls10", welcome: r.welcome }) : null,
    epoch: Number(r.newState.groupContext.epoch),
  };
}

/** The key package refs a Welcome is addressed to (base64url), to find the matching private package. */
export function welcomeRefs(welcome: Uint8Array): string[] {
  const m = decodeMessage(welcome);
  if (m.wireformat !== "mls_welcome") throw new Error("not a welcome");
  return m.welcome.secrets.map((s) => b64u(s.newMember));
}

/** Joins a group from a Welcome with the key package it was made for. */
export async function join(welcome: Uint8Array, own: Pick<OwnKeyPackage, "message" | "privatePackage">): Promise<Uint8Array> {
  const cs = await suite();
  const m = decodeMessage(welcome);
  if (m.wireformat !== "mls_welcome") throw new Error("not a welcome");
  const state = await joinGroup(m.welcome, keyPackageOf(own.message), own.privatePackage, emptyPskIndex, cs);
  return encodeState(state);
}

/** Encrypts an application message to the group's current epoch. */
export async function encrypt(state: Uint8Array, plaintext: Uint8Array): Promise<{ state: Uint8Array; message: Uint8Array }> {
  const cs = await suite();
  const r = await createApplicationMessage(decodeState(state), plaintext, cs);
  r.consumed.forEach(zeroOutUint8Array);
  return {
    state: encodeState(r.newState),
    message: encodeMlsMessage({ wireformat: "mls_private_message", version: "mls10", privateMessage: r.privateMessage }),
  };
}

/** Processes a message from the group: an application message (decrypted) or a commit (applied). */
export async function receive(state: Uint8Array, message: Uint8Array): Promise<Incoming> {
  const cs = await suite();
  const s = decodeState(state);
  const m = decodeMessage(message);
  if (m.wireformat === "mls_public_message") {
    const r = await processPublicMessage(s, m.publicMessage, emptyPskIndex, cs);
    r.consumed.forEach(zeroOutUint8Array);
    return { kind: "commit", state: encodeState(r.newState), removed: r.newState.groupActiveState.kind === "removedFromGroup" };
  }
  if (m.wireformat !== "mls_private_message") throw new Error("not a group message");
  const r = await processPrivateMessage(s, m.privateMessage, emptyPskIndex, cs);
  r.consumed.forEach(zeroOutUint8Array);
  if (r.kind === "applicationMessage") return { kind: "application", plaintext: r.message, state: encodeState(r.newState) };
  return { kind: "commit", state: encodeState(r.newState), removed: r.newState.groupActiveState.kind === "removedFromGroup" };
}

function membersOf(s: ClientState): Member[] {
  const out: Member[] = [];
  s.ratchetTree.forEach((node, i) => {
    if (node?.nodeType !== "leaf" || node.leaf.credential.credentialType !== "basic") return;
    const who = parseIdentity(node.leaf.credential.identity);
    if (who) out.push({ ...who, leaf: i / 2, signatureKey: node.leaf.signaturePublicKey });
  });
  return out;
}

/** The group's members (one per device). */
export const members = (state: Uint8Array): Member[] => membersOf(decodeState(state));

export const epochOf = (state: Uint8Array): number => Number(decodeState(state).groupContext.epoch);

/** False once a commit removed this device: it can read nothing sent afterwards. */
export const isActive = (state: Uint8Array): boolean => decodeState(state).groupActiveState.kind === "active";
