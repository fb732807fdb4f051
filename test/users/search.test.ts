// Issue 16, finding people (contract v1.1 "Finding people"): `GET /users/search?q=` answers public profiles
// whose username starts with q, the caller's contacts whose display name contains q (any letter case, Cyrillic
// too), and a phone number's owner only where their `phone` privacy lets the caller see it; never someone who
// blocked the caller; at most 50.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, type SignedIn, signIn, signInWithProfile } from "../helpers";

interface Person {
  id: string;
  username: string | null;
  displayName: string | null;
  phone?: string | null;
}
async function search(viewer: SignedIn, q: string): Promise<Person[]> {
  const res = await callJson<{ users: Person[] }>(`/api/v1/users/search?q=${encodeURIComponent(q)}`, { token: viewer.accessToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.users;
}
const ids = (people: Person[]) => people.map((p) => p.id);
const tag = () => Math.random().toString(36).slice(2, 8).replace(/\d/g, "x");

describe("finding people", () => {
  it("finds usernames by their start, an exact name first, with or without @", async () => {
    const t = tag();
    const viewer = await signIn();
    const exact = await signInWithProfile({ username: `vas${t}`, displayName: "Василий" });
    const longer = await signInWithProfile({ username: `vas${t}ya`, displayName: "Вася" });
    const other = await signInWithProfile({ username: `pet${t}`, displayName: "Пётр" });
    expect(ids(await search(viewer, `vas${t}`))).toEqual([exact.user.id, longer.user.id]);
    expect(ids(await search(viewer, `@VAS${t}`))).toEqual([exact.user.id, longer.user.id]);
    expect(ids(await search(viewer, `vas${t}y`))).toEqual([longer.user.id]);
    expect(ids(await search(viewer, `pet${t}`))).toEqual([other.user.id]);
    // A name is searched only among contacts: Пётр is not the viewer's.
    expect(ids(await search(viewer, "Пётр"))).not.toContain(other.user.id);
  });

  it("finds contacts by a part of their display name, in any letter case", async () => {
    const t = tag();
    const viewer = await signIn();
    const anna = await signInWithProfile({ displayName: `Анна Сергеевна ${t}` });
    const stranger = await signInWithProfile({ displayName: `Анна Петровна ${t}` });
    expect((await call(`/api/v1/contacts/${anna.user.id}`, { method: "PUT", token: viewer.accessToken })).status).toBe(204);
    const found = await search(viewer, `сергеевна ${t}`);
    expect(ids(found)).toEqual([anna.user.id]);
    expect(found[0]?.displayName).toBe(`Анна Сергеевна ${t}`);
    expect(ids(await search(viewer, `анна`))).not.toContain(stranger.user.id);
  });

  it("finds a phone number's owner only where their privacy shows the number", async () => {
    const viewer = await signIn();
    const hidden = await signIn();
    const open = await signIn();
    const forContacts = await signIn();
    await call("/api/v1/me/privacy", { method: "PATCH", token: open.accessToken, body: { phone: "everyone" } });
    await call("/api/v1/me/privacy", { method: "PATCH", token: forContacts.accessToken, body: { phone: "contacts" } });
    // The default is nobody: a number on its own finds no one.
    expect(await search(viewer, hidden.phone)).toEqual([]);
    const found = await search(viewer, open.phone);
    expect(ids(found)).toEqual([open.user.id]);
    expect(found[0]?.phone).toBe(open.phone);
    // Written as people write numbers: 8 (916) …, spaces.
    const local = `8 (${open.phone.slice(2, 5)}) ${open.phone.slice(5, 8)}-${open.phone.slice(8)}`;
    expect(ids(await search(viewer, local))).toEqual([open.user.id]);
    // "contacts": those the owner put in their contacts, not those who put the owner in theirs.
    await call(`/api/v1/contacts/${forContacts.user.id}`, { method: "PUT", token: viewer.accessToken });
    expect(await search(viewer, forContacts.phone)).toEqual([]);
    await call(`/api/v1/contacts/${viewer.user.id}`, { method: "PUT", token: forContacts.accessToken });
    expect(ids(await search(viewer, forContacts.phone))).toEqual([forContacts.user.id]);
  });

  it("never finds someone who blocked the caller, nor the caller", async () => {
    const t = tag();
    const viewer = await signInWithProfile({ username: `me${t}` });
    const blocker = await signInWithProfile({ username: `me${t}x` });
    expect(ids(await search(viewer, `me${t}`))).toEqual([blocker.user.id]);
    await call(`/api/v1/blocks/${viewer.user.id}`, { method: "PUT", token: blocker.accessToken });
    expect(await search(viewer, `me${t}`)).toEqual([]);
  });

  it("answers at most 50, and refuses an empty or too long query", async () => {
    const t = tag();
    const viewer = await signIn();
    await Promise.all(Array.from({ length: 52 }, (_, i) => signInWithProfile({ username: `many${t}${String(i).padStart(2, "0")}` })));
    const found = await search(viewer, `many${t}`);
    expect(found).toHaveLength(50);
    expect(found.map((p) => p.username)).toEqual([...found.map((p) => p.username)].sort());
    await expectProblem(await call("/api/v1/users/search?q=%20", { token: viewer.accessToken }), 400, "validation_failed");
    await expectProblem(await call(`/api/v1/users/search?q=${"a".repeat(65)}`, { token: viewer.accessToken }), 400, "validation_failed");
    await expectProblem(await call("/api/v1/users/search?q=anna"), 401, "unauthorized");
  });
});
