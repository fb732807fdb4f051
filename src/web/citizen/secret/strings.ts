// The secret chat screen's texts, Russian and English, loaded with its chunk (the app's dictionary,
// src/web/lib/i18n.ts, is in the initial JavaScript; these are not needed before a secret chat opens).
import { lang } from "../../lib/i18n";

const ru = {
  secretChat: "Секретный чат",
  secretSubtitle: "Сообщения видны только вам и собеседнику — на ваших устройствах",
  waiting:
    "Это устройство ещё не подключено к чату. Откройте чат на другом своём устройстве или дождитесь, пока собеседник будет в сети — оно подключит это.",
  removed: "Это устройство отключено от секретного чата: новые сообщения на нём не прочитать.",
  beforeJoin: "Сообщение отправлено до того, как это устройство подключилось к чату",
  failed: "Не удалось расшифровать сообщение",
  keysChanged:
    "Ключи шифрования собеседника изменились: он вошёл с нового устройства или переустановил ключи. Сверьте код безопасности, чтобы убедиться, что переписку никто не читает.",
  logBroken:
    "Журнал ключей собеседника не сходится: сервер показывает ключи, которых нет в журнале. Не пишите ничего важного, пока не сверите код безопасности.",
  compare: "Сверить код",
  understood: "Понятно",
  verifiedMark: "Ключи сверены",
  safetyTitle: "Код безопасности",
  safetyLead:
    "Сравните эти цифры с теми, что видит собеседник на своём устройстве, — лучше при встрече или по телефону. Если они совпадают, переписку не читает никто посередине.",
  safetyQr: "QR-код с кодом безопасности",
  safetyComputing: "Считаем код…",
  markVerified: "Цифры совпадают",
  unmarkVerified: "Снять отметку",
  devicesMine: "Ваших устройств: {count}",
  devicesPeer: "Устройств собеседника: {count}",
  timer: "Исчезающие сообщения",
  timerOff: "Выключено",
  timerHour: "Через час",
  timerDay: "Через сутки",
  timerWeek: "Через неделю",
  timerSet: "Таймер изменён",
  search: "Поиск по чату (на этом устройстве)",
  searchPlaceholder: "Что найти",
  nothingFound: "Ничего не найдено",
  placeholder: "Секретное сообщение",
  send: "Отправить",
  attach: "Прикрепить файл (зашифруется на устройстве)",
  encrypting: "Шифруем и отправляем «{name}»…",
  sending: "Отправляется…",
  open: "Открыть",
  report: "Пожаловаться",
  you: "Вы",
  lockLabel: "Зашифровано на устройствах",
  notInGroup: "Это устройство ещё не подключено к чату — подождите немного.",
  expires: "Исчезнет {at}",
};

type Dict = { [K in keyof typeof ru]: string };

const en: Dict = {
  secretChat: "Secret chat",
  secretSubtitle: "Only you and the other person can read these messages, on your devices",
  waiting:
    "This device is not connected to the chat yet. Open the chat on another of your devices, or wait until the other person is online: it will connect this one.",
  removed: "This device was disconnected from the secret chat: it cannot read new messages.",
  beforeJoin: "Sent before this device joined the chat",
  failed: "This message could not be decrypted",
  keysChanged:
    "The other person's encryption keys have changed: they signed in on a new device or reset their keys. Compare the safety number to make sure nobody is reading your conversation.",
  logBroken:
    "The other person's key log does not add up: the server shows keys the log does not have. Do not write anything important until you have compared the safety number.",
  compare: "Compare number",
  understood: "Got it",
  verifiedMark: "Keys verified",
  safetyTitle: "Safety number",
  safetyLead:
    "Compare these digits with the ones the other person sees on their device, best in person or on a call. If they match, nobody in between is reading your conversation.",
  safetyQr: "QR code with the safety number",
  safetyComputing: "Working out the number…",
  markVerified: "The digits match",
  unmarkVerified: "Clear the mark",
  devicesMine: "Your devices: {count}",
  devicesPeer: "Their devices: {count}",
  timer: "Disappearing messages",
  timerOff: "Off",
  timerHour: "After an hour",
  timerDay: "After a day",
  timerWeek: "After a week",
  timerSet: "Timer changed",
  search: "Search this chat (on this device)",
  searchPlaceholder: "What to find",
  nothingFound: "Nothing found",
  placeholder: "Secret message",
  send: "Send",
  attach: "Attach a file (encrypted on this device)",
  encrypting: "Encrypting and sending “{name}”…",
  sending: "Sending…",
  open: "Open",
  report: "Report",
  you: "You",
  lockLabel: "Encrypted on the devices",
  notInGroup: "This device is not connected to the chat yet; wait a moment.",
  expires: "Disappears {at}",
};

export type SecretKey = keyof typeof ru;

export function s(key: SecretKey, params?: Record<string, string | number>): string {
  const text = (lang() === "en" ? en : ru)[key];
  return params ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(params[k] ?? m)) : text;
}
