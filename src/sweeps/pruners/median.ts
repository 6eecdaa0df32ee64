import { better, intermediateValues, lastStep, type Direction } from "../space";
import type { Pruner } from "./pruner";

/** The best of the values ignoring NaN (numpy's nanmin / nanmax): NaN when all are NaN. */
function bestIgnoringNaN(values: readonly number[], direction: Direction): number {
  const numbers = values.filter((v) => !Number.isNaN(v));
  if (numbers.length === 0) return NaN;
  return numbers.reduce((a, b) => (better(direction, b, a) ? b : a));
}

/**
 * numpy's nanpercentile(values, 50) (its default, linear method), to the bit: NaN removed, then
 * numpy's two-sided lerp between the neighbours of the virtual index (n - 1) / 2. The lerp is kept
 * as numpy writes it because it decides the infinite cases: a + (b - a)·0 is NaN when b is
 * infinite, so e.g. the median of [1, 2, ∞] is NaN (and then nothing is pruned).
 */
export function nanMedian(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  const virtual = 0.5 * (n - 1);
  const [previous, next] = virtual >= n - 1 ? [n - 1, n - 1] : [Math.floor(virtual), Math.floor(virtual) + 1];
  const gamma = virtual - Math.floor(virtual);
  const a = sorted[previous]!;
  const b = sorted[next]!;
  const difference = b - a;
  return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma;
}

export interface MedianOptions {
  /** No pruning until this many trials have completed (Optuna's n_startup_trials). */
  readonly startup_trials: number;
  /** No pruning at steps below this (Optuna's n_warmup_steps). */
  readonly warmup_steps: number;
}

/**
 * Optuna 3.1's MedianPruner (interval_steps 1, n_min_trials 1): at the trial's last step, prune
 * when its best value so far (NaNs ignored; all NaN → prune) is worse than the median of the
 * complete trials' values at that same step. Never while fewer than `startup_trials` trials are
 * complete (and never with none), below `warmup_steps`, or when no complete trial reported a
 * non-NaN value at that step. With interval 1 Optuna's interval test always passes.
 */
export function median({ startup_trials, warmup_steps }: MedianOptions): Pruner {
  return ({ direction, trial, others }) => {
    const complete = others.filter((t) => t.state === "complete");
    if (complete.length === 0 || complete.length < startup_trials) return false;
    const values = intermediateValues(trial.reports);
    const step = lastStep(values);
    if (step === undefined || step < warmup_steps) return false;
    const best = bestIgnoringNaN([...values.values()], direction);
    if (Number.isNaN(best)) return true;
    const atStep = complete.map((t) => intermediateValues(t.reports).get(step)).filter((v) => v !== undefined);
    const threshold = nanMedian(atStep);
    if (Number.isNaN(threshold)) return false;
    return direction === "maximize" ? best < threshold : best > threshold;
  };
}
