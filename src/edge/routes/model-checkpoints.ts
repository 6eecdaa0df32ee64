import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { MAX_CHECKPOINT_LABEL } from "../../limits";
import {
  deleteModelCheckpoint,
  modelCheckpoints as listModelCheckpoints,
  modelEnsemble,
  readModelCheckpoint,
  restoreModel,
  snapshotModel,
} from "../../models/checkpoints";
import { describeModel, loadModel } from "../../models/registry";
import { scoped } from "../auth/middleware";
import { ensureAcceptable } from "../floats";
import { idempotencyKeyHeader, replayedResponseHeader, replayHeaders } from "../idempotency";
import { limitBody } from "../body";
import { SAFETENSORS, safetensorsResponse } from "../safetensors-response";
import { checkpointsHeader } from "../schemas/headers";
import { ModelInfo, modelHeaders, safetensors } from "../schemas/models";
import { ModelParams } from "../schemas/params";
import { checkSelection, selectionFields } from "../schemas/selection";
import type { EdgeEnv } from "../types";
import { integer, json } from "./common";

/** Checkpoints of whole models (src/models/checkpoints.ts): snapshot, list, read as safetensors, restore, delete, the ensemble. */

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
  id: integer(1).openapi({ param: { name: "id", in: "path" }, description: "The model checkpoint's id." }),
});

const postCheckpoint = refusing(
  createRoute({
    method: "post",
    path: "/v1/models/{model}/checkpoints",
    tags: ["models"],
    operationId: "createModelCheckpoint",
    summary: "Snapshot every shard of the model (weights, rule state, averages).",
    description:
      "Shards are snapshotted in parallel, each atomically; with no push running, all at one version. An Idempotency-Key makes a retry complete a partial snapshot, " +
      "and a retry of a complete one answers as the first request did (201, the same checkpoint), with Idempotent-Replayed.",
    middleware: [scoped("train", "model"), limitBody("json")] as const,
    request: {
      params: ModelParams,
      headers: z.object({ "idempotency-key": idempotencyKeyHeader("A retry with the same key takes no second checkpoint, and completes a partial one.") }),
      body: { required: false, content: json(z.object({ label: z.string().max(MAX_CHECKPOINT_LABEL).optional() })) },
    },
    responses: {
      201: { description: "Taken (or, replayed, taken by the first request with this Idempotency-Key).", headers: replayedResponseHeader, content: json(ModelCheckpoint) },
    },
  }),
  ["not-found", "too-many-checkpoints", "idempotency-key-reused", "partial-failure"],
);

const listCheckpoints = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/checkpoints",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "listModelCheckpoints",
    summary: "The model's checkpoints, oldest first.",
    request: { params: ModelParams },
    responses: { 200: { description: "The checkpoints.", content: json(z.object({ checkpoints: z.array(ModelCheckpoint) })) } },
  }),
  ["not-found"],
);

const getCheckpointWeights = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/checkpoints/{id}/weights",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModelCheckpointWeights",
    summary: "A checkpoint's weights as safetensors.",
    request: { params: CheckpointParams },
    responses: { 200: { description: "The weights.", headers: modelHeaders, content: safetensors } },
  }),
  ["not-found", "partial-failure"],
);

const restoreCheckpoint = refusing(
  createRoute({
    method: "post",
    path: "/v1/models/{model}/checkpoints/{id}/restore",
    middleware: [scoped("admin", "model")] as const,
    tags: ["models"],
    operationId: "restoreModelCheckpoint",
    summary: "Restore every shard from the checkpoint: a new version of each, history kept.",
    request: { params: CheckpointParams },
    responses: { 200: { description: "The model after the restore.", content: json(ModelInfo) } },
  }),
  ["not-found", "round-open", "partial-failure"],
);

const deleteCheckpoint = refusing(
  createRoute({
    method: "delete",
    path: "/v1/models/{model}/checkpoints/{id}",
    middleware: [scoped("admin", "model")] as const,
    tags: ["models"],
    operationId: "deleteModelCheckpoint",
    summary: "Delete the checkpoint of every shard.",
    request: { params: CheckpointParams },
    responses: { 204: { description: "Deleted." } },
  }),
  ["not-found", "partial-failure"],
);

const getEnsemble = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/ensemble",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModelEnsemble",
    summary: "The element-wise mean of chosen model checkpoints (ids, or the last k), as safetensors.",
    request: {
      params: ModelParams,
      query: z.object(selectionFields).superRefine(checkSelection),
    },
    responses: { 200: { description: "The mean of the checkpoints' weights.", headers: { ...modelHeaders, ...checkpointsHeader }, content: safetensors } },
  }),
  ["not-found", "too-few-checkpoints", "partial-failure"],
);

export const modelCheckpoints = new OpenAPIHono<EdgeEnv>()
  .openapi(postCheckpoint, async (c) => {
    const { model: name } = c.req.valid("param");
    const model = await loadModel(c.env, name);
    const key = c.req.valid("header")["idempotency-key"];
    const label = (c.req.header("content-type") ? c.req.valid("json").label : undefined) ?? null;
    const taken = await snapshotModel(c.env, model, label, key);
    return c.json(taken.checkpoint, 201, replayHeaders(!taken.created));
  })
  .openapi(listCheckpoints, async (c) => {
    const { model } = c.req.valid("param");
    return c.json({ checkpoints: await listModelCheckpoints(c.env, await loadModel(c.env, model)) }, 200);
  })
  .openapi(getCheckpointWeights, async (c) => {
    const { model: name, id } = c.req.valid("param");
    ensureAcceptable(c, [SAFETENSORS]);
    const model = await loadModel(c.env, name);
    return safetensorsResponse(c, model.layout, await readModelCheckpoint(c.env, model, id));
  })
  .openapi(restoreCheckpoint, async (c) => {
    const { model: name, id } = c.req.valid("param");
    const model = await loadModel(c.env, name);
    return c.json(await describeModel(c.env, model, await restoreModel(c.env, model, id)), 200);
  })
  .openapi(deleteCheckpoint, async (c) => {
    const { model: name, id } = c.req.valid("param");
    await deleteModelCheckpoint(c.env, await loadModel(c.env, name), id);
    return c.body(null, 204);
  })
  .openapi(getEnsemble, async (c) => {
    const { model: name } = c.req.valid("param");
    ensureAcceptable(c, [SAFETENSORS]);
    const model = await loadModel(c.env, name);
    const { reads, ids } = await modelEnsemble(c.env, model, c.req.valid("query"));
    return safetensorsResponse(c, model.layout, reads, { "x-checkpoints": ids.join(",") });
  });
