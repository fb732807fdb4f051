import { env } from "cloudflare:workers";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/log";
import { paymentFingerprint } from "../../src/bills/routes";
import { hex } from "../../src/lib/ids";
import { type TestAgency as Agency, call, callJson, expectProblem, freshPhone, newAgency, type SignedIn, signIn } from "../helpers";

interface Bill {
  id: string;
  status: string;
  amount: number;
  agency: { id: string };
}

async function issue(agency: Agency, citizen: SignedIn, externalRef = crypto.randomUUID(), amount = 125050) {
  return callJson<{ bill: Bill }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, amount, currency: "RUB", purpose: "Налог на имущество", externalRef },
  });
}

const CARD = { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" };
const pay = (citizen: SignedIn, billId: string, key: string | null, card = CARD) =>
  call(`/api/v1/bills/${billId}/pay`, {
    token: citizen.accessToken,
    body: { method: "card", card },
    headers: key ? { "idempotency-key": key } : {},
  });
const paymentsOf = async (billId: string) =>
  (await env.DB.prepare("SELECT * FROM payments WHERE bill_id = ?1").bind(billId).all<Record<string, unknown>>()).results;

describe("agencies", () => {
  it("authenticate with client credentials, and their tokens never pass as a citizen's, nor the other way round", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    await expectProblem(
      await call("/api/v1/agency/token", { body: { clientId: agency.clientId, clientSecret: "wrong" } }),
      401,
      "invalid_client",
    );
    await expectProblem(
      await call("/api/v1/agency/token", { body: { clientId: "nobody", clientSecret: agency.clientSecret } }),
      401,
      "invalid_client",
    );
    const header = decodeProtectedHeader(agency.token);
    expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    // An agency token at a citizen endpoint, and a citizen token at an agency endpoint: both 401.
    await expectProblem(await call("/api/v1/me", { token: agency.token }), 401, "invalid_token");
    const asCitizen = await call("/api/v1/agency/bills", {
      token: citizen.accessToken,
      body: { citizenPhone: citizen.phone, amount: 1, currency: "RUB", purpose: "x", externalRef: "x" },
    });
    await expectProblem(asCitizen, 401, "invalid_token");
  });

  it("are refused names that hide or reorder text, and nothing is created", async () => {
    for (const name of [
      "Госуслуги\u202E",
      "\u2067Госуслуги\u2069",
      "Госуслуги\u200B",
      "\uFEFFГосуслуги",
      "Гос\u0000услуги",
      "Гос\u200Dуслуги",
    ]) {
      const problem = await expectProblem(await call("/api/v1/dev/agencies", { body: { name } }), 400, "validation_failed");
      expect(problem.errors).toEqual([expect.objectContaining({ path: "name" })]);
    }
    const { n } = (await env.DB.prepare("SELECT COUNT(*) AS n FROM agencies WHERE name LIKE 'Гос%'").first<{ n: number }>()) ?? { n: -1 };
    expect(n).toBe(0);
    expect((await newAgency("Госуслуги 🇷🇺")).agency.name).toBe("Госуслуги 🇷🇺");
  });

  it("are listed with their public signing keys only", async () => {
    const agency = await newAgency("ГИБДД (тест)");
    const dir = await callJson<{ agencies: { id: string; name: string; verified: boolean }[] }>("/api/v1/agencies");
    expect(dir.body.agencies).toContainEqual(expect.objectContaining({ id: agency.agency.id, name: "ГИБДД (тест)", verified: true }));
    const jwks = await callJson<{ keys: Record<string, unknown>[] }>(`/api/v1/agencies/${agency.agency.id}/jwks.json`);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
    expect(jwks.body.keys[0]).not.toHaveProperty("d");
    await expectProblem(await call("/api/v1/agencies/01NOSUCHAGENCY000000000000/jwks.json"), 404, "not_found");
    // The private key is sealed at rest, not stored as a JWK.
    const row = await env.DB.prepare("SELECT private_jwk_sealed FROM agency_keys WHERE agency_id = ?1")
      .bind(agency.agency.id)
      .first<{ private_jwk_sealed: string }>();
    expect(row?.private_jwk_sealed).toMatch(/^v1\./);
    expect(row?.private_jwk_sealed).not.toContain('"d"');
  });
});

