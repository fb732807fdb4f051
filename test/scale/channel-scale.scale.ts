// Issue 13: the work per post of a channel from 1,000 to 1,000,000 subscribers, with ≥ 100 relays. Run by
// `npm run bench -- --channel-scale` (bench/channel-scale.ts), which writes the table under bench/results/.
//
// The bulk fixture: a real channel (owner and 8 real subscribers, made over the API) whose room's `members` table
// then gets the other subscribers inserted directly, as rows the room's own Members module writes (role member,
// read marker 0, nothing to push, away: their inboxes said no device is online), and whose room is given its
// relay count directly (`relay_counts`: max(100, one per 10,000 members)). The relays' own storage is what a
// relay with no sockets has: nothing. What it leaves out: a million accounts, sessions and inboxes (D1 and one
// Inbox DO each); the D1 directory rows; online subscribers beyond the 8 real ones (their sockets would be on
// relays, costing relays, not the room); and Cloudflare's network between objects (all of it is one local
// workerd thread here, so a relay's work is on the same CPU as the room's).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { RelayFanout } from "../../src/chat/relay/fanout";
import { relayIndex } from "../../src/chat/relay/plan";
import { currentPts, sendOver, untilPts } from "../chat/sync-support";
import { callJson, newChat, openSocket, postText, type SignedIn, signIn } from "../helpers";

