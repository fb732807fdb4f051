// Structured logs: one JSON object per line, so Workers Logs can filter on fields.
// Never pass secrets, tokens, codes or query strings here.
type Fields = Record<string, unknown>;

function emit(level: "info" | "warn" | "error", msg: string, fields: Fields): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  info: (msg: string, fields: Fields = {}) => emit("info", msg, fields),
  warn: (msg: string, fields: Fields = {}) => emit("warn", msg, fields),
  error: (msg: string, fields: Fields = {}) => emit("error", msg, fields),
};

export function errorFields(err: unknown): Fields {
  return err instanceof Error ? { error: err.name, message: err.message, stack: err.stack } : { error: String(err) };
}
