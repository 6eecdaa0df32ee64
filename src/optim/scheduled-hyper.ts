import { HyperparameterError, type FieldSpec, type Hyper } from "./hyper";
import { resolveRuleHyper, specOf, stateShape, type ShardRuleName } from "./shard-rules";
import { cycledMomentumAt, learningRateAt, partTypes, resolveSchedule, scheduleRange, type ScheduleSpec } from "./schedules";

/**
 * Schedules of a rule's scalar hyperparameters: `schedules` maps a path (a number field such as
 * "momentum", or one element of a pair such as "betas.0") to a schedule that scales the field's
 * configured value exactly as `schedule` scales the base lr. The value in force for update t
 * (0-based) is `learningRateAt(schedule, configured, t)`.
 */
export type HyperSchedules = Readonly<Record<string, ScheduleSpec>>;

/** Fields that act only when the state is created: a schedule of them would change nothing. */
const INITIAL_ONLY = new Set(["initial_accumulator_value"]);

/** Schedule types a hyperparameter may not follow: their values are the lr's (one_cycle) or driven by metrics (plateau). */
const LR_ONLY = new Set(["one_cycle", "plateau"]);

type NumberField = Extract<FieldSpec, { kind: "number" | "pair" }>;

/** The field a path names, or why it cannot be scheduled. */
function fieldOf(rule: ShardRuleName, path: string): NumberField | string {
  const spec = specOf(rule);
  const [name, index, ...rest] = path.split(".");
  const field = spec[name!];
  if (name === "lr") return "the lr follows the configuration's 'schedule'";
  if (field === undefined || rest.length > 0) return `${rule} has no hyperparameter '${path}'`;
  if (field.kind === "pair") {
    return index === "0" || index === "1" ? field : `'${name}' is a pair: schedule '${name}.0' or '${name}.1'`;
  }
  if (index !== undefined) return `${rule} has no hyperparameter '${path}'`;
  if (field.kind !== "number" || field.integer) return `'${path}' is not a real number`;
  if (INITIAL_ONLY.has(name!)) return `'${path}' only sets the state's initial value`;
  return field;
}

/** The paths a rule's schedules may name. */
export function schedulablePaths(rule: ShardRuleName): string[] {
  return Object.entries(specOf(rule)).flatMap(([name, f]) =>
    f.kind === "pair" ? [`${name}.0`, `${name}.1`] : typeof fieldOf(rule, name) === "string" ? [] : [name],
  );
}

export function valueAt(hyper: Hyper, path: string): number {
  const [name, index] = path.split(".");
  const v = hyper[name!];
  return (index === undefined ? v : (v as readonly number[])[Number(index)]) as number;
}

/** `hyper` with the values at `paths` replaced: a new object, pairs copied. */
export function withValues(hyper: Hyper, values: Readonly<Record<string, number>>): Hyper {
  const out: Hyper = { ...hyper };
  for (const [path, value] of Object.entries(values)) {
    const [name, index] = path.split(".");
    if (index === undefined) out[name!] = value;
    else out[name!] = Object.assign([...(out[name!] as readonly number[])], { [Number(index)]: value });
  }
  return out;
}

/**
 * The path OneCycleLR's cycle_momentum drives: `betas.0` for a rule with betas, else `momentum`;
 * undefined for a rule with neither (torch refuses such an optimizer).
 */
export function cycledPath(rule: ShardRuleName): string | undefined {
  const spec = specOf(rule);
  if (spec.betas?.kind === "pair") return "betas.0";
  return spec.momentum?.kind === "number" ? "momentum" : undefined;
}

/** The one_cycle schedules of `spec` (itself or parts of a sequence) that cycle momentum. */
function cycling(spec: ScheduleSpec): Extract<ScheduleSpec, { type: "one_cycle" }>[] {
  if (spec.type === "one_cycle") return spec.cycle_momentum ? [spec] : [];
  return spec.type === "sequence" ? spec.schedules.flatMap(cycling) : [];
}

