import { env } from "cloudflare:workers";
import { generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { decodeStatusList, isSet, issueCredential, verifyPresentation } from "../../src/records/sdjwt";
import { type TestAgency as Agency, call, callJson, expectProblem, newAgency, type SignedIn, signIn } from "../helpers";

interface RecordBody {
  id: string;
  credential: string;
  claims: Record<string, unknown>;
  revoked: boolean;
  type: string;
}

const b64url = (text: string) => {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
};
const unb64url = (s: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)));
/** The claim names a presentation's disclosures reveal. */
const disclosedNames = (p: string) =>
  p
    .split("~")
    .slice(1)
    .filter((d) => d && !d.includes("."))
    .map((d) => (JSON.parse(unb64url(d)) as [string, string, unknown])[1]);

const CLAIMS = { given_name: "Анна", family_name: "Петрова", birthdate: "1990-05-17", category: "B", address: { city: "Москва" } };

async function issue(agency: Agency, citizen: SignedIn, claims: Record<string, unknown> = CLAIMS) {
  return callJson<{ record: RecordBody }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, type: "driving_licence", claims },
  });
}

const presentation = async (citizen: SignedIn, recordId: string, body: Record<string, unknown>) =>
  callJson<{ presentation: string }>(`/api/v1/records/${recordId}/presentations`, { token: citizen.accessToken, body });

type Verdict = {
  valid: boolean;
  issuer: { id: string; name: string } | null;
  type: string | null;
  claims: Record<string, unknown>;
  revoked: boolean | null;
  error?: string;
};
const verify = async (body: Record<string, unknown>) => (await callJson<Verdict>("/api/v1/verify", { body })).body;

