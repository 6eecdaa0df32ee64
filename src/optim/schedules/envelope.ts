import type { ScheduleSpec } from "./spec";

/** The smallest and largest value a schedule takes over all updates (the infimum and supremum: a limit counts as taken). */
export interface ScheduleRange {
  readonly lo: number;
  readonly hi: number;
}

const between = (...values: number[]): ScheduleRange => ({ lo: Math.min(...values), hi: Math.max(...values) });

/** `base · γ^k` for k = 0, 1, 2, ... without end. */
function geometric(base: number, gamma: number): ScheduleRange {
  if (base === 0 || gamma === 1) return between(base);
  return between(base, gamma < 1 ? 0 : base * Infinity);
}

/** Where the values of `spec` applied to `base` stay, for bounds known before training. */
export function scheduleRange(spec: ScheduleSpec, base: number): ScheduleRange {
  switch (spec.type) {
    case "constant":
      return spec.total_iters > 0 ? between(base, base * spec.factor) : between(base);
    case "step":
    case "exponential":
      return geometric(base, spec.gamma);
    case "multistep":
      return between(...Array.from({ length: spec.milestones.length + 1 }, (_, k) => base * spec.gamma ** k));
    case "inverse_time":
    case "inverse_sqrt":
    case "polynomial":
      return between(0, base);
    case "cosine":
    case "cosine_restarts":
      return between(base, spec.eta_min);
    case "linear":
      return between(base * spec.start_factor, base * spec.end_factor);
    case "one_cycle": {
      const initial = spec.max_lr / spec.div_factor;
      return between(initial, spec.max_lr, initial / spec.final_div_factor);
    }
    case "sequence": {
      const parts = spec.schedules.map((s) => scheduleRange(s, base));
      return between(...parts.map((p) => p.lo), ...parts.map((p) => p.hi));
    }
    case "plateau":
      return between(base, spec.min_lr);
  }
}
