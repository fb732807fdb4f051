import { describe, expect, it } from "vitest";
import { MAX_PACKAGES_PER_DEVICE } from "../../src/keys/packages";
import { call, callJson, expectProblem, freshPhone, signIn } from "../helpers";
import { b64url, mlsKey, putDevice } from "./support";

// KeyPackages: each handed out once, the last kept as a last resort, only for live devices.

/** A stand-in KeyPackage: random bytes with the device's signature key inside, as a real leaf node has it. */
function keyPackage(mls: string): string {
  const key = Uint8Array.from(atob(mls.replaceAll("-", "+").replaceAll("_", "/")), (ch) => ch.charCodeAt(0));
  const bytes = crypto.getRandomValues(new Uint8Array(300));
  bytes.set(key, 40);
  return b64url(bytes);
}

const upload = (token: string, keyPackages: string[]) => call("/api/v1/me/device/key-packages", { token, body: { keyPackages } });
const claim = (token: string, userId: string) =>
  callJson<{ keyPackages: { deviceId: string; keyPackage: string }[] }>(`/api/v1/users/${userId}/key-packages/claim`, {
    method: "POST",
    token,
  });

async function deviceWithPackages(token: string, n: number): Promise<{ id: string; packages: string[] }> {
  const mls = mlsKey();
  const device = await putDevice(token, { mlsKey: mls });
  const packages = Array.from({ length: n }, () => keyPackage(mls));
  const res = await upload(token, packages);
  expect(res.status, await res.clone().text()).toBe(201);
  expect(await res.json()).toEqual({ available: n });
  return { id: device.id, packages };
}

describe("key packages", () => {
  it("a claim takes the oldest package of each active device; the last one is kept and handed out again", async () => {
    const phone = freshPhone();
    const bob1 = await signIn(phone);
    const bob2 = await signIn(phone);
    const alice = await signIn();
    const d1 = await deviceWithPackages(bob1.accessToken, 2);
    const d2 = await deviceWithPackages(bob2.accessToken, 1);
    const first = await claim(alice.accessToken, bob1.user.id);
    expect(first.status).toBe(200);
    expect(first.body.keyPackages).toEqual([
      { deviceId: d1.id, keyPackage: d1.packages[0] },
      { deviceId: d2.id, keyPackage: d2.packages[0] },
    ]);
    for (let i = 0; i < 2; i++) {
      expect((await claim(alice.accessToken, bob1.user.id)).body.keyPackages).toEqual([
        { deviceId: d1.id, keyPackage: d1.packages[1] },
        { deviceId: d2.id, keyPackage: d2.packages[0] },
      ]);
    }
  });

  it("concurrent claims never get the same consumable package", async () => {
    const bob = await signIn();
    const alice = await signIn();
    const d = await deviceWithPackages(bob.accessToken, 3);
    const got = await Promise.all(Array.from({ length: 5 }, () => claim(alice.accessToken, bob.user.id)));
    const packages = got.map((g) => g.body.keyPackages[0]?.keyPackage).sort();
    const last = d.packages[2] ?? "";
    expect(packages).toEqual([d.packages[0], d.packages[1], last, last, last].sort());
  });

  it("claiming one's own packages leaves out the calling device; a signed-out device's packages are gone", async () => {
    const phone = freshPhone();
    const laptop = await signIn(phone);
    const tablet = await signIn(phone);
    const alice = await signIn();
    await deviceWithPackages(laptop.accessToken, 2);
    const t = await deviceWithPackages(tablet.accessToken, 2);
    expect((await claim(laptop.accessToken, laptop.user.id)).body.keyPackages.map((k) => k.deviceId)).toEqual([t.id]);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: tablet.accessToken })).status).toBe(204);
    expect((await claim(alice.accessToken, laptop.user.id)).body.keyPackages).toHaveLength(1);
    expect((await claim(alice.accessToken, laptop.user.id)).body.keyPackages.map((k) => k.deviceId)).not.toContain(t.id);
  });

  it("refuses packages that are malformed, too big, too many, or not the device's, and stores none of them", async () => {
    const bob = await signIn();
    const alice = await signIn();
    await expectProblem(await upload(bob.accessToken, [b64url(new Uint8Array(10))]), 404, "not_found");
    await putDevice(bob.accessToken, { name: "no keys yet" });
    await expectProblem(await upload(bob.accessToken, [b64url(new Uint8Array(10))]), 409, "mls_key_required");
    const mls = mlsKey();
    await putDevice(bob.accessToken, { mlsKey: mls });
    const bad: [string[], number, string][] = [
      [["not*base64"], 400, "validation_failed"],
      [[`${keyPackage(mls)}=`], 400, "validation_failed"],
      [[""], 400, "validation_failed"],
      [[b64url(new Uint8Array(3000))], 400, "validation_failed"],
      [Array.from({ length: 21 }, () => keyPackage(mls)), 400, "validation_failed"],
      [[], 400, "validation_failed"],
      [[keyPackage(mls), keyPackage(mlsKey())], 400, "key_package_mismatch"],
    ];
    for (const [packages, status, code] of bad) await expectProblem(await upload(bob.accessToken, packages), status, code);
    expect((await claim(alice.accessToken, bob.user.id)).body.keyPackages).toEqual([]);
  });

  it(`keeps at most ${MAX_PACKAGES_PER_DEVICE} per device: an upload over the cap stores nothing`, async () => {
    const bob = await signIn();
    const mls = mlsKey();
    await putDevice(bob.accessToken, { mlsKey: mls });
    for (let i = 0; i < MAX_PACKAGES_PER_DEVICE / 20; i++) {
      expect(
        (
          await upload(
            bob.accessToken,
            Array.from({ length: 20 }, () => keyPackage(mls)),
          )
        ).status,
      ).toBe(201);
    }
    await expectProblem(await upload(bob.accessToken, [keyPackage(mls), keyPackage(mls)]), 409, "key_packages_full");
    const alice = await signIn();
    // 99 consumable and the last resort: the cap held, and the refused upload left nothing behind.
    const seen = new Set<string>();
    for (let i = 0; i < MAX_PACKAGES_PER_DEVICE; i++) {
      for (const k of (await claim(alice.accessToken, bob.user.id)).body.keyPackages) seen.add(k.keyPackage);
    }
    expect(seen.size).toBe(MAX_PACKAGES_PER_DEVICE);
  });

  it("needs a citizen token; an unknown user answers 404", async () => {
    const alice = await signIn();
    await expectProblem(
      await call("/api/v1/users/01HZZZZZZZZZZZZZZZZZZZZZZZ/key-packages/claim", { method: "POST", token: alice.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await call(`/api/v1/users/${alice.user.id}/key-packages/claim`, { method: "POST" }), 401, "unauthorized");
    await expectProblem(await upload("", [b64url(new Uint8Array(10))]), 401, "unauthorized");
  });
});
