import { env } from "cloudflare:workers";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { type AccessLogEntry, verifyChain } from "../../src/audit/log";
import {
  call,
  callJson,
  chatList,
  expectProblem,
  historyOf,
  type MessageView,
  newAgency,
  newChat,
  openSocket,
  postText,
  type SignedIn,
  signIn,
  signInWithProfile,
  type TestAgency,
} from "../helpers";

const PDF = new TextEncoder().encode("%PDF-1.4\n% a test document\n");

async function uploadPdf(user: SignedIn): Promise<string> {
  const res = await callJson<{ media: { id: string } }>("/api/v1/media", {
    method: "POST",
    token: user.accessToken,
    rawBody: PDF,
    headers: { "content-type": "application/pdf" },
  });
  expect(res.status).toBe(201);
  return res.body.media.id;
}

const issueBill = (agency: TestAgency, citizen: SignedIn) =>
  callJson<{ bill: { id: string } }>("/api/v1/agency/bills", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, amount: 150000, currency: "RUB", purpose: "Налог на имущество", externalRef: crypto.randomUUID() },
  });
const issueRecord = (agency: TestAgency, citizen: SignedIn) =>
  callJson<{ record: { id: string } }>("/api/v1/agency/records", {
    token: agency.token,
    body: { citizenPhone: citizen.phone, type: "driving_licence", claims: { category: "B" } },
  });

async function exportOf(user: SignedIn): Promise<Record<string, Uint8Array>> {
  const res = await call("/api/v1/me/export", { method: "POST", token: user.accessToken });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/zip");
  expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="veche-\d{4}-\d{2}-\d{2}\.zip"$/);
  return unzipSync(new Uint8Array(await res.arrayBuffer()));
}
const jsonIn = <T>(files: Record<string, Uint8Array>, name: string): T => {
  const bytes = files[name];
  if (!bytes) throw new Error(`no ${name} in the archive: ${Object.keys(files).join(", ")}`);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
};

/** Anna with a direct chat and a group with Boris, a file she sent, a bill and a record. */
async function annaWithData() {
  const anna = await signInWithProfile({ displayName: "Анна" });
  const boris = await signInWithProfile({ displayName: "Борис" });
  const agency = await newAgency("Налоговая (тест)");
  const direct = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
  const group = await newChat(anna.accessToken, { type: "group", title: "Дом", memberIds: [boris.user.id] });
  await postText(anna.accessToken, direct.id, "Привет, Борис");
  await postText(boris.accessToken, direct.id, "Привет, Анна");
  await postText(anna.accessToken, group.id, "Собрание в четверг");
  await postText(boris.accessToken, group.id, "Слова Бориса в группе");
  const mediaId = await uploadPdf(anna);
  const sent = await callJson(`/api/v1/chats/${direct.id}/messages`, {
    token: anna.accessToken,
    body: { clientId: crypto.randomUUID(), attachments: [mediaId] },
  });
  expect(sent.status).toBe(201);
  const bill = await issueBill(agency, anna);
  expect(bill.status).toBe(201);
  const record = await issueRecord(agency, anna);
  expect(record.status).toBe(201);
  return { anna, boris, agency, direct, group, mediaId, billId: bill.body.bill.id, recordId: record.body.record.id };
}

