import "./styles.css";
import { render } from "preact";
import { lang, loadLang, onLangChange, t } from "../lib/i18n";
import { App } from "./app";
import { migrateOutboxes } from "./outbox";
import { startServiceWorker } from "./push";

// English is a chunk of its own: loaded before the first render when it is the chosen language.
await loadLang(lang()).catch(() => undefined);
// The tab's title in that language (index.html's is Russian); once signed in, push.ts adds the unread count.
const title = () => {
  if (!document.title.startsWith("(")) document.title = t("appName");
};
title();
onLangChange(title);
render(<App />, document.getElementById("root") as HTMLElement);
// Unsent messages an older version kept in localStorage move to IndexedDB (once; chats opened meanwhile wait).
void migrateOutboxes();
startServiceWorker();