const roomOf = (chatId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
const relayOf = (chatId: string, index: number) => env.CHAT_RELAY.get(env.CHAT_RELAY.idFromName(`${chatId}#${index}`));
const fanoutOf = (chatId: string) =>
  runInDurableObject(roomOf(chatId), (room: unknown) => {
    const f = (room as { relays: RelayFanout }).relays;
    return { calls: f.calls, batches: f.batches, count: f.count() };
  });
/**
 * Counts the room's SQL work from now on: every statement its modules run (they share the object's one
 * SqlStorage), with the rows each read and wrote, by statement text. workerd's clock does not advance inside an
 * object, so this (and the calls) stand for the room's CPU per post.
 */
const countSql = (chatId: string) =>
  runInDurableObject(roomOf(chatId), (room: unknown, state) => {
    const sql = state.storage.sql;
    const cursors: { text: string; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[] = [];
    const exec = sql.exec.bind(sql);
    Object.assign(sql, {
      exec: (text: string, ...bindings: SqlStorageValue[]) => {
        const cursor = exec(text, ...bindings);
        cursors.push({ text, cursor });
        return cursor;
      },
    });
    Object.assign(room as object, {
      sqlCounts: () => {
        const by = new Map<string, { runs: number; read: number; written: number }>();
        for (const { text, cursor } of cursors) {
          const key = text.replace(/\s+/g, " ").trim().slice(0, 90);
          const e = by.get(key) ?? { runs: 0, read: 0, written: 0 };
          e.runs += 1;
          e.read += cursor.rowsRead;
          e.written += cursor.rowsWritten;
          by.set(key, e);
        }
        return [...by.entries()].map(([statement, e]) => ({ statement, ...e }));
      },
    });
  });
const sqlCountsOf = (chatId: string) =>
  runInDurableObject(roomOf(chatId), (room: unknown) =>
    (room as { sqlCounts: () => { statement: string; runs: number; read: number; written: number }[] }).sqlCounts(),
  );
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

const REAL = 8;
const POSTS = 50;
const HTTP_POSTS = 10;

it("keeps the room's work per post flat from 1,000 to 1,000,000 subscribers", async () => {
  const sizes = String(env.CHANNEL_SCALE_SIZES).split(",").map(Number);
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const [owner, ...subs] = (await Promise.all(Array.from({ length: REAL + 1 }, () => signIn()))) as [SignedIn, ...SignedIn[]];
    const chat = await newChat(owner.accessToken, { type: "channel", title: `масштаб ${size}`, memberIds: subs.map((s) => s.user.id) });
    const relays = Math.max(100, Math.ceil(size / 10_000));
    const t0 = Date.now();
    await runInDurableObject(roomOf(chat.id), (_: unknown, state) => {
      const sql = state.storage.sql;
      const extra = size - REAL - 1;
      for (let from = 0; from < extra; from += 100_000) {
        const to = Math.min(extra, from + 100_000);
        sql.exec(
          `WITH RECURSIVE s(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM s WHERE i < ?)
           INSERT INTO members (user_id, role, read_seq, dirty, away) SELECT 'fixture-' || i, 'member', 0, 0, 1 FROM s`,
          from + 1,
          to,
        );
      }
      sql.exec("INSERT OR IGNORE INTO relay_counts (count) VALUES (?)", relays);
    });
    const fixtureSec = (Date.now() - t0) / 1000;
    // The room starts again from its storage, as after any eviction: it reads the relay count and the members.
    await evictDurableObject(roomOf(chat.id));
    const pts = await currentPts(owner.accessToken, chat.id);
    const sockets = await Promise.all(
      subs.map((s) => openSocket(`/api/v1/chats/${chat.id}/ws?pts=${pts}&batch=1`, { token: s.accessToken })),
    );
    const own = await openSocket(`/api/v1/chats/${chat.id}/ws`, { token: owner.accessToken });
    const usedRelays = new Set(subs.map((s) => relayIndex(chat.id, s.user.id, relays)));
    for (const i of usedRelays) expect(await relayOf(chat.id, i).socketCount()).toBeGreaterThan(0);
    // Warm-up, then posts one at a time: each is stored, acknowledged and delivered to every real subscriber
    // before the next, so each post is its own batch.
    for (let k = 0; k < 5; k++) await sendOver(own, `w${size}-${k}`, "разогрев");
    await Promise.all(sockets.map((s) => untilPts(s, pts + 5, 30_000)));
    const before = await fanoutOf(chat.id);
    await countSql(chat.id);
    const times: number[] = [];
    const t1 = Date.now();
    for (let k = 0; k < POSTS; k++) {
      const t = Date.now();
      await sendOver(own, `p${size}-${k}`, `пост ${k}`);
      await Promise.all(sockets.map((s) => untilPts(s, pts + 5 + k + 1, 30_000)));
      times.push(Date.now() - t);
    }
    const wall = Date.now() - t1;
    const after = await fanoutOf(chat.id);
    const statements = await sqlCountsOf(chat.id);
    // The summary push (at most once a second, not per post) plans who to tell: apart from the posts' own work.
    // Any statement over the members table that is not one member's row: counting members and choosing whom to push.
    const isPush = (t: string) => /FROM members(?! WHERE user_id = \?)/.test(t) || /UPDATE members SET dirty = 0 WHERE dirty/.test(t);
    const sum = (f: (e: { statement: string }) => boolean, k: "runs" | "read" | "written") =>
      statements.filter(f).reduce((a, e) => a + e[k], 0);
    const relayBatches = (
      await Promise.all(
        Array.from({ length: relays }, (_, i) =>
          runInDurableObject(relayOf(chat.id, i), (relay: unknown) => (relay as { batches: number }).batches),
        ),
      )
    ).reduce((a, b) => a + b, 0);
    // An HTTP post waits for the room's summary push (to the owner's inbox; subscribers read the head).
    const http: number[] = [];
    for (let k = 0; k < HTTP_POSTS; k++) {
      const t = Date.now();
      await postText(owner.accessToken, chat.id, `http ${k}`);
      http.push(Date.now() - t);
    }
    const members = await callJson<{ chat: { memberCount: number } }>(`/api/v1/chats/${chat.id}`, { token: owner.accessToken });
    rows.push({
      subscribers: size,
      memberCount: members.body.chat.memberCount,
      relays,
      realSubscriberSockets: sockets.length,
      relaysWithSockets: usedRelays.size,
      fixtureSec: round(fixtureSec, 1),
      posts: POSTS,
      batches: after.batches - before.batches,
      roomCallsPerPost: round((after.calls - before.calls) / POSTS),
      relayBatchesPerPost: round(relayBatches / (POSTS + 5)),
      roomSqlStatementsPerPost: round(sum((e) => !isPush(e.statement), "runs") / POSTS),
      roomSqlRowsReadPerPost: round(sum((e) => !isPush(e.statement), "read") / POSTS),
      roomSqlRowsWrittenPerPost: round(sum((e) => !isPush(e.statement), "written") / POSTS),
      pushPlanningRuns: sum((e) => isPush(e.statement), "runs"),
      pushPlanningRowsReadPerPost: round(sum((e) => isPush(e.statement), "read") / POSTS),
      heaviestStatements: statements.sort((a, b) => b.read - a.read).slice(0, 4),
      msPerPost: round(wall / POSTS),
      postToLastDeliveryP50Ms: quantile(times, 0.5),
      postToLastDeliveryP99Ms: quantile(times, 0.99),
      httpPostP50Ms: quantile(http, 0.5),
      httpPostMaxMs: Math.max(...http),
    });
    console.log(`CHANNEL_SCALE_ROW ${JSON.stringify(rows.at(-1))}`);
    for (const s of [...sockets, own]) s.close();
  }
  console.log(`CHANNEL_SCALE ${JSON.stringify(rows)}`);
  // The room's calls per post are the first-level relays (16), whatever the size.
  for (const r of rows) expect(r.roomCallsPerPost).toBe(16);
});