describe("data export", () => {
  it("hands the citizen one ZIP with their profile, chats, files, services and a verifiable access log", async () => {
    const { anna, direct, group, mediaId, billId, recordId } = await annaWithData();
    const files = await exportOf(anna);

    expect(jsonIn<{ phone: string; display_name: string }>(files, "profile.json")).toMatchObject({
      phone: anna.phone,
      display_name: "Анна",
    });
    expect(jsonIn<{ device_name: string }[]>(files, "sessions.json").map((s) => s.device_name)).toContain("test device");
    expect(
      jsonIn<{ id: string }[]>(files, "chats.json")
        .map((c) => c.id)
        .sort(),
    ).toEqual(expect.arrayContaining([direct.id, group.id]));

    // A direct chat: both sides' words. A group: only Anna's own.
    const directTexts = jsonIn<{ messages: MessageView[] }>(files, `messages/${direct.id}.json`).messages.map((m) => m.text);
    expect(directTexts).toEqual(expect.arrayContaining(["Привет, Борис", "Привет, Анна"]));
    const groupTexts = jsonIn<{ messages: MessageView[] }>(files, `messages/${group.id}.json`).messages.map((m) => m.text);
    expect(groupTexts).toContain("Собрание в четверг");
    expect(groupTexts).not.toContain("Слова Бориса в группе");

    // Her file, byte for byte.
    expect(jsonIn<{ id: string }[]>(files, "media.json").map((m) => m.id)).toEqual([mediaId]);
    expect(files[`media/${mediaId}`]).toEqual(PDF);

    expect(jsonIn<{ id: string }[]>(files, "bills.json").map((b) => b.id)).toEqual([billId]);
    expect(jsonIn<{ id: string }[]>(files, "records.json").map((r) => r.id)).toContain(recordId);

    // The access log checks out against its head with nothing but the archive.
    const log = jsonIn<{ entries: AccessLogEntry[]; head: string }>(files, "access-log.json");
    expect(log.entries.length).toBeGreaterThan(0);
    expect(await verifyChain(log.entries, { head: log.head })).toMatchObject({ valid: true });
    expect(log.entries.at(-1)?.hash).toBe(log.head);
    expect(jsonIn<{ keptWhenDeleted: { what: string }[] }>(files, "README.json").keptWhenDeleted.map((k) => k.what)).toContain("bills");
  });

  it("carries nothing of anyone else's account", async () => {
    const { boris } = await annaWithData();
    const files = await exportOf(boris);
    expect(JSON.stringify(jsonIn(files, "bills.json"))).toBe("[]");
    expect(Object.keys(files).filter((n) => n.startsWith("media/"))).toEqual([]);
    await expectProblem(await call("/api/v1/me/export", { method: "POST" }), 401, "unauthorized");
  });
});

