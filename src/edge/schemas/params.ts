import { z } from "@hono/zod-openapi";
import { MAX_SHARD_NAME_LENGTH } from "../../limits";
import { MODEL_NAME, SHARD_NAME } from "../../names";

/** The path parameters that name a shard or a model. */
export const ShardParams = z.object({
  shard: z
    .string()
    .regex(SHARD_NAME)
    .openapi({ param: { name: "shard", in: "path" }, description: `The shard's name: letters, digits, '.', '_', ':', '-'; at most ${MAX_SHARD_NAME_LENGTH}.`, example: "mnist.layer1.weight" }),
});

export const ModelParams = z.object({
  model: z.string().regex(MODEL_NAME).openapi({ param: { name: "model", in: "path" }, description: "The model's name: letters, digits, '.', '_', '-'.", example: "mnist.softmax" }),
});
