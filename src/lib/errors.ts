import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/** One field-level problem in a validation error. `path` is a JSON-pointer-like dotted path. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one error type of the API. Anything thrown as an ApiError becomes an RFC 9457
 * problem+json response with a stable `code`; anything else becomes a bare 500.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = "ApiError";
  }
}

const TITLES: Partial<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

export function problemBody(status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `urn:veche:problem:${code}`,
    title: TITLES[status] ?? "Error",
    status,
    code,
    detail,
    ...(errors ? { errors } : {}),
  };
}

export function problemResponse(err: ApiError, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/problem+json" });
  for (const [k, v] of Object.entries(err.extra.headers ?? {})) headers.set(k, v);
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(problemBody(err.status, err.code, err.detail, err.extra.errors)), {
    status: err.status,
    headers,
  });
}

export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

export function validationError(error: ZodError, detail = "The request is not valid."): ApiError {
  return new ApiError(400, "validation_failed", detail, { errors: fieldErrors(error) });
}

export const notFound = (what = "resource"): ApiError => new ApiError(404, "not_found", `No such ${what}, or you may not see it.`);

export const unauthorized = (code = "unauthorized", detail = "Authentication is required."): ApiError =>
  new ApiError(401, code, detail, { headers: { "www-authenticate": 'Bearer realm="veche"' } });

export const forbidden = (code: string, detail: string): ApiError => new ApiError(403, code, detail);

export const tooManyRequests = (retryAfterSec: number, code = "rate_limited", detail = "Too many requests; try again later."): ApiError =>
  new ApiError(429, code, detail, { headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterSec))) } });
