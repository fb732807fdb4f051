import { render } from "preact";

render(<main>Вече: кабинет ведомства</main>, document.getElementById("root") as HTMLElement);
