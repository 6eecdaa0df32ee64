import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import type { Context } from "hono";
import { MAX_WAIT_SECONDS } from "../../limits";
import { refuse } from "../../problems";
import { shardClient } from "../../shard/client";
import type { PointRead, VectorRead } from "../../shard/types";
import { scoped } from "../auth/middleware";
import { readFloatsBody, sendFloats, versionHeadersOf } from "../floats";
import { pointHeaderOf, pointResponseHeader } from "../point";
import { preferencesOf } from "../prefer";
import { ShardParams } from "../schemas/params";
import { Float32Bytes, FloatsInput } from "../schemas/responses";
import type { EdgeEnv } from "../types";
import { count, floatsContent, floatsResponseHeaders, RangeQuery, vectorResponseHeaders } from "./common";

const getWeights = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/weights",
    middleware: [scoped("read", "shard")] as const,
    tags: ["weights"],
    operationId: "getWeights",
    summary: "The weights: raw little-endian float32 by default, JSON when asked (small shards only).",
    request: {
      params: ShardParams,
      query: RangeQuery,
      headers: z.object({
        "if-none-match": z.string().optional().openapi({ description: "An ETag: 304 when the weights have not changed." }),
        prefer: z.string().optional().openapi({
          description: `With If-None-Match, \`wait=N\` (seconds, at most ${MAX_WAIT_SECONDS}) long-polls: the answer comes when the weights change, or 304 after N seconds.`,
        }),
      }),
    },
    responses: {
      200: { description: "The weights of the range.", headers: floatsResponseHeaders, content: floatsContent },
      304: { description: "Not modified since the ETag in If-None-Match.", headers: vectorResponseHeaders },
    },
  }),
  ["not-found", "invalid-range"],
);

const AverageParams = ShardParams.extend({
  name: z.string().openapi({ param: { name: "name", in: "path" }, description: "The average's name in the shard's configuration, or one the rule keeps in its state (ASGD's `ax`)." }),
});

const getAverage = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/averages/{name}",
    middleware: [scoped("read", "shard")] as const,
    tags: ["weights"],
    operationId: "getAverage",
    summary: "A running average of the weights (EMA, SWA, or ASGD's `ax`): the ensemble endpoint.",
    request: { params: AverageParams, query: RangeQuery, headers: getWeights.request.headers },
    responses: {
      200: { description: "The average over the range.", headers: floatsResponseHeaders, content: floatsContent },
      304: { description: "Not modified since the ETag in If-None-Match.", headers: vectorResponseHeaders },
    },
  }),
  ["not-found", "invalid-range"],
);

const getPoint = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/point",
    middleware: [scoped("read", "shard")] as const,
    tags: ["weights"],
    operationId: "getPoint",
    summary: "The evaluation point: where the next gradient is to be taken, in the same formats as the weights.",
    description:
      "The weights for most rules; the look-ahead x + momentum · v for SGD's look-ahead Nesterov (momentum_form 'velocity' with nesterov). " +
      "It moves only with the weights: its ETag is theirs, and If-None-Match with `Prefer: wait=N` long-polls it. X-Point says which it is.",
    request: { params: ShardParams, query: RangeQuery, headers: getWeights.request.headers },
    responses: {
      200: { description: "The point over the range.", headers: { ...floatsResponseHeaders, ...pointResponseHeader }, content: floatsContent },
      304: { description: "Not modified since the ETag in If-None-Match.", headers: vectorResponseHeaders },
    },
  }),
  ["not-found", "invalid-range"],
);

const putWeights = refusing(
  createRoute({
    method: "put",
    path: "/v1/shards/{shard}/weights",
    middleware: [scoped("admin", "shard")] as const,
    tags: ["weights"],
    operationId: "putWeights",
    summary: "Upload weights, whole or a range (chunked uploads of big shards).",
    description: "Once training has started (version > 0) an upload must carry If-Match with the current ETag. Averages follow uploads only before training.",
    request: {
      params: ShardParams,
      query: z.object({ offset: count("Where the uploaded values start (default 0).") }),
      headers: z.object({ "if-match": z.string().optional().openapi({ description: "The ETag the upload expects the shard to be at." }) }),
      body: { required: true, content: { "application/octet-stream": { schema: Float32Bytes }, "application/json": { schema: FloatsInput } } },
    },
    responses: {
      204: { description: "Stored.", headers: vectorResponseHeaders },
    },
  }),
  ["not-found", "owned-by-model", "invalid-range", "non-finite", "precondition-failed"],
);

/** Parses an entity tag of ours, `"<revision>"` (weak or strong), or refuses it as any other header the request cannot carry (invalid-request). */
export function revisionOf(tag: string, header: string): number {
  const match = /^(?:W\/)?"(\d+)"$/.exec(tag.trim());
  if (!match) return refuse("invalid-request", `invalid header: ${header} must be an ETag of this API, like "12", got ${tag}`);
  return Number(match[1]);
}

function notModified(c: Context, read: Pick<VectorRead, "revision" | "version">): boolean {
  const tags = c.req.header("if-none-match");
  if (!tags) return false;
  return tags === "*" || tags.split(",").some((t) => /^(?:W\/)?"(\d+)"$/.exec(t.trim())?.[1] === String(read.revision));
}

/**
 * Answers a read: 304 when If-None-Match names its revision, unless `Prefer: wait=N` asks to wait
 * for the next revision, in which case the read is made again once the weights have changed.
 */
async function answerVector<R extends VectorRead>(
  c: Context<EdgeEnv>,
  shard: string,
  read: () => Promise<R>,
  headersOf: (vector: R) => Record<string, string> = () => ({}),
): Promise<Response> {
  let vector = await read();
  if (!notModified(c, vector)) return sendFloats(c, vector, headersOf(vector));
  const { waitSeconds } = preferencesOf(c.req.header("prefer"));
  if (waitSeconds > 0) {
    const revision = await shardClient(c.env, shard).awaitRevision(vector.revision, waitSeconds * 1000);
    if (revision !== vector.revision) vector = await read();
  }
  if (notModified(c, vector)) return c.body(null, 304, versionHeadersOf(vector));
  return sendFloats(c, vector, headersOf(vector));
}

export const weights = new OpenAPIHono<EdgeEnv>()
  .openapi(getWeights, async (c) => {
    const { shard } = c.req.valid("param");
    const { offset = 0, length } = c.req.valid("query");
    return answerVector(c, shard, () => shardClient(c.env, shard).read({ offset, length }));
  })
  .openapi(getAverage, async (c) => {
    const { shard, name } = c.req.valid("param");
    const { offset = 0, length } = c.req.valid("query");
    return answerVector(c, shard, () => shardClient(c.env, shard).read({ offset, length }, name));
  })
  .openapi(getPoint, async (c) => {
    const { shard } = c.req.valid("param");
    const { offset = 0, length } = c.req.valid("query");
    return answerVector(c, shard, () => shardClient(c.env, shard).readPoint({ offset, length }), (point: PointRead) => pointHeaderOf(point.distinct));
  })
  .openapi(putWeights, async (c) => {
    const { shard } = c.req.valid("param");
    const ifMatch = c.req.header("if-match");
    const bytes = await readFloatsBody(c, "the weights");
    const offset = c.req.valid("query").offset ?? 0;
    const stored = await shardClient(c.env, shard).upload(bytes, offset, ifMatch === undefined ? undefined : revisionOf(ifMatch, "If-Match"));
    return c.body(null, 204, versionHeadersOf(stored));
  });
