import { outcomeClient, type OutcomeClient } from "../durable/outcome";
import type { ShardObject } from "./object";

export { valueOf } from "../durable/outcome";

/** Every RPC method of ShardObject, typed from the class: each answers its value or throws the RefusalError of its outcome. */
export type ShardClient = OutcomeClient<ShardObject>;

/** The bindings a shard client is built from. */
export type ShardBindings = Pick<Env, "SHARDS">;

/** The client of the shard `name` (its Durable Object is named after it). */
export function shardClient(env: ShardBindings, name: string): ShardClient {
  return outcomeClient<ShardObject>(env.SHARDS as never, name);
}
