// Privacy settings, contacts and blocks (contract v1.1 "Safety"). D1 holds all three; a block also reaches
// the direct chat of the two people, whose room refuses the blocked person's sends without reading D1.
import { createRoute } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import * as z from "zod";
import { requireCitizen } from "../auth/middleware";
import { roomStub, unwrap } from "../chat/access";
import { findDirectChat } from "../chat/store";
import { database } from "../db";
import { blocks, contacts, users } from "../db/schema";
import { ApiError, notFound } from "../lib/errors";
import { citizenSecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { profileWith } from "../users/routes";
import { Audience, PublicUser } from "../users/schemas";
import { getUser } from "../users/store";
import { privacyOf, relationsTo } from "./privacy";

const PrivacySchema = z
  .object({
    groupInvites: Audience.openapi({ description: "Who may add me to a group or channel." }),
    directMessages: z.enum(["everyone", "contacts"]).openapi({ description: "Who may open a direct chat with me." }),
    lastSeen: Audience.openapi({ description: "Who sees whether I am online and when I was last." }),
    phone: Audience.openapi({ description: "Who sees my phone number." }),
  })
  .openapi("Privacy", {
    description: '"contacts": the people I put in my own contacts. A block hides my presence and phone whatever these say.',
  });

const UpdatePrivacy = PrivacySchema.partial().strict();

const Contact = z.object({ userId: z.string(), addedAt: z.string(), user: PublicUser }).openapi("Contact");
const Block = z
  .object({
    userId: z.string(),
    at: z.string(),
    user: z.object({ id: z.string(), displayName: z.string().nullable(), username: z.string().nullable() }),
  })
  .openapi("Block");

const UserIdParam = z.object({ userId: z.string().min(1).max(64) });
const secured = { security: citizenSecurity, middleware: requireCitizen };

/** The other person of a contact or block: someone else who exists. */
async function otherUser(env: Env, me: string, userId: string) {
  if (userId === me) throw new ApiError(400, "invalid_peer", "That is you.");
  const user = await getUser(database(env.DB), userId);
  if (!user) throw notFound("user");
  return user;
}

/**
 * Tells the direct chat of the two (if they have one) that a block was set or lifted. Done on every PUT and
 * DELETE, even when D1 already had it, so that a retry after a failed call brings the room in line.
 */
async function tellRoom(env: Env, blockerId: string, blockedId: string, on: boolean): Promise<void> {
  // Both of the pair's chats: the direct one and the secret one.
  for (const kind of ["direct", "secret"] as const) {
    const chatId = await findDirectChat(env.DB, blockerId, blockedId, kind);
    if (chatId) unwrap(await roomStub(env, chatId).setBlocked(chatId, blockerId, blockedId, on));
  }
}

export const safety = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/me/privacy",
      operationId: "getPrivacySettings",
      summary: "The caller's privacy settings",
      tags: ["privacy"],
      ...secured,
      responses: { 200: json(z.object({ privacy: PrivacySchema }), "The caller's privacy settings."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const user = await getUser(database(c.env.DB), c.var.citizen.userId);
      if (!user) throw notFound("user");
      return c.json({ privacy: privacyOf(user) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/me/privacy",
      operationId: "updatePrivacySettings",
      tags: ["privacy"],
      summary: "Change any of the privacy settings",
      description: "`phone` and `lastSeen` are also `phoneVisibility` and `presenceVisibility` on `/me`.",
      ...secured,
      request: { body: jsonBody(UpdatePrivacy) },
      responses: {
        200: json(z.object({ privacy: PrivacySchema }), "The settings after the change."),
        ...problems([400, "validation_failed"], [401, "unauthorized"]),
      },
    }),
    async (c) => {
      const p = c.req.valid("json");
      const [user] = await database(c.env.DB)
        .update(users)
        .set({
          ...(p.groupInvites ? { groupInvites: p.groupInvites } : {}),
          ...(p.directMessages ? { directMessages: p.directMessages } : {}),
          ...(p.lastSeen ? { presenceVisibility: p.lastSeen } : {}),
          ...(p.phone ? { phoneVisibility: p.phone } : {}),
          updatedAt: Date.now(),
        })
        .where(eq(users.id, c.var.citizen.userId))
        .returning();
      if (!user) throw notFound("user");
      return c.json({ privacy: privacyOf(user) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/contacts",
      operationId: "listContacts",
      tags: ["privacy"],
      summary: "The caller's contacts, most recently added first (at most 1,000)",
      ...secured,
      responses: {
        200: json(z.object({ contacts: z.array(Contact) }), "Contacts with their profiles."),
        ...problems([401, "unauthorized"]),
      },
    }),
    async (c) => {
      const me = c.var.citizen.userId;
      const rows = await database(c.env.DB)
        .select({ contact: contacts, user: users })
        .from(contacts)
        .innerJoin(users, eq(users.id, contacts.contactId))
        .where(eq(contacts.ownerId, me))
        .orderBy(desc(contacts.createdAt))
        .limit(1000);
      const rels = await relationsTo(
        c.env.DB,
        me,
        rows.map((r) => r.user.id),
      );
      const list = await Promise.all(
        rows.map(async (r) => ({
          userId: r.user.id,
          addedAt: iso(r.contact.createdAt),
          user: await profileWith(c.env, r.user, me, rels.get(r.user.id)),
        })),
      );
      return c.json({ contacts: list }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/contacts/{userId}",
      operationId: "addContact",
      tags: ["privacy"],
      summary: "Add someone to the caller's contacts (idempotent)",
      ...secured,
      request: { params: UserIdParam },
      responses: {
        204: { description: "In the caller's contacts." },
        ...problems([400, "invalid_peer: the caller's own id"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const me = c.var.citizen.userId;
      const other = await otherUser(c.env, me, c.req.valid("param").userId);
      await database(c.env.DB).insert(contacts).values({ ownerId: me, contactId: other.id, createdAt: Date.now() }).onConflictDoNothing();
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/contacts/{userId}",
      operationId: "removeContact",
      tags: ["privacy"],
      summary: "Remove someone from the caller's contacts (idempotent)",
      ...secured,
      request: { params: UserIdParam },
      responses: { 204: { description: "Not in the caller's contacts." }, ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      await c.env.DB.prepare("DELETE FROM contacts WHERE owner_id = ?1 AND contact_id = ?2")
        .bind(c.var.citizen.userId, c.req.valid("param").userId)
        .run();
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/blocks",
      operationId: "listBlocks",
      tags: ["privacy"],
      summary: "The people the caller blocked, most recent first (at most 1,000)",
      ...secured,
      responses: { 200: json(z.object({ blocks: z.array(Block) }), "Blocks."), ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const rows = await database(c.env.DB)
        .select({ block: blocks, user: users })
        .from(blocks)
        .innerJoin(users, eq(users.id, blocks.blockedId))
        .where(eq(blocks.blockerId, c.var.citizen.userId))
        .orderBy(desc(blocks.createdAt))
        .limit(1000);
      return c.json(
        {
          blocks: rows.map((r) => ({
            userId: r.user.id,
            at: iso(r.block.createdAt),
            user: { id: r.user.id, displayName: r.user.displayName, username: r.user.username },
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/blocks/{userId}",
      operationId: "blockUser",
      tags: ["privacy"],
      summary: "Block someone (idempotent)",
      description:
        "They can no longer open a direct chat with the caller, send in their direct chat (`403 blocked`, an `error` frame `blocked`, or a socket refused with 403), add the caller to a chat, or see the caller's presence and phone.",
      ...secured,
      request: { params: UserIdParam },
      responses: {
        204: { description: "Blocked." },
        ...problems([400, "invalid_peer: the caller's own id"], [401, "unauthorized"], [404, "not_found"]),
      },
    }),
    async (c) => {
      const me = c.var.citizen.userId;
      const other = await otherUser(c.env, me, c.req.valid("param").userId);
      await database(c.env.DB).insert(blocks).values({ blockerId: me, blockedId: other.id, createdAt: Date.now() }).onConflictDoNothing();
      await tellRoom(c.env, me, other.id, true);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/blocks/{userId}",
      operationId: "unblockUser",
      tags: ["privacy"],
      summary: "Unblock someone (idempotent)",
      ...secured,
      request: { params: UserIdParam },
      responses: { 204: { description: "Not blocked." }, ...problems([401, "unauthorized"]) },
    }),
    async (c) => {
      const me = c.var.citizen.userId;
      const { userId } = c.req.valid("param");
      await c.env.DB.prepare("DELETE FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2").bind(me, userId).run();
      if (userId !== me) await tellRoom(c.env, me, userId, false);
      return c.body(null, 204);
    },
  );
