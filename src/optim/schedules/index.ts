import { cosine, cosineRestarts, oneCycle, oneCycleMomentum } from "./cosine";
import { bisectRight, constant, exponential, inverseSqrt, inverseTime, linear, multistep, polynomial, step } from "./decay";
import type { PlateauState } from "./plateau";
import type { ScheduleSpec } from "./spec";

export * from "./plateau";
export * from "./envelope";
export * from "./spec";

/**
 * The learning rate for update t (t = 0 for the first update, i.e. the shard's version before the
 * update), given the base lr. A plateau schedule's lr is its state's, reduced by metric reports.
 */
export function learningRateAt(spec: ScheduleSpec, base: number, t: number, plateau?: PlateauState): number {
  switch (spec.type) {
    case "constant":
      return constant(spec, base, t);
    case "step":
      return step(spec, base, t);
    case "multistep":
      return multistep(spec, base, t);
    case "exponential":
      return exponential(spec, base, t);
    case "inverse_time":
      return inverseTime(spec, base, t);
    case "inverse_sqrt":
      return inverseSqrt(spec, base, t);
    case "cosine":
      return cosine(spec, base, t);
    case "cosine_restarts":
      return cosineRestarts(spec, base, t);
    case "linear":
      return linear(spec, base, t);
    case "polynomial":
      return polynomial(spec, base, t);
    case "one_cycle":
      return oneCycle(spec, base, t);
    case "sequence": {
      const i = bisectRight(spec.milestones, t);
      const start = i === 0 ? 0 : spec.milestones[i - 1]!;
      return learningRateAt(spec.schedules[i]!, base, t - start);
    }
    case "plateau":
      return plateau?.lr ?? base;
  }
}

/**
 * The momentum a one_cycle schedule with cycle_momentum sets for update t, when the schedule in
 * force at t is one (directly or as the current part of a sequence); undefined otherwise.
 */
export function cycledMomentumAt(spec: ScheduleSpec, t: number): number | undefined {
  if (spec.type === "one_cycle") return spec.cycle_momentum ? oneCycleMomentum(spec, t) : undefined;
  if (spec.type !== "sequence") return undefined;
  const i = bisectRight(spec.milestones, t);
  return cycledMomentumAt(spec.schedules[i]!, t - (i === 0 ? 0 : spec.milestones[i - 1]!));
}

/** The types of a schedule and of every part of its sequences, at any depth. */
export function partTypes(spec: ScheduleSpec): ScheduleSpec["type"][] {
  return spec.type === "sequence" ? spec.schedules.flatMap(partTypes) : [spec.type];
}
