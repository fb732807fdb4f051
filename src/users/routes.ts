import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { inboxStub, roomStub } from "../chat/access";
import { chatsOf } from "../chat/store";
import { database } from "../db";
import { users } from "../db/schema";
import { ApiError, notFound, unauthorized } from "../lib/errors";
import { citizenSecurity, json, jsonBody, problems, router } from "../lib/hono";
import { log } from "../lib/log";
import { hit, type Limit } from "../lib/rate-limit";
import { takeAvatar } from "../media/store";
import { type Relation, relationsTo, visibleTo } from "../safety/privacy";
import { deleteAccount, exportArchive } from "./data-rights";
import { OwnUser, PublicUser, UpdateMe, Username } from "./schemas";
import { SEARCH_MAX, searchPeople } from "./search";
import { getUser, getUserByUsername, ownUser, type Presence, publicUser, type UserRow } from "./store";

/** A profile as `viewerId` sees it, with presence from the user's inbox when they show it to this viewer. */
export async function profileFor(env: Env, u: UserRow, viewerId: string): Promise<ReturnType<typeof publicUser>> {
  return profileWith(env, u, viewerId, (await relationsTo(env.DB, viewerId, [u.id])).get(u.id));
}

/** The same, when the caller already knows how `u` stands towards the viewer (relationsTo, one query for many). */
export async function profileWith(
  env: Env,
  u: UserRow,
  viewerId: string,
  rel: Relation | undefined,
): Promise<ReturnType<typeof publicUser>> {
  const shows = visibleTo(u, viewerId, rel ?? { contact: false, blocked: false });
  const presence: Presence | null = shows.presence ? await inboxStub(env, u.id).presence() : null;
  return publicUser(u, presence, shows);
}

/** A new name, username or photo reaches every room the user is in (mentions, direct chats' titles and photos). Rare. */
async function spreadProfile(env: Env, u: UserRow): Promise<void> {
  const profile = { username: u.username, name: u.displayName ?? (u.username ? `@${u.username}` : null), avatar: u.avatarId };
  const results = await Promise.allSettled(
    (await chatsOf(env.DB, u.id)).map((chatId) => roomStub(env, chatId).setProfile(chatId, u.id, profile)),
  );
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed > 0) log.warn("a profile change did not reach some rooms", { userId: u.id, failed });
}

/** An export reads every chat the citizen is in: a few a day is plenty, and it bounds the cost. */
const EXPORTS: Limit = { name: "export:user", max: 5, windowMs: 3600_000 };

const Kept = z
  .object({
    what: z.enum(["bills", "payments", "records", "submissions", "consents", "accessLog"]),
    why: z.string(),
    count: z.number().int(),
  })
  .openapi("KeptData");

/** The caller's account, unless it was deleted (an access token outlives deletion by at most its 15 minutes). */
async function liveUser(env: Env, userId: string): Promise<UserRow> {
  const user = await getUser(database(env.DB), userId);
  if (!user) throw notFound("user");
  if (user.deletedAt !== null) throw unauthorized("account_deleted", "This account was deleted.");
  return user;
}

const isUniqueViolation = (err: unknown): boolean =>
  err instanceof Error && /UNIQUE constraint failed/.test(String(err.cause ?? err.message));

