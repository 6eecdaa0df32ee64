import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ModelCheckpoint } from "../../catalog/object";
import { MAX_JSON_BODY_BYTES } from "../../shard/limits";
import type { EnsembleRead, ShardInfo, SnapshotResult, VectorRead } from "../../shard/types";
import { requireScope } from "../auth/middleware";
import { bodyLimit } from "../body-limit";
import { catalogStub } from "../catalog";
import { fanOut, settled } from "../models/fanout";
import { describeModel, loadModel, type Model } from "../models/registry";
import { safetensorsResponse } from "../models/transfer";
import { notFound } from "../problem";
import { json, ModelInfo, ModelParams, modelHeaders, safetensors } from "../schemas/models";
import { checkSelection, selectionFields } from "../schemas/selection";
import { shardStub } from "../shards";
import type { EdgeEnv } from "../types";
import { problems } from "./common";

/**
 * Checkpoints of whole models: one checkpoint of every shard, taken in parallel and recorded in
 * the catalog; read as safetensors, restored, deleted, and averaged (the ensemble of checkpoints).
 */

const ModelCheckpoint = z
  .object({
    id: z.number().int(),
    label: z.string().nullable(),
    shards: z.record(z.string(), z.number().int()).openapi({ description: "Shard → its checkpoint's id." }),
    versions: z.record(z.string(), z.number().int()).openapi({ description: "Shard → its version when snapshotted." }),
    created_at: z.string(),
  })
  .openapi("ModelCheckpoint");

const CheckpointParams = ModelParams.extend({
  id: z.coerce.number().int().min(1).openapi({ param: { name: "id", in: "path" }, description: "The model checkpoint's id." }),
});

const postCheckpoint = createRoute({
  method: "post",
  path: "/v1/models/{model}/checkpoints",
  tags: ["models"],
  operationId: "createModelCheckpoint",
  summary: "Snapshot every shard of the model (weights, rule state, averages).",
  description: "Shards are snapshotted in parallel, each atomically; with no push running, all at one version. An Idempotency-Key makes a retry complete a partial snapshot.",
  middleware: [bodyLimit(MAX_JSON_BODY_BYTES)] as const,
  request: {
    params: ModelParams,
    headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
    body: { required: false, content: json(z.object({ label: z.string().max(128).optional() })) },
  },
  responses: { 201: { description: "Taken.", content: json(ModelCheckpoint) }, ...problems(400, 401, 403, 404, 409, 502) },
});

const listCheckpoints = createRoute({
  method: "get",
  path: "/v1/models/{model}/checkpoints",
  tags: ["models"],
  operationId: "listModelCheckpoints",
  summary: "The model's checkpoints, oldest first.",
  request: { params: ModelParams },
  responses: { 200: { description: "The checkpoints.", content: json(z.object({ checkpoints: z.array(ModelCheckpoint) })) }, ...problems(401, 403, 404) },
});

const getCheckpointWeights = createRoute({
  method: "get",
  path: "/v1/models/{model}/checkpoints/{id}/weights",
  tags: ["models"],
  operationId: "getModelCheckpointWeights",
  summary: "A checkpoint's weights as safetensors.",
  request: { params: CheckpointParams },
  responses: { 200: { description: "The weights.", headers: modelHeaders, content: safetensors }, ...problems(401, 403, 404) },
});

const restoreCheckpoint = createRoute({
  method: "post",
  path: "/v1/models/{model}/checkpoints/{id}/restore",
  tags: ["models"],
  operationId: "restoreModelCheckpoint",
  summary: "Restore every shard from the checkpoint: a new version of each, history kept.",
  request: { params: CheckpointParams },
  responses: { 200: { description: "The model after the restore.", content: json(ModelInfo) }, ...problems(401, 403, 404, 502) },
});

const deleteCheckpoint = createRoute({
  method: "delete",
  path: "/v1/models/{model}/checkpoints/{id}",
  tags: ["models"],
  operationId: "deleteModelCheckpoint",
  summary: "Delete the checkpoint of every shard.",
  request: { params: CheckpointParams },
  responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404, 502) },
});

const getEnsemble = createRoute({
  method: "get",
  path: "/v1/models/{model}/ensemble",
  tags: ["models"],
  operationId: "getModelEnsemble",
  summary: "The element-wise mean of chosen model checkpoints (ids, or the last k), as safetensors.",
  request: {
    params: ModelParams,
    query: z.object(selectionFields).superRefine(checkSelection),
  },
  responses: { 200: { description: "The mean of the checkpoints' weights.", headers: modelHeaders, content: safetensors }, ...problems(400, 401, 403, 404) },
});

async function checkpointOf(c: Context<EdgeEnv>, model: Model, id: number): Promise<ModelCheckpoint> {
  const found = (await catalogStub(c).checkpoints(model.name)).find((k) => k.id === id);
  if (!found) throw notFound(`model '${model.name}' has no checkpoint ${id}`);
  return found;
}

