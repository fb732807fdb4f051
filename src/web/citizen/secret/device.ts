// This browser as a device of secret chats: its MLS signature key pair (made here, the private half sealed
// in IndexedDB, vault.ts), published as the device's `mlsKey` (PUT /me/device), and a stock of key packages
// uploaded for others to add it to groups with, topped up as they are used. A new session is a new device:
// when this session's device (GET /me/device) is not the one stored, the keys are made afresh.
import * as z from "zod";
import { ApiError, request } from "../../lib/api";
import * as mls from "./mls";
import { seal, unseal } from "./vault";

/** Keep at least this many unused key packages on the server; upload this many at a time. */
const LOW_WATER = 5;
const BATCH = 10;
/** Private halves kept: the server's cap per device (100) and a batch. */
const KEEP = 110;

export interface DeviceRecord {
  userId: string;
  deviceId: string;
  keys: mls.SignatureKeys;
  /**
   * Key packages uploaded, by ref: their private halves. Kept after use: the server hands a device's last
   * package out again and again (a last resort) until a new one arrives.
   */
  packages: Record<string, { message: Uint8Array; privatePackage: mls.OwnKeyPackage["privatePackage"] }>;
}

const DeviceAnswer = z.object({ device: z.object({ id: z.string(), mlsKey: z.string().nullable().optional() }) });
const KeyPackagesAnswer = z.object({ available: z.number().int() });

const NAME = "device";

function isRecord(v: unknown): v is DeviceRecord {
  if (!v || typeof v !== "object") return false;
  const r = v as Partial<DeviceRecord>;
  return typeof r.userId === "string" && typeof r.deviceId === "string" && !!r.keys && !!r.packages;
}

let current: Promise<DeviceRecord> | null = null;

/** A short name for the device list: the browser and the system, as the user agent says them. */
function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser}, ${os}` : browser;
}

async function publish(keys: mls.SignatureKeys): Promise<string> {
  const answer = DeviceAnswer.parse(
    await request<unknown>("/me/device", { method: "PUT", body: { name: deviceName(), mlsKey: mls.b64u(keys.publicKey) } }),
  );
  return answer.device.id;
}

async function setUp(userId: string): Promise<DeviceRecord> {
  const stored = await unseal(NAME);
  // This session's device as the server has it (none before the first publish).
  const published = await request<unknown>("/me/device").then(
    (r) => DeviceAnswer.parse(r).device,
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    },
  );
  let record: DeviceRecord;
  // The same session is the same device; another one (signed in again) is a new device with new keys.
  if (isRecord(stored) && stored.userId === userId && published?.id === stored.deviceId) {
    if (published.mlsKey !== mls.b64u(stored.keys.publicKey)) await publish(stored.keys);
    record = stored;
  } else {
    record = await fresh(userId);
  }
  // Each session start tops the stock up (a welcome consumed one of them meanwhile, perhaps).
  await upload(record, 2);
  return record;
}

async function fresh(userId: string): Promise<DeviceRecord> {
  const keys = await mls.newSignatureKeys();
  const deviceId = await publish(keys);
  const record: DeviceRecord = { userId, deviceId, keys, packages: {} };
  await seal(NAME, record);
  return record;
}

/**
 * Uploads `n` fresh key packages (their private halves sealed first), and more while the server says fewer
 * than LOW_WATER are waiting. A full stock (409 key_packages_full) is fine.
 */
async function upload(record: DeviceRecord, n: number): Promise<void> {
  const made = await mls.makeKeyPackages(record.keys, record, n);
  for (const p of made) record.packages[p.ref] = { message: p.message, privatePackage: p.privatePackage };
  // The server keeps at most 100 per device; older private halves than the newest KEEP are long used up.
  const refs = Object.keys(record.packages);
  for (const ref of refs.slice(0, Math.max(0, refs.length - KEEP))) delete record.packages[ref];
  await seal(NAME, record);
  let available: number;
  try {
    available = KeyPackagesAnswer.parse(
      await request<unknown>("/me/device/key-packages", { body: { keyPackages: made.map((p) => mls.b64u(p.message)) } }),
    ).available;
  } catch (err) {
    if (err instanceof ApiError && err.code === "key_packages_full") return;
    throw err;
  }
  if (available < LOW_WATER) await upload(record, BATCH);
}

/** This browser's device (set up, published and stocked with key packages on first use after sign-in). */
export function device(userId: string): Promise<DeviceRecord> {
  if (!current) {
    const p = setUp(userId);
    current = p;
    p.catch(() => {
      if (current === p) current = null;
    });
  }
  return current;
}

/** The private key package a Welcome was made for, if it is one of ours; one more is uploaded in its place. */
export async function takePackage(
  refs: string[],
): Promise<{ message: Uint8Array; privatePackage: mls.OwnKeyPackage["privatePackage"] } | null> {
  if (!current) return null;
  const record = await current;
  const ref = refs.find((r) => r in record.packages);
  if (!ref) return null;
  void upload(record, 1).catch(() => undefined);
  return record.packages[ref] ?? null;
}
