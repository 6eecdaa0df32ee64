/**
 * The master's decisions, pure: which trial to start next, whether a reporting trial stops, and
 * whether a plan can run at all. Everything follows from the plan (seed included) and the trials.
 */
import type { Algorithm, PrunerSpec, SearchPlan } from "./algorithm";
import { asha } from "./pruners/asha";
import { median } from "./pruners/median";
import { coarseToFine, stageOf, stageSpaces as narrowedStageSpaces } from "./samplers/coarse-to-fine";
import { grid, gridSize } from "./samplers/grid";
import { random } from "./samplers/random";
import type { Sampler } from "./samplers/sampler";
import { tpe } from "./samplers/tpe";
import type { Assignment, ParamSpec, Space, TrialRecord } from "./space";

/** The most combinations a grid sweep may have (the grid is never materialised: this bounds the plan, not memory). */
export const MAX_GRID_SIZE = 1_000_000;

export type NextTrial =
  | { readonly kind: "trial"; readonly number: number; readonly params: Assignment; readonly stage: number; readonly budget: number }
  /** Nothing to start until a running trial finishes. */
  | { readonly kind: "wait"; readonly reason: string }
  /** Every trial of the plan has been started. */
  | { readonly kind: "done" };

/** Trials the plan runs: a grid's at most its size, a coarse-to-fine sweep's at most its stages' total. */
export function trialLimit(plan: SearchPlan): number {
  const { algorithm } = plan;
  if (algorithm.kind === "grid") return Math.min(plan.trials, gridSize(plan.space, algorithm.points));
  if (algorithm.kind === "coarse_to_fine") return Math.min(plan.trials, algorithm.stages.reduce((n, s) => n + s.trials, 0));
  return plan.trials;
}

/** The space of each stage whose space is settled (one stage, the plan's space, unless coarse-to-fine). */
export function stageSpaces(plan: SearchPlan, trials: readonly TrialRecord[]): Space[] {
  const { algorithm } = plan;
  if (algorithm.kind !== "coarse_to_fine") return [plan.space];
  return narrowedStageSpaces(plan.space, plan.direction, algorithm.stages, algorithm.shrink, trials);
}

function samplerOf(algorithm: Algorithm): Sampler {
  switch (algorithm.kind) {
    case "random":
      return random;
    case "grid":
      return grid(algorithm.points);
    case "coarse_to_fine":
      return coarseToFine(algorithm.stages, algorithm.shrink);
    case "tpe":
      return tpe(algorithm);
  }
}

/**
 * The next trial to start, given every trial started so far (numbered 0..n-1): trial n, unless the
 * plan's trials are all started (done) or n opens a coarse-to-fine stage while a trial of an
 * earlier stage still runs (wait: the stage's ranges depend on its results).
 */
export function nextTrial(plan: SearchPlan, trials: readonly TrialRecord[]): NextTrial {
  const number = trials.length;
  if (number >= trialLimit(plan)) return { kind: "done" };
  const { algorithm } = plan;
  let stage = 0;
  let budget = plan.budget;
  if (algorithm.kind === "coarse_to_fine") {
    stage = stageOf(algorithm.stages, number);
    budget = algorithm.stages[stage]!.budget;
    const running = trials.filter((t) => t.stage < stage && t.state === "running").map((t) => t.number);
    if (running.length > 0) {
      const which = running.length === 1 ? `trial ${running[0]} is` : `trials ${running.join(", ")} are`;
      return { kind: "wait", reason: `trial ${number} opens stage ${stage}, whose ranges are narrowed from stage ${stage - 1}'s results: ${which} still running` };
    }
  }
  const params = samplerOf(algorithm)({ space: plan.space, direction: plan.direction, seed: plan.seed, number, trials });
  return { kind: "trial", number, params, stage, budget };
}

function prunerOf(spec: PrunerSpec) {
  switch (spec.kind) {
    case "none":
      return () => false;
    case "median":
      return median(spec);
    case "asha":
      return asha(spec);
  }
}

/** Whether `trial`, which has just reported (its last report), stops now; `others` are every other trial of the sweep. */
export function shouldPrune(plan: SearchPlan, trial: TrialRecord, others: readonly TrialRecord[]): boolean {
  return prunerOf(plan.pruner)({ direction: plan.direction, trial, others });
}

const isInteger = (x: number) => Number.isSafeInteger(x);
const isPositiveInteger = (x: number) => isInteger(x) && x >= 1;
const isNonNegativeInteger = (x: number) => isInteger(x) && x >= 0;
const isPositive = (x: number) => Number.isFinite(x) && x > 0;