describe("bills", () => {
  it("are issued once per externalRef, appear in the citizen's list and in the official chat with a pay button", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const first = await issue(agency, citizen, "ref-1");
    expect(first.status).toBe(201);
    expect(first.body.bill).toMatchObject({ amount: 125050, status: "unpaid", agency: { id: agency.agency.id } });
    const again = await issue(agency, citizen, "ref-1");
    expect(again.status).toBe(200);
    expect(again.body.bill.id).toBe(first.body.bill.id);

    const mine = await callJson<{ bills: Bill[] }>("/api/v1/bills", { token: citizen.accessToken });
    expect(mine.body.bills.map((b) => b.id)).toEqual([first.body.bill.id]);

    const chats = await callJson<{
      chats: { id: string; type: string; title: string; agency: unknown; lastMessage: { text: string; actions: unknown[] } }[];
    }>("/api/v1/chats", {
      token: citizen.accessToken,
    });
    const official = chats.body.chats.find((c) => c.type === "official");
    expect(official?.title).toBe(agency.agency.name);
    // The chat names its agency, so clients can show the verified badge.
    expect(official?.agency).toEqual({ id: agency.agency.id, name: agency.agency.name, verified: true });
    expect(official?.lastMessage.text).toContain("Налог на имущество");
    expect(official?.lastMessage.actions).toEqual([{ type: "pay", label: "Оплатить", ref: first.body.bill.id }]);
    // Only one announcement, although the bill was issued twice.
    const history = await callJson<{ messages: unknown[] }>(`/api/v1/chats/${official?.id}/messages`, { token: citizen.accessToken });
    expect(history.body.messages).toHaveLength(1);
    // The citizen cannot post into the official chat.
    await expectProblem(
      await call(`/api/v1/chats/${official?.id}/messages`, { token: citizen.accessToken, body: { clientId: "x", text: "hi" } }),
      403,
      "not_allowed",
    );
  });

  it("reach citizens who have not signed up yet, and others' bills stay invisible", async () => {
    const agency = await newAgency();
    const phone = freshPhone();
    const issued = await callJson<{ bill: Bill }>("/api/v1/agency/bills", {
      token: agency.token,
      body: { citizenPhone: phone, amount: 500, currency: "RUB", purpose: "Штраф", externalRef: "late-1" },
    });
    expect(issued.status).toBe(201);
    const later = await signIn(phone);
    const other = await signIn();
    expect((await callJson<{ bills: Bill[] }>("/api/v1/bills", { token: later.accessToken })).body.bills).toHaveLength(1);
    await expectProblem(await call(`/api/v1/bills/${issued.body.bill.id}`, { token: other.accessToken }), 404, "not_found");
    await expectProblem(await pay(other, issued.body.bill.id, "k"), 404, "not_found");
  });

  it("refuse bad input with clear problems and change nothing", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    for (const body of [
      { citizenPhone: "not a phone", amount: 1, currency: "RUB", purpose: "x", externalRef: "a" },
      { citizenPhone: citizen.phone, amount: 12.5, currency: "RUB", purpose: "x", externalRef: "b" },
      { citizenPhone: citizen.phone, amount: -1, currency: "RUB", purpose: "x", externalRef: "c" },
      { citizenPhone: citizen.phone, amount: 1, currency: "rub", purpose: "x", externalRef: "d" },
      { citizenPhone: citizen.phone, amount: 1, currency: "RUB", purpose: "", externalRef: "e" },
    ]) {
      const res = await call("/api/v1/agency/bills", { token: agency.token, body });
      expect(res.status).toBe(400);
    }
    expect((await callJson<{ bills: Bill[] }>("/api/v1/bills", { token: citizen.accessToken })).body.bills).toHaveLength(0);
  });
});

