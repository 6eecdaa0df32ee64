import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { MAX_CLIENT_ID_LENGTH } from "../../limits";
import { shardClient } from "../../shard/client";
import { scoped } from "../auth/middleware";
import { limitBody } from "../body";
import { requireJsonBody } from "../floats";
import { ShardParams } from "../schemas/params";
import { MetricResult } from "../schemas/responses";
import type { EdgeEnv } from "../types";
import { presentMetric } from "../present";

const MetricInput = z
  .strictObject({
    value: z.number().openapi({ description: "The metric (e.g. a validation loss)." }),
    client_id: z.string().max(MAX_CLIENT_ID_LENGTH).optional(),
  })
  .openapi("MetricInput");

const postMetric = refusing(
  createRoute({
    method: "post",
    path: "/v1/shards/{shard}/metrics",
    tags: ["gradients"],
    operationId: "reportMetric",
    summary: "Report a metric; a reduce-on-plateau schedule lowers the learning rate from them.",
    middleware: [scoped("train", "shard"), requireJsonBody, limitBody("json")] as const,
    request: { params: ShardParams, body: { required: true, content: { "application/json": { schema: MetricInput } } } },
    responses: {
      200: { description: "Recorded.", content: { "application/json": { schema: MetricResult } } },
    },
  }),
  ["not-found", "non-finite"],
);

export const metrics = new OpenAPIHono<EdgeEnv>().openapi(postMetric, async (c) => {
  const { shard } = c.req.valid("param");
  const { value, client_id } = c.req.valid("json");
  return c.json(presentMetric(await shardClient(c.env, shard).metric(value, client_id)), 200);
});
