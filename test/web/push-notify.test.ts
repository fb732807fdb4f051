// What the service worker shows for a push and where a click on it leads (src/web/sw/notify.ts): the
// Russian and English texts people read, that a push without previews never carries the message text,
// that a chat's notifications share one tag, and that the payload's ids only ever reach the address.
import { describe, expect, test } from "vitest";
import { compose, parsePush, pickWindow, urlFor } from "../../src/web/sw/notify";

const message = (extra: Record<string, unknown> = {}) =>
  parsePush({
    type: "message",
    chatId: "c_1",
    seq: 7,
    chatType: "group",
    chatTitle: "Двор 7",
    senderName: "Анна",
    mention: false,
    ...extra,
  });

const shown = (raw: unknown, lang: "ru" | "en" = "ru") => {
  const push = parsePush(raw);
  if (!push) throw new Error(`not a push: ${JSON.stringify(raw)}`);
  return compose(push, lang);
};

describe("message pushes", () => {
  test("a group message with previews says the chat, who wrote and what", () => {
    const push = message({ text: "Собрание\n в 19:00" });
    if (!push) throw new Error("parse failed");
    expect(compose(push, "ru")).toEqual({ title: "Двор 7", body: "Анна: Собрание в 19:00", tag: "chat:c_1", url: "/#/chats/c_1" });
    expect(compose(push, "en")).toMatchObject({ title: "Двор 7", body: "Анна: Собрание в 19:00" });
  });

  test("without previews the body says who wrote but not what", () => {
    expect(
      shown({ type: "message", chatId: "c_1", seq: 1, chatType: "group", chatTitle: "Двор 7", senderName: "Анна", mention: false }),
    ).toEqual({
      title: "Двор 7",
      body: "Анна: новое сообщение",
      tag: "chat:c_1",
      url: "/#/chats/c_1",
    });
    expect(
      shown({ type: "message", chatId: "c_2", seq: 3, chatType: "direct", chatTitle: "Анна", senderName: "Анна", mention: false }),
    ).toMatchObject({
      title: "Анна",
      body: "Новое сообщение",
    });
    expect(
      shown({ type: "message", chatId: "c_2", seq: 3, chatType: "direct", chatTitle: "Anna", senderName: "Anna", mention: false }, "en"),
    ).toMatchObject({ title: "Anna", body: "New message" });
    expect(
      shown({ type: "message", chatId: "c_3", seq: 9, chatType: "channel", chatTitle: "Новости района", senderName: null, mention: false }),
    ).toMatchObject({
      title: "Новости района",
      body: "Новая запись в канале",
    });
  });

  test("a direct message with previews shows the text under the sender's name", () => {
    expect(
      shown({
        type: "message",
        chatId: "c_2",
        seq: 3,
        chatType: "direct",
        chatTitle: "Анна",
        senderName: "Анна",
        text: "Привет!",
        mention: false,
      }),
    ).toMatchObject({ title: "Анна", body: "Привет!" });
  });

  test("a mention says so", () => {
    expect(
      shown({ type: "message", chatId: "c_1", seq: 2, chatType: "group", chatTitle: "Двор 7", senderName: "Анна", mention: true }),
    ).toMatchObject({
      title: "Вас упомянули в «Двор 7»",
      body: "Анна: новое сообщение",
    });
    expect(
      shown(
        {
          type: "message",
          chatId: "c_1",
          seq: 2,
          chatType: "group",
          chatTitle: "Yard 7",
          senderName: "Anna",
          text: "@boris look",
          mention: true,
        },
        "en",
      ),
    ).toMatchObject({ title: "You were mentioned in “Yard 7”", body: "Anna: @boris look" });
  });

  test("an official chat is titled with the agency", () => {
    expect(
      shown({
        type: "message",
        chatId: "c_4",
        seq: 1,
        chatType: "official",
        chatTitle: "Налоговая служба",
        senderName: "Налоговая служба",
        mention: false,
      }),
    ).toMatchObject({ title: "Налоговая служба", body: "Новое сообщение" });
  });

  test("a long text is cut, and all of one chat's notifications share a tag", () => {
    const long = shown({
      type: "message",
      chatId: "c_1",
      seq: 1,
      chatType: "direct",
      senderName: "Анна",
      text: "а".repeat(1000),
      mention: false,
    });
    expect(long.body.length).toBeLessThanOrEqual(180);
    expect(long.body.endsWith("…")).toBe(true);
    expect(long.tag).toBe(shown({ type: "message", chatId: "c_1", seq: 2, chatType: "direct", mention: false }).tag);
  });

  test("missing, extra and mistyped fields: still a readable notification, never an id or a field name", () => {
    const s = shown({
      type: "message",
      chatId: "chat_secret_id",
      seq: "x",
      chatTitle: 42,
      senderName: null,
      text: "",
      mention: "yes",
      extra: { a: 1 },
    });
    expect(s).toEqual({ title: "Вече", body: "Новое сообщение", tag: "chat:chat_secret_id", url: "/#/chats/chat_secret_id" });
    expect(`${s.title} ${s.body}`).not.toMatch(/chat_secret_id|chatId|senderName|undefined|null/);
    const en = shown({ type: "message", chatId: "c_9" }, "en");
    expect(`${en.title} ${en.body}`).toBe("Veche New message");
  });

  test("a payload that is not a push this client knows is refused (the worker shows a generic one)", () => {
    expect(parsePush(null)).toBeNull();
    expect(parsePush("hello")).toBeNull();
    expect(parsePush({ type: "message" })).toBeNull();
    expect(parsePush({ type: "something-new", chatId: "c_1" })).toBeNull();
  });

  test("the unread count for the badge is read when it is a count", () => {
    expect(message({ unread: 5 })).toMatchObject({ unread: 5 });
    expect(message({ unread: -1 })?.unread).toBeUndefined();
    expect(message()?.unread).toBeUndefined();
  });
});

