/**
 * What the trainers share: the shard's configuration, a fresh start, run tags for their
 * Idempotency-Keys (the client retries with the same key), and the evaluation on the held-out digits.
 */
import { randomUUID } from "node:crypto";
import type { ShardConfigInput, Shardstep } from "../../sdk/client";
import type { Dataset } from "./data";
import { accuracy, meanLoss, PARAMETERS } from "./model";

/** Rule names of the API (`GET /v1/rules`). */
export type RuleName = ShardConfigInput["rule"];
/** A rule's hyperparameters, PyTorch's names (e.g. { lr: 0.01, betas: [0.9, 0.99] }). */
export type Hyper = Record<string, number | boolean | number[]>;
/** `aggregation` of a shard's configuration: async (the default) or rounds (docs/federated.md). */
export type Aggregation = NonNullable<ShardConfigInput["aggregation"]>;
export type Schedule = NonNullable<ShardConfigInput["schedule"]>;

export interface TrainData {
  train: Dataset;
  test: Dataset;
}

/** The configuration fields the example sets. */
export interface ShardSetup {
  rule: RuleName;
  hyper: Hyper;
  /** The learning rate's schedule over the shard's updates, e.g. { type: "cosine", T_max: 1000 }. */
  schedule?: Schedule;
  aggregation?: Aggregation;
}

/**
 * Creates the shard afresh (PUT with replace=true: a rerun starts from zeros again): 7850 floats,
 * zeros, no rate limit (the simulated clients push as fast as they can).
 */
export async function createFreshShard(api: Pick<Shardstep, "createShard">, shard: string, setup: ShardSetup): Promise<void> {
  const config = { length: PARAMETERS, init: { kind: "zeros" }, rate_limit: null, ...setup };
  // The generated input type is a union with each rule's own hyperparameter type.
  await api.createShard(shard, config as unknown as ShardConfigInput, { replace: true });
}

/** A short tag that makes the Idempotency-Keys of one training run unique. */
export const runTag = (): string => randomUUID().slice(0, 8);

export interface Evaluation {
  testAccuracy: number;
  testLoss: number;
  trainLoss: number;
}

export function evaluate(weights: Float32Array, data: TrainData): Evaluation {
  return { testAccuracy: accuracy(weights, data.test), testLoss: meanLoss(weights, data.test), trainLoss: meanLoss(weights, data.train) };
}
