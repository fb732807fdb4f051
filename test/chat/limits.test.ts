import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, openSocket, type SignedIn, signIn, signInMany, type TestSocket } from "../helpers";

// Per-user limits (docs/api.md, "Limits"): 140 sends per 10-second window across a person's chats, counted by
// the rate-limiting binding, which workerd runs locally with clock-aligned windows.

interface Msg {
  seq: number;
  clientId: string;
  text: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function group(owner: SignedIn, others: SignedIn[], type: "group" | "channel" = "group"): Promise<string> {
  const { status, body } = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
    token: owner.accessToken,
    body: { type, title: "limits", memberIds: others.map((p) => p.user.id) },
  });
  expect(status).toBe(201);
  return body.chat.id;
}

async function history(chatId: string, token: string): Promise<Msg[]> {
  const all: Msg[] = [];
  for (;;) {
    const after = all.at(-1)?.seq ?? 0;
    const { body } = await callJson<{ messages: Msg[] }>(`/api/v1/chats/${chatId}/messages?after=${after}&limit=200`, { token });
    all.push(...body.messages);
    if (body.messages.length < 200) return all;
  }
}

const socketTo = (chatId: string, who: SignedIn) => openSocket(`/api/v1/chats/${chatId}/ws`, { token: who.accessToken });
/** The ack or the refusal of each clientId, once every one has its answer. */
async function answers(s: TestSocket, clientIds: string[], ms = 15_000): Promise<Map<string, Record<string, unknown>>> {
  const want = new Set(clientIds);
  const done = () => {
    const got = new Map<string, Record<string, unknown>>();
    for (const f of s.frames)
      if ((f.type === "ack" || f.type === "error") && typeof f.clientId === "string" && want.has(f.clientId)) got.set(f.clientId, f);
    return got;
  };
  const deadline = Date.now() + ms;
  while (done().size < want.size) {
    if (Date.now() > deadline) throw new Error(`only ${done().size} of ${want.size} answers`);
    await sleep(20);
  }
  return done();
}

const statements = async () => (await callJson<{ statements: number }>("/api/v1/dev/d1-statements")).body.statements;

