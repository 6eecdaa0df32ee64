import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import type { EdgeEnv } from "./types";

/** Shard and model names: what a Durable Object is named after. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const ShardParams = z.object({
  shard: z
    .string()
    .regex(NAME_PATTERN)
    .openapi({ param: { name: "shard", in: "path" }, description: "The shard's name: letters, digits, '.', '_', ':', '-'; at most 128.", example: "mnist.layer1.weight" }),
});

export function shardStub(c: Context<EdgeEnv>, name: string) {
  return c.env.SHARDS.get(c.env.SHARDS.idFromName(name));
}