/** What decides the hyperparameters in force: the rule, its configured values and both kinds of schedules. */
export interface ScheduledConfig {
  readonly rule: ShardRuleName;
  readonly hyper: Hyper;
  readonly schedule: ScheduleSpec;
  /** Absent in configurations stored before schedules of hyperparameters existed. */
  readonly schedules?: HyperSchedules;
}

/**
 * The hyperparameters the optimizer state is shaped by: the configured ones, with a cycled
 * momentum at max_momentum (OneCycleLR sets it when constructed, so SGD(momentum=0) gets a buffer).
 */
export function structuralHyper(config: ScheduledConfig): Hyper {
  const cycle = cycling(config.schedule)[0];
  const path = cycledPath(config.rule);
  return cycle && path ? withValues(config.hyper, { [path]: cycle.max_momentum }) : config.hyper;
}

const cyclesMomentum = (spec: ScheduleSpec): boolean =>
  spec.type === "one_cycle" ? spec.cycle_momentum === true : spec.type === "sequence" && spec.schedules.some(cyclesMomentum);

/** Whether any hyperparameter changes from update to update (asked every step: allocates nothing). */
export function hasScheduledHyper(config: ScheduledConfig): boolean {
  for (const _path in config.schedules) return true;
  return cyclesMomentum(config.schedule);
}

/**
 * The scheduled values in force for update t (0-based, counted from the shard's first update),
 * with the lr schedule at `lrStep` (t minus its origin), by path; empty when nothing is scheduled.
 * Outside its part of a sequence a momentum cycle holds max_momentum, where it starts and ends.
 */
export function scheduledValues(config: ScheduledConfig, t: number, lrStep: number): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [path, spec] of Object.entries(config.schedules ?? {})) values[path] = learningRateAt(spec, valueAt(config.hyper, path), t);
  const cycles = cycling(config.schedule);
  const path = cycledPath(config.rule);
  if (cycles.length > 0 && path) values[path] = cycledMomentumAt(config.schedule, lrStep) ?? cycles[0]!.max_momentum;
  return values;
}

/** The hyperparameters in force for update t: the configured object itself when nothing is scheduled. */
export function hyperInForce(config: ScheduledConfig, t: number, lrStep: number): Hyper {
  if (!hasScheduledHyper(config)) return config.hyper;
  return withValues(structuralHyper(config), scheduledValues(config, t, lrStep));
}

/** The names of the state (slots and scalars) a rule keeps for these hyperparameters. */
export function stateNames(rule: ShardRuleName, hyper: Hyper): string[] {
  const t = stateShape(rule, hyper, 1);
  return [...t.slots, ...t.scalars].map((s) => s.name);
}

const describeRange = (lo: number, hi: number) => (lo === hi ? `${lo}` : `from ${lo} to ${hi}`);

function outOfBounds(field: NumberField, v: number): boolean {
  return (
    Number.isNaN(v) ||
    (field.min !== undefined && v < field.min) ||
    (field.above !== undefined && v <= field.above) ||
    (field.max !== undefined && v > field.max) ||
    (field.below !== undefined && v >= field.below)
  );
}

function boundsText(field: NumberField): string {
  const parts: string[] = [];
  if (field.min !== undefined) parts.push(`>= ${field.min}`);
  if (field.above !== undefined) parts.push(`> ${field.above}`);
  if (field.max !== undefined) parts.push(`<= ${field.max}`);
  if (field.below !== undefined) parts.push(`< ${field.below}`);
  return parts.join(" and ");
}

