import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DORMANT_AFTER_MS } from "../../src/users/store";
import { callJson, chatList, freshPhone, newAgency, newChat, postText, type SignedIn, signIn, type TestAgency } from "../helpers";

const DAY = 24 * 3600_000;

/** Time travel is impossible, so the account's activity is moved back in D1. */
async function lastActiveAgo(userId: string, ms: number): Promise<void> {
  const at = Date.now() - ms;
  await env.DB.batch([
    env.DB.prepare("UPDATE sessions SET created_at = ?2, last_used_at = ?2, expires_at = ?2 + 30 * 86400000 WHERE user_id = ?1").bind(
      userId,
      at,
    ),
    env.DB.prepare("UPDATE users SET created_at = ?2 WHERE id = ?1").bind(userId, at),
  ]);
}

const bill = (agency: TestAgency, phone: string) =>
  callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: phone, amount: 5000, currency: "RUB", purpose: "Штраф", externalRef: crypto.randomUUID() },
  });

async function services(user: SignedIn) {
  const [bills, records, consents] = await Promise.all([
    callJson<{ bills: { id: string }[] }>("/api/v1/bills", { token: user.accessToken }),
    callJson<{ records: { id: string }[] }>("/api/v1/records", { token: user.accessToken }),
    callJson<{ consents: { id: string }[] }>("/api/v1/consents", { token: user.accessToken }),
  ]);
  return { bills: bills.body.bills, records: records.body.records, consents: consents.body.consents };
}

/** A citizen with a chat, a bill, a record and a consent request. */
async function holderWithData() {
  const agency = await newAgency("Госуслуги (тест)");
  const old = await signIn();
  const friend = await signIn();
  const chat = await newChat(old.accessToken, { type: "direct", userId: friend.user.id });
  await postText(friend.accessToken, chat.id, "Личное сообщение прежнему владельцу");
  expect((await bill(agency, old.phone)).status).toBe(201);
  const record = await callJson("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: old.phone, type: "passport", claims: { number: "4510 123456" } },
  });
  expect(record.status).toBe(201);
  const consent = await callJson("/api/v1/agency/consent-requests", {
    token: agency.token,
    body: { citizenPhone: old.phone, scope: "records", purpose: "Проверка", expiresAt: new Date(Date.now() + 3600_000).toISOString() },
  });
  expect(consent.status).toBe(201);
  const before = await services(old);
  expect(before.bills.length).toBe(1);
  expect(before.records.length).toBe(1);
  expect(before.consents.length).toBe(1);
  return { agency, old, chat };
}

describe("reassigned numbers", () => {
  it("signs a number dormant past the period in as a new person who sees none of the previous holder's data", async () => {
    const { agency, old } = await holderWithData();
    await lastActiveAgo(old.user.id, DORMANT_AFTER_MS + DAY);

    const next = await signIn(old.phone);
    expect(next.user.id).not.toBe(old.user.id);
    expect(next.user.phone).toBe(old.phone);
    expect(next.user.displayName).toBeNull();
    expect(await chatList(next.accessToken)).toEqual([]);
    expect(await services(next)).toEqual({ bills: [], records: [], consents: [] });

    // The previous holder's account keeps everything, detached from the number.
    const released = await env.DB.prepare("SELECT phone, former_phone, released_at FROM users WHERE id = ?1")
      .bind(old.user.id)
      .first<{ phone: string; former_phone: string; released_at: number | null }>();
    expect(released).toMatchObject({ phone: `released:${old.user.id}`, former_phone: old.phone });
    expect(released?.released_at).toEqual(expect.any(Number));
    const kept = await env.DB.prepare("SELECT COUNT(*) AS n FROM bills WHERE citizen_id = ?1").bind(old.user.id).first<{ n: number }>();
    expect(kept?.n).toBe(1);

    // From now on the number is the new holder's: an agency's next bill reaches them, not the old account.
    const fresh = await bill(agency, old.phone);
    expect(fresh.status).toBe(201);
    expect((await services(next)).bills.map((b) => b.id)).toEqual([fresh.body.bill.id]);

    // Signing in again is the same new person: only dormancy moves a number.
    expect((await signIn(old.phone)).user.id).toBe(next.user.id);
  });

  it("keeps a number with its account while it was used within the period", async () => {
    const { old, chat } = await holderWithData();
    await lastActiveAgo(old.user.id, DORMANT_AFTER_MS - DAY);
    const back = await signIn(old.phone);
    expect(back.user.id).toBe(old.user.id);
    expect((await chatList(back.accessToken)).map((c) => c.id)).toContain(chat.id);
    expect((await services(back)).bills.length).toBe(1);
  });

  it("moves an agency's own data back only when that agency confirms the identity, and logs it on both accounts", async () => {
    const { agency, old } = await holderWithData();
    const other = await newAgency("Банк (тест)");
    expect((await bill(other, old.phone)).status).toBe(201);
    await lastActiveAgo(old.user.id, DORMANT_AFTER_MS + DAY);
    const next = await signIn(old.phone);
    expect((await services(next)).bills).toEqual([]);

    const confirm = (by: TestAgency, citizenPhone: string) =>
      callJson<{ reattached: Record<string, number> }>("/api/v1/agency/identity-confirmations", {
        token: by.token,
        body: { citizenPhone, purpose: "Личность подтверждена по паспорту" },
      });
    const res = await confirm(agency, old.phone);
    expect(res.status).toBe(200);
    expect(res.body.reattached).toEqual({ bills: 1, payments: 0, consents: 1, submissions: 0, recordsToReissue: 1 });

    // Its bill and consent are the holder's again; the other agency's bill is not (it has not vouched).
    const now = await services(next);
    expect(now.bills.length).toBe(1);
    expect(now.consents.length).toBe(1);
    expect(now.records).toEqual([]);
    const log = await callJson<{ entries: { action: string; actor: { id: string }; purpose: string }[] }>("/api/v1/me/access-log", {
      token: next.accessToken,
    });
    expect(log.body.entries.at(-1)).toMatchObject({ action: "reattach", actor: { id: agency.agency.id } });

    // Again, or for a number nobody released: the same shape, nothing moved.
    expect((await confirm(agency, old.phone)).body.reattached).toEqual({
      bills: 0,
      payments: 0,
      consents: 0,
      submissions: 0,
      recordsToReissue: 1,
    });
    const unknown = await confirm(agency, freshPhone());
    expect(unknown.status).toBe(200);
    expect(unknown.body.reattached).toEqual({ bills: 0, payments: 0, consents: 0, submissions: 0, recordsToReissue: 0 });
  });

  it("gives a first sign-in the bills an agency sent the number shortly before", async () => {
    const agency = await newAgency("ФНС (тест)");
    const phone = freshPhone();
    const issued = await bill(agency, phone);
    expect(issued.status).toBe(201);
    const citizen = await signIn(phone);
    expect((await services(citizen)).bills.map((b) => b.id)).toEqual([issued.body.bill.id]);
  });
});
