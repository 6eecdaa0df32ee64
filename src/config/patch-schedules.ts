import { resolveSchedule, type ScheduleSpec } from "../optim";

const IDENTITY: ScheduleSpec = { type: "constant", factor: 1, total_iters: 0 };

/**
 * A schedule given at `step`, kept in the configuration as what it is: the sequence that follows
 * `previous` (the configured value when none) until `step` and `next` from there (counted from 0
 * at `step`). A previous sequence is cut at `step` rather than nested, so its depth does not grow.
 */
export function startingAt(previous: ScheduleSpec | undefined, next: ScheduleSpec, step: number): ScheduleSpec {
  if (step === 0) return next;
  const before = previous ?? IDENTITY;
  if (before.type !== "sequence") return { type: "sequence", schedules: [before, next], milestones: [step] };
  const kept = before.milestones.filter((m) => m < step);
  return { type: "sequence", schedules: [...before.schedules.slice(0, kept.length + 1), next], milestones: [...kept, step] };
}

/**
 * Schedules of hyperparameters after a PATCH at `step`: by path, null stops scheduling the field,
 * a schedule replaces the current one from `step` on. Throws HyperparameterError.
 */
export function afterPatch(current: Readonly<Record<string, ScheduleSpec>>, patch: Readonly<Record<string, unknown>>, step: number): Record<string, ScheduleSpec> {
  const out = { ...current };
  for (const [path, given] of Object.entries(patch)) {
    if (given === null) delete out[path];
    else out[path] = startingAt(current[path], resolveSchedule(given, `schedules.${path}`), step);
  }
  return out;
}
