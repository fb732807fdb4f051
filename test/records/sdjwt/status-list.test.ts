import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeStatusList, encodeStatusList, isSet, newStatusList, SdJwtError, setStatus } from "../../../src/records/sdjwt";

// The Token Status List bit array that revocation is published in.

describe("status list", () => {
  it("decodes the draft's example list (1 bit per status, least significant bit first)", async () => {
    // draft-ietf-oauth-status-list, the 1-bit example: bytes 0xB9 0xA3.
    const bits = await decodeStatusList("eNrbuRgAAhcBXQ");
    expect([...bits]).toEqual([0xb9, 0xa3]);
    const expected = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    expect(expected.map((_, i) => (isSet(bits, i) ? 1 : 0))).toEqual(expected);
  });

  it("encodes as ZLIB (RFC 1950) that any zlib reads", async () => {
    const lst = await encodeStatusList(new Uint8Array([0xb9, 0xa3]));
    expect(lst).toMatch(/^[A-Za-z0-9_-]+$/);
    // A ZLIB stream starts with 0x78 (deflate, 32 KiB window), i.e. "eN" or "eJ" or "eA" in base64url.
    expect(lst.startsWith("e")).toBe(true);
    expect([...(await decodeStatusList(lst))]).toEqual([0xb9, 0xa3]);
  });

  it("round-trips any list", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bits) => {
        expect([...(await decodeStatusList(await encodeStatusList(bits)))]).toEqual([...bits]);
      }),
      { numRuns: 100 },
    );
  });

  it("revoking sets exactly that bit, and compresses a large sparse list small", async () => {
    const bits = newStatusList(100_000);
    expect(bits.length).toBe(12_500);
    setStatus(bits, 0);
    setStatus(bits, 42);
    setStatus(bits, 99_999);
    setStatus(bits, 42, false);
    setStatus(bits, 43);
    const lst = await encodeStatusList(bits);
    expect(lst.length).toBeLessThan(200);
    const decoded = await decodeStatusList(lst);
    const set = [];
    for (let i = 0; i < 100_000; i++) if (isSet(decoded, i)) set.push(i);
    expect(set).toEqual([0, 43, 99_999]);
  });

  it("an index outside the list is an error, not 'valid'", () => {
    const bits = newStatusList(16);
    for (const idx of [16, -1, 1.5, Number.NaN]) {
      expect(() => isSet(bits, idx)).toThrow(SdJwtError);
      expect(() => setStatus(bits, idx)).toThrow(/status_index_out_of_range/);
    }
  });

  it.each([
    ["not base64url", "a+b/"],
    ["not zlib", "AAAAAAAA"],
    ["truncated zlib", "eNrbuRgAAh"],
    ["empty", ""],
  ])("refuses an lst that is %s", async (_label, lst) => {
    await expect(decodeStatusList(lst)).rejects.toMatchObject({ code: "malformed_status_list" });
  });

  it("refuses a decompression bomb", async () => {
    const lst = await encodeStatusList(new Uint8Array(5 * 1024 * 1024));
    expect(lst.length).toBeLessThan(10_000);
    await expect(decodeStatusList(lst)).rejects.toMatchObject({ code: "malformed_status_list" });
  });
});
