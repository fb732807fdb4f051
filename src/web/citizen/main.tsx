import { render } from "preact";

render(<main>Вече</main>, document.getElementById("root") as HTMLElement);
