// Calls typed by the server's own route schemas. api-schema.ts is generated from the OpenAPI document the
// server serves (npm run api-types), so a route's path parameters, query, JSON body and JSON answer are the
// ones its zod schemas declare; a call that no longer matches a route fails to type-check instead of at run
// time. Only types come from the generated file; the transport (lib/http.ts, each app's tokens) is whoever
// passes `send`.
//
//   const api = typedClient(send);
//   const { messages } = await api.get("/chats/{chatId}/messages", { path: { chatId }, query: { limit: 50 } });
//   const { message } = await api.post("/chats/{chatId}/messages", { path: { chatId }, body: { clientId, text } });
import type { paths } from "./api-schema";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** The document's routes under /api/v1, keyed as the transports take them: relative to /api/v1 ("/chats"). */
type Routes = { [K in keyof paths as K extends `/api/v1${infer Rest}` ? Rest : never]: paths[K] };

/** The operation behind a route and method (never when the route has no such method). */
type Op<P, M extends Method> = P extends keyof Routes ? NonNullable<Routes[P][M]> : never;

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : NotJson;
declare const notJson: unique symbol;
/** Stands for a success answer that is not JSON (a file, a redirect to bytes); such routes are left out. */
type NotJson = typeof notJson;

type Success = 200 | 201 | 202;
type Answer<O> = O extends { responses: infer R }
  ? { [C in keyof R & Success]: JsonOf<R[C]> }[keyof R & Success] | (204 extends keyof R ? null : never)
  : never;

/** Route templates that have method M and answer JSON (or nothing, 204): the ones a JSON transport can call. */
export type PathsWith<M extends Method> = {
  [P in keyof Routes]: [Answer<Op<P, M>>] extends [never] ? never : NotJson extends Answer<Op<P, M>> ? never : P;
}[keyof Routes];

/** The JSON body of the route's success answer (a union when it has several: 200 | 201), or null for 204. */
export type AnswerOf<P, M extends Method> = Answer<Op<P, M>>;

type RequestBody<O> = O extends { requestBody?: infer B } ? NonNullable<B> : never;
/** The route's application/json request body, or never when it takes none. */
export type BodyOf<P, M extends Method> = [RequestBody<Op<P, M>>] extends [never]
  ? never
  : RequestBody<Op<P, M>> extends { content: { "application/json": infer T } }
    ? T
    : never;

type Declared<O> = O extends { parameters: infer X } ? X : never;
/** One kind of parameter (K: "path", "query", "header") as a call gives it: required, optional, or not at all. */
type Slot<X, K extends string> =
  X extends Record<K, infer T>
    ? Record<K, T>
    : X extends Partial<Record<K, infer T>>
      ? [NonNullable<T>] extends [never]
        ? Partial<Record<K, never>>
        : Partial<Record<K, T>>
      : never;

/** The route's parameters: `path` (required when the template has any), `query` and `header` (as declared). */
export type ParamsOf<P, M extends Method> = Slot<Declared<Op<P, M>>, "path"> &
  Slot<Declared<Op<P, M>>, "query"> &
  Slot<Declared<Op<P, M>>, "header">;

/** What a call takes besides its template: its parameters and, for a route with a JSON body, `body`. */
export type InitOf<P, M extends Method> = ParamsOf<P, M> &
  (Op<P, M> extends { requestBody: unknown }
    ? { body: BodyOf<P, M> }
    : [BodyOf<P, M>] extends [never]
      ? { body?: never }
      : { body?: BodyOf<P, M> });

/** The init argument, which may be left out when nothing in it is required. */
type Args<I> = Record<never, never> extends I ? [init?: I] : [init: I];

type QueryValue = string | number | boolean | null | undefined;

/**
 * The path to request: each `{name}` in the template replaced by its value, URI-encoded, then the query's
 * defined values (undefined and null are left out). Throws when the template names a value `path` lacks.
 */
export function fill(template: string, path: Record<string, string | number> = {}, query: Record<string, QueryValue> = {}): string {
  const filled = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = path[name];
    if (value === undefined) throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) search.append(name, String(value));
  const qs = search.toString();
  return qs ? `${filled}?${qs}` : filled;
}

/**
 * Sends one call: the path relative to /api/v1 (query included), the JSON body if any, and the route's
 * header parameters if given. Answers the parsed JSON body, or null for 204; throws for a failed answer.
 */
export type Send = (method: Method, path: string, body?: unknown, headers?: Record<string, string>) => Promise<unknown>;

interface LooseInit {
  path?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  header?: Record<string, string | undefined>;
  body?: unknown;
}

const defined = (record: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined));

/** A typed call of one method: a route template that has it, what that route takes, and its answer. */
export type Call<M extends Method> = <P extends PathsWith<M>>(template: P, ...init: Args<InitOf<P, M>>) => Promise<AnswerOf<P, M>>;

/** One typed function per method over `send`. */
export function typedClient(send: Send) {
  // One loose implementation serves every route; its types are Call's, checked where it is called (TypeScript
  // cannot relate it to a signature generic over all routes itself). The answer is the route's by the
  // document's word: the server validates what it sends with the same schemas.
  const method = <M extends Method>(m: M) =>
    ((template: string, { path, query, header, body }: LooseInit = {}) =>
      send(m, fill(template, path, query), body, header && defined(header))) as unknown as Call<M>;
  return { get: method("get"), post: method("post"), put: method("put"), patch: method("patch"), delete: method("delete") };
}

export type TypedClient = ReturnType<typeof typedClient>;
