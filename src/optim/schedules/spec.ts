import { MAX_SCHEDULE_DEPTH } from "../../limits";
import { HyperparameterError, requireThat, resolveHyper, type HyperSpec } from "../hyper";

/**
 * Learning-rate schedules as data: `type` plus PyTorch's argument names and defaults. Every one
 * but `plateau` is a pure function of the update number t (0 for the first update); `plateau`
 * is driven by reported metrics (see plateau.ts).
 */
export type ScheduleSpec =
  | { type: "constant"; factor: number; total_iters: number }
  | { type: "step"; step_size: number; gamma: number }
  | { type: "multistep"; milestones: number[]; gamma: number }
  | { type: "exponential"; gamma: number }
  | { type: "inverse_time"; decay_rate: number }
  | { type: "inverse_sqrt"; warmup_steps: number }
  | { type: "cosine"; T_max: number; eta_min: number }
  | { type: "cosine_restarts"; T_0: number; T_mult: number; eta_min: number }
  | { type: "linear"; start_factor: number; end_factor: number; total_iters: number }
  | { type: "polynomial"; total_iters: number; power: number }
  | {
      type: "one_cycle";
      max_lr: number;
      total_steps: number;
      pct_start: number;
      anneal_strategy: "cos" | "linear";
      div_factor: number;
      final_div_factor: number;
      three_phase: boolean;
      /** Cycles the rule's momentum (betas[0] for rules with betas) inversely to the lr, as OneCycleLR does. */
      cycle_momentum: boolean;
      base_momentum: number;
      max_momentum: number;
    }
  | { type: "sequence"; schedules: ScheduleSpec[]; milestones: number[] }
  | PlateauSpec;

export interface PlateauSpec {
  type: "plateau";
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  threshold_mode: "rel" | "abs";
  cooldown: number;
  min_lr: number;
  eps: number;
}

export type ScheduleType = ScheduleSpec["type"];

const count = (value: number, min = 0) => ({ kind: "number", default: value, min, integer: true }) as const;
const positive = (value: number) => ({ kind: "number", default: value, above: 0 }) as const;
const nonNegative = (value: number) => ({ kind: "number", default: value, min: 0 }) as const;

export const scheduleSpecs: Record<Exclude<ScheduleType, "sequence">, HyperSpec> = {
  constant: { factor: { kind: "number", default: 1, min: 0, max: 1 }, total_iters: count(0) },
  step: { step_size: count(1, 1), gamma: nonNegative(0.1) },
  multistep: { milestones: { kind: "numbers", default: [], increasing: true }, gamma: nonNegative(0.1) },
  exponential: { gamma: nonNegative(0.1) },
  inverse_time: { decay_rate: nonNegative(1) },
  inverse_sqrt: { warmup_steps: count(0) },
  cosine: { T_max: count(1, 1), eta_min: nonNegative(0) },
  cosine_restarts: { T_0: count(1, 1), T_mult: count(1, 1), eta_min: nonNegative(0) },
  linear: {
    start_factor: { kind: "number", default: 1 / 3, above: 0, max: 1 },
    end_factor: { kind: "number", default: 1, min: 0, max: 1 },
    total_iters: count(5, 1),
  },
  polynomial: { total_iters: count(5, 1), power: nonNegative(1) },
  one_cycle: {
    max_lr: nonNegative(0.1),
    total_steps: count(100, 2),
    pct_start: { kind: "number", default: 0.3, above: 0, below: 1 },
    anneal_strategy: { kind: "choice", default: "cos", choices: ["cos", "linear"] },
    div_factor: positive(25),
    final_div_factor: positive(1e4),
    three_phase: { kind: "boolean", default: false },
    cycle_momentum: { kind: "boolean", default: true },
    base_momentum: nonNegative(0.85),
    max_momentum: nonNegative(0.95),
  },
  plateau: {
    mode: { kind: "choice", default: "min", choices: ["min", "max"] },
    factor: { kind: "number", default: 0.1, min: 0, below: 1 },
    patience: count(10),
    threshold: nonNegative(1e-4),
    threshold_mode: { kind: "choice", default: "rel", choices: ["rel", "abs"] },
    cooldown: count(0),
    min_lr: nonNegative(0),
    eps: nonNegative(1e-8),
  },
};

