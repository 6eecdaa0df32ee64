import { catalogClient } from "../catalog/client";
import type { SweepConfig } from "../config/sweep";
import { trialSetup } from "../config/trial-template";
import { deleteModelCheckpoint, restoreModel, snapshotModel } from "../models/checkpoints";
import { readModel } from "../models/reads";
import { createModel, deleteModel, loadModel, type ModelBindings } from "../models/registry";
import { gatherTensors } from "../models/scatter";
import { RefusalError } from "../problems";
import { shardClient } from "../shard/client";
import { sweepOwner } from "../shard/ownership";
import type { TrialRow } from "./trials";

export type ProvisionBindings = ModelBindings;

/**
 * What a trial trains, named after its sweep and its id: a shard `<sweep>:trial-<id>` (model shards
 * are `<model>:<digits>`, so none is named so), owned by the sweep; or a model `<sweep>.trial-<id>`.
 */
export function trialResourceName(sweep: string, config: SweepConfig, id: number): string | null {
  if (config.template === null) return null;
  return "shard" in config.template ? `${sweep}:trial-${id}` : `${sweep}.trial-${id}`;
}

/** A trial's shard or model, as the master handles it: every operation idempotent. */
export interface TrialResource {
  /** Creates it from the template with the trial's parameters (a no-op when it exists so). */
  create(): Promise<void>;
  /** A checkpoint of its whole state; the same key takes no second one. */
  snapshot(key: string, label: string): Promise<number>;
  restore(checkpoint: number): Promise<void>;
  /** Deletes a checkpoint (already gone is fine). */
  dropCheckpoint(checkpoint: number): Promise<void>;
  /** Deletes it (already gone is fine). */
  destroy(): Promise<void>;
}

async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RefusalError && e.code === "not-found")) throw e;
  }
}

function shardTrial(env: ProvisionBindings, sweepName: string, sweep: SweepConfig, row: TrialRow, name: string): TrialResource {
  const shard = shardClient(env, name);
  const owner = sweepOwner(sweepName);
  return {
    async create() {
      const setup = trialSetup(sweep, JSON.parse(row.params), row.initSeed ?? undefined);
      if (setup.kind !== "shard") throw new Error("a shard trial of a model template");
      await shard.create(name, setup.config, false, { model: owner });
      await catalogClient(env).registerShards([name], null);
    },
    snapshot: async (key, label) => (await shard.snapshot({ label, idempotencyKey: key })).checkpoint.id,
    restore: async (checkpoint) => void (await shard.restore(checkpoint, owner)),
    dropCheckpoint: (checkpoint) => ignoreMissing(shard.deleteCheckpoint(checkpoint, owner)),
    async destroy() {
      await ignoreMissing(shard.destroy(owner));
      await catalogClient(env).forgetShard(name);
    },
  };
}

function modelTrial(env: ProvisionBindings, sweep: SweepConfig, row: TrialRow, name: string): TrialResource {
  const model = () => loadModel(env, name);
  return {
    async create() {
      const setup = trialSetup(sweep, JSON.parse(row.params), row.initSeed ?? undefined);
      if (setup.kind !== "model") throw new Error("a model trial of a shard template");
      await createModel(env, name, setup.manifest);
    },
    snapshot: async (key, label) => (await snapshotModel(env, await model(), label, key)).checkpoint.id,
    restore: async (checkpoint) => void (await restoreModel(env, await model(), checkpoint)),
    dropCheckpoint: async (checkpoint) => ignoreMissing(model().then((m) => deleteModelCheckpoint(env, m, checkpoint))),
    destroy: async () => ignoreMissing(model().then((m) => deleteModel(env, m))),
  };
}

/** The trial's shard or model; null when the sweep has no template. */
export function trialResource(env: ProvisionBindings, sweepName: string, sweep: SweepConfig, row: TrialRow): TrialResource | null {
  if (sweep.template === null || row.shard === null) return null;
  return "shard" in sweep.template ? shardTrial(env, sweepName, sweep, row, row.shard) : modelTrial(env, sweep, row, row.shard);
}

/**
 * Makes a trial ready for a lease: created (a no-op when it exists), its start checkpoint taken
 * once, and, when the trial is resumed, brought back to its last checkpoint (or its start). Each
 * step is idempotent, so a lease request retried after a crash provisions again safely. Answers
 * what changed in the row.
 */
export async function provision(env: ProvisionBindings, sweepName: string, sweep: SweepConfig, row: TrialRow): Promise<Partial<TrialRow>> {
  const resource = trialResource(env, sweepName, sweep, row);
  if (resource === null) return {};
  await resource.create();
  const change: Partial<TrialRow> = {};
  if (row.startCheckpoint === null) change.startCheckpoint = await resource.snapshot(`sweep-start:${row.id}`, `sweep ${sweepName} trial ${row.id} start`);
  if (row.needsRestore) {
    await resource.restore(row.checkpoint ?? row.startCheckpoint ?? change.startCheckpoint!);
    change.needsRestore = 0;
  }
  return change;
}

/** An ensemble member's weights, tensor by tensor in the member's order (the shard's vector, or the model's tensors). */
export async function memberWeights(env: ProvisionBindings, member: { kind: "shard" | "model"; resource: string; tensors: readonly { name: string }[] }): Promise<Float32Array[]> {
  if (member.kind === "shard") return [new Float32Array((await shardClient(env, member.resource).read({ offset: 0 })).bytes)];
  const model = await loadModel(env, member.resource);
  const reads = await readModel(env, model);
  const tensors = gatherTensors(model.layout, new Map([...reads].map(([shard, r]) => [shard, new Float32Array(r.bytes)])));
  return member.tensors.map((t) => tensors[t.name]!.data as Float32Array);
}
