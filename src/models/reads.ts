import type { ShardBindings } from "../shard/client";
import type { PointRead, VectorRead } from "../shard/types";
import { fanOut, valuesOfEveryShard } from "./fan-out";
import type { Model } from "./registry";

/** Every shard's whole vector (its weights, or the average named so), read in parallel, by shard. */
export async function readModel(env: ShardBindings, model: Model, average?: string): Promise<Map<string, VectorRead>> {
  return valuesOfEveryShard(model, await fanOut(env, model, (shard) => shard.read({ offset: 0 }, average)), "the read", "read again");
}

/** Every shard's evaluation point (src/optim/point.ts: the weights for most rules), read in parallel, by shard. */
export async function readModelPoint(env: ShardBindings, model: Model): Promise<Map<string, PointRead>> {
  return valuesOfEveryShard(model, await fanOut(env, model, (shard) => shard.readPoint({ offset: 0 })), "the read", "read again");
}