/** Refuses a value range a field cannot take, and one that would use state the shard does not keep. */
function checkValues(config: ScheduledConfig, owner: string, path: string, lo: number, hi: number, first: number): void {
  const field = fieldOf(config.rule, path) as NumberField;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new HyperparameterError(owner, `${owner}: its values go ${describeRange(lo, hi)}; a hyperparameter's schedule must stay finite (a gamma above 1 grows without end)`);
  }
  for (const v of [lo, hi]) {
    if (outOfBounds(field, v)) {
      throw new HyperparameterError(owner, `${owner}: its values go ${describeRange(lo, hi)}, and ${config.rule}'s '${path}' must stay ${boundsText(field)}`);
    }
  }
  const structure = structuralHyper(config);
  try {
    resolveRuleHyper(config.rule, withValues(structure, { [path]: hi }));
  } catch (e) {
    if (!(e instanceof HyperparameterError)) throw e;
    throw new HyperparameterError(owner, `${owner}: its values reach ${path} = ${hi}, where ${e.message}`);
  }
  const kept = new Set(stateNames(config.rule, structure));
  for (const v of [lo, hi]) {
    const extra = stateNames(config.rule, withValues(structure, { [path]: v })).filter((n) => !kept.has(n));
    if (extra.length > 0) {
      throw new HyperparameterError(
        owner,
        `${owner}: at ${path} = ${v} ${config.rule} needs state the shard does not keep (${extra.join(", ")}) with ${path} = ${valueAt(structure, path)}; configure ${path} so that it keeps it`,
      );
    }
  }
  const unused = [...kept].filter((n) => !stateNames(config.rule, withValues(structure, { [path]: first })).includes(n));
  if (unused.length > 0) {
    throw new HyperparameterError(
      owner,
      `${owner}: it starts at ${path} = ${first}, where ${config.rule} leaves ${unused.join(", ")} unused; torch creates that state at the first update, so start the schedule where it is used`,
    );
  }
}

/**
 * Validates `schedules` (as given, schedules not yet resolved) for a configuration and resolves
 * each schedule; also checks the lr schedule's momentum cycling. Throws HyperparameterError.
 */
export function resolveHyperSchedules(config: Omit<ScheduledConfig, "schedules">, input: unknown): HyperSchedules {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new HyperparameterError("schedules", `schedules must be an object from a hyperparameter's path to its schedule, got ${JSON.stringify(input)}`);
  }
  const schedules: Record<string, ScheduleSpec> = {};
  for (const [path, given] of Object.entries(input as Record<string, unknown>)) {
    const owner = `schedules.${path}`;
    const field = fieldOf(config.rule, path);
    if (typeof field === "string") {
      throw new HyperparameterError(owner, `${owner}: ${field}; ${config.rule} can schedule ${schedulablePaths(config.rule).join(", ") || "nothing"}`);
    }
    const spec = resolveSchedule(given, owner);
    const lrOnly = partTypes(spec).find((type) => LR_ONLY.has(type));
    if (lrOnly) throw new HyperparameterError(owner, `${owner}: a hyperparameter cannot follow a ${lrOnly} schedule (it drives the lr only)`);
    schedules[path] = spec;
  }
  const full = { ...config, schedules };
  const cycles = cycling(config.schedule);
  if (cycles.length > 0) {
    const path = cycledPath(config.rule);
    if (path === undefined) {
      throw new HyperparameterError("schedule", `schedule (one_cycle): ${config.rule} has neither momentum nor betas to cycle; set cycle_momentum false`);
    }
    if (path in schedules) {
      throw new HyperparameterError(`schedules.${path}`, `schedules.${path}: the one_cycle schedule cycles ${path} (cycle_momentum); remove this schedule or set cycle_momentum false`);
    }
    for (const c of cycles) checkValues(full, "schedule (one_cycle)", path, Math.min(c.base_momentum, c.max_momentum), Math.max(c.base_momentum, c.max_momentum), c.max_momentum);
  }
  for (const [path, spec] of Object.entries(schedules)) {
    const base = valueAt(config.hyper, path);
    const { lo, hi } = scheduleRange(spec, base);
    checkValues(full, `schedules.${path}`, path, lo, hi, learningRateAt(spec, base, 0));
  }
  return schedules;
}