describe("sending limits", () => {
  it("refuses a flood across two chats with rate_limited frames naming the send and the wait; refused sends are not stored, and a retry after the wait is", async () => {
    const [anna, boris, vera] = await signInMany(3);
    const [one, two] = [await group(anna, [boris]), await group(anna, [vera])];
    const [s1, s2] = [await socketTo(one, anna), await socketTo(two, anna)];
    const ids1 = Array.from({ length: 150 }, (_, i) => `a${i}`);
    const ids2 = Array.from({ length: 150 }, (_, i) => `b${i}`);
    for (let i = 0; i < 150; i++) {
      s1.send({ type: "send", clientId: ids1[i], text: `one ${i}` });
      s2.send({ type: "send", clientId: ids2[i], text: `two ${i}` });
    }
    const [r1, r2] = [await answers(s1, ids1), await answers(s2, ids2)];
    const all = [...r1.values(), ...r2.values()];
    const refused = all.filter((f) => f.type === "error");
    const acked = all.filter((f) => f.type === "ack");
    // 300 in well under 5 s: at most two windows, so at most 280 through, whatever the clock.
    expect(refused.length).toBeGreaterThanOrEqual(20);
    expect(acked.length + refused.length).toBe(300);
    for (const f of refused) {
      expect(f.code).toBe("rate_limited");
      expect(typeof f.clientId).toBe("string");
      expect(f.retryAfter).toBeGreaterThanOrEqual(1);
      expect(f.retryAfter).toBeLessThanOrEqual(10);
    }
    // The limit is the person's across chats: neither chat alone reached 140.
    const stored = [...(await history(one, anna.accessToken)), ...(await history(two, anna.accessToken))];
    expect(stored.map((m) => m.clientId).sort()).toEqual(acked.map((f) => f.clientId as string).sort());
    const refusedIds = new Set(refused.map((f) => f.clientId));
    expect(stored.some((m) => refusedIds.has(m.clientId))).toBe(false);

    const last = refused.at(-1) as Record<string, unknown>;
    await sleep((last.retryAfter as number) * 1000 + 100);
    const retryId = last.clientId as string;
    const socket = retryId.startsWith("a") ? s1 : s2;
    const from = socket.frames.length;
    socket.send({ type: "send", clientId: retryId, text: "after the wait" });
    const ack = await socket.next((f) => f.type === "ack" && f.clientId === retryId, 5000, from);
    expect(ack.seq).toBeGreaterThan(0);
    const chat = retryId.startsWith("a") ? one : two;
    expect((await history(chat, anna.accessToken)).filter((m) => m.clientId === retryId).map((m) => m.text)).toEqual(["after the wait"]);
    s1.close();
    s2.close();
  }, 40_000);

  it("answers HTTP sends past the limit 429 rate_limited with Retry-After; the refused one is not stored and succeeds after the wait", async () => {
    const [anna, boris] = await signInMany(2);
    const chatId = await group(anna, [boris]);
    const post = (clientId: string) =>
      call(`/api/v1/chats/${chatId}/messages`, { token: anna.accessToken, body: { clientId, text: clientId } });
    let refused: { res: Response; clientId: string } | null = null;
    for (let batch = 0; batch < 15 && !refused; batch++) {
      const ids = Array.from({ length: 20 }, (_, i) => `h${batch}-${i}`);
      const results = await Promise.all(ids.map(async (clientId) => ({ res: await post(clientId), clientId })));
      for (const r of results) expect([201, 429]).toContain(r.res.status);
      refused = results.find((r) => r.res.status === 429) ?? null;
    }
    if (!refused) throw new Error("300 posts were never refused");
    const retryAfter = Number(refused.res.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    await expectProblem(refused.res, 429, "rate_limited");
    const { clientId } = refused;
    expect((await history(chatId, anna.accessToken)).some((m) => m.clientId === clientId)).toBe(false);
    await sleep(retryAfter * 1000 + 100);
    const again = await post(clientId);
    expect(again.status).toBe(201);
    expect((await history(chatId, anna.accessToken)).filter((m) => m.clientId === clientId)).toHaveLength(1);
  }, 40_000);

  it("never refuses a person writing a message a second", async () => {
    const [anna, boris] = await signInMany(2);
    const chatId = await group(anna, [boris]);
    const s = await socketTo(chatId, anna);
    const ids = Array.from({ length: 12 }, (_, i) => `slow${i}`);
    for (const clientId of ids) {
      s.send({ type: "send", clientId, text: clientId });
      await sleep(1000);
    }
    const got = await answers(s, ids);
    expect([...got.values()].map((f) => f.type)).toEqual(ids.map(() => "ack"));
    expect((await history(chatId, anna.accessToken)).map((m) => m.clientId)).toEqual(ids);
    s.close();
  }, 30_000);

  it("never refuses a channel admin posting 10 a second", async () => {
    const [owner, admin, reader] = await signInMany(3);
    const chatId = await group(owner, [admin, reader], "channel");
    const promoted = await callJson(`/api/v1/chats/${chatId}/members/${admin.user.id}`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { role: "admin" },
    });
    expect(promoted.status).toBe(200);
    const s = await socketTo(chatId, admin);
    const ids = Array.from({ length: 30 }, (_, i) => `post${i}`);
    for (const clientId of ids) {
      s.send({ type: "send", clientId, text: clientId });
      await sleep(100);
    }
    const got = await answers(s, ids);
    expect([...got.values()].filter((f) => f.type !== "ack")).toEqual([]);
    expect((await history(chatId, reader.accessToken)).map((m) => m.clientId)).toEqual(ids);
    s.close();
  }, 20_000);

  it("keeps the message path at zero D1 statements with the limit checked on every send", async () => {
    const [anna, boris] = await signInMany(2);
    const chatId = await group(anna, [boris]);
    const s = await socketTo(chatId, anna);
    // Warm up: the room and both inboxes have read what they read once.
    s.send({ type: "send", clientId: "warm", text: "warm" });
    await s.next((f) => f.type === "ack" && f.clientId === "warm");
    await sleep(1500);
    const before = await statements();
    const ids = Array.from({ length: 50 }, (_, i) => `z${i}`);
    for (const clientId of ids) s.send({ type: "send", clientId, text: clientId });
    const got = await answers(s, ids);
    expect([...got.values()].every((f) => f.type === "ack")).toBe(true);
    await sleep(1500);
    expect((await statements()) - before).toBe(0);
    s.close();
  }, 20_000);
});

