// Adds `.openapi()` to the schemas below before they are built.
import "@hono/zod-openapi";
import * as z from "zod";
import { displayableName } from "../lib/names";

/** Who a privacy setting lets in. "contacts": the people this user put in their own contacts. */
export const Audience = z.enum(["everyone", "contacts", "nobody"]);

export const OwnUser = z
  .object({
    id: z.string(),
    phone: z.string().openapi({ example: "+79161234567" }),
    displayName: z.string().nullable(),
    username: z.string().nullable(),
    phoneVisibility: Audience.openapi({ description: "v1's name for the privacy setting `phone` (GET /me/privacy)." }),
    presenceVisibility: Audience.openapi({ description: "The privacy setting `lastSeen` under its v1 name." }),
    avatar: z.string().nullable().openapi({
      description: "The profile photo's media id (GET /media/{id}, readable by everyone signed in); null for none.",
    }),
  })
  .openapi("User");

export const PublicUser = z
  .object({
    id: z.string(),
    displayName: z.string().nullable(),
    username: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: "Only when the user's `phone` privacy setting lets the caller see it." }),
    online: z
      .boolean()
      .nullable()
      .openapi({ description: "Whether the user has Veche open; null when their `lastSeen` setting (or a block) hides it." }),
    lastSeenAt: z.string().nullable().openapi({ description: "When the user was last online; null when hidden or never." }),
    avatar: z.string().nullable().openapi({
      description: "The profile photo's media id (GET /media/{id}, readable by everyone signed in); null for none.",
    }),
  })
  .openapi("PublicUser");

export const Username = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{2,31}$/, "3 to 32 letters, digits or underscores, starting with a letter")
  .superRefine(displayableName)
  .transform((s) => s.toLowerCase());

/** A display name: 1 to 64 characters once trimmed, nothing that hides or reorders text (src/lib/names.ts). */
export const DisplayName = z.string().superRefine(displayableName).trim().min(1).max(64);

export const UpdateMe = z
  .object({
    displayName: DisplayName.optional(),
    username: Username.nullable().optional(),
    phoneVisibility: Audience.optional(),
    presenceVisibility: Audience.optional(),
    avatar: z.string().min(1).max(64).nullable().optional().openapi({
      description: "A JPEG photo the caller uploaded (POST /media; its metadata is stripped there) as the profile photo; null removes it.",
    }),
  })
  .strict();
