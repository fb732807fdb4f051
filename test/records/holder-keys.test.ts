// Holder keys on the citizen's devices (issue 14): the server answers presentations without key binding, only
// the device's own key makes a key binding that verifies, no holder private key is stored anywhere, records
// issued before (or while there was no device key) are re-bound, a new device gets the records by a transfer
// approved on an old one or a re-issue by the agency, and a device that signs out loses its copies.
import { env } from "cloudflare:workers";
import { CompactSign, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { agencySigningKey } from "../../src/agencies/store";
import { issueCredential, present } from "../../src/records/sdjwt";
import { call, callJson, expectProblem, freshPhone, newAgency, type SignedIn, signIn, type TestAgency } from "../helpers";

interface Device {
  session: SignedIn;
  privateKey: CryptoKey;
  jwk: JWK;
  id: string;
}

interface RecordBody {
  id: string;
  credential: string;
  binding: "device" | "pending" | "other_device" | "none";
}

type Verdict = { valid: boolean; claims: Record<string, unknown>; error?: string };

const AUDIENCE = "https://bank.example";
const CLAIMS = { given_name: "Анна", birthdate: "1990-05-17", category: "B" };

/** A signed-in browser: its own P-256 key pair, the public half published as the device's holder key. */
async function device(phone?: string, name = "test device"): Promise<Device> {
  const session = await signIn(phone, name);
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const jwk = { kty, crv, x, y };
  const res = await callJson<{ device: { id: string; holderKey: JWK } }>("/api/v1/me/device", {
    method: "PUT",
    token: session.accessToken,
    body: { holderKey: jwk },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.device.holderKey).toEqual(jwk);
  return { session, privateKey: privateKey as CryptoKey, jwk, id: res.body.device.id };
}

const issue = async (agency: TestAgency, phone: string, claims: Record<string, unknown> = CLAIMS) => {
  const res = await callJson<{ record: RecordBody }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: phone, type: "driving_licence", claims },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.record;
};

const recordOf = async (who: SignedIn, id: string) =>
  (await callJson<{ record: RecordBody }>(`/api/v1/records/${id}`, { token: who.accessToken })).body.record;

const presentation = async (who: SignedIn, id: string, body: Record<string, unknown>) => {
  const res = await callJson<{ presentation: string }>(`/api/v1/records/${id}/presentations`, { token: who.accessToken, body });
  expect(res.status).toBe(201);
  return res.body.presentation;
};

const verify = async (body: Record<string, unknown>) => (await callJson<Verdict>("/api/v1/verify", { body })).body;

/** What the browser does: the server's presentation plus a KB-JWT signed with the device's key. */
const keyBound = (sdJwt: string, privateKey: CryptoKey, nonce: string) =>
  present(sdJwt.replace(/~[^~]*$/, "~"), disclosedNames(sdJwt), { audience: AUDIENCE, nonce, holderKey: { privateKey } });

const unb64url = (s: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)));
const disclosedNames = (p: string) =>
  p
    .split("~")
    .slice(1)
    .filter((d) => d && !d.includes("."))
    .map((d) => (JSON.parse(unb64url(d)) as [string, string, unknown])[1]);

const cnfOf = (sdJwt: string) => (decodeJwt(sdJwt.split("~")[0] ?? "") as { cnf?: { jwk?: JWK } }).cnf?.jwk;

/** An approval as the old device's app makes it: its holder key signs the request id and the new key's thumbprint. */
async function approval(transferId: string, newKey: JWK, signer: CryptoKey, overrides: Record<string, unknown> = {}) {
  const payload = {
    transfer: transferId,
    jkt: await calculateJwkThumbprint(newKey, "sha256"),
    iat: Math.floor(Date.now() / 1000),
    ...overrides,
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "ES256", typ: "holder-transfer+jwt" })
    .sign(signer);
}

const credentialRows = (recordId: string) =>
  env.DB.prepare("SELECT device_id, holder_jwk FROM record_credentials WHERE record_id = ?1 ORDER BY device_id")
    .bind(recordId)
    .all<{ device_id: string; holder_jwk: string }>()
    .then((r) => r.results);

