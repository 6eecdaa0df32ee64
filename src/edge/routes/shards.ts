import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "../body-limit";
import { unwrap } from "../refusals";
import { Schedule, ShardConfigInput } from "../schemas/config";
import { ShardInfo } from "../schemas/responses";
import { ShardParams, shardStub } from "../shards";
import type { EdgeEnv } from "../types";
import { problems } from "./common";
import { MAX_JSON_BODY_BYTES } from "../../shard/limits";
import { requireScope } from "../auth/middleware";
import type { PatchRequest } from "../../shard/types";

const json = (schema: z.ZodType) => ({ "application/json": { schema } });

const putShard = createRoute({
  method: "put",
  path: "/v1/shards/{shard}",
  tags: ["shards"],
  operationId: "putShard",
  summary: "Create a shard (idempotent), or replace it.",
  description: "A re-PUT of the same configuration is a no-op (200); a different one is 409 unless `replace=true`, which starts the shard afresh.",
  middleware: [bodyLimit(MAX_JSON_BODY_BYTES)] as const,
  request: {
    params: ShardParams,
    query: z.object({ replace: z.enum(["true", "false"]).optional().openapi({ description: "Replace an existing shard with a different configuration." }) }),
    body: { required: true, content: json(ShardConfigInput) },
  },
  responses: {
    200: { description: "The shard exists with this configuration already.", content: json(ShardInfo) },
    201: { description: "The shard was created.", content: json(ShardInfo) },
    ...problems(400, 401, 403, 409, 413, 415),
  },
});

const getShard = createRoute({
  method: "get",
  path: "/v1/shards/{shard}",
  tags: ["shards"],
  operationId: "getShard",
  summary: "The shard's configuration, version, learning rate, sizes and timestamps.",
  request: { params: ShardParams },
  responses: { 200: { description: "The shard.", content: json(ShardInfo) }, ...problems(401, 403, 404) },
});

const PatchBody = z
  .strictObject({
    hyper: z.record(z.string(), z.unknown()).optional().openapi({ description: "Hyperparameters to change (e.g. lr), merged into the current ones." }),
    schedule: Schedule.optional(),
  })
  .openapi("ShardPatch");

const patchShard = createRoute({
  method: "patch",
  path: "/v1/shards/{shard}",
  tags: ["shards"],
  operationId: "patchShard",
  summary: "Change hyperparameters or the schedule live.",
  description: "Recorded with the version at which it took effect (GET .../history). A new schedule counts updates from that version.",
  middleware: [bodyLimit(MAX_JSON_BODY_BYTES)] as const,
  request: { params: ShardParams, body: { required: true, content: json(PatchBody) } },
  responses: { 200: { description: "The shard after the change.", content: json(ShardInfo) }, ...problems(400, 401, 403, 404, 413, 415) },
});

const History = z
  .array(z.object({ version: z.number().int(), change: z.unknown(), at: z.string() }))
  .openapi("ConfigHistory");

const getHistory = createRoute({
  method: "get",
  path: "/v1/shards/{shard}/history",
  tags: ["shards"],
  operationId: "getShardHistory",
  summary: "Every live change of hyperparameters or schedule, with the version it took effect at.",
  request: { params: ShardParams },
  responses: { 200: { description: "The changes, oldest first.", content: json(History) }, ...problems(401, 403, 404) },
});

const deleteShard = createRoute({
  method: "delete",
  path: "/v1/shards/{shard}",
  tags: ["shards"],
  operationId: "deleteShard",
  summary: "Delete the shard and all its state.",
  request: { params: ShardParams },
  responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404) },
});

export const shards = new OpenAPIHono<EdgeEnv>()
  .openapi(putShard, async (c) => {
    const { shard } = c.req.valid("param");
    requireScope(c, "admin", shard);
    const replace = c.req.valid("query").replace === "true";
    const result = unwrap(await shardStub(c, shard).create(shard, c.req.valid("json"), replace));
    return c.json(result.info as never, result.created ? 201 : 200);
  })
  .openapi(getShard, async (c) => {
    const { shard } = c.req.valid("param");
    requireScope(c, "read", shard);
    return c.json(unwrap(await shardStub(c, shard).info()) as never, 200);
  })
  .openapi(patchShard, async (c) => {
    const { shard } = c.req.valid("param");
    requireScope(c, "admin", shard);
    return c.json(unwrap(await shardStub(c, shard).patch(c.req.valid("json") as PatchRequest)) as never, 200);
  })
  .openapi(getHistory, async (c) => {
    const { shard } = c.req.valid("param");
    requireScope(c, "read", shard);
    return c.json(unwrap(await shardStub(c, shard).history()) as never, 200);
  })
  .openapi(deleteShard, async (c) => {
    const { shard } = c.req.valid("param");
    requireScope(c, "admin", shard);
    unwrap(await shardStub(c, shard).destroy());
    return c.body(null, 204);
  });
