// What the form validator says about a field (src/forms/validate.ts, the very one the server runs, which
// answers a submission with the same words) is Russian. In English the form screen says it in English: each
// of the validator's sentences, with its numbers and values kept. A sentence not known here (the server
// learnt a new one) is shown as it is; test/web/field-words.test.ts keeps the two in step.
import type { Lang } from "../../lib/format";

const SAME: Record<string, string> = {
  "Ожидается строка": "Enter text",
  "Ожидается число": "Enter a number",
  "Ожидается целое число": "Enter a whole number",
  "Ожидается «да» или «нет»": "Choose yes or no",
  "Ожидается объект": "A group of fields is expected",
  "Ожидается список": "A list is expected",
  "Неверный адрес электронной почты": "This is not a valid email address",
  "Неверный формат даты": "This is not a valid date",
  "Неверный формат даты и времени": "This is not a valid date and time",
  "Неверный номер телефона, ожидается формат +79991234567": "This is not a valid phone number; the format is +79991234567",
  "Неверная ссылка": "This is not a valid link",
  "Неверный ИНН": "This is not a valid INN (taxpayer number)",
  "Неверный СНИЛС": "This is not a valid SNILS (insurance number)",
  "Приложите файл": "Attach a file",
  "Обязательное поле": "Required",
  "Поле нельзя проверить: ведомству нужно обновить форму": "This field cannot be checked: the agency needs to update the form",
  "Неверный формат": "The format is wrong",
  "Элементы не должны повторяться": "Items must not repeat",
  "Лишнее поле": "This field is not part of the form",
};

const counted = (n: string, one: string, many: string) => `${n} ${n === "1" ? one : many}`;

const WITH_VALUES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Не меньше (\d+) символ(?:а|ов)$/, (m) => `At least ${counted(m[1] ?? "", "character", "characters")}`],
  [/^Не больше (\d+) символ(?:а|ов)$/, (m) => `At most ${counted(m[1] ?? "", "character", "characters")}`],
  [/^Не меньше (\d+) элемент(?:а|ов)$/, (m) => `At least ${counted(m[1] ?? "", "item", "items")}`],
  [/^Не больше (\d+) элемент(?:а|ов)$/, (m) => `At most ${counted(m[1] ?? "", "item", "items")}`],
  [/^Не меньше (\S+)$/, (m) => `At least ${m[1]}`],
  [/^Не больше (\S+)$/, (m) => `At most ${m[1]}`],
  [/^Должно быть больше (\S+)$/, (m) => `Must be more than ${m[1]}`],
  [/^Должно быть меньше (\S+)$/, (m) => `Must be less than ${m[1]}`],
  [/^Должно быть кратно (\S+)$/, (m) => `Must be a multiple of ${m[1]}`],
  [/^Допустимое значение: (.*)$/s, (m) => `The only allowed value: ${m[1]}`],
  [/^Допустимые значения: (.*)$/s, (m) => `Allowed values: ${m[1]}`],
];

/** A validator's message about a field, in `to`. Pure (no DOM): test/web/field-words.test.ts runs it as it is. */
export function fieldMessage(message: string, to: Lang): string {
  if (to !== "en") return message;
  if (Object.hasOwn(SAME, message)) return SAME[message] ?? message;
  for (const [pattern, say] of WITH_VALUES) {
    const m = pattern.exec(message);
    if (m) return say(m);
  }
  return message;
}
