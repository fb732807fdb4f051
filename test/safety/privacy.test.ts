// Privacy settings and contacts (contract v1.1 "Safety"): what people rely on when they choose who may add
// them to groups, write to them, and see their phone and presence.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, newChat, openSocket, type SignedIn, signIn, signInWithProfile } from "../helpers";

type Audience = "everyone" | "contacts" | "nobody";
interface Privacy {
  groupInvites: Audience;
  directMessages: "everyone" | "contacts";
  lastSeen: Audience;
  phone: Audience;
}
interface Profile {
  id: string;
  phone: string | null;
  online: boolean | null;
  lastSeenAt: string | null;
}

const privacy = async (s: SignedIn) => {
  const res = await callJson<{ privacy: Privacy }>("/api/v1/me/privacy", { token: s.accessToken });
  expect(res.status).toBe(200);
  return res.body.privacy;
};
const setPrivacy = async (s: SignedIn, body: Partial<Privacy>) => {
  const res = await callJson<{ privacy: Privacy }>("/api/v1/me/privacy", { method: "PATCH", token: s.accessToken, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.privacy;
};
const addContact = async (owner: SignedIn, other: SignedIn) =>
  expect((await call(`/api/v1/contacts/${other.user.id}`, { method: "PUT", token: owner.accessToken })).status).toBe(204);
const profile = async (viewer: SignedIn, of: SignedIn) => {
  const res = await callJson<{ user: Profile }>(`/api/v1/users/${of.user.id}`, { token: viewer.accessToken });
  expect(res.status).toBe(200);
  return res.body.user;
};
const createGroup = (s: SignedIn, memberIds: string[], type: "group" | "channel" = "group") =>
  callJson<{ chat: { id: string; memberCount: number }; notAdded?: string[] }>("/api/v1/chats", {
    token: s.accessToken,
    body: { type, title: "Privacy", memberIds },
  });

describe("privacy settings", () => {
  it("default to everyone for invites, direct messages and last seen, and nobody for the phone", async () => {
    const s = await signIn();
    expect(await privacy(s)).toEqual({ groupInvites: "everyone", directMessages: "everyone", lastSeen: "everyone", phone: "nobody" });
  });

  it("PATCH changes only what it names and answers the settings; v1's names on /me are the same settings", async () => {
    const s = await signIn();
    expect(await setPrivacy(s, { groupInvites: "contacts" })).toEqual({
      groupInvites: "contacts",
      directMessages: "everyone",
      lastSeen: "everyone",
      phone: "nobody",
    });
    const me = await callJson<{ user: { phoneVisibility: string; presenceVisibility: string } }>("/api/v1/me", {
      method: "PATCH",
      token: s.accessToken,
      body: { phoneVisibility: "contacts", presenceVisibility: "nobody" },
    });
    expect(me.status).toBe(200);
    expect(await privacy(s)).toMatchObject({ phone: "contacts", lastSeen: "nobody", groupInvites: "contacts" });
    await setPrivacy(s, { phone: "everyone", lastSeen: "contacts" });
    const after = await callJson<{ user: { phoneVisibility: string; presenceVisibility: string } }>("/api/v1/me", { token: s.accessToken });
    expect(after.body.user).toMatchObject({ phoneVisibility: "everyone", presenceVisibility: "contacts" });
  });

  it("refuses values outside the contract and changes nothing", async () => {
    const s = await signIn();
    for (const body of [
      { directMessages: "nobody" },
      { phone: "friends" },
      { lastSeen: null },
      { groupInvites: "everyone", extra: 1 },
      { groupInvites: "contacts", phone: 3 },
    ]) {
      await expectProblem(await call("/api/v1/me/privacy", { method: "PATCH", token: s.accessToken, body }), 400, "validation_failed");
    }
    expect(await privacy(s)).toEqual({ groupInvites: "everyone", directMessages: "everyone", lastSeen: "everyone", phone: "nobody" });
    expect((await call("/api/v1/me/privacy")).status).toBe(401);
  });
});

describe("contacts", () => {
  it("are listed with their profiles, added and removed idempotently", async () => {
    const anna = await signIn();
    const boris = await signInWithProfile({ displayName: "Борис" });
    await addContact(anna, boris);
    await addContact(anna, boris);
    const listed = await callJson<{ contacts: { userId: string; user: { displayName: string } }[] }>("/api/v1/contacts", {
      token: anna.accessToken,
    });
    expect(listed.body.contacts).toEqual([
      expect.objectContaining({ userId: boris.user.id, user: expect.objectContaining({ displayName: "Борис" }) }),
    ]);
    // Contacts are one-way: Boris did not add Anna.
    expect((await callJson<{ contacts: unknown[] }>("/api/v1/contacts", { token: boris.accessToken })).body.contacts).toEqual([]);
    expect((await call(`/api/v1/contacts/${boris.user.id}`, { method: "DELETE", token: anna.accessToken })).status).toBe(204);
    expect((await call(`/api/v1/contacts/${boris.user.id}`, { method: "DELETE", token: anna.accessToken })).status).toBe(204);
    expect((await callJson<{ contacts: unknown[] }>("/api/v1/contacts", { token: anna.accessToken })).body.contacts).toEqual([]);
  });

  it("cannot hold oneself or someone who does not exist", async () => {
    const anna = await signIn();
    await expectProblem(await call(`/api/v1/contacts/${anna.user.id}`, { method: "PUT", token: anna.accessToken }), 400, "invalid_peer");
    await expectProblem(await call("/api/v1/contacts/nobody-such", { method: "PUT", token: anna.accessToken }), 404, "not_found");
    expect((await callJson<{ contacts: unknown[] }>("/api/v1/contacts", { token: anna.accessToken })).body.contacts).toEqual([]);
  });
});

describe("groupInvites", () => {
  it("adding someone who does not allow the inviter answers 403 privacy_restricted and adds nobody", async () => {
    const [owner, closed, friendly] = [await signIn(), await signIn(), await signIn()];
    await setPrivacy(closed, { groupInvites: "nobody" });
    await setPrivacy(friendly, { groupInvites: "contacts" });
    const { body } = await createGroup(owner, []);
    const chatId = body.chat.id;
    for (const who of [closed, friendly]) {
      const res = await call(`/api/v1/chats/${chatId}/members`, { token: owner.accessToken, body: { userId: who.user.id } });
      await expectProblem(res, 403, "privacy_restricted");
      expect((await call(`/api/v1/chats/${chatId}`, { token: who.accessToken })).status).toBe(404);
    }
    const members = await callJson<{ members: { userId: string }[] }>(`/api/v1/chats/${chatId}/members`, { token: owner.accessToken });
    expect(members.body.members.map((m) => m.userId)).toEqual([owner.user.id]);

    // "contacts": the owner is in Friendly's contacts now, so the add goes through.
    await addContact(friendly, owner);
    const added = await call(`/api/v1/chats/${chatId}/members`, { token: owner.accessToken, body: { userId: friendly.user.id } });
    expect(added.status).toBe(201);
    expect((await call(`/api/v1/chats/${chatId}`, { token: friendly.accessToken })).status).toBe(200);
  });

  it("creating a group or channel with memberIds adds only those allowed and names the others in notAdded", async () => {
    const [owner, open, closed, contactsOnly, friend] = [await signIn(), await signIn(), await signIn(), await signIn(), await signIn()];
    await setPrivacy(closed, { groupInvites: "nobody" });
    await setPrivacy(contactsOnly, { groupInvites: "contacts" });
    await setPrivacy(friend, { groupInvites: "contacts" });
    await addContact(friend, owner);
    for (const type of ["group", "channel"] as const) {
      const res = await createGroup(owner, [open.user.id, closed.user.id, contactsOnly.user.id, friend.user.id], type);
      expect(res.status).toBe(201);
      expect(res.body.notAdded?.sort()).toEqual([closed.user.id, contactsOnly.user.id].sort());
      expect(res.body.chat.memberCount).toBe(3);
      expect((await call(`/api/v1/chats/${res.body.chat.id}`, { token: closed.accessToken })).status).toBe(404);
      expect((await call(`/api/v1/chats/${res.body.chat.id}`, { token: friend.accessToken })).status).toBe(200);
    }
    const plain = await createGroup(owner, [open.user.id]);
    expect(plain.body.notAdded).toEqual([]);
  });
});

describe("directMessages", () => {
  it("contacts only: others get 403 privacy_restricted; contacts may open the chat", async () => {
    const [anna, stranger, friend] = [await signIn(), await signIn(), await signIn()];
    await setPrivacy(anna, { directMessages: "contacts" });
    await addContact(anna, friend);
    const refused = await call("/api/v1/chats", { token: stranger.accessToken, body: { type: "direct", userId: anna.user.id } });
    await expectProblem(refused, 403, "privacy_restricted");
    expect((await callJson<{ chats: unknown[] }>("/api/v1/chats", { token: anna.accessToken })).body.chats).toEqual([]);
    const opened = await call("/api/v1/chats", { token: friend.accessToken, body: { type: "direct", userId: anna.user.id } });
    expect(opened.status).toBe(201);
  });

  it("a direct chat that user opened themselves stays open to both", async () => {
    const [anna, boris] = [await signIn(), await signIn()];
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    await setPrivacy(anna, { directMessages: "contacts" });
    const again = await callJson<{ chat: { id: string } }>("/api/v1/chats", {
      token: boris.accessToken,
      body: { type: "direct", userId: anna.user.id },
    });
    expect(again.status).toBe(200);
    expect(again.body.chat.id).toBe(chat.id);
    const sent = await call(`/api/v1/chats/${chat.id}/messages`, { token: boris.accessToken, body: { clientId: "b1", text: "Привет" } });
    expect(sent.status).toBe(201);
  });
});

describe("profiles follow lastSeen and phone", () => {
  it("everyone, contacts and nobody, for the phone and for online / lastSeenAt", async () => {
    const [anna, friend, stranger] = [await signIn(), await signIn(), await signIn()];
    await addContact(anna, friend);
    const socket = await openSocket("/api/v1/inbox/ws", { token: anna.accessToken });
    try {
      // Defaults: presence for everyone, the phone for nobody.
      expect(await profile(stranger, anna)).toMatchObject({ phone: null, online: true });

      await setPrivacy(anna, { phone: "contacts", lastSeen: "contacts" });
      expect(await profile(friend, anna)).toMatchObject({ phone: anna.phone, online: true });
      expect(await profile(stranger, anna)).toMatchObject({ phone: null, online: null, lastSeenAt: null });

      await setPrivacy(anna, { phone: "everyone", lastSeen: "nobody" });
      expect(await profile(stranger, anna)).toMatchObject({ phone: anna.phone, online: null, lastSeenAt: null });
      expect(await profile(friend, anna)).toMatchObject({ phone: anna.phone, online: null, lastSeenAt: null });

      // Members lists show profiles by the same rules.
      await setPrivacy(anna, { phone: "contacts", lastSeen: "contacts", groupInvites: "everyone" });
      const { body } = await createGroup(stranger, [anna.user.id, friend.user.id]);
      const asSeenBy = async (viewer: SignedIn) => {
        const res = await callJson<{ members: { userId: string; user: Profile }[] }>(`/api/v1/chats/${body.chat.id}/members`, {
          token: viewer.accessToken,
        });
        return res.body.members.find((m) => m.userId === anna.user.id)?.user;
      };
      expect(await asSeenBy(friend)).toMatchObject({ phone: anna.phone, online: true });
      expect(await asSeenBy(stranger)).toMatchObject({ phone: null, online: null });
    } finally {
      socket.close();
    }
  });
});
