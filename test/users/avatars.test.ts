// Profile photos and chat photos (issue 16): a JPEG the owner uploaded, its metadata stripped on upload;
// readable by whoever may see the profile or the chat; shown on profiles, in chat lists and to open sockets.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, chatList, expectProblem, newChat, openSocket, postText, type SignedIn, signInMany } from "../helpers";
import { buildJpeg, buildPng, containsBytes, SECRETS, SEG } from "../media/bytes/fixtures";

async function upload(user: SignedIn, bytes: Uint8Array, type: string): Promise<string> {
  const { status, body } = await callJson<{ media: { id: string } }>("/api/v1/media", {
    method: "POST",
    token: user.accessToken,
    rawBody: bytes,
    headers: { "content-type": type },
  });
  expect(status).toBe(201);
  return body.media.id;
}

/** A photo straight from a phone's camera: its Exif carries the camera and where it was taken. */
const cameraPhoto = () => buildJpeg({ width: 32, height: 32, metadata: [SEG.app0(), SEG.exif(), SEG.xmp()] }).file;

const patchMe = (user: SignedIn, body: unknown) => call("/api/v1/me", { method: "PATCH", token: user.accessToken, body });

async function profileOf(viewer: SignedIn, userId: string) {
  return (await callJson<{ user: { avatar: string | null } }>(`/api/v1/users/${userId}`, { token: viewer.accessToken })).body.user;
}

/** Polls the viewer's chat list until the chat's entry satisfies `ok` (inboxes are told asynchronously). */
type Listed = { avatar: string | null; lastMessage: { text: string | null } | null };
async function listed(viewer: SignedIn, chatId: string, ok: (chat: Listed) => boolean) {
  for (let i = 0; i < 100; i++) {
    const chat = (await chatList(viewer.accessToken)).find((c) => c.id === chatId) as unknown as Listed | undefined;
    if (chat && ok(chat)) return chat;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the chat list never showed the change");
}

describe("profile photos", () => {
  it("a JPEG the user uploaded becomes their photo: its location is gone and everyone signed in sees it", async () => {
    const [anna, boris] = await signInMany(2);
    const id = await upload(anna, cameraPhoto(), "image/jpeg");
    // Before it is her photo, only Anna reads the upload.
    expect((await call(`/api/v1/media/${id}`, { token: boris.accessToken })).status).toBe(404);

    const set = await callJson<{ user: { avatar: string | null } }>("/api/v1/me", {
      method: "PATCH",
      token: anna.accessToken,
      body: { avatar: id },
    });
    expect(set.status).toBe(200);
    expect(set.body.user.avatar).toBe(id);
    expect((await profileOf(boris, anna.user.id)).avatar).toBe(id);

    const res = await call(`/api/v1/media/${id}`, { token: boris.accessToken });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes[0]).toBe(0xff);
    for (const secret of [SECRETS.camera, SECRETS.gps, SECRETS.xmp]) expect(containsBytes(bytes, secret)).toBe(false);

    // Removed: the profile shows none, and the photo is Anna's alone again.
    expect((await patchMe(anna, { avatar: null })).status).toBe(200);
    expect((await profileOf(boris, anna.user.id)).avatar).toBeNull();
    expect((await call(`/api/v1/media/${id}`, { token: boris.accessToken })).status).toBe(404);
  });

  it("refuses what is not a JPEG photo of the user's own, and changes nothing", async () => {
    const [anna, boris] = await signInMany(2);
    const mine = await upload(anna, cameraPhoto(), "image/jpeg");
    expect((await patchMe(anna, { avatar: mine })).status).toBe(200);

    const png = await upload(anna, await buildPng(8, 8), "image/png");
    const theirs = await upload(boris, cameraPhoto(), "image/jpeg");
    for (const avatar of [png, theirs, "no-such-media"]) {
      const problem = await expectProblem(await patchMe(anna, { avatar, displayName: "Анна" }), 400, "invalid_avatar");
      expect(problem.errors).toEqual([expect.objectContaining({ path: "avatar" })]);
    }
    // An empty id is no id: refused as input, before anything is looked up.
    await expectProblem(await patchMe(anna, { avatar: "" }), 400, "validation_failed");
    const me = (await callJson<{ user: { avatar: string | null; displayName: string | null } }>("/api/v1/me", { token: anna.accessToken }))
      .body.user;
    expect(me).toMatchObject({ avatar: mine, displayName: null });
  });

  it("a direct chat shows the other person's photo in the list, and follows a change", async () => {
    const [anna, boris] = await signInMany(2);
    const chat = await newChat(anna.accessToken, { type: "direct", userId: boris.user.id });
    expect((await listed(boris, chat.id, () => true)).avatar).toBeNull();

    const id = await upload(anna, cameraPhoto(), "image/jpeg");
    expect((await patchMe(anna, { avatar: id })).status).toBe(200);
    expect((await listed(boris, chat.id, (c) => c.avatar !== null)).avatar).toBe(id);
    // Anna's own entry shows Boris's (none), not her own.
    expect((await listed(anna, chat.id, () => true)).avatar).toBeNull();

    // Someone who joins a direct chat later sees the photo from the start.
    const [vera] = await signInMany(1);
    const later = await newChat(vera.accessToken, { type: "direct", userId: anna.user.id });
    expect((await listed(vera, later.id, (c) => c.avatar !== null)).avatar).toBe(id);
  });
});