describe("paying", () => {
  it("charges once per Idempotency-Key, replays the result, and refuses a reused key with another body", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const { body } = await issue(agency, citizen);
    const billId = body.bill.id;
    await expectProblem(await pay(citizen, billId, null), 400, "idempotency_key_required");

    const first = await pay(citizen, billId, "key-1");
    expect(first.status).toBe(201);
    const paid = (await first.json()) as { payment: { id: string; amount: number; card: { brand: string; last4: string } }; bill: Bill };
    expect(paid.bill.status).toBe("paid");
    expect(paid.payment).toMatchObject({ amount: 125050, card: { brand: "visa", last4: "4242" } });

    const replay = await pay(citizen, billId, "key-1");
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { payment: { id: string } }).payment.id).toBe(paid.payment.id);
    expect(await paymentsOf(billId)).toHaveLength(1);

    // The key is bound to the bill, not the card: another card with the same key replays and charges nothing.
    const otherCard = await pay(citizen, billId, "key-1", { ...CARD, number: "5555555555554444", cvc: "999" });
    expect(otherCard.status).toBe(201);
    expect(((await otherCard.json()) as { payment: { id: string } }).payment.id).toBe(paid.payment.id);
    const otherBill = (await issue(agency, citizen)).body.bill.id;
    await expectProblem(await pay(citizen, otherBill, "key-1"), 422, "idempotency_key_reused");
    expect(await paymentsOf(otherBill)).toHaveLength(0);
    await expectProblem(await pay(citizen, billId, "key-2"), 409, "bill_already_paid");
    expect(await paymentsOf(billId)).toHaveLength(1);
  });

  it("binds the Idempotency-Key to the bill and method only: nothing derived from the card is stored or hashed", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const { body } = await issue(agency, citizen, crypto.randomUUID(), 99_900);
    const billId = body.bill.id;
    const card = { number: "4242424242424242", expMonth: 11, expYear: 2031, cvc: "737" };
    expect((await pay(citizen, billId, "fp-1", card)).status).toBe(201);
    const row = await env.DB.prepare("SELECT * FROM idempotency_keys WHERE user_id = ?1 AND key = 'fp-1'")
      .bind(citizen.user.id)
      .first<{ request_hash: string; response: string }>();
    expect(row?.request_hash).toBe(await paymentFingerprint({ billId, method: "card", amount: 99_900, currency: "RUB" }));

    // Nothing an attacker with the table could test card guesses against: no hash or HMAC of the card, its CVC or the body.
    const sha = async (s: string) => hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
    const hmac = async (k: string, s: string) => {
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(k), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(s)));
    };
    const cardDerived = [
      card.number,
      card.cvc,
      `${card.number}${card.cvc}`,
      JSON.stringify(card),
      JSON.stringify({ method: "card", card }),
    ];
    const candidates = new Set<string>();
    for (const part of cardDerived) {
      for (const text of [part, `${billId}\n${part}`, `${billId}${part}`, `${billId}:${part}`]) {
        candidates.add(await sha(text));
        candidates.add(await hmac(billId, text));
        candidates.add(await hmac(part, billId));
      }
    }
    expect(candidates.has(row?.request_hash ?? "")).toBe(false);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(card.number);
    expect(stored).not.toMatch(/cvc|number|exp(Month|Year)/i);
  });

  it("cannot double-charge when duplicates arrive together, with one key or with several", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const sameKey = (await issue(agency, citizen)).body.bill.id;
    const statuses = await Promise.all(Array.from({ length: 6 }, () => pay(citizen, sameKey, "together").then((r) => r.status)));
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect(await paymentsOf(sameKey)).toHaveLength(1);

    const manyKeys = (await issue(agency, citizen)).body.bill.id;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pay(citizen, manyKeys, `k-${i}`).then((r) => r.status)));
    expect(results.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((s) => s !== 201).every((s) => s === 409)).toBe(true);
    expect((await paymentsOf(manyKeys)).filter((p) => p.status === "succeeded")).toHaveLength(1);
  });

  it("leaves the bill unpaid when the card is declined, and replays the decline for the same key", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const billId = (await issue(agency, citizen)).body.bill.id;
    const declinedCard = { ...CARD, number: "4000000000000002" };
    await expectProblem(await pay(citizen, billId, "d-1", declinedCard), 402, "payment_declined");
    await expectProblem(await pay(citizen, billId, "d-1", declinedCard), 402, "payment_declined");
    expect(await paymentsOf(billId)).toHaveLength(1);
    expect((await callJson<{ bill: Bill }>(`/api/v1/bills/${billId}`, { token: citizen.accessToken })).body.bill.status).toBe("unpaid");
    // Another card, another key: now it goes through.
    expect((await pay(citizen, billId, "d-2")).status).toBe(201);
    await expectProblem(await pay(citizen, billId, "d-3", { ...CARD, number: "4242424242424241" }), 409, "bill_already_paid");
  });

  it("keeps a bill processing until an asynchronous confirmation arrives", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const billId = (await issue(agency, citizen)).body.bill.id;
    const res = await pay(citizen, billId, "3ds", { ...CARD, number: "4000000000003220" });
    expect(res.status).toBe(202);
    const pending = (await res.json()) as { payment: { id: string; status: string }; bill: Bill };
    expect(pending).toMatchObject({ payment: { status: "pending" }, bill: { status: "processing" } });
    await expectProblem(await pay(citizen, billId, "other"), 409, "payment_in_progress");
    const confirmed = await callJson<{ bill: Bill }>(`/api/v1/dev/payments/${pending.payment.id}/confirm`, {
      body: { outcome: "succeeded" },
    });
    expect(confirmed.body.bill.status).toBe("paid");
  });

  it("refuses invalid cards and never stores a card number", async () => {
    const agency = await newAgency();
    const citizen = await signIn();
    const billId = (await issue(agency, citizen)).body.bill.id;
    await expectProblem(await pay(citizen, billId, "bad", { ...CARD, number: "4242424242424241" }), 400, "invalid_card");
    await expectProblem(await pay(citizen, billId, "old", { ...CARD, expYear: 2020 }), 400, "invalid_card");
    expect((await pay(citizen, billId, "ok")).status).toBe(201);
    for (const table of ["payments", "idempotency_keys", "bills"]) {
      const rows = (await env.DB.prepare(`SELECT * FROM ${table}`).all()).results;
      expect(JSON.stringify(rows)).not.toContain("4242424242424242");
    }
  });
});

