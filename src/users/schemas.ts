import { z } from "@hono/zod-openapi";

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
  .transform((s) => s.toLowerCase());

export const UpdateMe = z
  .object({
    displayName: z.string().trim().min(1).max(64).optional(),
    username: Username.nullable().optional(),
    phoneVisibility: z.enum(["nobody", "everyone"]).optional(),
    presenceVisibility: z.enum(["nobody", "everyone"]).optional(),
  })
  .strict();
