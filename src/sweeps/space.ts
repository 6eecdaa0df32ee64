/**
 * A sweep's search space and its trials as the search algorithms see them: plain data, no
 * platform. Every numeric parameter has an internal scale on which samplers work and ranges are
 * measured: the logarithm for log-scaled parameters, the value itself otherwise.
 */
export type ParamValue = number | string | boolean;
/** Parameter name → value, in the space's order. */
export type Assignment = Record<string, ParamValue>;

export type ParamSpec =
  | { readonly kind: "log_uniform"; readonly low: number; readonly high: number }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number }
  | { readonly kind: "int"; readonly low: number; readonly high: number; readonly log: boolean }
  | { readonly kind: "choice"; readonly values: readonly ParamValue[] };

export interface Param {
  readonly name: string;
  readonly spec: ParamSpec;
}

/** The parameters in their declared order (the order matters: it fixes the draws of a seed). */
export type Space = readonly Param[];

export type Direction = "minimize" | "maximize";

export type TrialState = "running" | "complete" | "pruned" | "failed";

export interface Report {
  /** The resource used when the value was measured (step, epoch, ...): increasing within a trial. */
  readonly step: number;
  /** The objective at that step. */
  readonly value: number;
}

/** A trial as the algorithms see it. */
export interface TrialRecord {
  /** Its number: the order in which the sweep suggested it, from 0. */
  readonly number: number;
  readonly params: Assignment;
  readonly state: TrialState;
  /** The final objective of a complete trial, else null. */
  readonly value: number | null;
  /** Intermediate objective values, by increasing step. */
  readonly reports: readonly Report[];
  /** Its coarse-to-fine stage (0 for every other algorithm). */
  readonly stage: number;
}

/** True for the parameters searched on a logarithmic scale. */
export function isLog(spec: ParamSpec): boolean {
  return spec.kind === "log_uniform" || (spec.kind === "int" && spec.log);
}

/** A numeric parameter's value on its internal scale. */
export function toInternal(spec: Exclude<ParamSpec, { kind: "choice" }>, value: number): number {
  return isLog(spec) ? Math.log(value) : value;
}

/** The value of a point of the internal scale (an int rounded to the nearest integer within its bounds). */
export function fromInternal(spec: Exclude<ParamSpec, { kind: "choice" }>, x: number): number {
  const v = isLog(spec) ? Math.exp(x) : x;
  if (spec.kind !== "int") return Math.min(spec.high, Math.max(spec.low, v));
  return Math.min(spec.high, Math.max(spec.low, Math.round(v)));
}

/**
 * The internal range of a numeric parameter. An int's range reaches half a unit beyond each
 * bound (on the log scale for log ints) so that rounding gives every integer its share.
 */
export function internalRange(spec: Exclude<ParamSpec, { kind: "choice" }>): [number, number] {
  if (spec.kind !== "int") return [toInternal(spec, spec.low), toInternal(spec, spec.high)];
  const low = spec.low - 0.5;
  const high = spec.high + 0.5;
  // A log int's low is at least 1 (the sweep's validation), so low - 0.5 > 0.
  return spec.log ? [Math.log(low), Math.log(high)] : [low, high];
}

/** `a` is better than `b` in this direction (NaN never is). */
export function better(direction: Direction, a: number, b: number): boolean {
  return direction === "minimize" ? a < b : a > b;
}

/** The complete trials, best first (ties by number). */
export function ranked(trials: readonly TrialRecord[], direction: Direction): TrialRecord[] {
  const done = trials.filter((t) => t.state === "complete" && t.value !== null && Number.isFinite(t.value));
  const sign = direction === "minimize" ? 1 : -1;
  return done.sort((a, b) => sign * (a.value! - b.value!) || a.number - b.number);
}

/**
 * A trial's intermediate values by step, as Optuna keeps them: the first report of a step wins
 * (Optuna ignores a repeated step).
 */
export function intermediateValues(reports: readonly Report[]): Map<number, number> {
  const values = new Map<number, number>();
  for (const { step, value } of reports) if (!values.has(step)) values.set(step, value);
  return values;
}

/** The largest step of a trial's intermediate values (Optuna's last_step), undefined when it has none. */
export function lastStep(values: ReadonlyMap<number, number>): number | undefined {
  let last: number | undefined;
  for (const step of values.keys()) if (last === undefined || step > last) last = step;
  return last;
}
