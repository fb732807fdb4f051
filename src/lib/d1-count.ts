// Counts D1 statements in development, so the benchmark and the tests can hold the message path to zero
// statements on the shared database (docs/performance.md). The Worker and its Durable Objects share one
// isolate locally, so one counter sees them all. Outside development the binding is used as it is.

let statements = 0;

export const d1Statements = (): number => statements;

const wrapped = new WeakMap<object, D1Database>();
const real = new WeakMap<object, D1PreparedStatement>();

function countStatement(stmt: D1PreparedStatement): D1PreparedStatement {
  const proxy: D1PreparedStatement = new Proxy(stmt, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => countStatement(target.bind(...args));
      if (prop === "first" || prop === "run" || prop === "all" || prop === "raw") {
        return (...args: unknown[]) => {
          statements += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  real.set(proxy, stmt);
  return proxy;
}

function countDatabase(db: D1Database): D1Database {
  const known = wrapped.get(db);
  if (known) return known;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "prepare") return (query: string) => countStatement(target.prepare(query));
      if (prop === "batch")
        return (stmts: D1PreparedStatement[]) => {
          statements += stmts.length;
          return target.batch(stmts.map((s) => real.get(s) ?? s));
        };
      if (prop === "exec")
        return (query: string) => {
          statements += 1;
          return target.exec(query);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  wrapped.set(db, proxy);
  return proxy;
}

/**
 * The environment with its D1 binding counted, in development only. Production bundles define DEV_ROUTES
 * false (wrangler.toml), which drops the counting code from them altogether.
 */
export function countD1<E extends { DB: D1Database; ENVIRONMENT: string }>(env: E): E {
  if ((typeof DEV_ROUTES !== "undefined" && !DEV_ROUTES) || env.ENVIRONMENT !== "development") return env;
  return new Proxy(env, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      return prop === "DB" ? countDatabase(value as D1Database) : value;
    },
  });
}