describe("service pushes", () => {
  test("each kind opens its own page", () => {
    const url = (raw: Record<string, unknown>) => {
      const push = parsePush({ type: "notification", ...raw });
      if (!push) throw new Error("parse failed");
      return urlFor(push);
    };
    expect(url({ kind: "bill", billId: "b_1", status: "unpaid" })).toBe("/#/services/bills/b_1");
    expect(url({ kind: "bill" })).toBe("/#/services/bills");
    expect(url({ kind: "record", recordId: "r 1" })).toBe("/#/services/records/r%201");
    expect(url({ kind: "submission", submissionId: "s_1", status: "approved" })).toBe("/#/services/submissions/s_1");
    expect(url({ kind: "form" })).toBe("/#/services/forms");
    expect(url({ kind: "consent_request", consentId: "k_1" })).toBe("/#/services/consents/k_1");
    expect(url({ kind: "consent" })).toBe("/#/services/consents");
    expect(url({ kind: "something-new", fooId: "x" })).toBe("/#/services");
  });

  test("titles and bodies in people's words", () => {
    expect(shown({ type: "notification", kind: "bill", billId: "b_1", status: "unpaid", title: "Налог на имущество" })).toEqual({
      title: "Новый счёт",
      body: "Налог на имущество",
      tag: "bill:b_1",
      url: "/#/services/bills/b_1",
    });
    expect(shown({ type: "notification", kind: "bill", billId: "b_1", status: "paid" })).toMatchObject({
      title: "Счёт оплачен",
      body: "Квитанция готова",
      tag: "bill:b_1",
    });
    expect(shown({ type: "notification", kind: "record", recordId: "r_1" })).toMatchObject({ title: "Вам выдан документ" });
    expect(shown({ type: "notification", kind: "submission", submissionId: "s_1", status: "rejected" })).toMatchObject({
      title: "Заявление отклонено",
    });
    expect(shown({ type: "notification", kind: "submission", submissionId: "s_1", status: "approved" }, "en")).toMatchObject({
      title: "Application approved",
      body: "Open for the details",
    });
    expect(shown({ type: "notification", kind: "consent_request", consentId: "k_1" })).toMatchObject({
      title: "Запрос доступа к документам",
    });
    const unknown = shown({ type: "notification", kind: "weird_kind", weirdId: "w_1" });
    expect(unknown).toMatchObject({ title: "Вече", body: "Новое уведомление" });
    expect(`${unknown.title} ${unknown.body}`).not.toMatch(/weird/);
  });
});

describe("notification clicks", () => {
  test("bring forward the app's own window, the focused one first; the agency console is not it", () => {
    const origin = "https://veche.example";
    const agency = { url: `${origin}/agency/#/bills`, focused: true };
    const back = { url: `${origin}/#/services`, focused: false };
    const front = { url: `${origin}/#/chats/c_1`, focused: true };
    expect(pickWindow([agency, back, front])).toBe(front);
    expect(pickWindow([agency, back])).toBe(back);
    expect(pickWindow([agency, { url: `${origin}/api/docs`, focused: false }])).toBeUndefined();
    expect(pickWindow([])).toBeUndefined();
  });
});
