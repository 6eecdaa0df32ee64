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
 * OneCycleLR (cycle_momentum off): from max_lr/div_factor up to max_lr over pct_start of the
 * steps, then down to initial/final_div_factor (three_phase: back to initial first). It ignores the
 * base lr; past total_steps it holds its last value.
 */
export function oneCycle(s: Of<"one_cycle">, _base: number, t: number): number {
  const initial = s.max_lr / s.div_factor;
  const min = initial / s.final_div_factor;
  const rise = s.pct_start * s.total_steps - 1;
  const last = s.total_steps - 1;
  const phases = s.three_phase
    ? [
        { end: rise, from: initial, to: s.max_lr },
        { end: 2 * s.pct_start * s.total_steps - 2, from: s.max_lr, to: initial },
        { end: last, from: initial, to: min },
      ]
    : [
        { end: rise, from: initial, to: s.max_lr },
        { end: last, from: s.max_lr, to: min },
      ];
  const at = Math.min(t, last);
  let start = 0;
  for (const [i, phase] of phases.entries()) {
    if (at <= phase.end || i === phases.length - 1) {
      const pct = (at - start) / (phase.end - start);
      return s.anneal_strategy === "cos"
        ? halfCosine(phase.from, phase.to, pct)
        : (phase.to - phase.from) * pct + phase.from;
    }
    start = phase.end;
  }
  throw new Error("unreachable: the last phase always answers");
}