describe("holder keys on devices", () => {
  it("presentations come without key binding, even when an audience and a nonce are given", async () => {
    const agency = await newAgency();
    const anna = await device();
    const record = await issue(agency, anna.session.phone);
    const p = await presentation(anna.session, record.id, { disclose: ["birthdate"], audience: AUDIENCE, nonce: "n-1" });
    expect(p.endsWith("~")).toBe(true);
    expect(disclosedNames(p)).toEqual(["birthdate"]);
    expect(await verify({ presentation: p, audience: AUDIENCE, nonce: "n-1" })).toMatchObject({
      valid: false,
      error: "key_binding_required",
    });
    // Without a challenge it is a valid presentation of just that claim.
    expect(await verify({ presentation: p })).toMatchObject({ valid: true, claims: { birthdate: "1990-05-17" } });
  });

  it("a key binding made with the device's own key verifies; one made with any other key does not", async () => {
    const agency = await newAgency();
    const anna = await device();
    const record = await issue(agency, anna.session.phone);
    const mine = await recordOf(anna.session, record.id);
    expect(mine.binding).toBe("device");
    expect(cnfOf(mine.credential)).toEqual(anna.jwk);
    const p = await presentation(anna.session, record.id, { disclose: ["given_name"] });
    expect(cnfOf(p)).toEqual(anna.jwk);
    const bound = await keyBound(p, anna.privateKey, "n-2");
    expect(await verify({ presentation: bound, audience: AUDIENCE, nonce: "n-2" })).toMatchObject({
      valid: true,
      claims: { given_name: "Анна" },
    });
    expect((await verify({ presentation: bound, audience: AUDIENCE, nonce: "other" })).valid).toBe(false);
    const { privateKey: stranger } = await generateKeyPair("ES256");
    expect(await verify({ presentation: await keyBound(p, stranger as CryptoKey, "n-2"), audience: AUDIENCE, nonce: "n-2" })).toMatchObject(
      { valid: false, error: "key_binding_invalid" },
    );
  });

  it("keep no holder private key anywhere in D1, so no server-made key binding is possible", async () => {
    const agency = await newAgency();
    const anna = await device();
    await issue(agency, anna.session.phone);
    expect(await env.DB.prepare("SELECT name FROM sqlite_master WHERE name = 'holder_keys'").first()).toBeNull();
    for (const table of ["devices", "record_credentials", "holder_transfers", "records"]) {
      const { results } = await env.DB.prepare(`SELECT name FROM pragma_table_info('${table}')`).all<{ name: string }>();
      expect(results.length, table).toBeGreaterThan(0);
      expect(
        results.map((c) => c.name).filter((n) => /private|sealed|secret/.test(n)),
        table,
      ).toEqual([]);
    }
    // No stored key or credential carries a private JWK member ("d").
    const keys = await env.DB.prepare(
      `SELECT holder_key AS k FROM devices WHERE holder_key IS NOT NULL
       UNION ALL SELECT holder_jwk FROM record_credentials UNION ALL SELECT to_holder_jwk FROM holder_transfers`,
    ).all<{ k: string }>();
    expect(keys.results.length).toBeGreaterThan(0);
    for (const { k } of keys.results) expect(Object.keys(JSON.parse(k)).sort()).toEqual(["crv", "kty", "x", "y"]);
  });

  it("re-bind records issued before holder keys moved to devices, and records issued while there was no device key", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    // What migration 0014 leaves of an old record: a credential bound to a server-held key that is gone, bound_at NULL.
    const { publicKey } = await generateKeyPair("ES256");
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const old = await issue(agency, anna.phone);
    const legacy = await issueCredential({
      issuer: `${env.ISSUER}/api/v1/agencies/${agency.agency.id}`,
      vct: "urn:veche:vct:driving_licence",
      claims: CLAIMS,
      holderJwk: { kty, crv, x, y },
      key: await agencySigningKey(env, agency.agency.id),
    });
    await env.DB.prepare("UPDATE records SET credential = ?2, bound_at = NULL WHERE id = ?1").bind(old.id, legacy).run();
    expect(await credentialRows(old.id)).toEqual([]);
    const meanwhile = await issue(agency, anna.phone, { category: "C" });
    expect(meanwhile.binding).toBe("pending");
    expect(cnfOf(meanwhile.credential)).toBeUndefined();
    expect((await recordOf(anna, meanwhile.id)).binding).toBe("pending");

    // The browser publishes its key (the same session becomes a device with a holder key).
    const { publicKey: devicePub, privateKey } = await generateKeyPair("ES256");
    const jwk = await exportJWK(devicePub);
    const deviceJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    expect((await call("/api/v1/me/device", { method: "PUT", token: anna.accessToken, body: { holderKey: deviceJwk } })).status).toBe(200);
    const { records } = (await callJson<{ records: RecordBody[] }>("/api/v1/records", { token: anna.accessToken })).body;
    expect(records.map((r) => [r.id, r.binding]).sort()).toEqual(
      [
        [old.id, "device"],
        [meanwhile.id, "device"],
      ].sort(),
    );
    for (const r of records) {
      expect(cnfOf(r.credential)).toEqual(deviceJwk);
      const p = await presentation(anna, r.id, { disclose: [] });
      const bound = await keyBound(p, privateKey as CryptoKey, "n-3");
      expect(await verify({ presentation: bound, audience: AUDIENCE, nonce: "n-3" })).toMatchObject({ valid: true });
    }
    // Re-issued under the agency's own key with the same status bit: revoking the record revokes the copy
    // (a presentation made before; after it, the record is no longer presented at all).
    const rebound = await presentation(anna, old.id, { disclose: ["category"] });
    await call(`/api/v1/agency/records/${old.id}/revoke`, { method: "POST", token: agency.token });
    expect(await verify({ presentation: rebound })).toMatchObject({ valid: true, revoked: true });
    const refused = await call(`/api/v1/records/${old.id}/presentations`, {
      method: "POST",
      token: anna.accessToken,
      body: { disclose: [] },
    });
    await expectProblem(refused, 409, "record_revoked");
  });

  it("a new device gets the records through a transfer signed on the old device's key; a forged approval changes nothing", async () => {
    const agency = await newAgency();
    const phone = freshPhone();
    const old = await device(phone, "Телефон");
    const record = await issue(agency, phone);
    const fresh = await device(phone, "Ноутбук");
    expect((await recordOf(fresh.session, record.id)).binding).toBe("other_device");
    // Merely signing in binds nothing: no credential names the new device's key.
    expect((await credentialRows(record.id)).map((r) => r.device_id)).toEqual([old.id]);

    const asked = await callJson<{ transfer: { id: string; status: string; fromThisDevice: boolean; thumbprint: string } }>(
      "/api/v1/records/transfers",
      { method: "POST", token: fresh.session.accessToken },
    );
    expect(asked.status).toBe(201);
    const id = asked.body.transfer.id;
    expect(asked.body.transfer.thumbprint).toBe(await calculateJwkThumbprint(fresh.jwk, "sha256"));
    const seen = await callJson<{ transfers: { id: string; deviceName: string; fromThisDevice: boolean; holderKey: JWK }[] }>(
      "/api/v1/records/transfers",
      { token: old.session.accessToken },
    );
    expect(seen.body.transfers).toEqual([
      expect.objectContaining({ id, deviceName: "Ноутбук", fromThisDevice: false, holderKey: fresh.jwk }),
    ]);

    const approve = (who: Device, signature: string) =>
      call(`/api/v1/records/transfers/${id}/approve`, { token: who.session.accessToken, body: { signature } });
    // Forged: signed by the new device's own key, by a stranger's key, or over another key.
    await expectProblem(await approve(old, await approval(id, fresh.jwk, fresh.privateKey)), 400, "invalid_signature");
    const { privateKey: stranger, publicKey: strangerPub } = await generateKeyPair("ES256");
    await expectProblem(await approve(old, await approval(id, fresh.jwk, stranger as CryptoKey)), 400, "invalid_signature");
    await expectProblem(await approve(old, await approval(id, await exportJWK(strangerPub), old.privateKey)), 400, "invalid_signature");
    await expectProblem(
      await approve(old, await approval("another", fresh.jwk, old.privateKey, { transfer: "x" })),
      400,
      "invalid_signature",
    );
    await expectProblem(await approve(fresh, await approval(id, fresh.jwk, fresh.privateKey)), 409, "own_request");
    expect((await recordOf(fresh.session, record.id)).binding).toBe("other_device");
    expect((await credentialRows(record.id)).map((r) => r.device_id)).toEqual([old.id]);

    const ok = await callJson<{ transfer: { status: string; records: number } }>(`/api/v1/records/transfers/${id}/approve`, {
      token: old.session.accessToken,
      body: { signature: await approval(id, fresh.jwk, old.privateKey) },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.transfer).toMatchObject({ status: "approved", records: 1 });
    const moved = await recordOf(fresh.session, record.id);
    expect(moved.binding).toBe("device");
    expect(cnfOf(moved.credential)).toEqual(fresh.jwk);
    const p = await presentation(fresh.session, record.id, { disclose: ["category"] });
    expect(await verify({ presentation: await keyBound(p, fresh.privateKey, "n-4"), audience: AUDIENCE, nonce: "n-4" })).toMatchObject({
      valid: true,
    });
    // The old device keeps its own copy; the request cannot be answered twice.
    expect((await recordOf(old.session, record.id)).binding).toBe("device");
    await expectProblem(await approve(old, await approval(id, fresh.jwk, old.privateKey)), 409, "transfer_not_pending");
  });

  it("a device that signs out or is revoked loses its credentials", async () => {
    const agency = await newAgency();
    const phone = freshPhone();
    const first = await device(phone);
    const second = await device(phone);
    const third = await device(phone);
    const record = await issue(agency, phone);
    expect((await credentialRows(record.id)).map((r) => r.device_id).sort()).toEqual([first.id, second.id, third.id].sort());

    expect((await call("/api/v1/auth/logout", { method: "POST", token: first.session.accessToken })).status).toBe(204);
    expect((await credentialRows(record.id)).map((r) => r.device_id).sort()).toEqual([second.id, third.id].sort());
    // The second device is revoked from the third (after the sign-out, it is the only other active session).
    const sessions = await callJson<{ sessions: { id: string; current: boolean }[] }>("/api/v1/sessions", {
      token: third.session.accessToken,
    });
    const others = sessions.body.sessions.filter((s) => !s.current);
    expect(others).toHaveLength(1);
    for (const s of others)
      expect((await call(`/api/v1/sessions/${s.id}`, { method: "DELETE", token: third.session.accessToken })).status).toBe(204);
    expect((await credentialRows(record.id)).map((r) => r.device_id)).toEqual([third.id]);
    expect((await recordOf(third.session, record.id)).binding).toBe("device");
    // Each holder key was published to, and revoked in, the citizen's public key log.
    const log = await callJson<{ entries: { deviceId: string; action: string; use: string; key: unknown }[] }>(
      `/api/v1/users/${third.session.user.id}/key-log`,
      { token: third.session.accessToken },
    );
    const holder = log.body.entries.filter((e) => e.use === "holder").map((e) => [e.deviceId, e.action, e.key]);
    expect(holder).toEqual(
      expect.arrayContaining([
        [first.id, "added", first.jwk],
        [first.id, "revoked", first.jwk],
        [second.id, "revoked", second.jwk],
        [third.id, "added", third.jwk],
      ]),
    );
    expect(holder).not.toContainEqual([third.id, "revoked", third.jwk]);
  });

  it("a refused request, or one from a device that then signs out, binds nothing", async () => {
    const agency = await newAgency();
    const phone = freshPhone();
    const old = await device(phone);
    const record = await issue(agency, phone);
    const fresh = await device(phone);
    const ask = async (who: Device) =>
      (await callJson<{ transfer: { id: string } }>("/api/v1/records/transfers", { method: "POST", token: who.session.accessToken })).body
        .transfer.id;
    const refused = await ask(fresh);
    await expectProblem(
      await call(`/api/v1/records/transfers/${refused}/deny`, { method: "POST", token: fresh.session.accessToken }),
      409,
      "own_request",
    );
    const denied = await callJson<{ transfer: { status: string } }>(`/api/v1/records/transfers/${refused}/deny`, {
      method: "POST",
      token: old.session.accessToken,
    });
    expect(denied.body.transfer.status).toBe("denied");
    await expectProblem(
      await call(`/api/v1/records/transfers/${refused}/approve`, {
        token: old.session.accessToken,
        body: { signature: await approval(refused, fresh.jwk, old.privateKey) },
      }),
      409,
      "transfer_not_pending",
    );
    const later = await ask(fresh);
    expect(later).not.toBe(refused);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: fresh.session.accessToken })).status).toBe(204);
    const gone = await callJson<{ transfers: { id: string; status: string }[] }>("/api/v1/records/transfers", {
      token: old.session.accessToken,
    });
    expect(gone.body.transfers.find((t) => t.id === later)?.status).toBe("denied");
    await expectProblem(
      await call(`/api/v1/records/transfers/${later}/approve`, {
        token: old.session.accessToken,
        body: { signature: await approval(later, fresh.jwk, old.privateKey) },
      }),
      409,
      "transfer_not_pending",
    );
    expect((await credentialRows(record.id)).map((r) => r.device_id)).toEqual([old.id]);
  });

  it("the issuing agency re-issues a record to a citizen who lost every device holding it", async () => {
    const agency = await newAgency("МВД (тест)");
    const phone = freshPhone();
    const lost = await device(phone);
    const record = await issue(agency, phone);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: lost.session.accessToken })).status).toBe(204);
    const fresh = await device(phone);
    expect((await recordOf(fresh.session, record.id)).binding).toBe("none");
    await expectProblem(
      await call(`/api/v1/records/transfers`, { method: "POST", token: (await signIn(phone)).accessToken }),
      409,
      "no_holder_key",
    );

    const other = await newAgency();
    await expectProblem(
      await call(`/api/v1/agency/records/${record.id}/reissue`, { method: "POST", token: other.token }),
      404,
      "not_found",
    );
    const res = await callJson<{ record: RecordBody; devices: number }>(`/api/v1/agency/records/${record.id}/reissue`, {
      method: "POST",
      token: agency.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.devices).toBe(1);
    const mine = await recordOf(fresh.session, record.id);
    expect(mine.binding).toBe("device");
    expect(cnfOf(mine.credential)).toEqual(fresh.jwk);
    const log = await callJson<{ entries: { action: string; resource: string }[] }>("/api/v1/me/access-log", {
      token: fresh.session.accessToken,
    });
    expect(log.body.entries.map((e) => e.action)).toEqual(["create", "reissue"]);

    await call(`/api/v1/agency/records/${record.id}/revoke`, { method: "POST", token: agency.token });
    await expectProblem(
      await call(`/api/v1/agency/records/${record.id}/reissue`, { method: "POST", token: agency.token }),
      409,
      "record_revoked",
    );
  });
});

