import { refuse } from "../problems";
import type { ShardMeta } from "./store/meta";
import type { Via } from "./types";

/**
 * A model's shards are changed only through the model (docs/models.md): a change that comes
 * through the shard API is refused, naming the model. Reads are anyone's. Shards created before
 * owners were recorded have none, so nothing guards them.
 */
export function ensureChangedBy(meta: ShardMeta, via: Via, change: string): void {
  if (meta.model !== null && via !== meta.model) {
    refuse("owned-by-model", `shard '${meta.name}' belongs to model '${meta.model}': ${change} through /v1/models/${meta.model}`, { model: meta.model });
  }
}
