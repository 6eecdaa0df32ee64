import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { shardClient } from "../../shard/client";
import { scoped } from "../auth/middleware";
import { ShardParams } from "../schemas/params";
import { ShardStatus } from "../schemas/responses";
import type { EdgeEnv } from "../types";
import {} from "./common";
import { presentStatus } from "../present";

const getStatus = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/status",
    middleware: [scoped("read", "shard")] as const,
    tags: ["gradients"],
    operationId: "getStatus",
    summary: "Mode, version, the open round (counts, deadline) and staleness statistics.",
    request: { params: ShardParams },
    responses: {
      200: { description: "The shard's status.", content: { "application/json": { schema: ShardStatus } } },
    },
  }),
  ["not-found"],
);

export const status = new OpenAPIHono<EdgeEnv>().openapi(getStatus, async (c) => {
  const { shard } = c.req.valid("param");
  return c.json(presentStatus(await shardClient(c.env, shard).status()), 200);
});
