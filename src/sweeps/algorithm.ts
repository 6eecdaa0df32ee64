import type { Direction, Space } from "./space";

/** How the next trial's parameters are chosen. */
export type Algorithm =
  | { readonly kind: "random" }
  /** Every combination of `points` values per numeric parameter (evenly spaced on its scale) and every choice, in a seeded order. */
  | { readonly kind: "grid"; readonly points: number }
  /**
   * Stages of random search: stage k+1 samples within ranges narrowed around the best trial so
   * far (each numeric range `shrink` times as wide as the last; choices to those of stage k's top
   * quarter) and gives each trial its own budget. A stage starts when every trial of the previous
   * one has finished.
   */
  | { readonly kind: "coarse_to_fine"; readonly stages: readonly Stage[]; readonly shrink: number }
  /** Tree-structured Parzen estimator (Bergstra et al. 2011; Optuna's defaults). */
  | { readonly kind: "tpe"; readonly startup_trials: number; readonly candidates: number; readonly prior_weight: number };

export interface Stage {
  /** Trials of the stage. */
  readonly trials: number;
  /** The resource each of its trials may use (steps, epochs: the sweep's unit). */
  readonly budget: number;
}

/** When a running trial stops early, judged on its intermediate reports. */
export type PrunerSpec =
  | { readonly kind: "none" }
  /** Optuna's MedianPruner: stop when the best value so far is worse than the median of other trials at the same step. */
  | { readonly kind: "median"; readonly startup_trials: number; readonly warmup_steps: number }
  /** Asynchronous successive halving (Li et al. 2020; Optuna's SuccessiveHalvingPruner). */
  | { readonly kind: "asha"; readonly min_resource: number; readonly reduction_factor: number; readonly min_early_stopping_rate: number };

/** Everything the search decides from: the sweep's space, objective direction, seed, algorithm, budgets and pruner. */
export interface SearchPlan {
  readonly space: Space;
  readonly direction: Direction;
  readonly seed: number;
  readonly algorithm: Algorithm;
  /** Trials to run in all (a coarse-to-fine sweep's is the sum of its stages). */
  readonly trials: number;
  /** The resource per trial (coarse-to-fine: each stage's own). */
  readonly budget: number;
  readonly pruner: PrunerSpec;
}
