import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, type SignedIn, signIn } from "../helpers";

// Own profile, usernames and public profiles.

interface OwnUser {
  id: string;
  phone: string;
  displayName: string | null;
  username: string | null;
  phoneVisibility: "nobody" | "everyone";
}

interface PublicUser {
  id: string;
  displayName: string | null;
  username: string | null;
  phone: string | null;
}

let counter = 0;
/** A username unique to this run and call. */
function freshUsername(prefix = "u"): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}_${counter}`;
}

const patchMe = (token: string, body: unknown) => call("/api/v1/me", { method: "PATCH", token, body });

async function patchOk(s: SignedIn, body: unknown): Promise<OwnUser> {
  const { status, body: out } = await callJson<{ user: OwnUser }>("/api/v1/me", { method: "PATCH", token: s.accessToken, body });
  expect(status).toBe(200);
  return out.user;
}

async function getMe(s: SignedIn): Promise<OwnUser> {
  const { status, body } = await callJson<{ user: OwnUser }>("/api/v1/me", { token: s.accessToken });
  expect(status).toBe(200);
  return body.user;
}

async function publicById(viewer: SignedIn, id: string) {
  return callJson<{ user: PublicUser }>(`/api/v1/users/${encodeURIComponent(id)}`, { token: viewer.accessToken });
}

async function publicByUsername(viewer: SignedIn, username: string) {
  return callJson<{ user: PublicUser }>(`/api/v1/users?username=${encodeURIComponent(username)}`, { token: viewer.accessToken });
}

describe("own profile", () => {
  it("starts with no name, no username and the phone hidden", async () => {
    const s = await signIn();
    expect(await getMe(s)).toMatchObject({ id: s.user.id, phone: s.phone, displayName: null, username: null, phoneVisibility: "nobody" });
  });

  it("PATCH /me sets displayName, username and phoneVisibility, and GET /me shows them", async () => {
    const s = await signIn();
    const username = freshUsername("Anna_");
    const updated = await patchOk(s, { displayName: "  Анна Каренина  ", username, phoneVisibility: "everyone" });
    expect(updated).toMatchObject({ id: s.user.id, phone: s.phone, displayName: "Анна Каренина", phoneVisibility: "everyone" });
    expect(updated.username?.toLowerCase()).toBe(username.toLowerCase());
    expect(await getMe(s)).toEqual(updated);

    // Fields left out stay as they were.
    const renamed = await patchOk(s, { displayName: "Anna" });
    expect(renamed).toEqual({ ...updated, displayName: "Anna" });
    expect(await patchOk(s, {})).toEqual(renamed);

    // username: null clears it.
    expect((await patchOk(s, { username: null })).username).toBeNull();
  });

  it("usernames are unique regardless of case: 409 username_taken, and the loser's profile is unchanged", async () => {
    const owner = await signIn();
    const other = await signIn();
    const name = freshUsername("Borya_");
    await patchOk(owner, { username: name });
    const before = await getMe(other);

    for (const attempt of [name, name.toUpperCase(), name.toLowerCase()]) {
      await expectProblem(await patchMe(other.accessToken, { username: attempt, displayName: "Thief" }), 409, "username_taken");
    }
    expect(await getMe(other)).toEqual(before);

    // Setting one's own username again is no conflict.
    expect((await patchOk(owner, { username: name.toUpperCase() })).username?.toLowerCase()).toBe(name.toLowerCase());

    // Once released, it can be taken.
    await patchOk(owner, { username: null });
    expect((await patchOk(other, { username: name })).username?.toLowerCase()).toBe(name.toLowerCase());
  });

  it("of users racing for one username exactly one gets it; the others answer 409 username_taken", async () => {
    const racers = await Promise.all([signIn(), signIn(), signIn(), signIn()]);
    const name = freshUsername("Race_");
    const responses = await Promise.all(racers.map((r, i) => patchMe(r.accessToken, { username: i % 2 ? name.toUpperCase() : name })));
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.filter((x) => x === 200),
      `statuses ${statuses}`,
    ).toHaveLength(1);
    for (const res of responses.filter((r) => r.status !== 200)) await expectProblem(res, 409, "username_taken");
    const winner = racers[statuses.indexOf(200)];
    if (!winner) throw new Error("no winner");
    const found = await publicByUsername(winner, name);
    expect(found.body.user.id).toBe(winner.user.id);
  });

  it("many users may have no username at all", async () => {
    const a = await signIn();
    const b = await signIn();
    await patchOk(a, { username: freshUsername() });
    await patchOk(b, { username: freshUsername() });
    expect((await patchOk(a, { username: null })).username).toBeNull();
    expect((await patchOk(b, { username: null })).username).toBeNull();
  });

  it("refuses invalid usernames with 400 validation_failed", async () => {
    const s = await signIn();
    const before = await getMe(s);
    for (const username of ["ab", "1abc", "_abc", "has space", "dash-ed", "a".repeat(33), "юзернейм", "", "abc!", 42]) {
      const problem = await expectProblem(await patchMe(s.accessToken, { username }), 400, "validation_failed");
      expect(problem.errors).toEqual([expect.objectContaining({ path: "username" })]);
    }
    expect(await getMe(s)).toEqual(before);
  });

  it("refuses other invalid values with 400 validation_failed", async () => {
    const s = await signIn();
    const before = await getMe(s);
    for (const body of [
      { displayName: "" },
      { displayName: "   " },
      { displayName: "x".repeat(65) },
      { displayName: 7 },
      // Names that hide or reorder text (src/lib/names.ts).
      { displayName: "Госуслуги\u202E" },
      { displayName: "\u2067Госуслуги\u2069" },
      { displayName: "Госуслуги\u200B" },
      { displayName: "Гос\u2060услуги" },
      { displayName: "\uFEFFАнна" },
      { displayName: "Анна\u0007" },
      { displayName: "Анна\nКаренина" },
      { displayName: "Ан\u200Dна" },
      { displayName: "Ан\u200Cна" },
      { phoneVisibility: "friends" },
      { phoneVisibility: null },
      [],
      "name",
      null,
    ]) {
      await expectProblem(await patchMe(s.accessToken, body), 400, "validation_failed");
    }
    expect(await getMe(s)).toEqual(before);
  });

  it("accepts names whose joiners a script or an emoji needs", async () => {
    const s = await signIn();
    for (const displayName of ["👩\u200D💻 Мария", "می\u200Cخواهم", "क्\u200Dष", "Анна 🌸"]) {
      expect((await patchOk(s, { displayName })).displayName).toBe(displayName);
    }
  });

  it("refuses usernames with control or invisible characters", async () => {
    const s = await signIn();
    for (const username of ["anna\u200B", "\u202Eanna", "an\u0000na", "anna\uFEFF"]) {
      await expectProblem(await patchMe(s.accessToken, { username }), 400, "validation_failed");
    }
    const found = await call(`/api/v1/users?username=${encodeURIComponent("anna\u202E")}`, { token: s.accessToken });
    expect(found.status).toBe(400);
  });

  it("refuses unknown fields with 400, so the phone and id cannot be changed this way", async () => {
    const s = await signIn();
    const before = await getMe(s);
    for (const body of [{ nickname: "x" }, { phone: "+79990000000" }, { id: "someone-else" }, { displayName: "Ok", bio: "extra" }]) {
      await expectProblem(await patchMe(s.accessToken, body), 400, "validation_failed");
    }
    expect(await getMe(s)).toEqual(before);
  });

  it("needs a token", async () => {
    await expectProblem(await call("/api/v1/me"), 401, "unauthorized");
    await expectProblem(await call("/api/v1/me", { method: "PATCH", body: { displayName: "x" } }), 401, "unauthorized");
  });
});

describe("public profiles", () => {
  it("GET /users/:id and /users?username= show the public profile, without the phone by default", async () => {
    const viewer = await signIn();
    const owner = await signIn();
    const username = freshUsername("Pub_");
    const own = await patchOk(owner, { displayName: "Public Person", username });
    const expected: PublicUser = { id: owner.user.id, displayName: "Public Person", username: own.username, phone: null };

    const byId = await publicById(viewer, owner.user.id);
    expect(byId.status).toBe(200);
    expect(byId.body.user).toMatchObject(expected);

    for (const query of [username, username.toUpperCase(), username.toLowerCase()]) {
      const byName = await publicByUsername(viewer, query);
      expect(byName.status).toBe(200);
      expect(byName.body.user).toMatchObject(expected);
    }
    expect(JSON.stringify(byId.body)).not.toContain(owner.phone);
  });

  it("shows the phone only while its owner lets everyone see it", async () => {
    const viewer = await signIn();
    const owner = await signIn();
    const username = freshUsername();
    await patchOk(owner, { username, phoneVisibility: "everyone" });
    expect((await publicById(viewer, owner.user.id)).body.user.phone).toBe(owner.phone);
    expect((await publicByUsername(viewer, username)).body.user.phone).toBe(owner.phone);

    await patchOk(owner, { phoneVisibility: "nobody" });
    expect((await publicById(viewer, owner.user.id)).body.user.phone).toBeNull();
    expect((await publicByUsername(viewer, username)).body.user.phone).toBeNull();
  });

  it("unknown ids and usernames answer 404", async () => {
    const viewer = await signIn();
    await expectProblem(await call("/api/v1/users/01JNOSUCHUSER0000000000000", { token: viewer.accessToken }), 404, "not_found");
    await expectProblem(await call(`/api/v1/users?username=${freshUsername("nobody_")}`, { token: viewer.accessToken }), 404, "not_found");
  });

  it("a malformed username query answers 400 validation_failed", async () => {
    const viewer = await signIn();
    await expectProblem(await call("/api/v1/users?username=1x", { token: viewer.accessToken }), 400, "validation_failed");
    await expectProblem(await call("/api/v1/users", { token: viewer.accessToken }), 400, "validation_failed");
  });

  it("needs a token", async () => {
    const owner = await signIn();
    const username = freshUsername();
    await patchOk(owner, { username });
    await expectProblem(await call(`/api/v1/users/${owner.user.id}`), 401, "unauthorized");
    await expectProblem(await call(`/api/v1/users?username=${username}`), 401, "unauthorized");
  });
});
