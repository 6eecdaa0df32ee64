import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { catalogClient } from "../../catalog/client";
import { MAX_SHARD_NAME_LENGTH } from "../../limits";
import { shardClient } from "../../shard/client";
import { requireScope, scoped } from "../auth/middleware";
import { limitBody } from "../body";
import { requireJsonBody } from "../floats";
import { scheduleSchemas, ShardConfigInput } from "../../config";
import { ShardParams } from "../schemas/params";
import { ConfigHistory, ShardInfo } from "../schemas/responses";
import type { EdgeEnv } from "../types";
import { json } from "./common";
import { presentHistory, presentInfo } from "../present";

const putShard = refusing(
  createRoute({
    method: "put",
    path: "/v1/shards/{shard}",
    tags: ["shards"],
    operationId: "putShard",
    summary: "Create a shard (idempotent), or replace it.",
    description: "A re-PUT of the same configuration is a no-op (200); a different one is 409 unless `replace=true`, which starts the shard afresh.",
    middleware: [scoped("admin", "shard"), requireJsonBody, limitBody("json")] as const,
    request: {
      params: ShardParams,
      query: z.object({ replace: z.enum(["true", "false"]).optional().openapi({ description: "Replace an existing shard with a different configuration." }) }),
      body: { required: true, content: json(ShardConfigInput) },
    },
    responses: {
      200: { description: "The shard exists with this configuration already.", content: json(ShardInfo) },
      201: { description: "The shard was created.", content: json(ShardInfo) },
    },
  }),
  ["invalid-config", "config-conflict", "too-large", "owned-by-model"],
);

const getShard = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}",
    middleware: [scoped("read", "shard")] as const,
    tags: ["shards"],
    operationId: "getShard",
    summary: "The shard's configuration, version, learning rate, sizes and timestamps.",
    request: { params: ShardParams },
    responses: { 200: { description: "The shard.", content: json(ShardInfo) } },
  }),
  ["not-found"],
);

const PatchBody = z
  .strictObject({
    hyper: z
      .record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]))
      .optional()
      .openapi({ description: "Hyperparameters of the shard's rule to change (e.g. lr), by name, merged into the current ones: the names and values of its `hyper` in ShardConfig." }),
    schedule: scheduleSchemas.input.optional(),
    schedules: z
      .record(z.string(), z.union([scheduleSchemas.input, z.null()]))
      .optional()
      .openapi({ description: "Schedules of hyperparameters by path ('momentum', 'betas.0', ...), merged into the current ones: a schedule counts updates from this version on; null stops scheduling that hyperparameter. The optimizer state is kept as it is." }),
  })
  .openapi("ShardPatch");

const patchShard = refusing(
  createRoute({
    method: "patch",
    path: "/v1/shards/{shard}",
    tags: ["shards"],
    operationId: "patchShard",
    summary: "Change hyperparameters or schedules live.",
    description: "Recorded with the version at which it took effect (GET .../history). A new schedule counts updates from that version. The optimizer state is kept byte for byte; a change that would add or remove state is refused.",
    middleware: [scoped("admin", "shard"), requireJsonBody, limitBody("json")] as const,
    request: { params: ShardParams, body: { required: true, content: json(PatchBody) } },
    responses: { 200: { description: "The shard after the change.", content: json(ShardInfo) } },
  }),
  ["not-found", "invalid-config", "too-large", "owned-by-model"],
);

const getHistory = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/history",
    middleware: [scoped("read", "shard")] as const,
    tags: ["shards"],
    operationId: "getShardHistory",
    summary: "Every live change of hyperparameters or schedule, with the version it took effect at.",
    request: { params: ShardParams },
    responses: { 200: { description: "The changes, oldest first.", content: json(ConfigHistory) } },
  }),
  ["not-found"],
);

const deleteShard = refusing(
  createRoute({
    method: "delete",
    path: "/v1/shards/{shard}",
    middleware: [scoped("admin", "shard")] as const,
    tags: ["shards"],
    operationId: "deleteShard",
    summary: "Delete the shard and all its state.",
    request: { params: ShardParams },
    responses: { 204: { description: "Deleted." } },
  }),
  ["not-found", "owned-by-model"],
);

const ShardList = z
  .object({ shards: z.array(z.object({ name: z.string(), model: z.string().nullable(), created_at: z.string() })) })
  .openapi("ShardList");

const listShards = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards",
    tags: ["shards"],
    operationId: "listShards",
    summary: "The shards the token can see (its name prefix), from the catalog; `prefix` narrows them.",
    request: { query: z.object({ prefix: z.string().max(MAX_SHARD_NAME_LENGTH).optional().openapi({ description: "Only names starting with this." }) }) },
    responses: { 200: { description: "The shards, by name.", content: json(ShardList) } },
  }),
  [],
);

/** The prefix a listing covers: the token's, narrowed by the query's (never widened). */
export function listingPrefix(tokenPrefix: string, asked: string | undefined): string | null {
  if (asked === undefined || asked.startsWith(tokenPrefix)) return asked ?? tokenPrefix;
  return tokenPrefix.startsWith(asked) ? tokenPrefix : null;
}

export const shards = new OpenAPIHono<EdgeEnv>()
  .openapi(listShards, async (c) => {
    const prefix = listingPrefix(requireScope(c, "read", c.var.principal.prefix).prefix, c.req.valid("query").prefix);
    return c.json({ shards: prefix === null ? [] : await catalogClient(c.env).shards(prefix) }, 200);
  })
  .openapi(putShard, async (c) => {
    const { shard } = c.req.valid("param");
    const replace = c.req.valid("query").replace === "true";
    c.req.valid("json");
    // The body as sent (validated above): a re-PUT to a shard created under older defaults is compared under those too.
    const result = await shardClient(c.env, shard).create(shard, await c.req.json(), replace);
    // After the shard: a listing may miss a shard whose registration failed, until a re-PUT.
    await catalogClient(c.env).registerShards([shard], null);
    return c.json(presentInfo(result.info), result.created ? 201 : 200);
  })
  .openapi(getShard, async (c) => {
    const { shard } = c.req.valid("param");
    return c.json(presentInfo(await shardClient(c.env, shard).info()), 200);
  })
  .openapi(patchShard, async (c) => {
    const { shard } = c.req.valid("param");
    return c.json(presentInfo(await shardClient(c.env, shard).patch(c.req.valid("json"))), 200);
  })
  .openapi(getHistory, async (c) => {
    const { shard } = c.req.valid("param");
    return c.json(presentHistory(await shardClient(c.env, shard).history()), 200);
  })
  .openapi(deleteShard, async (c) => {
    const { shard } = c.req.valid("param");
    await shardClient(c.env, shard).destroy();
    await catalogClient(c.env).forgetShard(shard);
    return c.body(null, 204);
  });
