import { z } from "./zod";
import {
  DEFAULT_LEASE_SECONDS,
  MAX_LEASE_SECONDS,
  MAX_SWEEP_CHOICES,
  MAX_SWEEP_PARALLEL,
  MAX_SWEEP_PARAMS,
  MAX_SWEEP_STAGES,
  MAX_SWEEP_TRIALS,
  MIN_LEASE_SECONDS,
} from "../limits";
import { refuse } from "../problems";
import type { Algorithm, PrunerSpec, SearchPlan } from "../sweeps/algorithm";
import { validatePlan } from "../sweeps/plan";
import type { Param, ParamSpec } from "../sweeps/space";
import { describeIssues } from "./fields";
import { trialTemplateSchema, checkTemplate, type TrialTemplate } from "./trial-template";

/**
 * A sweep's configuration, defined once (docs/sweeps.md): its search space, objective, algorithm,
 * budgets, pruner, seed and the template of its trials. Parsing fills every default; the sweep
 * keeps and answers the parsed form.
 */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** Where a parameter goes in the trial's shard configuration: `rule`, `hyper.lr`, `hyper.betas.0`, `schedule.gamma`, ... */
export const TARGET = /^(rule|hyper|schedule|averages|clipping|init|staleness)(\.([A-Za-z_][A-Za-z0-9_]{0,63}|[0-9]{1,2})){0,4}$/;

const target = z
  .string()
  .regex(TARGET, { error: "a target is a path into the trial's shard configuration: rule, hyper.<name>, hyper.betas.0, schedule.<name>, averages.<name>.decay, ..." })
  .optional()
  .meta({ description: "Where the value goes in the trial's shard configuration (`hyper.lr`, `rule`, `hyper.betas.0`, `schedule.gamma`). Omitted: the client applies it (batch size, dropout): recorded, not applied." });

const finite = z.number().refine(Number.isFinite, { error: "must be a finite number" });
const choiceValue = z.union([z.string().max(128), finite, z.boolean()]);

const paramSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("log_uniform"), low: finite, high: finite, target }).meta({ description: "Uniform in log space: `10 ** uniform(log10(low), log10(high))`; low > 0." }),
  z.strictObject({ kind: z.literal("uniform"), low: finite, high: finite, target }),
  z.strictObject({ kind: z.literal("int"), low: z.number().int(), high: z.number().int(), log: z.boolean().default(false), target }).meta({ description: "An integer in [low, high]; `log: true` samples it in log space (low ≥ 1)." }),
  z.strictObject({ kind: z.literal("choice"), values: z.array(choiceValue).min(1).max(MAX_SWEEP_CHOICES), target }),
]);

const positive = z.number().int().min(1);

const algorithmSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("random") }),
    z.strictObject({ kind: z.literal("grid"), points: z.number().int().min(2).max(100).default(5).meta({ description: "Values per numeric parameter, evenly spaced on its scale." }) }),
    z.strictObject({
      kind: z.literal("coarse_to_fine"),
      stages: z.array(z.strictObject({ trials: positive, budget: z.number().positive() })).min(1).max(MAX_SWEEP_STAGES),
      shrink: z.number().gt(0).max(1).default(0.5).meta({ description: "Each stage's numeric ranges are this fraction of the previous stage's width, centred on its best trial." }),
    }),
    z.strictObject({
      kind: z.literal("tpe"),
      startup_trials: z.number().int().min(1).max(MAX_SWEEP_TRIALS).default(10),
      candidates: z.number().int().min(1).max(1024).default(24),
      prior_weight: z.number().positive().max(100).default(1),
    }),
  ])
  .default({ kind: "random" });

const prunerSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("none") }),
    z.strictObject({ kind: z.literal("median"), startup_trials: z.number().int().min(0).default(5), warmup_steps: z.number().min(0).default(0) }),
    z.strictObject({
      kind: z.literal("asha"),
      min_resource: z.number().positive().default(1),
      reduction_factor: z.number().int().min(2).max(100).default(3),
      min_early_stopping_rate: z.number().int().min(0).max(100).default(0),
    }),
  ])
  .default({ kind: "none" });

