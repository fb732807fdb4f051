// What a push becomes on screen, as plain functions (the service worker calls them; unit tests import
// them): the decrypted payload read leniently (fields missing, extra or of the wrong type are tolerated,
// never shown), the notification's title and body in the user's language, the tag that collapses a chat's
// notifications into one, and the address a click opens. Ids and field names are used for addresses only;
// people see names, titles and (when they allowed previews) the message text.
// zod/mini, not zod: this schema is the service worker's own, and the worker is a bundle of its own
// (scripts/build-web.mjs), so classic zod's chainable methods would bring every schema type they reach
// (docs/performance.md, "Bundle size"). A namespace import: esbuild keeps only the functions used.
import * as z from "zod/mini";

export type Lang = "ru" | "en";

/** Optional, and `undefined` whenever it is not what was expected: a wrong field is ignored, not fatal. */
const lenient = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);
const count = lenient(z.number().check(z.int(), z.nonnegative()));

const text = lenient(z.string().check(z.trim(), z.minLength(1)));
const id = lenient(z.string().check(z.minLength(1)));

const MessagePush = z.object({
  type: z.literal("message"),
  chatId: z.string().check(z.minLength(1)),
  seq: lenient(z.number().check(z.int())),
  chatType: lenient(z.string()),
  chatTitle: text,
  senderName: text,
  text,
  mention: lenient(z.boolean()),
  unread: count,
});

const ServicePush = z.object({
  type: z.literal("notification"),
  kind: z.catch(z.string(), ""),
  title: text,
  status: lenient(z.string()),
  billId: id,
  recordId: id,
  submissionId: id,
  consentId: id,
  unread: count,
});

/** A call rings (src/chat/inbox/calls.ts): shown until the app opens, where the call screen answers it. */
const CallPush = z.object({
  type: z.literal("call"),
  chatId: z.string().check(z.minLength(1)),
  callId: id,
  callerName: text,
  video: lenient(z.boolean()),
  unread: count,
});

const Push = z.discriminatedUnion("type", [MessagePush, ServicePush, CallPush]);
export type Push = z.infer<typeof Push>;

