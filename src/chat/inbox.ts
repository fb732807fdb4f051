import { DurableObject } from "cloudflare:workers";

/** One user's live chat list and notifications. Built out by the messaging-core issue. */
export class Inbox extends DurableObject<Env> {}
