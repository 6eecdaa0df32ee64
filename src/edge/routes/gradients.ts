import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { PUSH_REFUSALS, refusing } from "./refusals";
import { shardClient } from "../../shard/client";
import { releaseSoon } from "../../release";
import { scoped } from "../auth/middleware";
import { replayedResponseHeader, replayHeaders } from "../idempotency";
import { answersJson, readFloatsBody, sendFloats, versionHeadersOf } from "../floats";
import { pointHeaderOf, pointResponseHeader } from "../point";
import { lbfgsOutcomeHeadersOf, lbfgsOutcomeResponseHeaders } from "../lbfgs-outcome";
import { preferenceApplied } from "../prefer";
import { PushHeaders, pushFieldsOf } from "../push-headers";
import { ShardParams } from "../schemas/params";
import { Float32Bytes, FloatsInput, PushSummary } from "../schemas/responses";
import { integerHeader, numberHeader, stringHeader } from "../schemas/headers";
import type { EdgeEnv } from "../types";
import { count, floatsContent, floatsResponseHeaders, vectorResponseHeaders } from "./common";
import { presentSummary } from "../present";

const pushResponseHeaders = {
  ...vectorResponseHeaders,
  "X-Learning-Rate": numberHeader("The learning rate the update used."),
  ...replayedResponseHeader,
  "Preference-Applied": stringHeader("The preferences of Prefer that were honoured (`return=minimal`, `wait=N`)."),
  "X-Round": integerHeader("Rounds mode: the round the push counts in (or was applied in)."),
  "X-Push-Version": integerHeader("The version this push produced (or found, when skipped). On a replay X-Shard-Version and the weights are the current ones; this is the first answer's."),
};

const postGradients = refusing(
  createRoute({
    method: "post",
    path: "/v1/shards/{shard}/gradients",
    middleware: [scoped("train", "shard", "push gradients to")] as const,
    tags: ["gradients"],
    operationId: "pushGradient",
    summary: "Push a gradient: the rule takes one step and the updated weights come back.",
    description:
      "The body is the whole gradient, or with `offset` a part of it (a sparse update: other elements and their state stay untouched). " +
      "The answer is the updated weights of the pushed range (raw float32, or JSON when asked), or with `Prefer: return=minimal` a summary. " +
      "More exactly it is where the next gradient is to be taken (GET /point), which is the weights for most rules: when the rule's point is distinct from the weights " +
      "(SGD's look-ahead Nesterov: x + momentum · v), the body is the point, and X-Point says which it is (a summary carries neither: GET /point). " +
      "A retry with the same Idempotency-Key returns the first outcome; its weights are the current ones (X-Shard-Version says which). " +
      "In rounds mode the push is counted in the open round and answered 202 with its round until the round closes (by quorum, by deadline, or while `Prefer: wait=N` waits); " +
      "once it has closed, the answer is the new weights, as in async mode. " +
      "An lbfgs shard takes one closure call per push: the whole gradient with X-Loss and X-Point-Revision, answered with its outcome (X-Lbfgs-*) and the next point (docs/rules.md).",
    request: {
      params: ShardParams,
      query: z.object({ offset: count("Where a partial gradient starts.") }),
      headers: PushHeaders,
      body: { required: true, content: { "application/octet-stream": { schema: Float32Bytes }, "application/json": { schema: FloatsInput } } },
    },
    responses: {
      200: {
        description: "Applied (or skipped by the non-finite policy, or replayed).",
        headers: { ...pushResponseHeaders, ...pointResponseHeader, ...lbfgsOutcomeResponseHeaders, "X-Offset": floatsResponseHeaders["X-Offset"] },
        content: { ...floatsContent, "application/json": { schema: z.union([floatsContent["application/json"].schema, PushSummary]) } },
      },
      202: {
        description: "Rounds mode: counted in the open round, which has not closed yet. Wait (Prefer: wait=N), retry with the same Idempotency-Key, or poll the weights with If-None-Match.",
        headers: pushResponseHeaders,
        content: { "application/json": { schema: PushSummary } },
      },
    },
  }),
  PUSH_REFUSALS,
);

export const gradients = new OpenAPIHono<EdgeEnv>().openapi(postGradients, async (c) => {
  const { shard } = c.req.valid("param");
  const { prefer, fields } = pushFieldsOf(c, c.req.valid("header"));
  const gradient = await readFloatsBody(c, "the gradient");
  // The answer's representation is settled before the push is applied: a 406 must not follow a step.
  // Raw bytes come back from the shard as a stream, handed on as the body (no whole copy here).
  const streamAnswer = !prefer.minimal && !answersJson(c, gradient.byteLength / 4);
  const result = await shardClient(c.env, shard).push({ ...fields, gradient, offset: c.req.valid("query").offset, streamAnswer }).finally(() => c.executionCtx.waitUntil(releaseSoon(gradient)));
  const extra: Record<string, string> = { "x-learning-rate": String(result.lr), "x-push-version": String(result.version), ...replayHeaders(result.replayed) };
  const applied = preferenceApplied(prefer);
  if (applied) extra["preference-applied"] = applied;
  if (result.round) extra["x-round"] = String(result.round.number);
  if (result.lbfgs) Object.assign(extra, lbfgsOutcomeHeadersOf(result.lbfgs));
  if (result.round && !result.round.closed) return c.json(presentSummary(result), 202, { ...versionHeadersOf(result), ...extra });
  const vector = result.point ?? result.weights;
  if (prefer.minimal || !vector) {
    return c.json(presentSummary(result), 200, { ...versionHeadersOf(result), ...extra });
  }
  return sendFloats(c, vector, { ...extra, ...pointHeaderOf(result.point !== undefined) }, result.body);
});
