import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { BASE, callJson, freshPhone } from "../helpers";

async function devSession(): Promise<{ accessToken: string; user: { id: string } }> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/v1/dev/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone: freshPhone() }),
    }),
  );
  return res.json();
}

// D1 binds at most 100 parameters per statement; a group of 200 must not run into that.
it("creates a group with the maximum of 200 members in one request", async () => {
  const owner = await devSession();
  const members = await Promise.all(Array.from({ length: 200 }, devSession));
  const { status, body } = await callJson<{ chat: { id: string; memberCount: number } }>("/api/v1/chats", {
    token: owner.accessToken,
    body: { type: "group", title: "двести", memberIds: members.map((m) => m.user.id) },
  });
  expect(status).toBe(201);
  expect(body.chat.memberCount).toBe(201);
  const last = members.at(-1);
  const seen = await callJson<{ chat: { id: string } }>(`/api/v1/chats/${body.chat.id}`, { token: last?.accessToken });
  expect(seen.status).toBe(200);
  const tooMany = await callJson("/api/v1/chats", {
    token: owner.accessToken,
    body: { type: "group", title: "x", memberIds: [...members.map((m) => m.user.id), owner.user.id] },
  });
  expect(tooMany.status).toBe(400);
});
