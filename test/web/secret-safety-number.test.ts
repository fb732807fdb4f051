// Safety numbers of secret chats (src/web/citizen/secret/safety-number.ts): both people see the same 60
// digits, any change of either user's device keys changes them, and the key log a client checks them
// against is recomputed so that an edited or truncated log is caught (src/web/lib/chain.ts).
import { describe, expect, test } from "vitest";
import { canonicalize } from "../../src/audit/jcs";
import { hex } from "../../src/lib/ids";
import { fingerprint, groups, keySetId, safetyNumber } from "../../src/web/citizen/secret/safety-number";
import { type KeyLogEntry, verifyKeyLog } from "../../src/web/lib/chain";

const key = (n: number) =>
  btoa(String.fromCharCode(...new Uint8Array(32).fill(n)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

describe("safety numbers", () => {
  test("both sides compute the same 60 digits; a new device key changes them", async () => {
    const anna = { userId: "u_anna", keys: [key(1), key(2)] };
    const boris = { userId: "u_boris", keys: [key(3)] };
    const seenByAnna = await safetyNumber(anna, boris);
    const seenByBoris = await safetyNumber(boris, { ...anna, keys: [key(2), key(1)] });
    expect(seenByAnna).toMatch(/^\d{60}$/);
    expect(seenByBoris).toBe(seenByAnna);
    expect(groups(seenByAnna)).toHaveLength(12);
    expect(await safetyNumber(anna, { ...boris, keys: [key(3), key(4)] })).not.toBe(seenByAnna);
    expect(await fingerprint("u_boris", [key(3)])).not.toBe(await fingerprint("u_other", [key(3)]));
    expect(keySetId([key(1), key(2)])).toBe(keySetId([key(2), key(1)]));
  });
});

async function chain(userId: string, steps: { deviceId: string; action: "added" | "revoked"; key: string }[]) {
  const entries: KeyLogEntry[] = [];
  let prevHash = "0".repeat(64);
  for (const [i, s] of steps.entries()) {
    const unhashed = { seq: i + 1, at: `2026-12-01T19:0${i}:00.000Z`, userId, ...s, use: "mls", prevHash };
    const hash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${prevHash}\n${canonicalize(unhashed)}`)));
    entries.push({ ...unhashed, hash });
    prevHash = hash;
  }
  return { entries, head: prevHash };
}

describe("the key log, recomputed on the device", () => {
  test("live keys are the added ones not revoked since; an edited, cut or foreign log is refused", async () => {
    const { entries, head } = await chain("u_b", [
      { deviceId: "d_1", action: "added", key: key(1) },
      { deviceId: "d_2", action: "added", key: key(2) },
      { deviceId: "d_1", action: "revoked", key: key(1) },
    ]);
    const ok = await verifyKeyLog(entries, head, "u_b");
    expect(ok.valid && [...ok.live.keys()]).toEqual([key(2)]);
    // The server swaps a key for its own: the hash no longer matches.
    const edited = entries.map((e) => (e.seq === 2 ? { ...e, key: key(9) } : e));
    expect(await verifyKeyLog(edited, head, "u_b")).toEqual({ valid: false, brokenAt: 2 });
    // The revocation is hidden: the chain no longer ends at the head.
    expect(await verifyKeyLog(entries.slice(0, 2), head, "u_b")).toEqual({ valid: false, brokenAt: 3 });
    // Another user's log served as this one's.
    expect((await verifyKeyLog(entries, head, "u_a")).valid).toBe(false);
  });
});