export const me = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/me",
      operationId: "getMe",
      summary: "The caller's own profile",
      tags: ["profiles"],
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: { 200: json(z.object({ user: OwnUser }), "The caller's own profile."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => c.json({ user: ownUser(await liveUser(c.env, c.var.citizen.userId)) }, 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/me",
      operationId: "updateMe",
      summary: "Change the caller's display name, username, profile photo or privacy",
      tags: ["profiles"],
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { body: jsonBody(UpdateMe) },
      responses: {
        200: json(z.object({ user: OwnUser }), "The updated profile."),
        ...problems(
          [400, "validation_failed; invalid_avatar: not a JPEG photo the caller uploaded"],
          [401, "unauthorized"],
          [409, "username_taken"],
        ),
      },
    }),
    async (c) => {
      const { avatar, ...patch } = c.req.valid("json");
      const db = database(c.env.DB);
      const me = c.var.citizen.userId;
      await liveUser(c.env, me);
      if (typeof avatar === "string") await takeAvatar(c.env.DB, me, avatar);
      try {
        const [user] = await db
          .update(users)
          .set({ ...patch, ...(avatar !== undefined && { avatarId: avatar }), updatedAt: Date.now() })
          .where(eq(users.id, me))
          .returning();
        if (!user) throw notFound("user");
        if (patch.displayName !== undefined || patch.username !== undefined || avatar !== undefined) await spreadProfile(c.env, user);
        return c.json({ user: ownUser(user) }, 200);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError(409, "username_taken", "That username belongs to someone else.");
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/me/export",
      operationId: "exportMyData",
      tags: ["profiles"],
      summary: "Download everything Veche holds about you, as one ZIP",
      description:
        "Profile, sessions, chat list, messages (direct and official chats: all; groups and channels: your own), your uploaded files with their bytes, bills, payments, records, submissions, consents, and the access log with its head. README.json inside lists the files. At most 5 an hour.",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: {
        200: { description: "The archive.", content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } } },
        ...problems([401, "unauthorized, account_deleted"], [429, "rate_limited"]),
      },
    }),
    async (c) => {
      const userId = c.var.citizen.userId;
      await liveUser(c.env, userId);
      await hit(c.env.DB, EXPORTS, userId);
      const archive = await exportArchive(c.env, userId);
      c.executionCtx.waitUntil(archive.done);
      const day = new Date().toISOString().slice(0, 10);
      return new Response(archive.body, {
        status: 200,
        headers: {
          "content-type": "application/zip",
          "content-disposition": `attachment; filename="veche-${day}.zip"`,
          "cache-control": "no-store",
        },
      });
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/me",
      operationId: "deleteAccount",
      tags: ["profiles"],
      summary: "Delete your account",
      description:
        "Signs out every device, tombstones your messages, leaves your groups, channels and official chats, deletes your files (except those attached to applications) and erases your profile; the number is freed. What agencies must keep by law is kept and listed in the answer.",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { body: jsonBody(z.object({ confirm: z.literal("DELETE").openapi({ description: 'Exactly "DELETE".' }) }).strict()) },
      responses: {
        200: json(z.object({ deleted: z.literal(true), kept: z.array(Kept) }), "Deleted; what was kept, with how many and why."),
        ...problems([400, "validation_failed: confirm is not DELETE"], [401, "unauthorized, account_deleted"]),
      },
    }),
    async (c) => {
      const userId = c.var.citizen.userId;
      await liveUser(c.env, userId);
      const kept = await deleteAccount(c.env, userId);
      log.info("account deleted", { userId });
      return c.json({ deleted: true as const, kept }, 200);
    },
  );

export const directory = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/users",
      operationId: "findUserByUsername",
      tags: ["profiles"],
      summary: "Find a user by username",
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { query: z.object({ username: Username }) },
      responses: {
        200: json(z.object({ user: PublicUser }), "The public profile."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const user = await getUserByUsername(database(c.env.DB), c.req.valid("query").username);
      if (!user) throw notFound("user");
      return c.json({ user: await profileFor(c.env, user, c.var.citizen.userId) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/users/search",
      operationId: "searchPeople",
      tags: ["profiles"],
      summary: "Find people by username, by name among your contacts, or by phone number",
      description: `Public profiles whose username starts with \`q\` (an \`@\` before it is ignored), the caller's contacts whose display name contains it (any letter case), and, when \`q\` is a phone number, the person with that number if their \`phone\` privacy shows it to the caller. People who blocked the caller are not found. At most ${SEARCH_MAX}, best matches first. Phone lookups are limited per caller (429).`,
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { query: z.object({ q: z.string().trim().min(1).max(64) }) },
      responses: {
        200: json(z.object({ users: z.array(PublicUser) }), "The people found."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [429, "rate_limited: too many phone lookups; see Retry-After"]),
      },
    }),
    async (c) => {
      const viewerId = c.var.citizen.userId;
      const found = await searchPeople(c.env, viewerId, c.req.valid("query").q);
      return c.json({ users: await Promise.all(found.map((f) => profileWith(c.env, f.user, viewerId, f.rel))) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/users/{id}",
      operationId: "getUser",
      summary: "A user's public profile",
      tags: ["profiles"],
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: {
        200: json(z.object({ user: PublicUser }), "The public profile."),
        ...problems([401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const user = await getUser(database(c.env.DB), c.req.valid("param").id);
      if (!user) throw notFound("user");
      return c.json({ user: await profileFor(c.env, user, c.var.citizen.userId) }, 200);
    },
  );
