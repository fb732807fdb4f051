import { createApp } from "./app";

export { Inbox } from "./chat/inbox";
export { ChatRoom } from "./chat/room";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