/** The model checkpoints an ensemble averages: the named ids (each must exist), or the newest `last`. */
async function chosen(c: Context<EdgeEnv>, model: Model, query: { checkpoints?: string; last?: number }): Promise<ModelCheckpoint[]> {
  const all = await catalogStub(c).checkpoints(model.name);
  if (query.last !== undefined) return all.slice(-query.last);
  const ids = [...new Set((query.checkpoints ?? "").split(",").filter(Boolean).map(Number))];
  const missing = ids.filter((id) => !all.some((k) => k.id === id));
  if (missing.length > 0) throw notFound(`model '${model.name}' has no checkpoint ${missing.join(", ")}`);
  return ids.map((id) => all.find((k) => k.id === id)!);
}

export const modelCheckpoints = new OpenAPIHono<EdgeEnv>()
  .openapi(postCheckpoint, async (c) => {
    const { model: name } = c.req.valid("param");
    requireScope(c, "train", name);
    const model = await loadModel(c, name);
    const key = c.req.valid("header")["idempotency-key"];
    const label = (c.req.header("content-type") ? (c.req.valid("json") as { label?: string }).label : undefined) ?? null;
    const taken = settled(
      model,
      await fanOut<SnapshotResult>(model, (s, i) => shardStub(c, s.name).snapshot({ ...(label === null ? {} : { label }), ...(key === undefined ? {} : { idempotencyKey: `${key}#${i}` }) })),
      "the snapshot",
      key === undefined ? "delete the checkpoints taken and snapshot again, or send an Idempotency-Key next time" : "send the same request with the same Idempotency-Key to complete it",
    );
    const ids = Object.fromEntries([...taken].map(([shard, r]) => [shard, r.checkpoint.id]));
    const versions = Object.fromEntries([...taken].map(([shard, r]) => [shard, r.checkpoint.version]));
    return c.json(await catalogStub(c).recordCheckpoint(name, label, ids, versions), 201);
  })
  .openapi(listCheckpoints, async (c) => {
    const { model } = c.req.valid("param");
    requireScope(c, "read", model);
    await loadModel(c, model);
    return c.json({ checkpoints: await catalogStub(c).checkpoints(model) }, 200);
  })
  .openapi(getCheckpointWeights, async (c) => {
    const { model: name, id } = c.req.valid("param");
    requireScope(c, "read", name);
    const model = await loadModel(c, name);
    const k = await checkpointOf(c, model, id);
    const reads = settled(model, await fanOut<VectorRead>(model, (s) => shardStub(c, s.name).readCheckpoint(k.shards[s.name]!, { offset: 0 })), "the read", "read again");
    return safetensorsResponse(c, model.layout, reads) as never;
  })
  .openapi(restoreCheckpoint, async (c) => {
    const { model: name, id } = c.req.valid("param");
    requireScope(c, "admin", name);
    const model = await loadModel(c, name);
    const k = await checkpointOf(c, model, id);
    const infos = settled(model, await fanOut<ShardInfo>(model, (s) => shardStub(c, s.name).restore(k.shards[s.name]!)), "the restore", "restore again: each shard's restore is a new version");
    return c.json(await describeModel(c, model, model.layout.shards.map((s) => infos.get(s.name)!)), 200);
  })
  .openapi(deleteCheckpoint, async (c) => {
    const { model: name, id } = c.req.valid("param");
    requireScope(c, "admin", name);
    const model = await loadModel(c, name);
    const k = await checkpointOf(c, model, id);
    const results = await fanOut<{ deleted: true }>(model, (s) => shardStub(c, s.name).deleteCheckpoint(k.shards[s.name]!));
    // A shard checkpoint already gone is what a retry of a partial delete finds.
    settled(model, results.filter((r) => !("outcome" in r) || r.outcome.ok || r.outcome.refusal.code !== "not-found"), "the delete", "delete again");
    await catalogStub(c).forgetCheckpoint(name, id);
    return c.body(null, 204);
  })
  .openapi(getEnsemble, async (c) => {
    const { model: name } = c.req.valid("param");
    requireScope(c, "read", name);
    const model = await loadModel(c, name);
    const ks = await chosen(c, model, c.req.valid("query"));
    if (ks.length === 0) throw notFound(`model '${name}' has no checkpoints to average`);
    const reads = settled(
      model,
      await fanOut<EnsembleRead>(model, (s) => shardStub(c, s.name).ensemble({ ids: ks.map((k) => k.shards[s.name]!) }, { offset: 0 })),
      "the ensemble",
      "ask again",
    );
    const response = safetensorsResponse(c, model.layout, reads);
    response.headers.set("x-checkpoints", ks.map((k) => k.id).join(","));
    return response as never;
  });
