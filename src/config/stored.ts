import type { ScheduleSpec } from "../optim";
import type { ShardConfig } from "./shard";
import { DEFAULT_GRADIENT_LOG } from "./gradient-log";

/**
 * Configurations stored before a field existed read as they behaved then: a one_cycle schedule
 * without `cycle_momentum` did not cycle momentum (false, torch's other arguments at their
 * defaults), no `schedules` of hyperparameters, an EMA without a `decay_schedule`, the default
 * bound of the gradient log.
 */
export function storedConfig(json: string): ShardConfig {
  const config = JSON.parse(json) as ShardConfig;
  return {
    ...config,
    schedule: beforeCycling(config.schedule),
    schedules: config.schedules ?? {},
    gradient_log: config.gradient_log ?? DEFAULT_GRADIENT_LOG,
    averages: Object.fromEntries(Object.entries(config.averages).map(([n, a]) => [n, a.kind === "ema" ? { ...a, decay_schedule: a.decay_schedule ?? null } : a])),
  };
}

function beforeCycling(spec: ScheduleSpec): ScheduleSpec {
  if (spec.type === "one_cycle" && spec.cycle_momentum === undefined) return { ...spec, cycle_momentum: false, base_momentum: 0.85, max_momentum: 0.95 };
  return spec.type === "sequence" ? { ...spec, schedules: spec.schedules.map(beforeCycling) } : spec;
}

/**
 * A configuration as a client sends it, read with the defaults of before momentum cycling: a
 * re-PUT of the input that created a shard then still finds it the same.
 */
export function asBeforeCycling(input: unknown): unknown {
  const walk = (s: unknown): unknown => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) return s;
    const o = s as Record<string, unknown>;
    if (o.type === "one_cycle" && !("cycle_momentum" in o)) return { ...o, cycle_momentum: false };
    return o.type === "sequence" && Array.isArray(o.schedules) ? { ...o, schedules: o.schedules.map(walk) } : o;
  };
  if (typeof input !== "object" || input === null || !("schedule" in input)) return input;
  return { ...input, schedule: walk((input as { schedule: unknown }).schedule) };
}