describe("account deletion", () => {
  it("refuses without the confirmation and changes nothing", async () => {
    const anna = await signIn();
    for (const body of [{}, { confirm: "delete" }, { confirm: true }]) {
      await expectProblem(await call("/api/v1/me", { method: "DELETE", token: anna.accessToken, body }), 400, "validation_failed");
    }
    expect((await callJson<{ user: { phone: string } }>("/api/v1/me", { token: anna.accessToken })).body.user.phone).toBe(anna.phone);
  });

  it("signs out, tombstones messages, leaves groups, deletes files and frees the number; keeps and names what agencies keep", async () => {
    const { anna, boris, direct, group, mediaId, billId } = await annaWithData();
    const socket = await openSocket(`/api/v1/chats/${group.id}/ws`, { token: anna.accessToken });
    // Her contacts and blocks, and Boris's contact entry for her.
    expect((await call(`/api/v1/contacts/${boris.user.id}`, { method: "PUT", token: anna.accessToken })).status).toBe(204);
    expect((await call(`/api/v1/contacts/${anna.user.id}`, { method: "PUT", token: boris.accessToken })).status).toBe(204);
    const stranger = await signIn();
    expect((await call(`/api/v1/blocks/${stranger.user.id}`, { method: "PUT", token: anna.accessToken })).status).toBe(204);
    const inbox = env.INBOX.get(env.INBOX.idFromName(anna.user.id));
    expect((await inbox.list(anna.user.id)).chats.length).toBeGreaterThan(0);

    const res = await callJson<{ deleted: boolean; kept: { what: string; count: number; why: string }[] }>("/api/v1/me", {
      method: "DELETE",
      token: anna.accessToken,
      body: { confirm: "DELETE" },
    });
    expect(res.status).toBe(200);
    const kept = Object.fromEntries(res.body.kept.map((k) => [k.what, k.count]));
    expect(kept).toMatchObject({ bills: 1, accessLog: expect.any(Number) });
    expect(kept.records).toBeGreaterThanOrEqual(1);
    expect(res.body.kept.every((k) => k.why.length > 0)).toBe(true);

    // Signed out everywhere: the socket closes, the refresh token is dead, the access token finds no account.
    await expect(socket.closed).resolves.toMatchObject({ code: expect.any(Number) });
    await expectProblem(await call("/api/v1/auth/refresh", { body: { refreshToken: anna.refreshToken } }), 401, "invalid_refresh_token");
    await expectProblem(await call("/api/v1/me", { token: anna.accessToken }), 401, "account_deleted");

    // Boris: Anna's words are gone from both chats; she is no longer in the group; her file is gone.
    for (const chatId of [direct.id, group.id]) {
      const mine = (await historyOf(boris.accessToken, chatId)).filter((m) => m.senderId === anna.user.id);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((m) => m.deletedAt !== null && m.text === null && m.attachments.length === 0)).toBe(true);
    }
    const members = await callJson<{ members: { userId: string }[] }>(`/api/v1/chats/${group.id}/members`, { token: boris.accessToken });
    expect(members.body.members.map((m) => m.userId)).toEqual([boris.user.id]);
    expect((await call(`/api/v1/media/${mediaId}`, { token: boris.accessToken })).status).toBe(404);
    expect(await env.MEDIA.head(mediaId)).toBeNull();
    expect(await env.DB.prepare("SELECT 1 FROM media WHERE id = ?1").bind(mediaId).first()).toBeNull();

    // The profile is erased; the bill is kept; the access log still verifies.
    const row = await env.DB.prepare("SELECT phone, display_name, username, deleted_at FROM users WHERE id = ?1")
      .bind(anna.user.id)
      .first<{ phone: string; display_name: string | null; username: string | null; deleted_at: number | null }>();
    expect(row).toMatchObject({ phone: `deleted:${anna.user.id}`, display_name: null, username: null });
    expect(row?.deleted_at).toEqual(expect.any(Number));
    expect(await env.DB.prepare("SELECT citizen_id FROM bills WHERE id = ?1").bind(billId).first()).toEqual({ citizen_id: anna.user.id });
    // No copy of her records bound to a device key outlives her devices (the kept records keep their unbound copy).
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM record_credentials WHERE user_id = ?1").bind(anna.user.id).first()).toEqual({
      n: 0,
    });
    const { results } = await env.DB.prepare(
      "SELECT seq, at, actor_type, actor_id, actor_name, action, resource, purpose, prev_hash, hash FROM access_log WHERE citizen_id = ?1 ORDER BY seq",
    )
      .bind(anna.user.id)
      .all<Record<string, string | number | null>>();
    const entries = results.map((r) => ({
      seq: Number(r.seq),
      at: String(r.at),
      actor: { type: String(r.actor_type), id: String(r.actor_id), name: String(r.actor_name) },
      action: String(r.action),
      resource: String(r.resource),
      purpose: r.purpose === null ? null : String(r.purpose),
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
    }));
    expect(entries.length).toBe(kept.accessLog);
    expect(await verifyChain(entries)).toMatchObject({ valid: true });

    // Contacts and blocks that name her are gone; her chat list and notifications too, and stay gone when
    // Boris writes in the direct chat that remains with him.
    for (const sql of [
      "SELECT 1 FROM contacts WHERE owner_id = ?1 OR contact_id = ?1",
      "SELECT 1 FROM blocks WHERE blocker_id = ?1 OR blocked_id = ?1",
    ])
      expect(await env.DB.prepare(sql).bind(anna.user.id).first()).toBeNull();
    await postText(boris.accessToken, direct.id, "ты тут?");
    expect((await inbox.list(anna.user.id)).chats).toEqual([]);

    // The number signs up anew as a new person, who sees none of it.
    const again = await signIn(anna.phone);
    expect(again.user.id).not.toBe(anna.user.id);
    expect(await chatList(again.accessToken)).toEqual([]);
    expect((await callJson<{ bills: unknown[] }>("/api/v1/bills", { token: again.accessToken })).body.bills).toEqual([]);
  });
});
