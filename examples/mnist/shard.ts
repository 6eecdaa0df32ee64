/**
 * What the trainers share: the shard's configuration, a fresh start, retries that keep their
 * Idempotency-Key, and the evaluation of weights on the held-out digits.
 */
import { randomUUID } from "node:crypto";
import { ShardstepProblem, type ShardConfigInput, type Shardstep } from "../../sdk/client";
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a failed request may be sent again: no answer at all, 429, or a 5xx. */
function retryable(error: unknown): boolean {
  if (error instanceof ShardstepProblem) return error.status === 429 || error.status >= 500;
  return true;
}

/**
 * Runs `request` until it succeeds, at most `attempts` times, backing off. The caller passes the
 * same Idempotency-Key on every attempt, so a push that was applied but whose answer got lost is
 * not applied twice.
 */
export async function withRetries<T>(request: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await sleep(50 * 2 ** attempt);
    }
  }
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
