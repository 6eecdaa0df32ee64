import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { PUSH_REFUSALS, refusing } from "./refusals";
import type { Context } from "hono";
import { catalogClient } from "../../catalog/client";
import { MAX_SHARD_NAME_LENGTH } from "../../limits";
import { pushModel } from "../../models/push";
import { readModel, readModelPoint } from "../../models/reads";
import { pointHeaderOf, pointResponseHeader } from "../point";
import { createModel, deleteModel, describeModel, loadModel, type Model } from "../../models/registry";
import type { PushResult, VectorRead } from "../../shard/types";
import { requireScope, scoped } from "../auth/middleware";
import { replayedByEvery, replayedResponseHeader, replayHeaders } from "../idempotency";
import { limitBody, readBodyStream } from "../body";
import { ensureAcceptable, JSON_TYPE, mediaType, OCTET_STREAM, requireJsonBody, unsupportedMediaType } from "../floats";
import { PushHeaders, pushFieldsOf } from "../push-headers";
import { modelVersionHeadersOf, SAFETENSORS, safetensorsResponse } from "../safetensors-response";
import { ModelInfo, ModelList, ModelManifestInput, modelHeaders, ModelPushSummary, safetensors } from "../schemas/models";
import { ModelParams } from "../schemas/params";
import type { EdgeEnv } from "../types";
import { json } from "./common";
import { listingPrefix } from "./shards";
import { presentSummary } from "../present";

const putModel = refusing(
  createRoute({
    method: "put",
    path: "/v1/models/{model}",
    tags: ["models"],
    operationId: "putModel",
    summary: "Create a model: its tensors are laid out on shards, which are created with their configuration.",
    description: "Idempotent: the same manifest again answers 200 (and completes a creation that failed half way); another manifest is 409.",
    middleware: [scoped("admin", "model"), requireJsonBody, limitBody("json")] as const,
    request: { params: ModelParams, body: { required: true, content: json(ModelManifestInput) } },
    responses: {
      200: { description: "The model exists with this manifest.", content: json(ModelInfo) },
      201: { description: "Created.", content: json(ModelInfo) },
    },
  }),
  ["invalid-manifest", "invalid-config", "too-large", "config-conflict"],
);

const listModels = refusing(
  createRoute({
    method: "get",
    path: "/v1/models",
    tags: ["models"],
    operationId: "listModels",
    summary: "The models the token can see (its name prefix); `prefix` narrows them.",
    request: { query: z.object({ prefix: z.string().max(MAX_SHARD_NAME_LENGTH).optional() }) },
    responses: { 200: { description: "The models, by name.", content: json(ModelList) } },
  }),
  [],
);

const getModel = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModel",
    summary: "The model's tensors, their layout on shards, and each shard's version.",
    request: { params: ModelParams },
    responses: { 200: { description: "The model.", content: json(ModelInfo) } },
  }),
  ["not-found", "partial-failure"],
);

const deleteModelRoute = refusing(
  createRoute({
    method: "delete",
    path: "/v1/models/{model}",
    middleware: [scoped("admin", "model")] as const,
    tags: ["models"],
    operationId: "deleteModel",
    summary: "Delete the model and its shards.",
    request: { params: ModelParams },
    responses: { 204: { description: "Deleted." } },
  }),
  ["not-found", "partial-failure"],
);

const pushModelRoute = refusing(
  createRoute({
    method: "post",
    path: "/v1/models/{model}/gradients",
    middleware: [scoped("train", "model", "push gradients to")] as const,
    tags: ["models"],
    operationId: "pushModelGradient",
    summary: "Push a whole model's gradient as safetensors: every shard steps, in parallel; the updated model comes back.",
    description:
      "The body must hold every tensor of the model, F32, in its shape (checked before anything is applied, as are NaN/Inf under the reject policy). " +
      "Each shard gets its part with the Idempotency-Key `<key>#<shard index>`: if some shards fail (502 partial-failure, per shard and tensor), " +
      "the same request with the same key completes the push without applying anything twice.",
    request: {
      params: ModelParams,
      headers: PushHeaders,
      body: { required: true, content: safetensors },
    },
    responses: {
      200: {
        description: "The updated model (safetensors) where the next gradient is to be taken: the weights, or per tensor the point where the rule's point is distinct from the weights (X-Point); with return=minimal the shards' summaries.",
        headers: { ...modelHeaders, ...pointResponseHeader, ...replayedResponseHeader }, content: { ...safetensors, ...json(ModelPushSummary) } },
      202: { description: "Rounds mode: counted in the shards' open rounds.", headers: { ...modelHeaders, ...replayedResponseHeader }, content: json(ModelPushSummary) },
    },
  }),
  [...PUSH_REFUSALS, "partial-failure"],
);

const getModelWeights = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/weights",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModelWeights",
    summary: "The whole model's weights as safetensors.",
    request: { params: ModelParams, headers: z.object({ "if-none-match": z.string().optional() }) },
    responses: {
      200: { description: "The weights.", headers: modelHeaders, content: safetensors },
      304: { description: "Not modified since the ETag in If-None-Match.", headers: modelHeaders },
    },
  }),
  ["not-found", "partial-failure"],
);