describe("chat photos", () => {
  it("owners and admins set a group's photo: members see it in their lists and live, others cannot read it", async () => {
    const [anna, boris, stranger] = await signInMany(3);
    const group = await newChat(anna.accessToken, { type: "group", title: "Дом 5", memberIds: [boris.user.id] });
    const socket = await openSocket(`/api/v1/chats/${group.id}/ws`, { token: boris.accessToken });
    const id = await upload(anna, cameraPhoto(), "image/jpeg");

    const set = await callJson<{ chat: { avatar: string | null; title: string } }>(`/api/v1/chats/${group.id}`, {
      method: "PATCH",
      token: anna.accessToken,
      body: { avatar: id },
    });
    expect(set.status).toBe(200);
    expect(set.body.chat).toMatchObject({ avatar: id, title: "Дом 5" });
    expect(await socket.next((f) => f.type === "chat_updated")).toMatchObject({ title: "Дом 5", avatar: id });
    expect((await listed(boris, group.id, (c) => c.avatar !== null)).avatar).toBe(id);

    // A member who was offline catches it up with the chat's changes.
    const changes = await callJson<{ changes: { type: string; avatar?: string | null }[] }>(`/api/v1/chats/${group.id}/changes?pts=0`, {
      token: boris.accessToken,
    });
    expect(changes.body.changes.filter((c) => c.type === "chat_updated")).toEqual([expect.objectContaining({ avatar: id })]);

    expect((await call(`/api/v1/media/${id}`, { token: boris.accessToken })).status).toBe(200);
    expect((await call(`/api/v1/media/${id}`, { token: stranger.accessToken })).status).toBe(404);

    // The room keeps it across eviction: the next message's summary still carries it.
    await evictDurableObject(env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(group.id)));
    await postText(anna.accessToken, group.id, "после перезапуска");
    expect((await listed(boris, group.id, (c) => c.lastMessage?.text === "после перезапуска")).avatar).toBe(id);

    // A plain member may not change it; nothing changes.
    const own = await upload(boris, cameraPhoto(), "image/jpeg");
    await expectProblem(
      await call(`/api/v1/chats/${group.id}`, { method: "PATCH", token: boris.accessToken, body: { avatar: own } }),
      403,
      "not_allowed",
    );
    // Removing it reaches the list too.
    expect((await call(`/api/v1/chats/${group.id}`, { method: "PATCH", token: anna.accessToken, body: { avatar: null } })).status).toBe(
      200,
    );
    expect((await listed(boris, group.id, (c) => c.avatar === null)).avatar).toBeNull();
    socket.close();
  });

  it("a public channel's photo is readable by anyone signed in, and shows in its preview", async () => {
    const [owner, reader] = await signInMany(2);
    const channel = await newChat(owner.accessToken, { type: "channel", title: "Новости района" });
    const username = `news${Date.now().toString(36)}`;
    expect((await call(`/api/v1/chats/${channel.id}`, { method: "PATCH", token: owner.accessToken, body: { username } })).status).toBe(200);
    const id = await upload(owner, cameraPhoto(), "image/jpeg");
    expect((await call(`/api/v1/chats/${channel.id}`, { method: "PATCH", token: owner.accessToken, body: { avatar: id } })).status).toBe(
      200,
    );

    const preview = await callJson<{ chat: { avatar: string | null }; subscribed: boolean }>(`/api/v1/channels/${username}`, {
      token: reader.accessToken,
    });
    expect(preview.body).toMatchObject({ subscribed: false, chat: { avatar: id } });
    expect((await call(`/api/v1/media/${id}`, { token: reader.accessToken })).status).toBe(200);
  });
});

describe("an account deleted with its photos", () => {
  it("goes, photos and all: the group it gave a photo shows none, and the bytes are gone", async () => {
    const [anna, boris] = await signInMany(2);
    const group = await newChat(anna.accessToken, { type: "group", title: "Соседи", memberIds: [boris.user.id] });
    const own = await upload(anna, cameraPhoto(), "image/jpeg");
    const groupPhoto = await upload(anna, cameraPhoto(), "image/jpeg");
    expect((await patchMe(anna, { avatar: own })).status).toBe(200);
    expect(
      (await call(`/api/v1/chats/${group.id}`, { method: "PATCH", token: anna.accessToken, body: { avatar: groupPhoto } })).status,
    ).toBe(200);
    expect((await listed(boris, group.id, (c) => c.avatar !== null)).avatar).toBe(groupPhoto);

    const deleted = await call("/api/v1/me", { method: "DELETE", token: anna.accessToken, body: { confirm: "DELETE" } });
    expect(deleted.status).toBe(200);
    expect((await listed(boris, group.id, (c) => c.avatar === null)).avatar).toBeNull();
    expect((await profileOf(boris, anna.user.id)).avatar).toBeNull();
    for (const id of [own, groupPhoto]) expect((await call(`/api/v1/media/${id}`, { token: boris.accessToken })).status).toBe(404);
  });
});
