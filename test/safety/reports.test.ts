// Reports (contract v1.1 "Safety") and the trust rule that tightens the limits of someone many people
// blocked or reported (docs/operations.md, "Reports" and "Trust").
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { REDUCED_AT, RESTRICTED_AT, trustLevel } from "../../src/safety/trust";
import { call, callJson, expectProblem, newChat, postText, type SignedIn, signIn } from "../helpers";

interface ReportView {
  id: string;
  reason: string;
  comment: string | null;
  chatId: string | null;
  seq: number | null;
  userId: string | null;
  status: string;
  createdAt: string;
}

const report = (s: SignedIn, body: Record<string, unknown>) =>
  callJson<{ report: ReportView }>("/api/v1/reports", { token: s.accessToken, body });
const reportRaw = (s: SignedIn, body: Record<string, unknown>) => call("/api/v1/reports", { token: s.accessToken, body });
const stored = (id: string) => env.DB.prepare("SELECT * FROM reports WHERE id = ?1").bind(id).first<Record<string, unknown>>();
const countFor = async (reporter: SignedIn) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM reports WHERE reporter_id = ?1").bind(reporter.user.id).first<{ n: number }>())?.n;

describe("reports", () => {
  it("a message report names chat and seq, answers 201 with the report, and keeps the message as reported for review", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    const m = await postText(boris.accessToken, chat.id, "Купите наши курсы!!!");
    const res = await report(anna, { reason: "spam", comment: "  реклама  ", chatId: chat.id, seq: m.seq });
    expect(res.status).toBe(201);
    expect(res.body.report).toMatchObject({
      reason: "spam",
      comment: "реклама",
      chatId: chat.id,
      seq: m.seq,
      userId: boris.user.id,
      status: "open",
    });
    expect(Date.parse(res.body.report.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    // The sender deletes it afterwards: the reviewer still sees what was reported.
    expect((await call(`/api/v1/chats/${chat.id}/messages/${m.seq}`, { method: "DELETE", token: boris.accessToken })).status).toBe(204);
    const row = await stored(res.body.report.id);
    expect(row).toMatchObject({ reporter_id: anna.user.id, user_id: boris.user.id, status: "open" });
    expect(JSON.parse(String(row?.message))).toMatchObject({ text: "Купите наши курсы!!!", senderId: boris.user.id });
  });

  it("reports a person, or a chat, by itself", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const person = await report(anna, { reason: "abuse", userId: boris.user.id });
    expect(person.status).toBe(201);
    expect(person.body.report).toMatchObject({ userId: boris.user.id, chatId: null, seq: null, comment: null });
    const group = await newChat(boris.accessToken, { type: "group", title: "Группа", memberIds: [anna.user.id] });
    const chat = await report(anna, { reason: "illegal", chatId: group.id });
    expect(chat.status).toBe(201);
    expect(chat.body.report).toMatchObject({ chatId: group.id, seq: null, userId: null });
  });

  it("only a member of the chat reports its messages; unknown messages and people answer 404; nothing is stored", async () => {
    const [anna, boris, outsider] = [await signIn(), await signIn(), await signIn()];
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    const m = await postText(boris.accessToken, chat.id, "личное");
    await expectProblem(await reportRaw(outsider, { reason: "spam", chatId: chat.id, seq: m.seq }), 404, "not_found");
    await expectProblem(await reportRaw(anna, { reason: "spam", chatId: chat.id, seq: m.seq + 5 }), 404, "not_found");
    await expectProblem(await reportRaw(anna, { reason: "spam", userId: "nobody-such" }), 404, "not_found");
    expect(await countFor(outsider)).toBe(0);
    expect(await countFor(anna)).toBe(0);
  });

  it("refuses bad input with a clear error and stores nothing", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    const m = await postText(boris.accessToken, chat.id, "текст");
    for (const body of [
      { reason: "rude", userId: boris.user.id },
      { reason: "spam" },
      { reason: "spam", seq: 1 },
      { reason: "spam", userId: boris.user.id, comment: "x".repeat(1001) },
      { reason: "spam", userId: boris.user.id, extra: true },
      { reason: "spam", chatId: chat.id, seq: m.seq, userId: anna.user.id },
    ]) {
      await expectProblem(await reportRaw(anna, body), 400, "validation_failed");
    }
    await expectProblem(await reportRaw(anna, { reason: "other", userId: anna.user.id }), 400, "invalid_peer");
    const own = await postText(anna.accessToken, chat.id, "моё");
    await expectProblem(await reportRaw(anna, { reason: "other", chatId: chat.id, seq: own.seq }), 400, "invalid_peer");
    expect(await countFor(anna)).toBe(0);
    expect((await call("/api/v1/reports", { body: { reason: "spam", userId: boris.user.id } })).status).toBe(401);
  });
});

describe("trust", () => {
  it(`is reduced once ${REDUCED_AT} different people blocked or reported someone, restricted at ${RESTRICTED_AT}`, async () => {
    const target = await signIn();
    expect(await trustLevel(env.DB, target.user.id)).toEqual({ level: "normal", signals: 0, limitFactor: 1 });
    const people = await Promise.all(Array.from({ length: RESTRICTED_AT }, () => signIn()));
    // One person reporting again and again, and also blocking, counts once.
    const [first, ...rest] = people as [SignedIn, ...SignedIn[]];
    for (let i = 0; i < 3; i++) expect((await report(first, { reason: "spam", userId: target.user.id })).status).toBe(201);
    expect((await call(`/api/v1/blocks/${target.user.id}`, { method: "PUT", token: first.accessToken })).status).toBe(204);
    expect((await trustLevel(env.DB, target.user.id)).signals).toBe(1);

    // Half block, half report.
    for (const [i, p] of rest.slice(0, REDUCED_AT - 1).entries()) {
      if (i % 2 === 0) expect((await call(`/api/v1/blocks/${target.user.id}`, { method: "PUT", token: p.accessToken })).status).toBe(204);
      else expect((await report(p, { reason: "abuse", userId: target.user.id })).status).toBe(201);
    }
    expect(await trustLevel(env.DB, target.user.id)).toEqual({ level: "reduced", signals: REDUCED_AT, limitFactor: 0.5 });

    for (const p of rest.slice(REDUCED_AT - 1)) expect((await report(p, { reason: "spam", userId: target.user.id })).status).toBe(201);
    expect(await trustLevel(env.DB, target.user.id)).toMatchObject({ level: "restricted", signals: RESTRICTED_AT, limitFactor: 0.2 });

    // An operator dismissing reports takes them out of the count; blocks from long ago do not count either.
    await env.DB.prepare("UPDATE reports SET status = 'dismissed' WHERE user_id = ?1").bind(target.user.id).run();
    const blockers = Math.ceil((REDUCED_AT - 1) / 2) + 1;
    expect(await trustLevel(env.DB, target.user.id)).toMatchObject({ signals: blockers });
    expect(await trustLevel(env.DB, target.user.id, Date.now() + 31 * 24 * 60 * 60 * 1000)).toMatchObject({ level: "normal", signals: 0 });
  });
});
