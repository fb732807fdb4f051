import { createApp } from "./app";
import { errorFields, log } from "./lib/log";
import { cleanupMedia } from "./media/store";

export { Inbox } from "./chat/inbox";
export { ChatRoom } from "./chat/room";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, _ctx) {
    try {
      log.info("media cleanup", await cleanupMedia(env));
    } catch (err) {
      log.error("media cleanup failed", errorFields(err));
      throw err;
    }
  },
} satisfies ExportedHandler<Env>;
