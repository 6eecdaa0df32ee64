import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { MAX_CHECKPOINTS } from "../../limits";
import { shardClient } from "../../shard/client";
import type { CheckpointSelection } from "../../shard/types";
import { scoped } from "../auth/middleware";
import { idempotencyKeyHeader, replayedResponseHeader, replayHeaders } from "../idempotency";
import { limitBody } from "../body";
import { sendFloats } from "../floats";
import { checkpointsHeader, integerHeader, stringHeader } from "../schemas/headers";
import { ShardParams } from "../schemas/params";
import { Checkpoint, CheckpointInput, CheckpointList, ShardInfo } from "../schemas/responses";
import { checkSelection, selectionFields } from "../schemas/selection";
import type { EdgeEnv } from "../types";
import { floatsContent, floatsResponseHeaders, integer, json, RangeQuery } from "./common";
import { presentCheckpoint, presentInfo } from "../present";

/** Checkpoints of a shard (snapshot, list, read, delete, restore) and the ensemble of checkpoints. */

const CheckpointParams = ShardParams.extend({
  id: integer(1).openapi({ param: { name: "id", in: "path" }, description: "The checkpoint's id.", example: 3 }),
});

const EnsembleQuery = RangeQuery.extend(selectionFields).superRefine(checkSelection);

const ensembleHeaders = {
  ...floatsResponseHeaders,
  ETag: stringHeader("Names the checkpoints averaged (they never change): `\"checkpoints:3,5,8\"`."),
  "X-Shard-Version": integerHeader("The newest averaged checkpoint's version."),
  "X-Shard-Revision": integerHeader("The newest averaged checkpoint's revision."),
  ...checkpointsHeader,
};

const postCheckpoint = refusing(
  createRoute({
    method: "post",
    path: "/v1/shards/{shard}/checkpoints",
    tags: ["shards"],
    operationId: "createCheckpoint",
    summary: "Snapshot the shard: weights, optimizer state and averages at its current version.",
    description:
      `The copy is made inside the shard's storage in one transaction. At most ${MAX_CHECKPOINTS} checkpoints per shard (409 beyond). ` +
      "In rounds mode the pushes of the open round are not part of it. A retry with the same Idempotency-Key answers as the first request did (201, the checkpoint it took), with Idempotent-Replayed.",
    middleware: [scoped("train", "shard"), limitBody("json")] as const,
    request: {
      params: ShardParams,
      headers: z.object({ "idempotency-key": idempotencyKeyHeader("A retry with the same key takes no second checkpoint.") }),
      body: { required: false, content: { "application/json": { schema: CheckpointInput } } },
    },
    responses: {
      201: {
        description: "Taken (or, replayed, taken by the first request with this Idempotency-Key).",
        headers: { Location: stringHeader("The checkpoint's URL."), ...replayedResponseHeader },
        content: json(Checkpoint),
      },
    },
  }),
  ["not-found", "too-many-checkpoints", "idempotency-key-reused"],
);

const listCheckpoints = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/checkpoints",
    middleware: [scoped("read", "shard")] as const,
    tags: ["shards"],
    operationId: "listCheckpoints",
    summary: "The shard's checkpoints, oldest first.",
    request: { params: ShardParams },
    responses: { 200: { description: "The checkpoints.", content: json(CheckpointList) } },
  }),
  ["not-found"],
);

const getCheckpoint = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/checkpoints/{id}",
    middleware: [scoped("read", "shard")] as const,
    tags: ["shards"],
    operationId: "getCheckpoint",
    summary: "One checkpoint.",
    request: { params: CheckpointParams },
    responses: { 200: { description: "The checkpoint.", content: json(Checkpoint) } },
  }),
  ["not-found"],
);

const getCheckpointWeights = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/checkpoints/{id}/weights",
    middleware: [scoped("read", "shard")] as const,
    tags: ["weights"],
    operationId: "getCheckpointWeights",
    summary: "A checkpoint's weights: raw little-endian float32 by default, JSON when asked (small shards only).",
    request: { params: CheckpointParams, query: RangeQuery },
    responses: {
      200: { description: "The weights of the range; the ETag and X-Shard-* headers are the checkpoint's.", headers: floatsResponseHeaders, content: floatsContent },
    },
  }),
  ["not-found", "invalid-range"],
);