describe("records", () => {
  it("are issued as SD-JWT VCs, listed for the citizen and announced in the official chat", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { status, body } = await issue(agency, anna);
    expect(status).toBe(201);
    expect(body.record).toMatchObject({ type: "driving_licence", claims: CLAIMS, revoked: false });
    expect(body.record.credential.split("~").length).toBeGreaterThan(5);
    const list = await callJson<{ records: RecordBody[] }>("/api/v1/records", { token: anna.accessToken });
    expect(list.body.records.map((r) => r.id)).toEqual([body.record.id]);
    const chats = await callJson<{ chats: { type: string; lastMessage: { actions: unknown[] } }[] }>("/api/v1/chats", {
      token: anna.accessToken,
    });
    expect(chats.body.chats.find((c) => c.type === "official")?.lastMessage.actions).toEqual([
      { type: "view_record", label: "Открыть", ref: body.record.id },
    ]);
    const boris = await signIn();
    await expectProblem(await call(`/api/v1/records/${body.record.id}`, { token: boris.accessToken }), 404, "not_found");
    await expectProblem(
      await call(`/api/v1/records/${body.record.id}/presentations`, { token: boris.accessToken, body: { disclose: [] } }),
      404,
      "not_found",
    );
  });

  it("are presented with only the chosen claims, and verify to exactly those", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { body } = await issue(agency, anna);
    const p = await presentation(anna, body.record.id, { disclose: ["given_name", "category"] });
    expect(p.status).toBe(201);
    const verdict = await verify({ presentation: p.body.presentation });
    expect(verdict).toMatchObject({
      valid: true,
      revoked: false,
      type: "driving_licence",
      issuer: { id: agency.agency.id, name: agency.agency.name },
    });
    expect(verdict.claims).toEqual({ given_name: "Анна", category: "B" });
    // The undisclosed claims are not in the presentation at all.
    expect(disclosedNames(p.body.presentation).sort()).toEqual(["category", "given_name"]);
    const none = await presentation(anna, body.record.id, { disclose: [] });
    expect((await verify({ presentation: none.body.presentation })).claims).toEqual({});
    await expectProblem(
      await call(`/api/v1/records/${body.record.id}/presentations`, { token: anna.accessToken, body: { disclose: ["salary"] } }),
      400,
      "unknown_claim",
    );
  });

  it("answers valid: false for a tampered or forged presentation", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { body } = await issue(agency, anna);
    const { presentation: good } = (await presentation(anna, body.record.id, { disclose: ["given_name"] })).body;
    const [jwt = "", ...rest] = good.split("~");
    const [h, payload = "", sig] = jwt.split(".");
    const flipped = `${h}.${payload.slice(0, 10)}${payload[10] === "A" ? "B" : "A"}${payload.slice(11)}.${sig}`;
    expect((await verify({ presentation: [flipped, ...rest].join("~") })).valid).toBe(false);
    const forgedDisclosure = b64url(JSON.stringify(["salt", "given_name", "Мария"]));
    expect((await verify({ presentation: `${jwt}~${forgedDisclosure}~` })).valid).toBe(false);
    expect((await verify({ presentation: "not an sd-jwt" })).valid).toBe(false);

    // Signed with a key that is not the agency's, under the agency's name.
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await issueCredential({
      issuer: `${env.ISSUER}/api/v1/agencies/${agency.agency.id}`,
      vct: "urn:veche:vct:driving_licence",
      claims: { given_name: "Мошенник" },
      key: { kid: `${agency.agency.id}-1`, privateKey },
    });
    const verdict = await verify({ presentation: forged });
    expect(verdict.valid).toBe(false);
    expect(verdict.claims).toEqual({});
  });

  it("report revocation once the agency revokes, through the published status list", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { body } = await issue(agency, anna);
    const { presentation: p } = (await presentation(anna, body.record.id, { disclose: ["category"] })).body;
    expect((await verify({ presentation: p })).revoked).toBe(false);
    const revoked = await callJson<{ record: RecordBody }>(`/api/v1/agency/records/${body.record.id}/revoke`, {
      method: "POST",
      token: agency.token,
    });
    expect(revoked.body.record.revoked).toBe(true);
    expect(await verify({ presentation: p })).toMatchObject({ valid: true, revoked: true });
    const list = await callJson<{ status_list: { bits: number; lst: string } }>(`/api/v1/agencies/${agency.agency.id}/status-list`);
    expect(isSet(await decodeStatusList(list.body.status_list.lst), 0)).toBe(true);
    const other = await newAgency("Другое ведомство");
    await expectProblem(
      await call(`/api/v1/agency/records/${body.record.id}/revoke`, { method: "POST", token: other.token }),
      404,
      "not_found",
    );
  });

  it("leave key binding to the citizen's device: with an audience and nonce the answer still has none", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { body } = await issue(agency, anna);
    // No device key published: the record waits for one, and its credential names no holder key yet.
    expect(body.record).toMatchObject({ binding: "pending" });
    const p = (await presentation(anna, body.record.id, { disclose: ["birthdate"], audience: "https://bank.example", nonce: "n-123" })).body
      .presentation;
    expect(p.endsWith("~")).toBe(true);
    expect(await verify({ presentation: p, audience: "https://bank.example", nonce: "n-123" })).toMatchObject({
      valid: false,
      error: "key_binding_required",
    });
    expect(await verify({ presentation: p })).toMatchObject({ valid: true, claims: { birthdate: "1990-05-17" } });
    await expectProblem(
      await call(`/api/v1/records/${body.record.id}/presentations`, { token: anna.accessToken, body: { disclose: [], audience: "x" } }),
      400,
      "validation_failed",
    );
  });

  it("verify offline with nothing but the agency's published JWKS", async () => {
    const agency = await newAgency();
    const anna = await signIn();
    const { body } = await issue(agency, anna);
    const { presentation: p } = (await presentation(anna, body.record.id, { disclose: ["family_name"] })).body;
    // What a verifier saves once, while online: the JWKS at <iss>/jwks.json.
    const saved = (await callJson<{ keys: [] }>(`/api/v1/agencies/${agency.agency.id}/jwks.json`)).body;
    const result = await verifyPresentation(p, { jwks: () => saved });
    expect(result).toMatchObject({ valid: true, claims: expect.objectContaining({ family_name: "Петрова" }) });
  });

  it("are logged in the citizen's access log when issued and revoked", async () => {
    const agency = await newAgency("ЗАГС (тест)");
    const anna = await signIn();
    const { body } = await issue(agency, anna);
    await callJson(`/api/v1/agency/records/${body.record.id}/revoke`, { method: "POST", token: agency.token });
    const log = await callJson<{ entries: { action: string; resource: string; actor: { name: string } }[] }>("/api/v1/me/access-log", {
      token: anna.accessToken,
    });
    expect(log.body.entries.map((e) => [e.action, e.resource, e.actor.name])).toEqual([
      ["create", `record:${body.record.id}`, "ЗАГС (тест)"],
      ["revoke", `record:${body.record.id}`, "ЗАГС (тест)"],
    ]);
  });
});
