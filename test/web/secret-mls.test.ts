// The secret chats' MLS wrapper (src/web/citizen/secret/mls.ts) with ts-mls's real cryptography: two users
// with two devices each share one group, every device reads every other's messages, a device added later
// reads what is sent after it joined, and a removed device (signed out) cannot read anything sent later.
import { describe, expect, test } from "vitest";
import * as mls from "../../src/web/citizen/secret/mls";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Device {
  who: mls.DeviceRef;
  keys: mls.SignatureKeys;
  packages: mls.OwnKeyPackage[];
  state: Uint8Array | null;
}

async function device(userId: string, deviceId: string): Promise<Device> {
  const keys = await mls.newSignatureKeys();
  const who = { userId, deviceId };
  return { who, keys, packages: await mls.makeKeyPackages(keys, who, 2), state: null };
}

/** What the server would do: hand a Welcome to the device whose key package it names. */
async function welcome(d: Device, message: Uint8Array) {
  const refs = mls.welcomeRefs(message);
  const own = d.packages.find((p) => refs.includes(p.ref));
  if (!own) throw new Error(`no key package of ${d.who.deviceId} in the welcome`);
  d.state = await mls.join(message, own);
}

async function apply(d: Device, commit: Uint8Array) {
  if (!d.state) throw new Error("not in the group");
  const r = await mls.receive(d.state, commit);
  if (r.kind !== "commit") throw new Error("not a commit");
  d.state = r.state;
  return r;
}

async function send(d: Device, text: string) {
  if (!d.state) throw new Error("not in the group");
  const r = await mls.encrypt(d.state, enc.encode(text));
  d.state = r.state;
  return r.message;
}

async function read(d: Device, message: Uint8Array) {
  if (!d.state) throw new Error("not in the group");
  const r = await mls.receive(d.state, message);
  if (r.kind !== "application") throw new Error("not an application message");
  d.state = r.state;
  return dec.decode(r.plaintext);
}

describe("secret chat groups", () => {
  test("two users with two devices each: every device reads every message; a removed device reads nothing later", async () => {
    const anna1 = await device("u_anna", "d_a1");
    const anna2 = await device("u_anna", "d_a2");
    const boris1 = await device("u_boris", "d_b1");
    const boris2 = await device("u_boris", "d_b2");
    // The key package names its owner and the signature key the key log must list.
    expect(mls.keyPackageOwner(boris1.packages[0]?.message ?? new Uint8Array())).toMatchObject({ userId: "u_boris", deviceId: "d_b1" });

    anna1.state = await mls.newGroup(anna1.keys, anna1.who, "c_secret");
    const add = await mls.commit(anna1.state, {
      add: [anna2, boris1, boris2].map((d) => d.packages[0]?.message ?? new Uint8Array()),
    });
    anna1.state = add.state;
    expect(add.welcome).not.toBeNull();
    for (const d of [anna2, boris1, boris2]) await welcome(d, add.welcome ?? new Uint8Array());
    const everyone = [anna1, anna2, boris1, boris2];
    for (const d of everyone) {
      expect(mls.epochOf(d.state ?? new Uint8Array())).toBe(1);
      expect(
        mls
          .members(d.state ?? new Uint8Array())
          .map((m) => m.deviceId)
          .sort(),
      ).toEqual(["d_a1", "d_a2", "d_b1", "d_b2"]);
    }
    // Each member's signature key in the tree is the one its device published.
    const inTree = mls.members(boris2.state ?? new Uint8Array()).find((m) => m.deviceId === "d_a2");
    expect(inTree?.signatureKey).toEqual(anna2.keys.publicKey);

    const hello = await send(anna1, "Привет, Борис");
    for (const d of [anna2, boris1, boris2]) expect(await read(d, hello)).toBe("Привет, Борис");
    const reply = await send(boris2, "Привет! Это с телефона");
    for (const d of [anna1, anna2, boris1]) expect(await read(d, reply)).toBe("Привет! Это с телефона");
    // The ciphertext does not carry the text.
    expect(dec.decode(reply)).not.toContain("телефона");

    // Boris signs out on his laptop: Anna's second device removes it before the next message.
    const removal = await mls.commit(anna2.state ?? new Uint8Array(), { removeDevices: ["d_b1"] });
    anna2.state = removal.state;
    for (const d of [anna1, boris2]) await apply(d, removal.commit);
    const removed = await apply(boris1, removal.commit);
    expect(removed.removed).toBe(true);
    expect(mls.isActive(boris1.state ?? new Uint8Array())).toBe(false);

    const after = await send(anna1, "Секрет после выхода");
    expect(await read(boris2, after)).toBe("Секрет после выхода");
    expect(await read(anna2, after)).toBe("Секрет после выхода");
    await expect(read(boris1, after)).rejects.toThrow();

    // A new device of Boris is added by any member device and reads from then on.
    const boris3 = await device("u_boris", "d_b3");
    const add3 = await mls.commit(boris2.state ?? new Uint8Array(), { add: [boris3.packages[1]?.message ?? new Uint8Array()] });
    boris2.state = add3.state;
    for (const d of [anna1, anna2]) await apply(d, add3.commit);
    await welcome(boris3, add3.welcome ?? new Uint8Array());
    const later = await send(anna2, "Видишь на новом?");
    for (const d of [anna1, boris2, boris3]) expect(await read(d, later)).toBe("Видишь на новом?");
    await expect(read(boris1, later)).rejects.toThrow();
    // The new device cannot read what was sent before it joined.
    await expect(read(boris3, after)).rejects.toThrow();
  });

  test("state survives serialisation: a restored state still decrypts and encrypts", async () => {
    const a = await device("u_a", "d_1");
    const b = await device("u_b", "d_2");
    a.state = await mls.newGroup(a.keys, a.who, "c_x");
    const r = await mls.commit(a.state, { add: [b.packages[0]?.message ?? new Uint8Array()] });
    a.state = r.state;
    await welcome(b, r.welcome ?? new Uint8Array());
    // Bytes in, bytes out: copying them is what storing and reading back does.
    b.state = new Uint8Array(b.state ?? []);
    expect(await read(b, await send(a, "раз"))).toBe("раз");
    expect(await read(a, await send(b, "два"))).toBe("два");
  });

  test("malformed bytes from the server are refused", async () => {
    const a = await device("u_a", "d_1");
    a.state = await mls.newGroup(a.keys, a.who, "c_y");
    await expect(mls.receive(a.state, new Uint8Array([1, 2, 3]))).rejects.toThrow();
    expect(() => mls.welcomeRefs(a.packages[0]?.message ?? new Uint8Array())).toThrow(/not a welcome/);
  });
});