/** Why a parameter cannot be searched, or null. */
function paramProblem(name: string, spec: ParamSpec): string | null {
  if (spec.kind === "choice") {
    if (spec.values.length === 0) return `parameter ${name}: a choice needs at least one value`;
    for (const [i, value] of spec.values.entries()) {
      if (typeof value === "number" && !Number.isFinite(value)) return `parameter ${name}: choice value ${i} (${value}) must be a finite number, a string or a boolean`;
      const first = spec.values.indexOf(value);
      if (first !== i) return `parameter ${name}: the value ${JSON.stringify(value)} appears twice (at ${first} and ${i}); list each choice once`;
    }
    return null;
  }
  const { low, high } = spec;
  if (!Number.isFinite(low) || !Number.isFinite(high)) return `parameter ${name}: low and high must be finite numbers (got ${low}, ${high})`;
  if (spec.kind === "int" && (!isInteger(low) || !isInteger(high))) return `parameter ${name}: an int's low and high must be integers (got ${low}, ${high})`;
  if (low >= high) return `parameter ${name}: low (${low}) must be below high (${high})${spec.kind === "int" ? "; for a single value use a choice" : ""}`;
  if (spec.kind === "log_uniform" && low <= 0) return `parameter ${name}: a log_uniform range must be positive (low ${low} ≤ 0); use uniform, or a positive low`;
  if (spec.kind === "int" && spec.log && low < 1) return `parameter ${name}: a log int's low must be at least 1 (got ${low}); set low to 1 or use log: false`;
  return null;
}

function spaceProblem(space: Space): string | null {
  if (space.length === 0) return "the space has no parameters: add at least one";
  const seen = new Set<string>();
  for (const { name, spec } of space) {
    if (name.length === 0) return "a parameter has an empty name";
    if (seen.has(name)) return `parameter ${name} is declared twice`;
    seen.add(name);
    const problem = paramProblem(name, spec);
    if (problem !== null) return problem;
  }
  return null;
}

function algorithmProblem(plan: SearchPlan): string | null {
  const { algorithm } = plan;
  switch (algorithm.kind) {
    case "random":
      return null;
    case "grid": {
      if (!isPositiveInteger(algorithm.points)) return `grid points must be an integer ≥ 1 (got ${algorithm.points})`;
      if (algorithm.points > MAX_GRID_SIZE) return `grid points (${algorithm.points}) must be at most ${MAX_GRID_SIZE}, the largest grid allowed`;
      const size = gridSize(plan.space, algorithm.points);
      if (size > MAX_GRID_SIZE) return `the grid has ${size} combinations, more than the ${MAX_GRID_SIZE} allowed: use fewer points (now ${algorithm.points}), fewer choices, or random search`;
      return null;
    }
    case "coarse_to_fine": {
      const { stages, shrink } = algorithm;
      if (stages.length === 0) return "coarse_to_fine needs at least one stage";
      for (const [i, stage] of stages.entries()) {
        if (!isPositiveInteger(stage.trials)) return `stage ${i}: trials must be an integer ≥ 1 (got ${stage.trials})`;
        if (!isPositive(stage.budget)) return `stage ${i}: budget must be a positive number (got ${stage.budget})`;
      }
      if (!(Number.isFinite(shrink) && shrink > 0 && shrink <= 1)) return `shrink must be in (0, 1]: each stage's ranges as a fraction of the last's (got ${shrink})`;
      const total = stages.reduce((n, s) => n + s.trials, 0);
      if (plan.trials !== total) return `trials (${plan.trials}) must equal the sum of the stages' trials (${total})`;
      return null;
    }
    case "tpe":
      if (!isNonNegativeInteger(algorithm.startup_trials)) return `tpe startup_trials must be an integer ≥ 0 (got ${algorithm.startup_trials})`;
      if (!isPositiveInteger(algorithm.candidates)) return `tpe candidates must be an integer ≥ 1 (got ${algorithm.candidates})`;
      if (!isPositive(algorithm.prior_weight)) return `tpe prior_weight must be a positive number (got ${algorithm.prior_weight})`;
      return null;
  }
}

function prunerProblem(pruner: PrunerSpec): string | null {
  switch (pruner.kind) {
    case "none":
      return null;
    case "median":
      if (!isNonNegativeInteger(pruner.startup_trials)) return `median startup_trials must be an integer ≥ 0 (got ${pruner.startup_trials})`;
      if (!(Number.isFinite(pruner.warmup_steps) && pruner.warmup_steps >= 0)) return `median warmup_steps must be a number ≥ 0 (got ${pruner.warmup_steps})`;
      return null;
    case "asha":
      if (!isPositive(pruner.min_resource)) return `asha min_resource must be a positive number (got ${pruner.min_resource})`;
      if (!(isInteger(pruner.reduction_factor) && pruner.reduction_factor >= 2)) return `asha reduction_factor must be an integer ≥ 2 (got ${pruner.reduction_factor})`;
      if (!isNonNegativeInteger(pruner.min_early_stopping_rate)) return `asha min_early_stopping_rate must be an integer ≥ 0 (got ${pruner.min_early_stopping_rate})`;
      return null;
  }
}

/** Why the plan cannot run, as a message saying what to fix, or null when it can. */
export function validatePlan(plan: SearchPlan): string | null {
  if (plan.direction !== "minimize" && plan.direction !== "maximize") return `direction must be "minimize" or "maximize" (got ${JSON.stringify(plan.direction)})`;
  if (!(isNonNegativeInteger(plan.seed) && plan.seed < 2 ** 32)) return `seed must be an integer in [0, 2^32) (got ${plan.seed}): the streams use its 32 bits`;
  if (!isPositiveInteger(plan.trials)) return `trials must be an integer ≥ 1 (got ${plan.trials})`;
  if (!isPositive(plan.budget)) return `budget must be a positive number (got ${plan.budget})`;
  return spaceProblem(plan.space) ?? algorithmProblem(plan) ?? prunerProblem(plan.pruner);
}
