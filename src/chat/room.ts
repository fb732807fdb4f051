import { DurableObject } from "cloudflare:workers";

/** One chat's ordered message log and its sockets. Built out by the messaging-core issue. */
export class ChatRoom extends DurableObject<Env> {}