describe("records on devices with their type's words", () => {
  interface Shown extends RecordBody {
    display: { name: string; claims: Record<string, string> };
  }
  const LICENCE = {
    name: { ru: "Водительское удостоверение", en: "Driving licence" },
    claims: { given_name: { label: { ru: "Имя", en: "Given name" } }, birthdate: { label: { ru: "Дата рождения" }, format: "date" } },
  };

  it("each answer carries the device's own credential and binding together with the display", async () => {
    const agency = await newAgency("ГИБДД (устройства и типы)");
    const published = await call("/api/v1/agency/record-types/driving_licence", { method: "PUT", token: agency.token, body: LICENCE });
    expect(published.status).toBe(200);
    const phone = freshPhone();
    const phoneDevice = await device(phone);
    const issued = await callJson<{ record: Shown & { binding: string } }>("/api/v1/agency/records", {
      token: agency.token,
      body: { citizenPhone: phone, type: "driving_licence", claims: CLAIMS },
    });
    expect(issued.status).toBe(201);
    expect(issued.body.record).toMatchObject({ binding: "device", display: { name: "Водительское удостоверение" } });

    const english = { token: phoneDevice.session.accessToken, headers: { "accept-language": "en" } };
    const list = await callJson<{ records: Shown[] }>("/api/v1/records", english);
    const one = await callJson<{ record: Shown }>(`/api/v1/records/${issued.body.record.id}`, english);
    for (const r of [list.body.records[0], one.body.record]) {
      expect(r?.binding).toBe("device");
      expect(cnfOf(r?.credential ?? "")).toEqual(phoneDevice.jwk);
      expect(r?.display).toMatchObject({ name: "Driving licence", claims: { given_name: "Given name", birthdate: "Дата рождения" } });
    }

    // The server's presentation comes from this device's copy and carries no key binding; the device adds it.
    const sdJwt = await presentation(phoneDevice.session, issued.body.record.id, { disclose: ["given_name"] });
    expect(sdJwt.endsWith("~")).toBe(true);
    const verdict = await callJson<Verdict & { display: Shown["display"] }>("/api/v1/verify", {
      body: { presentation: await keyBound(sdJwt, phoneDevice.privateKey, "n-display"), audience: AUDIENCE, nonce: "n-display" },
    });
    expect(verdict.body).toMatchObject({ valid: true, display: { name: "Водительское удостоверение", claims: { given_name: "Имя" } } });

    // A lost phone: the re-issue answer and the agency's list speak the type's words too, without a credential.
    expect((await call("/api/v1/auth/logout", { method: "POST", token: phoneDevice.session.accessToken })).status).toBe(204);
    const laptop = await device(phone);
    expect((await recordOf(laptop.session, issued.body.record.id)).binding).toBe("none");
    const reissued = await callJson<{ record: Shown; devices: number }>(`/api/v1/agency/records/${issued.body.record.id}/reissue`, {
      method: "POST",
      token: agency.token,
      headers: { "accept-language": "en" },
    });
    expect(reissued.status).toBe(200);
    expect(reissued.body).toMatchObject({ devices: 1, record: { binding: "device", display: { name: "Driving licence" } } });
    const mine = await recordOf(laptop.session, issued.body.record.id);
    expect(mine.binding).toBe("device");
    expect(cnfOf(mine.credential)).toEqual(laptop.jwk);
    const listed = await callJson<{ records: (Shown & { credential?: string; binding?: string })[] }>("/api/v1/agency/records", {
      token: agency.token,
    });
    expect(listed.body.records).toHaveLength(1);
    expect(listed.body.records[0]?.display.name).toBe("Водительское удостоверение");
    expect(listed.body.records[0]?.credential).toBeUndefined();
    expect(listed.body.records[0]?.binding).toBeUndefined();
  });
});