/** The payload, or null when it is not one this client knows how to show. */
export function parsePush(raw: unknown): Push | null {
  const parsed = Push.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

const TEXTS = {
  ru: {
    app: "Вече",
    newMessage: "Новое сообщение",
    fromName: "{name}: новое сообщение",
    said: "{name}: {text}",
    mentionedIn: "Вас упомянули в «{chat}»",
    mentioned: "Вас упомянули",
    newPost: "Новая запись в канале",
    billNew: "Новый счёт",
    billPaid: "Счёт оплачен",
    billCancelled: "Счёт отменён",
    billLead: "Откройте, чтобы посмотреть и оплатить",
    receiptReady: "Квитанция готова",
    recordNew: "Вам выдан документ",
    openToSee: "Откройте, чтобы посмотреть",
    formApproved: "Заявление одобрено",
    formRejected: "Заявление отклонено",
    formInReview: "Заявление на рассмотрении",
    formChanged: "Статус заявления изменился",
    formLead: "Откройте, чтобы узнать подробности",
    consentNew: "Запрос доступа к документам",
    consentLead: "Ведомство просит вашего согласия — откройте, чтобы ответить",
    other: "Новое уведомление",
    callVoice: "Входящий звонок",
    callVideo: "Входящий видеозвонок",
    callFrom: "Звонит {name}",
    callOpen: "Откройте Вече, чтобы ответить",
  },
  en: {
    app: "Veche",
    newMessage: "New message",
    fromName: "{name}: new message",
    said: "{name}: {text}",
    mentionedIn: "You were mentioned in “{chat}”",
    mentioned: "You were mentioned",
    newPost: "New post in the channel",
    billNew: "New bill",
    billPaid: "Bill paid",
    billCancelled: "Bill cancelled",
    billLead: "Open to see and pay it",
    receiptReady: "The receipt is ready",
    recordNew: "You were issued a document",
    openToSee: "Open to see it",
    formApproved: "Application approved",
    formRejected: "Application rejected",
    formInReview: "Application under review",
    formChanged: "Your application's status changed",
    formLead: "Open for the details",
    consentNew: "Request to access your documents",
    consentLead: "An agency asks for your consent: open to answer",
    other: "New notification",
    callVoice: "Incoming call",
    callVideo: "Incoming video call",
    callFrom: "{name} is calling",
    callOpen: "Open Veche to answer",
  },
} as const;
type Key = keyof (typeof TEXTS)["ru"];

/** Notifications stay short: a long message is cut, as the chat list cuts its preview. */
const MAX_BODY = 180;

function say(lang: Lang, key: Key, params: Record<string, string> = {}): string {
  return TEXTS[lang][key].replace(/\{(\w+)\}/g, (m, k: string) => params[k] ?? m);
}

const clip = (s: string) => (s.length > MAX_BODY ? `${s.slice(0, MAX_BODY - 1).trimEnd()}…` : s);
const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

export interface Shown {
  title: string;
  body: string;
  /** Notifications with the same tag replace each other: one per chat, one per bill, … */
  tag: string;
  /** The app address a click opens (hash routes, src/web/lib/router.ts). */
  url: string;
}

/** The route a click on this push opens. */
export function urlFor(push: Push): string {
  const route = (...parts: string[]) => `/#/${parts.map(encodeURIComponent).join("/")}`;
  if (push.type === "message" || push.type === "call") return route("chats", push.chatId);
  switch (push.kind) {
    case "bill":
      return push.billId ? route("services", "bills", push.billId) : route("services", "bills");
    case "record":
      return push.recordId ? route("services", "records", push.recordId) : route("services", "records");
    case "form":
    case "submission":
      return push.submissionId ? route("services", "submissions", push.submissionId) : route("services", "forms");
    case "consent":
    case "consent_request":
      return push.consentId ? route("services", "consents", push.consentId) : route("services", "consents");
    default:
      return route("services");
  }
}

/** Title, body, tag and address of the notification a push shows, in `lang`. */
export function compose(push: Push, lang: Lang): Shown {
  if (push.type === "call") {
    const kind = say(lang, push.video ? "callVideo" : "callVoice");
    return {
      title: push.callerName ? say(lang, "callFrom", { name: push.callerName }) : kind,
      body: push.callerName ? `${kind}. ${say(lang, "callOpen")}` : say(lang, "callOpen"),
      tag: `call:${push.chatId}`,
      url: urlFor(push),
    };
  }
  return push.type === "message" ? composeMessage(push, lang) : composeService(push, lang);
}

function composeMessage(push: Extract<Push, { type: "message" }>, lang: Lang): Shown {
  const name = push.senderName ?? undefined;
  const chat = push.chatTitle ?? undefined;
  // Present only when the user allowed previews; without it the body says who wrote, never what.
  const body = push.text ? clip(oneLine(push.text)) : undefined;
  const fromName = (n: string | undefined) =>
    body ? (n ? say(lang, "said", { name: n, text: body }) : body) : n ? say(lang, "fromName", { name: n }) : say(lang, "newMessage");
  let title: string;
  let line: string;
  switch (push.chatType) {
    case "direct":
      title = name ?? chat ?? say(lang, "app");
      line = body ?? say(lang, "newMessage");
      break;
    case "channel":
      title = chat ?? say(lang, "app");
      line = body ?? say(lang, "newPost");
      break;
    case "official":
      // The agency is the chat: its name is the title.
      title = chat ?? name ?? say(lang, "app");
      line = body ?? say(lang, "newMessage");
      break;
    default:
      // Groups (and a chat type this client does not know yet): the chat, then who said it.
      title = chat ?? name ?? say(lang, "app");
      line = chat || push.mention ? fromName(name) : (body ?? say(lang, "newMessage"));
  }
  // In a direct chat every message is to the user: a mention says nothing more there.
  if (push.mention && push.chatType !== "direct") title = chat ? say(lang, "mentionedIn", { chat }) : say(lang, "mentioned");
  return { title, body: line, tag: `chat:${push.chatId}`, url: urlFor(push) };
}

function composeService(push: Extract<Push, { type: "notification" }>, lang: Lang): Shown {
  const url = urlFor(push);
  const lead = push.title;
  switch (push.kind) {
    case "bill": {
      const title = push.status === "paid" ? "billPaid" : push.status === "cancelled" ? "billCancelled" : "billNew";
      const fallback = push.status === "paid" ? "receiptReady" : push.status === "cancelled" ? "openToSee" : "billLead";
      return { title: say(lang, title), body: lead ?? say(lang, fallback), tag: `bill:${push.billId ?? ""}`, url };
    }
    case "record":
      return { title: say(lang, "recordNew"), body: lead ?? say(lang, "openToSee"), tag: `record:${push.recordId ?? ""}`, url };
    case "form":
    case "submission": {
      const title =
        push.status === "approved"
          ? "formApproved"
          : push.status === "rejected"
            ? "formRejected"
            : push.status === "in_review"
              ? "formInReview"
              : "formChanged";
      return { title: say(lang, title), body: lead ?? say(lang, "formLead"), tag: `form:${push.submissionId ?? ""}`, url };
    }
    case "consent":
    case "consent_request":
      return { title: say(lang, "consentNew"), body: lead ?? say(lang, "consentLead"), tag: `consent:${push.consentId ?? ""}`, url };
    default:
      return { title: say(lang, "app"), body: lead ?? say(lang, "other"), tag: "service", url };
  }
}

/**
 * The open window a click should bring forward: one of the citizen app's own (its page is `/`; the agency
 * console and the API reference share the origin), the focused one first.
 */
export function pickWindow<W extends { url: string; focused: boolean }>(windows: readonly W[]): W | undefined {
  const app = windows.filter((w) => {
    try {
      return new URL(w.url).pathname === "/";
    } catch {
      return false;
    }
  });
  return app.find((w) => w.focused) ?? app[0];
}