describe("limits of their own", () => {
  it("limits reactions: past 60 in a window, 429 rate_limited with Retry-After, and the refused one is not applied", async () => {
    const [anna, boris] = await signInMany(2);
    const chatId = await group(anna, [boris]);
    const { body } = await callJson<{ message: Msg }>(`/api/v1/chats/${chatId}/messages`, {
      token: anna.accessToken,
      body: { clientId: "r", text: "react to me" },
    });
    const path = (emoji: string) => `/api/v1/chats/${chatId}/messages/${body.message.seq}/reactions/${encodeURIComponent(emoji)}`;
    let refused: Response | null = null;
    for (let batch = 0; batch < 7 && !refused; batch++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call(path("👍"), { method: i % 2 ? "DELETE" : "PUT", token: anna.accessToken })),
      );
      for (const r of results) expect([204, 429]).toContain(r.status);
      refused = results.find((r) => r.status === 429) ?? null;
    }
    if (!refused) throw new Error("140 reactions were never refused");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectProblem(refused, 429, "rate_limited");
    const fire = await call(path("🔥"), { method: "PUT", token: anna.accessToken });
    await expectProblem(fire, 429, "rate_limited");
    const { body: msg } = await callJson<{ messages: (Msg & { reactions: { emoji: string }[] })[] }>(`/api/v1/chats/${chatId}/messages`, {
      token: anna.accessToken,
    });
    expect(msg.messages[0]?.reactions.map((r) => r.emoji)).not.toContain("🔥");
  });

  it("limits chat creation: past 20 a minute, 429 rate_limited with Retry-After, and nothing is created", async () => {
    const anna = await signIn();
    let created = 0;
    let refused: Response | null = null;
    // At most two minute-windows in this loop, so a refusal comes by the 41st.
    for (let i = 0; i < 41 && !refused; i++) {
      const res = await call("/api/v1/chats", { token: anna.accessToken, body: { type: "group", title: `g${i}` } });
      if (res.status === 201) created += 1;
      else refused = res;
    }
    if (!refused) throw new Error("41 groups were never refused");
    expect(created).toBeGreaterThanOrEqual(20);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectProblem(refused, 429, "rate_limited");
    const { body } = await callJson<{ chats: unknown[] }>("/api/v1/chats", { token: anna.accessToken });
    expect(body.chats).toHaveLength(created);
  });

  it("limits member adds: past 60 a minute, 429 rate_limited with Retry-After, and the refused person is not added", async () => {
    const [anna, boris, vera] = await signInMany(3);
    const chatId = await group(anna, []);
    const add = (who: SignedIn) => call(`/api/v1/chats/${chatId}/members`, { token: anna.accessToken, body: { userId: who.user.id } });
    let refused: Response | null = null;
    // Every add counts, an add of someone already there too; two minute-windows at most, so by the 121st.
    for (let i = 0; i < 121 && !refused; i++) {
      const res = await add(boris);
      if (res.status === 429) refused = res;
      else expect([200, 201]).toContain(res.status);
    }
    if (!refused) throw new Error("121 adds were never refused");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectProblem(refused, 429, "rate_limited");
    await expectProblem(await add(vera), 429, "rate_limited");
    expect((await callJson(`/api/v1/chats/${chatId}`, { token: vera.accessToken })).status).toBe(404);
  }, 30_000);

  it("limits uploads: past 60 a minute, 429 rate_limited with Retry-After, and the refused upload is not stored", async () => {
    const anna = await signIn();
    const bytes = new TextEncoder().encode("a small file");
    let stored = 0;
    let refused: Response | null = null;
    for (let i = 0; i < 121 && !refused; i++) {
      const res = await call("/api/v1/media?as=file", {
        method: "POST",
        token: anna.accessToken,
        rawBody: bytes,
        headers: { "content-type": "application/octet-stream" },
      });
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(201);
        stored += 1;
      }
    }
    if (!refused) throw new Error("121 uploads were never refused");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectProblem(refused, 429, "rate_limited");
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM media WHERE owner_id = ?1").bind(anna.user.id).first<{ n: number }>();
    expect(rows?.n).toBe(stored);
  }, 30_000);
});

describe("tighter limits for people many others reported", () => {
  /** Waits for the start of a fresh 10-second window, so a short burst is counted in one. */
  const freshWindow = async () => {
    while (Date.now() % 10_000 > 300) await sleep(50);
  };

  it("halves the sending budget of someone five people reported, from their next token on, over HTTP and sockets", async () => {
    const [suspect, normal, boris, ...reporters] = await signInMany(8);
    for (const r of reporters) {
      const filed = await call("/api/v1/reports", { token: r.accessToken, body: { reason: "spam", userId: suspect.user.id } });
      expect(filed.status).toBe(201);
    }
    // The trust is in the access token: the next sign-in carries it; the other person's does not.
    const again = await signIn(suspect.phone);
    const payload = JSON.parse(atob((again.accessToken.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")));
    expect(payload.trust).toBe("reduced");

    const burst = async (who: SignedIn, prefix: string) => {
      const chatId = await group(who, [boris]);
      const s = await socketTo(chatId, who);
      const ids = Array.from({ length: 80 }, (_, i) => `${prefix}${i}`);
      await freshWindow();
      for (const clientId of ids) s.send({ type: "send", clientId, text: clientId });
      const got = await answers(s, ids);
      s.close();
      return [...got.values()].filter((f) => f.type === "error" && f.code === "rate_limited").length;
    };
    // 80 in one window: past the reduced budget (70), well within the normal one (140).
    expect(await burst(again, "s")).toBeGreaterThanOrEqual(10);
    expect(await burst(normal, "n")).toBe(0);

    // Over HTTP too, with the claim from the token.
    const chatId = await group(again, [boris]);
    await freshWindow();
    const codes: number[] = [];
    for (let i = 0; i < 80; i++) {
      const res = await call(`/api/v1/chats/${chatId}/messages`, { token: again.accessToken, body: { clientId: `h${i}`, text: "x" } });
      codes.push(res.status);
    }
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
