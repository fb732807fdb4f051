import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { requireCitizen } from "../auth/middleware";
import { inboxStub, roomStub } from "../chat/access";
import { chatsOf } from "../chat/store";
import { database } from "../db";
import { users } from "../db/schema";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, json, jsonBody, problems, router } from "../lib/hono";
import { log } from "../lib/log";
import { type Relation, relationsTo, visibleTo } from "../safety/privacy";
import { OwnUser, PublicUser, UpdateMe, Username } from "./schemas";
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

/** A new name or username reaches every room the user is in (mentions, direct chats' titles). Rare. */
async function spreadProfile(env: Env, u: UserRow): Promise<void> {
  const name = u.displayName ?? (u.username ? `@${u.username}` : null);
  const results = await Promise.allSettled(
    (await chatsOf(env.DB, u.id)).map((chatId) => roomStub(env, chatId).setProfile(chatId, u.id, u.username, name)),
  );
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed > 0) log.warn("a profile change did not reach some rooms", { userId: u.id, failed });
}

const isUniqueViolation = (err: unknown): boolean =>
  err instanceof Error && /UNIQUE constraint failed/.test(String(err.cause ?? err.message));

export const me = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["profiles"],
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      responses: { 200: json(z.object({ user: OwnUser }), "The caller's own profile."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const user = await getUser(database(c.env.DB), c.var.citizen.userId);
      if (!user) throw notFound("user");
      return c.json({ user: ownUser(user) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/me",
      tags: ["profiles"],
      security: citizenSecurity,
      middleware: [requireCitizen] as const,
      request: { body: jsonBody(UpdateMe) },
      responses: {
        200: json(z.object({ user: OwnUser }), "The updated profile."),
        ...problems([400, "validation_failed"], [401, "unauthorized"], [409, "username_taken"]),
      },
    }),
    async (c) => {
      const patch = c.req.valid("json");
      const db = database(c.env.DB);
      try {
        const [user] = await db
          .update(users)
          .set({ ...patch, updatedAt: Date.now() })
          .where(eq(users.id, c.var.citizen.userId))
          .returning();
        if (!user) throw notFound("user");
        if (patch.displayName !== undefined || patch.username !== undefined) await spreadProfile(c.env, user);
        return c.json({ user: ownUser(user) }, 200);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError(409, "username_taken", "That username belongs to someone else.");
        throw err;
      }
    },
  );

export const directory = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/users",
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
      path: "/users/{id}",
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
