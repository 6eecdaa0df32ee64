import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * RFC 9457 problem details. Every refusal the API makes is one of these, with a stable `type`
 * per cause (a URI under /problems/) so that clients can branch on it.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_MEDIA_TYPE = "application/problem+json";

export class ProblemError extends Error {
  override readonly name = "ProblemError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export function problemBody(err: ProblemError, instance?: string): Problem {
  return {
    type: `/problems/${err.slug}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...err.extensions,
  };
}

export function problemResponse(c: Context, err: ProblemError): Response {
  const headers: Record<string, string> = { "content-type": PROBLEM_MEDIA_TYPE };
  const retryAfter = err.extensions.retry_after;
  if (typeof retryAfter === "number") headers["retry-after"] = String(retryAfter);
  return c.body(JSON.stringify(problemBody(err, new URL(c.req.url).pathname)), err.status, headers);
}

export const notFound = (what: string) => new ProblemError(404, "not-found", "Not Found", what);