describe("access log", () => {
  it("records the agency's bill issue and re-read in the citizen's verifiable chain", async () => {
    const agency = await newAgency("Росреестр (тест)");
    const citizen = await signIn();
    await issue(agency, citizen, "log-1");
    await issue(agency, citizen, "log-1");
    const { body } = await callJson<{
      entries: { seq: number; actor: { type: string; id: string; name: string }; action: string; resource: string }[];
      head: string;
    }>("/api/v1/me/access-log", { token: citizen.accessToken });
    expect(body.entries.map((e) => [e.seq, e.action])).toEqual([
      [1, "create"],
      [2, "read"],
    ]);
    expect(body.entries[0]?.actor).toEqual({ type: "agency", id: agency.agency.id, name: "Росреестр (тест)" });
    expect(await verifyChain(body.entries as unknown as Parameters<typeof verifyChain>[0])).toMatchObject({ valid: true });
    expect(body.head).toBe((body.entries.at(-1) as { hash: string } | undefined)?.hash);
    // Nobody can edit or remove an entry, not even with direct database access.
    await expect(env.DB.prepare("UPDATE access_log SET purpose = 'x' WHERE citizen_id = ?1").bind(citizen.user.id).run()).rejects.toThrow();
    await expect(env.DB.prepare("DELETE FROM access_log WHERE citizen_id = ?1").bind(citizen.user.id).run()).rejects.toThrow();
  });
});

describe("agency tokens", () => {
  it("verify against the platform JWKS with the agency audience", async () => {
    const agency = await newAgency();
    const jwks = await callJson<{ keys: [] }>("/.well-known/jwks.json");
    const { payload } = await jwtVerify(agency.token, createLocalJWKSet(jwks.body), { audience: "veche:agency", typ: "at+jwt" });
    expect(payload.sub).toBe(agency.agency.id);
    expect(String(payload.scope)).toContain("bills");
  });
});

describe("cancelling", () => {
  it("lets the issuing agency cancel an unpaid bill, logs it, and refuses paid bills and other agencies", async () => {
    const agency = await newAgency();
    const other = await newAgency("Другое ведомство");
    const citizen = await signIn();
    const billId = (await issue(agency, citizen)).body.bill.id;
    await expectProblem(await call(`/api/v1/agency/bills/${billId}/cancel`, { method: "POST", token: other.token }), 404, "not_found");
    const cancelled = await callJson<{ bill: Bill }>(`/api/v1/agency/bills/${billId}/cancel`, { method: "POST", token: agency.token });
    expect(cancelled.body.bill.status).toBe("cancelled");
    await expectProblem(await pay(citizen, billId, "late"), 409, "bill_cancelled");
    const paidId = (await issue(agency, citizen)).body.bill.id;
    expect((await pay(citizen, paidId, "p")).status).toBe(201);
    await expectProblem(
      await call(`/api/v1/agency/bills/${paidId}/cancel`, { method: "POST", token: agency.token }),
      409,
      "bill_not_cancellable",
    );
    const log = await callJson<{ entries: { action: string; resource: string; purpose: string | null }[] }>("/api/v1/me/access-log", {
      token: citizen.accessToken,
    });
    // The bills' issue and cancellation, then the paid bill's receipt, a record the agency issued.
    expect(log.body.entries.map((e) => [e.action, e.resource.split(":")[0], e.purpose])).toEqual([
      ["create", "bill", "Налог на имущество"],
      ["cancel", "bill", null],
      ["create", "bill", "Налог на имущество"],
      ["create", "record", "receipt"],
    ]);
  });
});
