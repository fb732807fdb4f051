import { z } from "@hono/zod-openapi";
import { displayableName } from "../lib/names";

export const OwnUser = z
  .object({
    id: z.string(),
    phone: z.string().openapi({ example: "+79161234567" }),
    displayName: z.string().nullable(),
    username: z.string().nullable(),
    phoneVisibility: z.enum(["nobody", "everyone"]),
    presenceVisibility: z.enum(["nobody", "everyone"]),
  })
  .openapi("User");

export const PublicUser = z
  .object({
    id: z.string(),
    displayName: z.string().nullable(),
    username: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: "Only when the user lets everyone see it." }),
    online: z.boolean().nullable().openapi({ description: "Whether the user has Veche open; null when they hide it." }),
    lastSeenAt: z.string().nullable().openapi({ description: "When the user was last online; null when hidden or never." }),
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
    phoneVisibility: z.enum(["nobody", "everyone"]).optional(),
    presenceVisibility: z.enum(["nobody", "everyone"]).optional(),
  })
  .strict();