export const scheduleTypes = [...Object.keys(scheduleSpecs), "sequence"] as ScheduleType[];

/** Why a schedule nested too deep is refused (the resolver and the request schemas say it alike). */
export const SCHEDULE_DEPTH_MESSAGE = `a schedule nests at most ${MAX_SCHEDULE_DEPTH} levels (the schedule is level 1; each sequence adds one)`;

/** Whether a schedule given as JSON nests sequences deeper than MAX_SCHEDULE_DEPTH; it looks no deeper than that. */
export function nestsTooDeep(input: unknown, level = 1): boolean {
  const { type, schedules } = (typeof input === "object" && input !== null ? input : {}) as { type?: unknown; schedules?: unknown };
  if (type !== "sequence" || !Array.isArray(schedules)) return false;
  return level >= MAX_SCHEDULE_DEPTH || schedules.some((s) => nestsTooDeep(s, level + 1));
}

/** Validates a schedule given as JSON and fills in defaults; throws HyperparameterError. */
export function resolveSchedule(input: unknown, path = "schedule", level = 1): ScheduleSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new HyperparameterError(path, `${path} must be an object with a 'type', got ${JSON.stringify(input)}`);
  }
  const { type, ...rest } = input as Record<string, unknown>;
  if (type === "sequence") return resolveSequence(rest, path, level);
  if (typeof type !== "string" || !(type in scheduleSpecs)) {
    throw new HyperparameterError(
      `${path}.type`,
      `${path}: unknown schedule type ${JSON.stringify(type)}; known: ${scheduleTypes.join(", ")}`,
    );
  }
  const resolved = { type, ...resolveHyper<object>(`${path} (${type})`, scheduleSpecs[type as keyof typeof scheduleSpecs], rest) };
  const spec = resolved as ScheduleSpec;
  if (spec.type === "one_cycle") {
    const phases = spec.three_phase ? 2 : 1;
    requireThat(
      spec.pct_start * spec.total_steps - phases >= 0 && spec.pct_start * spec.total_steps * phases < spec.total_steps,
      `${path} (one_cycle)`,
      "pct_start",
      "pct_start * total_steps must leave every phase at least one step",
    );
  }
  return spec;
}

function resolveSequence(rest: Record<string, unknown>, path: string, level: number): ScheduleSpec {
  const owner = `${path} (sequence)`;
  if (level >= MAX_SCHEDULE_DEPTH) throw new HyperparameterError("schedules", `${owner}: ${SCHEDULE_DEPTH_MESSAGE}`);
  const { schedules, milestones, ...unknown } = rest;
  const extra = Object.keys(unknown)[0];
  if (extra !== undefined) {
    throw new HyperparameterError(extra, `${owner}: unknown field '${extra}'; known: schedules, milestones`);
  }
  if (!Array.isArray(schedules) || schedules.length === 0) {
    throw new HyperparameterError("schedules", `${owner}: 'schedules' must be a non-empty list of schedules`);
  }
  const resolved = schedules.map((s, i) => resolveSchedule(s, `${path}.schedules[${i}]`, level + 1));
  const marks = resolveHyper<{ milestones: number[] }>(owner, { milestones: scheduleSpecs.multistep.milestones! }, { milestones });
  requireThat(
    marks.milestones.length === resolved.length - 1,
    owner,
    "milestones",
    `'milestones' must have one entry fewer than 'schedules' (${resolved.length - 1}), got ${marks.milestones.length}`,
  );
  requireThat(
    marks.milestones.every((m) => Number.isInteger(m) && m > 0),
    owner,
    "milestones",
    "'milestones' must be positive integers",
  );
  requireThat(
    resolved.every((s) => s.type !== "plateau"),
    owner,
    "schedules",
    "a plateau schedule reacts to metrics and cannot be part of a sequence",
  );
  return { type: "sequence", schedules: resolved, milestones: marks.milestones };
}
