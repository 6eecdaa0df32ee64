import { learningRateAt, type ScheduleSpec } from "./schedules";

/**
 * Running averages of the weights, as torch.optim.swa_utils.AveragedModel keeps them: the first
 * averaged weights are copied, later ones folded in. EMA: `avg = decay * avg + (1 - decay) * w`.
 * SWA: the equal-weight mean `avg += (w - avg) / (count + 1)` of the weights at every version
 * from `start` on.
 */
export type AverageSpec =
  | { readonly kind: "ema"; readonly decay: number; readonly decay_schedule?: ScheduleSpec | null }
  | { readonly kind: "swa"; readonly start: number };

/**
 * The average as it folds in the weights after update t (0-based): an EMA's decay follows its
 * `decay_schedule` (scaling `decay`); the spec itself when nothing is scheduled.
 */
export function averageInForce(spec: AverageSpec, t: number): AverageSpec {
  if (spec.kind !== "ema" || !spec.decay_schedule) return spec;
  return { kind: "ema", decay: learningRateAt(spec.decay_schedule, spec.decay, t) };
}

export interface AverageState {
  /** How many weight vectors have been folded in. */
  count: number;
  values: Float32Array;
}

/** Before anything is folded in, an average holds the weights it was created from (as AveragedModel's copy). */
export function initAverage(weights: Float32Array): AverageState {
  return { count: 0, values: Float32Array.from(weights) };
}

/** Whether the weights at `version` are folded into this average. */
export function averages(spec: AverageSpec, version: number): boolean {
  return spec.kind === "ema" || version >= spec.start;
}

/** The weight the new vector gets: `avg = avg + weight * (w - avg)`. */
export function averageWeight(spec: AverageSpec, count: number): number {
  if (count === 0) return 1;
  return spec.kind === "ema" ? 1 - spec.decay : 1 / (count + 1);
}

export function updateAverage(spec: AverageSpec, avg: AverageState, weights: Float32Array, version: number): void {
  if (!averages(spec, version)) return;
  const values = avg.values;
  if (avg.count === 0) {
    values.set(weights);
  } else if (spec.kind === "ema") {
    // In float32 operations, as PyTorch evaluates `decay * avg + (1 - decay) * w`.
    const d = Math.fround(spec.decay);
    const e = Math.fround(1 - spec.decay);
    const f = Math.fround;
    for (let i = 0; i < values.length; i++) values[i] = f(d * values[i]!) + f(e * weights[i]!);
  } else {
    const n = avg.count;
    for (let i = 0; i < values.length; i++) values[i] = values[i]! + (weights[i]! - values[i]!) / (n + 1);
  }
  avg.count += 1;
}
