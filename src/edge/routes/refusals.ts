import type { RouteConfig } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { PROBLEMS, problemSpec, type ProblemCode } from "../../problems";
import { integerHeader, stringHeader } from "../schemas/headers";
import { Float32Bytes, Problem } from "../schemas/responses";

/**
 * The refusals an operation may answer, declared by code: the route names the codes its own code
 * (and the shard, model or sweep behind it) raises; the codes of its authentication, its inputs,
 * its body and its answer's negotiation are derived from the route itself. Statuses and problem
 * types come from the one table (src/problems.ts): each status is declared with the `type`s that
 * may come with it, so an answer can be checked against them.
 */

/** The path prefixes whose routes take a bearer token (src/edge/app.ts mounts bearerAuth on them). */
export const AUTHENTICATED_PREFIXES = ["/v1/shards", "/v1/models", "/v1/sweeps"] as const;

const authenticated = (path: string) => AUTHENTICATED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

/** Authentication (src/edge/auth): no or a bad token, a missing scope or prefix, a misconfigured secret. */
const BEARER: readonly ProblemCode[] = ["unauthorized", "forbidden", "auth-not-configured", "dev-secret-in-production"];
/** Path parameters, query and headers validated by the route's schemas. */
const INPUTS: readonly ProblemCode[] = ["invalid-request"];
/** A JSON body validated by its schema (src/edge/body.ts limitBody, Hono's validator). */
const JSON_BODY: readonly ProblemCode[] = ["malformed-json", "unsupported-media-type", "body-too-large", "invalid-request"];
/** Raw float32 or `{"values": [...]}` (src/edge/floats.ts readFloatsBody). */
const FLOATS_BODY: readonly ProblemCode[] = ["malformed-json", "unsupported-media-type", "body-too-large", "json-too-long", "wrong-length", "invalid-request"];
/** A safetensors file, streamed within its limit. */
const SAFETENSORS_BODY: readonly ProblemCode[] = ["unsupported-media-type", "body-too-large", "invalid-safetensors"];
/** Every operation: the server failed. */
const ALWAYS: readonly ProblemCode[] = ["internal"];

type Content = Record<string, { schema?: unknown }> | undefined;
type Response = { content?: Content };

/** The codes a route's own shape makes reachable. */
function derivedCodes(route: RouteConfig): ProblemCode[] {
  const request = route.request ?? {};
  const codes = [...ALWAYS];
  if (authenticated(route.path)) codes.push(...BEARER);
  if (request.params || request.query || request.headers) codes.push(...INPUTS);
  const body = request.body?.content as Content;
  const binary = body?.["application/octet-stream"];
  if (binary) codes.push(...(binary.schema === Float32Bytes ? FLOATS_BODY : SAFETENSORS_BODY));
  else if (body?.["application/json"]) codes.push(...JSON_BODY);
  const answers = Object.values(route.responses as Record<string, Response>);
  // Raw bytes are answered only to an Accept that takes them (src/edge/floats.ts ensureAcceptable).
  if (answers.some((r) => r.content?.["application/octet-stream"])) codes.push("not-acceptable");
  if (answers.some((r) => r.content?.["application/octet-stream"]?.schema === Float32Bytes && r.content["application/json"])) codes.push("json-too-long-answer");
  return codes;
}

/** Headers that come with a refusal's status. */
const STATUS_HEADERS: Partial<Record<number, Record<string, { description: string; schema: object }>>> = {
  401: { "WWW-Authenticate": stringHeader("The RFC 6750 challenge: `Bearer realm=\"shardstep\"`, with `error=\"invalid_token\"` when the token was refused.") },
  403: { "WWW-Authenticate": stringHeader("The RFC 6750 challenge with `error=\"insufficient_scope\"` (and the `scope` needed), when a scope or the token's prefix is missing.") },
  429: { "Retry-After": integerHeader("Seconds to wait before the next push (the problem's `retry_after`).") },
};

/** The problem answer of one status: its problem types as an enum, the status as a constant. */
function problemResponse(status: number, codes: readonly ProblemCode[]) {
  const types = [...new Set(codes.map((code) => `/problems/${problemSpec(code).type}`))].sort();
  const titles = [...new Set(codes.map((code) => PROBLEMS[code].title))].join(", ");
  return {
    description: `Refused (${titles}): the problem's \`type\` says which.`,
    ...(STATUS_HEADERS[status] ? { headers: STATUS_HEADERS[status] } : {}),
    content: {
      "application/problem+json": {
        schema: z.intersection(Problem, z.object({ type: z.enum(types).openapi({ description: "The cause: one of the types this operation answers with this status." }), status: z.number().int().openapi({ enum: [status] }) })),
      },
    },
  };
}

/** The operation's codes (its own and the derived ones), by status. */
export function refusalsOf(route: RouteConfig, codes: readonly ProblemCode[]): Map<number, ProblemCode[]> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set([...derivedCodes(route), ...codes])) {
    const { status } = PROBLEMS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

/**
 * The route with a problem answer for every status it may refuse with: `codes` are those its own
 * code raises; the rest are derived from the route (see above). Its success answers are unchanged.
 */
export function refusing<R extends RouteConfig>(route: R, codes: readonly ProblemCode[]): R {
  const responses: Record<string, unknown> = route.responses;
  for (const [status, of] of refusalsOf(route, codes)) responses[status] = problemResponse(status, of);
  return route;
}

/** What a push to a shard may be refused for by the shard (src/shard/pushes, src/shard/rounds): a shard's push and, through it, a model's. */
export const PUSH_REFUSALS: readonly ProblemCode[] = [
  "not-found",
  "owned-by-model",
  "invalid-range",
  "wrong-length",
  "non-finite",
  "stale-gradient",
  "version-mismatch",
  "loss-required",
  "point-revision-required",
  "point-moved",
  "idempotency-key-reused",
  "rate-limited",
  "client-id-required",
  "round-closed",
  "already-contributed",
];

/** What an import of optimizer state may be refused for by the shard (src/shard/state-io): a shard's import and, through it, a model's. */
export const STATE_IMPORT_REFUSALS: readonly ProblemCode[] = [
  "not-found",
  "owned-by-model",
  "round-open",
  "import-under-way",
  "config-conflict",
  "precondition-failed",
  "state-mismatch",
  "wrong-length",
  "non-finite",
  "invalid-state",
  "idempotency-key-reused",
];
