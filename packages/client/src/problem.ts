/**
 * Errors of a call: `ShardstepProblem` for every answer with a status of 400 or more (an RFC 9457
 * problem, or whatever else the body was), `ShardstepNetworkError` when no answer came through.
 */
import type { Problem } from "./generated/types.gen.js";
import { retryAfterMs } from "./backoff.js";

const STANDARD_MEMBERS = new Set(["type", "title", "status", "detail", "instance"]);

/** An RFC 9457 problem answered by the server (any status ≥ 400), or an unreadable error answer. */
export class ShardstepProblem extends Error {
  override readonly name = "ShardstepProblem";
  /** The HTTP status. */
  readonly status: number;
  /** The problem type, e.g. "/problems/wrong-length" ("about:blank" when the body was no problem). */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly instance: string | undefined;
  /** The whole problem object with its extension members (e.g. `version`, `limit`), when there was one. */
  readonly problem: Problem | undefined;
  /** The extension members alone: every member but type, title, status, detail and instance. */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** How long the server asked to wait before a retry (its Retry-After header), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: Problem | undefined, fallback?: string, retryAfter?: number) {
    const detail = problem?.detail ?? fallback ?? `HTTP ${status}`;
    super(`${status} ${problem?.type ?? ""} ${detail}`.replace(/\s+/g, " "));
    this.status = status;
    this.type = problem?.type ?? "about:blank";
    this.title = problem?.title ?? `HTTP ${status}`;
    this.detail = detail;
    this.instance = problem?.instance;
    this.problem = problem;
    this.extensions = Object.fromEntries(Object.entries(problem ?? {}).filter(([key]) => !STANDARD_MEMBERS.has(key)));
    this.retryAfterMs = retryAfter;
  }

  /** The last path segment of the type: "wrong-length" for "/problems/wrong-length". */
  get slug(): string {
    return this.type.slice(this.type.lastIndexOf("/") + 1);
  }
}

/**
 * Whether `error` is a `ShardstepProblem` (also one from another copy of this package), and, with
 * `slug`, one of that type: `isShardstepProblem(e, "wrong-length")`.
 */
export function isShardstepProblem(error: unknown, slug?: string): error is ShardstepProblem {
  const candidate = error as Partial<ShardstepProblem> | null;
  const isProblem =
    error instanceof ShardstepProblem ||
    (error instanceof Error && candidate!.name === "ShardstepProblem" && typeof candidate!.status === "number" && typeof candidate!.type === "string");
  return isProblem && (slug === undefined || (error as ShardstepProblem).slug === slug);
}

/** No answer came through: the connection failed or broke, or an attempt's `timeoutMs` ran out. The cause is the underlying error. */
export class ShardstepNetworkError extends Error {
  override readonly name = "ShardstepNetworkError";
}

const isProblemBody = (body: unknown): body is Problem =>
  typeof body === "object" && body !== null && typeof (body as Problem).type === "string" && typeof (body as Problem).detail === "string";

/** The error of an answer with status ≥ 400 whose body was read as `body` (parsed JSON, or text). */
export function problemOf(response: Response, body: unknown): ShardstepProblem {
  const retryAfter = retryAfterMs(response.headers.get("retry-after"));
  if (isProblemBody(body)) return new ShardstepProblem(response.status, body, undefined, retryAfter);
  const text = typeof body === "string" && body ? body.slice(0, 500) : undefined;
  return new ShardstepProblem(response.status, undefined, text ?? `${response.status} ${response.statusText}`, retryAfter);
}
