import { catalogClient } from "../catalog/client";
import { trialConfig } from "../config/trial-template";
import type { SweepConfig } from "../config/sweep";
import { RefusalError } from "../problems";
import { shardClient } from "../shard/client";
import { sweepOwner } from "../shard/ownership";
import type { TrialRow } from "./trials";

export type ProvisionBindings = Pick<Env, "SHARDS" | "CATALOG">;

/** A trial's shard: named after the sweep and the trial (model shards are `<model>:<digits>`, so none is named so). */
export const trialShardName = (sweep: string, id: number): string => `${sweep}:trial-${id}`;

/**
 * Makes a trial's shard ready for a lease: created from the template with the trial's parameters
 * (a no-op when it exists with that configuration), its start checkpoint taken once, and, when the
 * trial is resumed, brought back to its last checkpoint (or its start). Every step is idempotent,
 * so a lease request retried after a crash provisions again safely. Answers what changed in the row.
 */
export async function provision(env: ProvisionBindings, sweepName: string, sweep: SweepConfig, row: TrialRow): Promise<Partial<TrialRow>> {
  if (sweep.template === null || row.shard === null) return {};
  const shard = shardClient(env, row.shard);
  const owner = sweepOwner(sweepName);
  const { config } = trialConfig(sweep, JSON.parse(row.params), row.initSeed ?? undefined);
  await shard.create(row.shard, config, false, { model: owner });
  await catalogClient(env).registerShards([row.shard], null);
  const change: Partial<TrialRow> = {};
  if (row.startCheckpoint === null) {
    const start = await shard.snapshot({ label: `sweep ${sweepName} trial ${row.id} start`, idempotencyKey: `sweep-start:${row.id}` });
    change.startCheckpoint = start.checkpoint.id;
  }
  if (row.needsRestore) {
    await shard.restore(row.checkpoint ?? row.startCheckpoint ?? change.startCheckpoint!, owner);
    change.needsRestore = 0;
  }
  return change;
}

/** A checkpoint of a trial's shard at a report (the key makes a retried report take no second one). */
export async function checkpointTrial(env: ProvisionBindings, sweepName: string, row: TrialRow, step: number): Promise<number> {
  const taken = await shardClient(env, row.shard!).snapshot({ label: `sweep ${sweepName} trial ${row.id} step ${step}`, idempotencyKey: `sweep-step:${row.id}:${row.leases}:${step}` });
  return taken.checkpoint.id;
}

/** Deletes a superseded checkpoint of a trial (already gone is fine). */
export async function dropCheckpoint(env: ProvisionBindings, sweepName: string, shard: string, id: number): Promise<void> {
  await ignoreMissing(shardClient(env, shard).deleteCheckpoint(id, sweepOwner(sweepName)));
}

/** Deletes a trial's shard. */
export async function dropShard(env: ProvisionBindings, sweepName: string, shard: string): Promise<void> {
  await ignoreMissing(shardClient(env, shard).destroy(sweepOwner(sweepName)));
  await catalogClient(env).forgetShard(shard);
}

async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RefusalError && e.code === "not-found")) throw e;
  }
}