const deleteCheckpoint = refusing(
  createRoute({
    method: "delete",
    path: "/v1/shards/{shard}/checkpoints/{id}",
    middleware: [scoped("admin", "shard")] as const,
    tags: ["shards"],
    operationId: "deleteCheckpoint",
    summary: "Delete a checkpoint and its stored state. Its id is not reused.",
    request: { params: CheckpointParams },
    responses: { 204: { description: "Deleted." } },
  }),
  ["not-found", "owned-by-model"],
);

const restoreCheckpoint = refusing(
  createRoute({
    method: "post",
    path: "/v1/shards/{shard}/checkpoints/{id}/restore",
    middleware: [scoped("admin", "shard")] as const,
    tags: ["shards"],
    operationId: "restoreCheckpoint",
    summary: "Restore a checkpoint: weights, optimizer state, averages, step, schedule and hyperparameters come back as a new version.",
    description:
      "The version and the revision go on by one (the ETag changes) and the configuration history records the restore; the optimizer's step " +
      "(bias correction), the schedule's position, the averages' counts and the live hyperparameters are the checkpoint's, so the next push " +
      "gives what the push after the checkpoint gave. Every checkpoint is kept. In rounds mode a restore is refused (409 /problems/round-open) while the open round has pushes.",
    request: { params: CheckpointParams },
    responses: { 200: { description: "The shard after the restore.", content: json(ShardInfo) } },
  }),
  ["not-found", "owned-by-model", "round-open"],
);

const getEnsemble = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/ensemble",
    middleware: [scoped("read", "shard")] as const,
    tags: ["weights"],
    operationId: "getEnsemble",
    summary: "The element-wise mean of chosen checkpoints' weights (or of the last k), in the formats of the weights.",
    description:
      "Summed in float64 and rounded to float32 once, page by page. Give `checkpoints` (ids) or `last` (the newest k), not both. " +
      "The running averages of the weights (EMA, SWA) are at /averages/{name}.",
    request: { params: ShardParams, query: EnsembleQuery },
    responses: {
      200: { description: "The mean over the range.", headers: ensembleHeaders, content: floatsContent },
    },
  }),
  ["not-found", "invalid-range", "too-few-checkpoints"],
);

export const checkpoints = new OpenAPIHono<EdgeEnv>()
  .openapi(postCheckpoint, async (c) => {
    const { shard } = c.req.valid("param");
    const { label } = c.req.valid("json");
    const idempotencyKey = c.req.valid("header")["idempotency-key"];
    const taken = await shardClient(c.env, shard).snapshot({ label, idempotencyKey });
    const checkpoint = presentCheckpoint(taken.checkpoint);
    return c.json(checkpoint, 201, { location: `/v1/shards/${shard}/checkpoints/${checkpoint.id}`, ...replayHeaders(!taken.created) });
  })
  .openapi(listCheckpoints, async (c) => {
    const { shard } = c.req.valid("param");
    return c.json({ checkpoints: (await shardClient(c.env, shard).checkpoints()).map(presentCheckpoint) }, 200);
  })
  .openapi(getCheckpoint, async (c) => {
    const { shard, id } = c.req.valid("param");
    return c.json(presentCheckpoint(await shardClient(c.env, shard).checkpoint(id)), 200);
  })
  .openapi(getCheckpointWeights, async (c) => {
    const { shard, id } = c.req.valid("param");
    const { offset = 0, length } = c.req.valid("query");
    return sendFloats(c, await shardClient(c.env, shard).readCheckpoint(id, { offset, length }));
  })
  .openapi(deleteCheckpoint, async (c) => {
    const { shard, id } = c.req.valid("param");
    await shardClient(c.env, shard).deleteCheckpoint(id);
    return c.body(null, 204);
  })
  .openapi(restoreCheckpoint, async (c) => {
    const { shard, id } = c.req.valid("param");
    return c.json(presentInfo(await shardClient(c.env, shard).restore(id)), 200);
  })
  .openapi(getEnsemble, async (c) => {
    const { shard } = c.req.valid("param");
    const { offset = 0, length, checkpoints: ids, last } = c.req.valid("query");
    const selection: CheckpointSelection = last === undefined ? { ids: ids!.split(",").map(Number) } : { last };
    const mean = await shardClient(c.env, shard).ensemble(selection, { offset, length });
    const used = mean.checkpoints.join(",");
    return sendFloats(c, mean, { etag: `"checkpoints:${used}"`, "x-checkpoints": used });
  });
