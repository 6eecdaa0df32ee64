import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { problemOf, type Problem } from "../problem-body";
import { RefusalError, type Refusal } from "../problems";
import { JSON_TYPE, unsupportedMediaType } from "./floats";

export { problemOf, type Problem } from "../problem-body";

export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Answers a problem, with Retry-After when it says how long to wait (`retry_after`, seconds) and Allow when it lists the methods a path takes (`allow`). */
export function sendProblem(c: Context, problem: Problem): Response {
  const headers: Record<string, string> = { "content-type": PROBLEM_MEDIA_TYPE };
  if (typeof problem.retry_after === "number") headers["retry-after"] = String(problem.retry_after);
  if (Array.isArray(problem.allow)) headers.allow = problem.allow.join(", ");
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}

/** Answers a refusal as problem+json; `instance` is the request's path. */
export function problemResponse(c: Context, refusal: Refusal): Response {
  return sendProblem(c, problemOf(refusal, new URL(c.req.url).pathname));
}

/** What Hono's validator throws for a JSON body it cannot parse (hono/validator). */
const HONO_MALFORMED_JSON = "Malformed JSON in request body";

/**
 * Answers an HTTPException of Hono's own middleware (a malformed JSON body its validator parsed, a
 * body of another media type): 415 is unsupported-media-type, naming the type to send (the routes
 * whose body a schema validates take JSON; the others read their bodies themselves: floats.ts);
 * unparsable JSON is malformed-json, as on the float routes; anything else is http-error with the
 * exception's status and message.
 */
function httpExceptionResponse(c: Context, err: HTTPException): Response {
  const detail = err.message || `HTTP ${err.status}`;
  if (err.status === 415) return problemResponse(c, unsupportedMediaType(c.req.header("content-type"), [JSON_TYPE]));
  // The same cause as a float route's unparsable JSON (floats.ts), so the same problem type.
  if (err.status === 400 && err.message === HONO_MALFORMED_JSON) {
    return problemResponse(c, { code: "malformed-json", detail: "the body is not valid JSON: send one JSON object (Content-Type: application/json)" });
  }
  const problem = problemOf({ code: "http-error", detail }, new URL(c.req.url).pathname);
  return sendProblem(c, { ...problem, status: err.status, title: err.message || problem.title });
}

/** The app's error handler: refusals and Hono's exceptions as problems, anything else as a 500 that says nothing more. */
export function errorResponse(err: Error, c: Context): Response {
  if (err instanceof RefusalError) return problemResponse(c, err);
  if (err instanceof HTTPException) return httpExceptionResponse(c, err);
  console.error(err);
  return problemResponse(c, { code: "internal", detail: "the server failed to handle the request" });
}
