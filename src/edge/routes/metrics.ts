import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { MAX_JSON_BODY_BYTES } from "../../shard/limits";
import { requireScope } from "../auth/middleware";
import { bodyLimit } from "../body-limit";
import { unwrap } from "../refusals";
import { PlateauState } from "../schemas/responses";
import { ShardParams, shardStub } from "../shards";
import type { EdgeEnv } from "../types";
import { problems } from "./common";

const MetricInput = z
  .strictObject({
    value: z.number().openapi({ description: "The metric (e.g. a validation loss)." }),
    client_id: z.string().max(128).optional(),
  })
  .openapi("MetricInput");

const MetricResult = z
  .object({ version: z.number().int(), lr: z.number().openapi({ description: "The learning rate the next update will use." }), plateau: PlateauState.nullable() })
  .openapi("MetricResult");

const postMetric = createRoute({
  method: "post",
  path: "/v1/shards/{shard}/metrics",
  tags: ["gradients"],
  operationId: "reportMetric",
  summary: "Report a metric; a reduce-on-plateau schedule lowers the learning rate from them.",
  middleware: [bodyLimit(MAX_JSON_BODY_BYTES)] as const,
  request: { params: ShardParams, body: { required: true, content: { "application/json": { schema: MetricInput } } } },
  responses: {
    200: { description: "Recorded.", content: { "application/json": { schema: MetricResult } } },
    ...problems(400, 401, 403, 404, 413, 415, 422),
  },
});

export const metrics = new OpenAPIHono<EdgeEnv>().openapi(postMetric, async (c) => {
  const { shard } = c.req.valid("param");
  requireScope(c, "train", shard);
  const { value, client_id } = c.req.valid("json");
  return c.json(unwrap(await shardStub(c, shard).metric(value, client_id)) as never, 200);
});
