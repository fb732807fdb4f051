import "./styles.css";
import { render } from "preact";
import { App } from "./app";
import { migrateOutboxes } from "./outbox";
import { startServiceWorker } from "./push";

render(<App />, document.getElementById("root") as HTMLElement);
// Unsent messages an older version kept in localStorage move to IndexedDB (once; chats opened meanwhile wait).
void migrateOutboxes();
startServiceWorker();
