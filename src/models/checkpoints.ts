import { catalogClient } from "../catalog/client";
import type { ModelCheckpoint } from "../catalog/object";
import { refuse } from "../problems";
import type { EnsembleRead, ShardInfo, VectorRead } from "../shard/types";
import { fanOut, valuesOfEveryShard } from "./fan-out";
import type { Model, ModelBindings } from "./registry";

/**
 * Checkpoints of whole models: one checkpoint of every shard, taken in parallel and recorded in the
 * catalog; read, restored, deleted, and averaged (the ensemble of checkpoints).
 */

/** Which checkpoints an ensemble averages: these ids (each must exist), or the newest `last` (there must be that many, as for a shard's). */
export type ModelCheckpointSelection = { checkpoints?: string; last?: number };

async function findCheckpoint(env: ModelBindings, model: Model, id: number): Promise<ModelCheckpoint> {
  const found = (await catalogClient(env).checkpoints(model.name)).find((k) => k.id === id);
  return found ?? refuse("not-found", `model '${model.name}' has no checkpoint ${id}`, { checkpoint: id });
}

async function chosenCheckpoints(env: ModelBindings, model: Model, selection: ModelCheckpointSelection): Promise<ModelCheckpoint[]> {
  const all = await catalogClient(env).checkpoints(model.name);
  if (selection.last !== undefined) {
    if (all.length < selection.last) {
      refuse("too-few-checkpoints", `the last ${selection.last} checkpoints were asked for; model '${model.name}' has ${all.length}`, { available: all.length });
    }
    return all.slice(-selection.last);
  }
  const ids = [...new Set((selection.checkpoints ?? "").split(",").filter(Boolean).map(Number))];
  const missing = ids.filter((id) => !all.some((k) => k.id === id)).sort((a, b) => a - b);
  if (missing.length > 0) refuse("not-found", `model '${model.name}' has no checkpoint ${missing.join(", ")}`, { missing });
  return ids.map((id) => all.find((k) => k.id === id)!);
}

/**
 * Snapshots every shard (each with `<key>#<index>` when a key came) and records the model checkpoint;
 * `created` is false when a retry found it recorded (every shard's checkpoint was taken before).
 */
export async function snapshotModel(env: ModelBindings, model: Model, label: string | null, key: string | undefined): Promise<{ checkpoint: ModelCheckpoint; created: boolean }> {
  const results = await fanOut(env, model, (shard, _s, i) =>
    shard.snapshot({ ...(label === null ? {} : { label }), ...(key === undefined ? {} : { idempotencyKey: `${key}#${i}` }) }),
  );
  const advice = key === undefined ? "delete the checkpoints taken and snapshot again, or send an Idempotency-Key next time" : "send the same request with the same Idempotency-Key to complete it";
  const taken = valuesOfEveryShard(model, results, "the snapshot", advice);
  const ids = Object.fromEntries([...taken].map(([shard, r]) => [shard, r.checkpoint.id]));
  const versions = Object.fromEntries([...taken].map(([shard, r]) => [shard, r.checkpoint.version]));
  return catalogClient(env).recordCheckpoint(model.name, label, ids, versions);
}

/** The model's checkpoints, oldest first. */
export const modelCheckpoints = (env: ModelBindings, model: Model): Promise<ModelCheckpoint[]> => catalogClient(env).checkpoints(model.name);

/** Every shard's weights in the model checkpoint `id`, by shard. */
export async function readModelCheckpoint(env: ModelBindings, model: Model, id: number): Promise<Map<string, VectorRead>> {
  const k = await findCheckpoint(env, model, id);
  return valuesOfEveryShard(model, await fanOut(env, model, (shard, s) => shard.readCheckpoint(k.shards[s.name]!, { offset: 0 })), "the read", "read again");
}

/**
 * Refuses a restore while the open round of any shard has pushes: that shard would refuse its part
 * after the others had restored theirs.
 */
async function ensureNoRoundWaiting(env: ModelBindings, model: Model): Promise<void> {
  const statuses = valuesOfEveryShard(model, await fanOut(env, model, (shard) => shard.status()), "the restore", "restore again: nothing was restored");
  for (const [shard, { round }] of statuses) {
    if (round && round.contributors > 0) {
      refuse("round-open", `round ${round.number} of shard '${shard}' has ${round.contributors} pushes computed from the current weights; restore once it has closed (by quorum, or at its deadline)`, {
        shard,
        round: round.number,
        contributors: round.contributors,
      });
    }
  }
}

/** Restores every shard from the model checkpoint `id`; answers the shards after it, in layout order. */
export async function restoreModel(env: ModelBindings, model: Model, id: number): Promise<ShardInfo[]> {
  const k = await findCheckpoint(env, model, id);
  await ensureNoRoundWaiting(env, model);
  const results = await fanOut(env, model, (shard, s) => shard.restore(k.shards[s.name]!, model.name));
  const infos = valuesOfEveryShard(model, results, "the restore", "restore again: each shard's restore is a new version");
  return model.layout.shards.map((s) => infos.get(s.name)!);
}

/** Deletes the checkpoint of every shard, then the model checkpoint. */
export async function deleteModelCheckpoint(env: ModelBindings, model: Model, id: number): Promise<void> {
  const k = await findCheckpoint(env, model, id);
  const results = await fanOut(env, model, (shard, s) => shard.deleteCheckpoint(k.shards[s.name]!, model.name));
  // A shard checkpoint already gone is what a retry of a partial delete finds.
  valuesOfEveryShard(model, results.filter((r) => !("refusal" in r) || r.refusal.code !== "not-found"), "the delete", "delete again");
  await catalogClient(env).forgetCheckpoint(model.name, id);
}

/** The mean of the chosen model checkpoints' weights, by shard, and the ids averaged. */
export async function modelEnsemble(env: ModelBindings, model: Model, selection: ModelCheckpointSelection): Promise<{ reads: Map<string, EnsembleRead>; ids: number[] }> {
  const ks = await chosenCheckpoints(env, model, selection);
  const results = await fanOut(env, model, (shard, s) => shard.ensemble({ ids: ks.map((k) => k.shards[s.name]!) }, { offset: 0 }));
  return { reads: valuesOfEveryShard(model, results, "the ensemble", "ask again"), ids: ks.map((k) => k.id) };
}
