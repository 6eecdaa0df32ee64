/**
 * The search: a coarse-to-fine sweep of softmax regression on MNIST over the learning rate (log
 * scale), the momentum and the update rule, stopped early by the median rule. Each trial trains its
 * own shard, made by the server from the template with the trial's parameters written in.
 */
import type { SweepConfig } from "../../sdk/client";
import { PARAMETERS } from "../mnist/model";

/** The rules searched (`GET /v1/rules`): SGD and RMSProp have a momentum; Adam has none (the trial lists it as unapplied). */
export const RULES = ["sgd", "rmsprop", "adam"] as const;

/** The learning rate's range: the wide default, and the too-narrow one of `--narrow`. */
export const LR_RANGE = { wide: [1e-6, 10], narrow: [1e-6, 1e-4] } as const;

export interface Stage {
  /** Trials of the stage. */
  trials: number;
  /** Steps (pushes of one minibatch) each of its trials may take. */
  steps: number;
}

export interface SearchSettings {
  /** The coarse stage, then the fine one (or more): each narrowed around the best so far. */
  stages: readonly Stage[];
  /** Each stage's numeric ranges are this fraction of the previous one's. */
  shrink: number;
  /** Use the too-narrow learning-rate range (1e-6 to 1e-4). */
  narrow: boolean;
  /** Trials leased at once: the number of workers. */
  parallel: number;
  /** No pruning until this many trials have completed. */
  pruneAfter: number;
  /** No pruning before this step. */
  warmupSteps: number;
  /** The sweep's seed: its trials' parameters, and the trials' minibatch order. */
  seed: number;
  /** A worker that stops reporting for this long loses its trial to the next worker. */
  leaseSeconds: number;
}

export const DEFAULT_SEARCH: SearchSettings = {
  stages: [
    { trials: 16, steps: 60 },
    { trials: 8, steps: 200 },
  ],
  shrink: 0.5,
  narrow: false,
  parallel: 4,
  pruneAfter: 4,
  warmupSteps: 20,
  seed: 3,
  leaseSeconds: 120,
};

/** The sweep's configuration (PUT /v1/sweeps/{sweep}); docs/sweeps.md describes every field. */
export function sweepConfig(s: SearchSettings): SweepConfig {
  const [low, high] = s.narrow ? LR_RANGE.narrow : LR_RANGE.wide;
  return {
    objective: { metric: "loss", direction: "minimize" },
    space: {
      lr: { kind: "log_uniform", low, high, target: "hyper.lr" },
      momentum: { kind: "uniform", low: 0.5, high: 0.99, target: "hyper.momentum" },
      rule: { kind: "choice", values: [...RULES], target: "rule" },
    },
    algorithm: { kind: "coarse_to_fine", stages: s.stages.map((stage) => ({ trials: stage.trials, budget: stage.steps })), shrink: s.shrink },
    pruner: { kind: "median", startup_trials: s.pruneAfter, warmup_steps: s.warmupSteps },
    budget: { parallel: s.parallel, unit: "steps" },
    // Every trial's shard: 7,850 floats drawn from N(0, 0.01²) with the template's seed (a replicate
    // gets a seed of its own), no rate limit; the trial's rule, lr and momentum are written in.
    template: { shard: { length: PARAMETERS, rule: "sgd", hyper: { lr: 0.01, momentum: 0.9 }, init: { kind: "normal", std: 0.01, seed: 1 }, rate_limit: null } },
    seed: s.seed,
    lease_seconds: s.leaseSeconds,
  };
}
