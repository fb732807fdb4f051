// The web apps' typed calls (src/web/lib/api-call.ts) over the types generated from the server's OpenAPI document
// (src/web/lib/api-schema.ts). The type assertions (expectTypeOf, @ts-expect-error) are checked by
// `tsc -p test/tsconfig.json` (npm run typecheck): they fail there when the typing breaks. The calls themselves
// run here against a recording `send`.
import { describe, expect, expectTypeOf, test } from "vitest";
import { type AnswerOf, type BodyOf, fill, type ParamsOf, type PathsWith, type Send, typedClient } from "../../src/web/lib/api-call";
import type { components } from "../../src/web/lib/api-schema";

type Schemas = components["schemas"];

/** A client whose `send` records each call and answers `answer`. */
function recording(answer: unknown = {}) {
  const calls: Parameters<Send>[] = [];
  const api = typedClient(async (...args) => {
    calls.push(args);
    return answer;
  });
  return { api, calls };
}

describe("types from the route schemas", () => {
  test("paths are relative to /api/v1 and only those with the method", () => {
    expectTypeOf<"/chats">().toExtend<PathsWith<"get">>();
    expectTypeOf<"/chats/{chatId}/messages">().toExtend<PathsWith<"post">>();
    expectTypeOf<"/api/v1/chats">().not.toExtend<PathsWith<"get">>();
    expectTypeOf<"/chats/{chatId}/read">().not.toExtend<PathsWith<"get">>();
    // Answers that are not JSON (a ZIP, a file's bytes, a WebSocket upgrade) are not for a JSON transport.
    expectTypeOf<"/me/export">().not.toExtend<PathsWith<"post">>();
    expectTypeOf<"/media/{id}">().not.toExtend<PathsWith<"get">>();
    expectTypeOf<"/chats/{chatId}/ws">().not.toExtend<PathsWith<"get">>();
  });

  test("answers: the JSON of 200/201/202, null for 204", () => {
    expectTypeOf<AnswerOf<"/chats", "get">>().toEqualTypeOf<{ chats: Schemas["Chat"][]; pts: number }>();
    expectTypeOf<AnswerOf<"/chats/{chatId}/messages", "post">>().toEqualTypeOf<{ message: Schemas["Message"] }>();
    expectTypeOf<AnswerOf<"/chats/{chatId}/messages/{seq}", "delete">>().toEqualTypeOf<null>();
  });

  test("bodies and parameters", () => {
    expectTypeOf<BodyOf<"/chats/{chatId}/messages", "post">>().toHaveProperty("clientId").toEqualTypeOf<string>();
    expectTypeOf<BodyOf<"/chats", "get">>().toBeNever();
    expectTypeOf<ParamsOf<"/chats/{chatId}/messages/{seq}", "delete">["path"]>().toEqualTypeOf<{ chatId: string; seq: number }>();
    expectTypeOf<NonNullable<ParamsOf<"/chats/{chatId}/messages", "get">["query"]>>().toHaveProperty("limit");
  });

  test("calls take what the route declares and answer its type", async () => {
    const { api, calls } = recording({ chats: [], pts: 0 });
    const list = await api.get("/chats");
    expectTypeOf(list.chats).toEqualTypeOf<Schemas["Chat"][]>();
    expectTypeOf(list.pts).toEqualTypeOf<number>();

    await api.get("/chats/{chatId}/messages", { path: { chatId: "c 1" }, query: { before: 10, limit: undefined } });
    await api.post("/chats/{chatId}/messages", { path: { chatId: "c1" }, body: { clientId: "k1", text: "hi" } });
    await api.post("/bills/{id}/pay", {
      path: { id: "b1" },
      header: { "idempotency-key": "key-1" },
      body: { method: "card", card: { number: "4242424242424242", expMonth: 1, expYear: 2030, cvc: "123" } },
    });
    const deleted = await api.delete("/chats/{chatId}/messages/{seq}", { path: { chatId: "c1", seq: 3 } });
    expectTypeOf(deleted).toEqualTypeOf<null>();

    expect(calls).toEqual([
      ["get", "/chats", undefined, undefined],
      ["get", "/chats/c%201/messages?before=10", undefined, undefined],
      ["post", "/chats/c1/messages", { clientId: "k1", text: "hi" }, undefined],
      [
        "post",
        "/bills/b1/pay",
        { method: "card", card: { number: "4242424242424242", expMonth: 1, expYear: 2030, cvc: "123" } },
        { "idempotency-key": "key-1" },
      ],
      ["delete", "/chats/c1/messages/3", undefined, undefined],
    ]);
  });

  test("calls that do not match their route do not type-check", () => {
    const { api } = recording();
    // Never awaited nor sent: only their types matter here.
    const typeOnly = (call: () => unknown) => call;
    // @ts-expect-error no such route
    typeOnly(() => api.get("/chat"));
    // @ts-expect-error the template's parameters are required
    typeOnly(() => api.get("/chats/{chatId}/messages"));
    // @ts-expect-error a required body
    typeOnly(() => api.post("/chats/{chatId}/messages", { path: { chatId: "c1" } }));
    // @ts-expect-error the body is the route's: clientId is required
    typeOnly(() => api.post("/chats/{chatId}/messages", { path: { chatId: "c1" }, body: { text: "hi" } }));
    // @ts-expect-error no body on a GET
    typeOnly(() => api.get("/chats", { body: {} }));
    // @ts-expect-error the route has no such query parameter
    typeOnly(() => api.get("/chats/{chatId}/messages", { path: { chatId: "c1" }, query: { page: 2 } }));
  });
});

describe("fill", () => {
  test("URI-encodes each path parameter", () => {
    expect(fill("/chats/{chatId}/messages/{seq}/reactions/{emoji}", { chatId: "a/b?c", seq: 7, emoji: "👍" })).toBe(
      "/chats/a%2Fb%3Fc/messages/7/reactions/%F0%9F%91%8D",
    );
    expect(fill("/channels/{username}", { username: "#x y" })).toBe("/channels/%23x%20y");
  });
  test("adds the query's defined values, leaving out undefined and null", () => {
    expect(fill("/chats/{chatId}/messages", { chatId: "c1" }, { after: null, before: 5, limit: undefined })).toBe(
      "/chats/c1/messages?before=5",
    );
    expect(fill("/users/search", {}, { q: "Анна & co", all: true })).toBe("/users/search?q=%D0%90%D0%BD%D0%BD%D0%B0+%26+co&all=true");
    expect(fill("/chats", {}, { limit: undefined })).toBe("/chats");
    expect(fill("/chats")).toBe("/chats");
  });
  test("a parameter the template names but the call lacks is an error, not a literal {name}", () => {
    expect(() => fill("/chats/{chatId}", {})).toThrow("no value for {chatId}");
  });
});
