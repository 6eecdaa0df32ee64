import type { ScheduleSpec } from "./spec";

type Of<T extends ScheduleSpec["type"]> = Extract<ScheduleSpec, { type: T }>;

/** Number of entries of a sorted list that are <= t (Python's bisect_right). */
export function bisectRight(sorted: readonly number[], t: number): number {
  let n = 0;
  while (n < sorted.length && sorted[n]! <= t) n++;
  return n;
}

// The closed forms of PyTorch's multiplicative schedulers, at update t.
export const constant = (s: Of<"constant">, base: number, t: number) => (t < s.total_iters ? base * s.factor : base);
export const step = (s: Of<"step">, base: number, t: number) => base * s.gamma ** Math.floor(t / s.step_size);
export const multistep = (s: Of<"multistep">, base: number, t: number) => base * s.gamma ** bisectRight(s.milestones, t);
export const exponential = (s: Of<"exponential">, base: number, t: number) => base * s.gamma ** t;
export const inverseTime = (s: Of<"inverse_time">, base: number, t: number) => base / (1 + s.decay_rate * t);
export const linear = (s: Of<"linear">, base: number, t: number) =>
  base * (s.start_factor + ((s.end_factor - s.start_factor) * Math.min(s.total_iters, t)) / s.total_iters);
export const polynomial = (s: Of<"polynomial">, base: number, t: number) =>
  base * (1 - Math.min(s.total_iters, t) / s.total_iters) ** s.power;

/**
 * `1/√n` decay of the 1-based update number n = t + 1 (the Adam paper's α_t = α/√t); with
 * `warmup_steps` w > 1, a linear warmup `n/w` up to n = w, then `√(w/n)` (continuous at n = w).
 */
export function inverseSqrt(s: Of<"inverse_sqrt">, base: number, t: number): number {
  const n = t + 1;
  const w = Math.max(1, s.warmup_steps);
  return n < w ? (base * n) / w : base * Math.sqrt(w / n);
}
