import { refuse } from "../problems";
import type { ShardMeta } from "./store/meta";
import type { Via } from "./types";

/**
 * A model's shards are changed only through the model, a sweep's trial shards only by the sweep (docs/models.md): a change that comes
 * through the shard API is refused, naming the model. Reads are anyone's. Shards created before
 * owners were recorded have none, so nothing guards them.
 */
export function ensureChangedBy(meta: ShardMeta, via: Via, change: string): void {
  if (meta.model === null || via === meta.model) return;
  const sweep = sweepOwning(meta.model);
  if (sweep !== null) refuse("owned-by-model", `shard '${meta.name}' is a trial of sweep '${sweep}': the sweep changes it (DELETE /v1/sweeps/${sweep} removes its trials)`, { sweep });
  refuse("owned-by-model", `shard '${meta.name}' belongs to model '${meta.model}': ${change} through /v1/models/${meta.model}`, { model: meta.model });
}

/** Pushes: a model's shards take them through the model; a sweep's trial shards from its workers, through the shard API. */
export function ensurePushableBy(meta: ShardMeta, via: Via): void {
  if (meta.model !== null && sweepOwning(meta.model) !== null) return;
  ensureChangedBy(meta, via, "push to it");
}

/** A sweep's trial shards are owned by `sweep:<name>` (model names have no ':', so no model can be named so). */
export const sweepOwner = (sweep: string): string => `sweep:${sweep}`;

function sweepOwning(owner: string): string | null {
  return owner.startsWith("sweep:") ? owner.slice("sweep:".length) : null;
}
