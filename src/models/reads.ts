import type { ShardBindings } from "../shard/client";
import type { VectorRead } from "../shard/types";
import { fanOut, valuesOfEveryShard } from "./fan-out";
import type { Model } from "./registry";

/** Every shard's whole vector (its weights, or the average named so), read in parallel, by shard. */
export async function readModel(env: ShardBindings, model: Model, average?: string): Promise<Map<string, VectorRead>> {
  return valuesOfEveryShard(model, await fanOut(env, model, (shard) => shard.read({ offset: 0 }, average)), "the read", "read again");
}