export const SweepConfigInput = z
  .strictObject({
    objective: z.strictObject({
      metric: z.string().regex(PARAM_NAME).meta({ description: "The metric reports name, e.g. `loss`." }),
      direction: z.enum(["minimize", "maximize"]).default("minimize"),
    }),
    space: z
      .record(z.string().regex(PARAM_NAME, { error: "parameter names: a letter or _ then letters, digits, '_', '.', '-' (at most 64)" }), paramSchema)
      .refine((s) => Object.keys(s).length >= 1 && Object.keys(s).length <= MAX_SWEEP_PARAMS, { error: `the space has 1 to ${MAX_SWEEP_PARAMS} parameters` })
      .meta({ description: "Parameter name → its distribution, in the order that fixes the seed's draws." }),
    algorithm: algorithmSchema,
    pruner: prunerSchema,
    budget: z
      .strictObject({
        trials: z.number().int().min(1).max(MAX_SWEEP_TRIALS).optional().meta({ description: "Trials in all (default 20; coarse-to-fine: the sum of its stages; grid: at most the grid's size)." }),
        parallel: z.number().int().min(1).max(MAX_SWEEP_PARALLEL).default(4).meta({ description: "Trials leased at once." }),
        resource: z.number().positive().default(1).meta({ description: "The resource each trial may use, in `unit` (coarse-to-fine: each stage's budget)." }),
        unit: z.string().regex(PARAM_NAME).default("steps"),
      })
      .default({ parallel: 4, resource: 1, unit: "steps" }),
    template: trialTemplateSchema,
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    lease_seconds: z.number().int().min(MIN_LEASE_SECONDS).max(MAX_LEASE_SECONDS).default(DEFAULT_LEASE_SECONDS),
  })
  .meta({ id: "SweepConfig", description: "A sweep: what to search, how, for how long, and what each trial trains." });

export type SweepConfig = z.output<typeof SweepConfigInput>;
export type SweepParamInput = SweepConfig["space"][string];
export type { TrialTemplate };

/** The parameters of a configuration as the search algorithms see them, in declared order. */
export function spaceOf(config: SweepConfig): Param[] {
  return Object.entries(config.space).map(([name, p]): Param => {
    const spec: ParamSpec =
      p.kind === "choice" ? { kind: "choice", values: p.values } : p.kind === "int" ? { kind: "int", low: p.low, high: p.high, log: p.log } : { kind: p.kind, low: p.low, high: p.high };
    return { name, spec };
  });
}

/** The trials in all: given, or the stages' sum, or 20. */
export function trialsOf(config: SweepConfig): number {
  if (config.algorithm.kind === "coarse_to_fine") return config.algorithm.stages.reduce((n, s) => n + s.trials, 0);
  return config.budget.trials ?? 20;
}

export function planOf(config: SweepConfig): SearchPlan {
  return {
    space: spaceOf(config),
    direction: config.objective.direction,
    seed: config.seed,
    algorithm: config.algorithm as Algorithm,
    trials: trialsOf(config),
    budget: config.budget.resource,
    pruner: config.pruner as PrunerSpec,
  };
}

const invalid = (message: string): never => refuse("invalid-config", message);

/** Validates a sweep's configuration and fills its defaults; refuses with `invalid-config` saying how to fix it. */
export function resolveSweepConfig(name: string, input: unknown): SweepConfig {
  const parsed = SweepConfigInput.safeParse(input);
  if (!parsed.success) return invalid(describeIssues(parsed.error.issues, "the sweep configuration").join("; "));
  const config = parsed.data;
  if (config.algorithm.kind === "coarse_to_fine" && config.budget.trials !== undefined && config.budget.trials !== trialsOf(config)) {
    invalid(`budget.trials is ${config.budget.trials} but the coarse-to-fine stages add up to ${trialsOf(config)}; omit budget.trials`);
  }
  if (trialsOf(config) > MAX_SWEEP_TRIALS) invalid(`the stages add up to ${trialsOf(config)} trials; at most ${MAX_SWEEP_TRIALS}`);
  const problem = validatePlan(planOf(config));
  if (problem) invalid(problem);
  const targeted = Object.entries(config.space).filter(([, p]) => p.target !== undefined);
  if (targeted.length > 0 && config.template === null) invalid(`parameter '${targeted[0]![0]}' has a target but the sweep has no template; add a template (shard or model) or remove the target`);
  checkTemplate(name, config);
  return config;
}
