import type { ScheduleSpec } from "./spec";

type Of<T extends ScheduleSpec["type"]> = Extract<ScheduleSpec, { type: T }>;

const halfCosine = (from: number, to: number, progress: number) =>
  to + ((from - to) * (1 + Math.cos(Math.PI * progress))) / 2;

/** CosineAnnealingLR: `eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2`, periodic past T_max. */
export const cosine = (s: Of<"cosine">, base: number, t: number) => halfCosine(base, s.eta_min, t / s.T_max);

/** CosineAnnealingWarmRestarts: cycles of T_0, T_0·T_mult, T_0·T_mult², ... updates. */
export function cosineRestarts(s: Of<"cosine_restarts">, base: number, t: number): number {
  let cycle = s.T_0;
  let within = t;
  while (within >= cycle) {
    within -= cycle;
    cycle *= s.T_mult;
  }
  return halfCosine(base, s.eta_min, within / cycle);
}

/**
 * OneCycleLR: the lr goes from max_lr/div_factor up to max_lr over pct_start of the steps, then
 * down to initial/final_div_factor (three_phase: back to initial first). It ignores the base lr;
 * past total_steps it holds its last value.
 */
export const oneCycle = (s: Of<"one_cycle">, _base: number, t: number): number => oneCycleAt(s, t, "lr");

/**
 * OneCycleLR's momentum (cycle_momentum): max_momentum down to base_momentum while the lr rises,
 * back up while it falls (three_phase: held at max_momentum in the last phase).
 */
export const oneCycleMomentum = (s: Of<"one_cycle">, t: number): number => oneCycleAt(s, t, "momentum");

function oneCycleAt(s: Of<"one_cycle">, t: number, of: "lr" | "momentum"): number {
  const initial = s.max_lr / s.div_factor;
  const min = initial / s.final_div_factor;
  const [low, high] = [s.base_momentum, s.max_momentum];
  const rise = s.pct_start * s.total_steps - 1;
  const last = s.total_steps - 1;
  const phases = s.three_phase
    ? [
        { end: rise, lr: [initial, s.max_lr], momentum: [high, low] },
        { end: 2 * s.pct_start * s.total_steps - 2, lr: [s.max_lr, initial], momentum: [low, high] },
        { end: last, lr: [initial, min], momentum: [high, high] },
      ]
    : [
        { end: rise, lr: [initial, s.max_lr], momentum: [high, low] },
        { end: last, lr: [s.max_lr, min], momentum: [low, high] },
      ];
  const at = Math.min(t, last);
  let start = 0;
  for (const [i, phase] of phases.entries()) {
    if (at <= phase.end || i === phases.length - 1) {
      const pct = (at - start) / (phase.end - start);
      const [from, to] = phase[of] as [number, number];
      return s.anneal_strategy === "cos" ? halfCosine(from, to, pct) : (to - from) * pct + from;
    }
    start = phase.end;
  }
  throw new Error("unreachable: the last phase always answers");
}