const getModelPoint = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/point",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModelPoint",
    summary: "The whole model's evaluation point as safetensors: where the next gradient is to be taken, per tensor (the weights for most rules).",
    request: { params: ModelParams, headers: getModelWeights.request.headers },
    responses: {
      200: { description: "The point.", headers: { ...modelHeaders, ...pointResponseHeader }, content: safetensors },
      304: { description: "Not modified since the ETag in If-None-Match.", headers: modelHeaders },
    },
  }),
  ["not-found", "partial-failure"],
);

const getModelAverage = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/averages/{name}",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModelAverage",
    summary: "A running average (EMA, SWA, ASGD's `ax`) of the whole model as safetensors: the ensemble endpoint for models.",
    request: { params: ModelParams.extend({ name: z.string().openapi({ param: { name: "name", in: "path" } }) }), headers: getModelWeights.request.headers },
    responses: {
      200: { description: "The average.", headers: modelHeaders, content: safetensors },
      304: { description: "Not modified since the ETag in If-None-Match.", headers: modelHeaders },
    },
  }),
  ["not-found", "partial-failure"],
);

/** Answers a model's vectors as safetensors, or 304 when If-None-Match names their ETag. */
function sendModel(c: Context<EdgeEnv>, model: Model, reads: ReadonlyMap<string, VectorRead>, headers: Record<string, string> = {}) {
  const versionHeaders = modelVersionHeadersOf(model.layout, reads);
  if (c.req.header("if-none-match")?.split(",").some((t) => t.trim() === versionHeaders.etag)) return c.body(null, 304, versionHeaders);
  return safetensorsResponse(c, model.layout, reads, headers);
}

/** The point of a model is distinct from its weights when it is so on some shard. */
const modelPointHeader = (distinct: Iterable<boolean>) => pointHeaderOf([...distinct].some(Boolean));

/**
 * A model push answered: the updated model as safetensors (per shard its point: the weights, or the
 * point where distinct from them); or, when some shard answered no vector (rounds mode,
 * return=minimal, a skipped push), every shard's summary.
 */
function sendPushed(c: Context<EdgeEnv>, model: Model, results: ReadonlyMap<string, PushResult>) {
  const replayed = replayHeaders(replayedByEvery(results.values()));
  const vectors = new Map([...results].flatMap(([shard, r]) => ((r.point ?? r.weights) ? [[shard, (r.point ?? r.weights)!] as const] : [])));
  if (vectors.size === results.size) {
    return safetensorsResponse(c, model.layout, vectors, { ...modelPointHeader([...results.values()].map((r) => r.point !== undefined)), ...replayed });
  }
  const open = [...results.values()].some((r) => r.round && !r.round.closed);
  return c.json({ shards: [...results].map(([shard, r]) => ({ shard, ...presentSummary(r) })) }, open ? 202 : 200, { ...modelVersionHeadersOf(model.layout, results), ...replayed });
}

/** The body of a model push: safetensors, streamed within its limit. */
function gradientStream(c: Context<EdgeEnv>) {
  const type = c.req.header("content-type");
  if (mediaType(type) !== OCTET_STREAM) throw unsupportedMediaType(type, [`${OCTET_STREAM} (safetensors)`]);
  return readBodyStream(c, "safetensors", "the gradient");
}

export const models = new OpenAPIHono<EdgeEnv>()
  .openapi(listModels, async (c) => {
    const prefix = listingPrefix(requireScope(c, "read", c.var.principal.prefix).prefix, c.req.valid("query").prefix);
    return c.json({ models: prefix === null ? [] : await catalogClient(c.env).models(prefix) }, 200);
  })
  .openapi(putModel, async (c) => {
    const { model } = c.req.valid("param");
    const result = await createModel(c.env, model, c.req.valid("json"));
    return c.json(await describeModel(c.env, result.model, result.shards), result.created ? 201 : 200);
  })
  .openapi(getModel, async (c) => {
    const { model } = c.req.valid("param");
    return c.json(await describeModel(c.env, await loadModel(c.env, model)), 200);
  })
  .openapi(deleteModelRoute, async (c) => {
    const { model } = c.req.valid("param");
    await deleteModel(c.env, await loadModel(c.env, model));
    return c.body(null, 204);
  })
  .openapi(pushModelRoute, async (c) => {
    const { model } = c.req.valid("param");
    const { prefer, fields } = pushFieldsOf(c, c.req.valid("header"));
    // As for a shard's push: the answer's representation is settled before any shard steps.
    if (!prefer.minimal) ensureAcceptable(c, [OCTET_STREAM, JSON_TYPE]);
    const loaded = await loadModel(c.env, model);
    const results = await pushModel(c.env, loaded, gradientStream(c), fields);
    return sendPushed(c, loaded, results);
  })
  .openapi(getModelWeights, async (c) => {
    const { model } = c.req.valid("param");
    ensureAcceptable(c, [SAFETENSORS]);
    const loaded = await loadModel(c.env, model);
    return sendModel(c, loaded, await readModel(c.env, loaded));
  })
  .openapi(getModelPoint, async (c) => {
    const { model } = c.req.valid("param");
    ensureAcceptable(c, [SAFETENSORS]);
    const loaded = await loadModel(c.env, model);
    const points = await readModelPoint(c.env, loaded);
    return sendModel(c, loaded, points, modelPointHeader([...points.values()].map((p) => p.distinct)));
  })
  .openapi(getModelAverage, async (c) => {
    const { model, name } = c.req.valid("param");
    ensureAcceptable(c, [SAFETENSORS]);
    const loaded = await loadModel(c.env, model);
    return sendModel(c, loaded, await readModel(c.env, loaded, name));
  });
