import { ranked } from "../../src/sweeps/space";
import { describe, expect, it } from "vitest";
import type { Algorithm, PrunerSpec, SearchPlan } from "../../src/sweeps/algorithm";
import { MAX_GRID_SIZE, nextTrial, shouldPrune, stageSpaces, trialLimit, validatePlan } from "../../src/sweeps/plan";
import { asha } from "../../src/sweeps/pruners/asha";
import { median } from "../../src/sweeps/pruners/median";
import { narrowSpace } from "../../src/sweeps/samplers/coarse-to-fine";
import { grid, gridSize } from "../../src/sweeps/samplers/grid";
import { random } from "../../src/sweeps/samplers/random";
import { tpe } from "../../src/sweeps/samplers/tpe";
import type { Assignment, ParamSpec, Space, TrialRecord } from "../../src/sweeps/space";

const space: Space = [
  { name: "lr", spec: { kind: "log_uniform", low: 1e-5, high: 1 } },
  { name: "x", spec: { kind: "uniform", low: -5, high: 5 } },
  { name: "opt", spec: { kind: "choice", values: ["sgd", "adam"] } },
];

const plan = (overrides: Partial<SearchPlan> = {}): SearchPlan => ({
  space,
  direction: "minimize",
  seed: 42,
  algorithm: { kind: "random" },
  trials: 10,
  budget: 100,
  pruner: { kind: "none" },
  ...overrides,
});

/** A smooth objective with its minimum at lr = 1e-3, x = 1, opt = adam. */
const objective = (p: Assignment) => (Math.log10(p.lr as number) + 3) ** 2 + ((p.x as number) - 1) ** 2 + (p.opt === "adam" ? 0 : 1);

const complete = (t: { number: number; params: Assignment; stage: number }): TrialRecord => ({ ...t, state: "complete", value: objective(t.params), reports: [] });

/** Runs the plan to its end, completing each trial at once: the records it produces. */
function runSweep(p: SearchPlan): TrialRecord[] {
  const trials: TrialRecord[] = [];
  for (;;) {
    const next = nextTrial(p, trials);
    if (next.kind === "done") return trials;
    if (next.kind === "wait") throw new Error(next.reason);
    trials.push(complete(next));
  }
}

describe("nextTrial", () => {
  it("numbers trials in order and stops at the plan's trials", () => {
    const trials = runSweep(plan());
    expect(trials.map((t) => t.number)).toEqual([...Array(10).keys()]);
    expect(nextTrial(plan(), trials)).toEqual({ kind: "done" });
  });

  it.each([
    { algorithm: { kind: "random" }, sampler: random },
    { algorithm: { kind: "grid", points: 3 }, sampler: grid(3) },
    { algorithm: { kind: "tpe", startup_trials: 3, candidates: 24, prior_weight: 1 }, sampler: tpe({ startup_trials: 3, candidates: 24, prior_weight: 1 }) },
  ] as { algorithm: Algorithm; sampler: typeof random }[])("dispatches $algorithm.kind to its sampler", ({ algorithm, sampler }) => {
    const p = plan({ algorithm });
    const trials = runSweep(plan({ algorithm, trials: 5 }));
    const next = nextTrial(p, trials);
    expect(next).toEqual({
      kind: "trial",
      number: 5,
      stage: 0,
      budget: 100,
      params: sampler({ space, direction: "minimize", seed: 42, number: 5, trials }),
    });
  });

  it("is reproducible from the seed and the results", () => {
    for (const algorithm of [{ kind: "random" }, { kind: "grid", points: 4 }, { kind: "tpe", startup_trials: 4, candidates: 8, prior_weight: 1 }] as Algorithm[]) {
      expect(runSweep(plan({ algorithm, trials: 12 }))).toEqual(runSweep(plan({ algorithm, trials: 12 })));
      expect(runSweep(plan({ algorithm, trials: 12 }))).not.toEqual(runSweep(plan({ algorithm, trials: 12, seed: 43 })));
    }
  });

  it("ends a grid sweep at the grid's size, having tried every combination", () => {
    const p = plan({ algorithm: { kind: "grid", points: 2 }, trials: 1000 });
    expect(trialLimit(p)).toBe(8);
    const trials = runSweep(p);
    expect(trials).toHaveLength(8);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(8);
  });

  describe("coarse to fine", () => {
    const algorithm: Algorithm = { kind: "coarse_to_fine", stages: [{ trials: 20, budget: 10 }, { trials: 10, budget: 30 }, { trials: 5, budget: 90 }], shrink: 0.3 };
    const p = plan({ algorithm, trials: 35 });

    it("gives each trial its stage and the stage's budget", () => {
      const trials = runSweep(p);
      expect(trials.map((t) => t.stage)).toEqual([...Array(20).fill(0), ...Array(10).fill(1), ...Array(5).fill(2)]);
      const next = (n: number) => nextTrial(p, trials.slice(0, n));
      expect([next(0), next(19), next(20), next(34)].map((t) => (t.kind === "trial" ? t.budget : t.kind))).toEqual([10, 10, 30, 90]);
    });

    it("samples each stage inside the space narrowed from the previous stage", () => {
      const trials = runSweep(p);
      const spaces = stageSpaces(p, trials);
      expect(spaces).toHaveLength(3);
      expect(spaces[1]).toEqual(narrowSpace(space, trials.slice(0, 20), "minimize", 0.3));
      // Stage 2 is centred on the best trial so far: stage 1's, or stage 0's when stage 1 found nothing better.
      const best0 = ranked(trials.slice(0, 20), "minimize")[0]!;
      const best1 = ranked(trials.slice(20, 30), "minimize")[0]!;
      const carried = best0.value! < best1.value! ? [best0] : [];
      expect(spaces[2]).toEqual(narrowSpace(spaces[1]!, [...carried, ...trials.slice(20, 30)], "minimize", 0.3));
      expect(ranked(trials.slice(30), "minimize")[0]!.value).toBeLessThanOrEqual(Math.min(best0.value!, best1.value!) + 0.2);
      for (const t of trials) {
        for (const { name, spec } of spaces[t.stage]!) {
          const value = t.params[name];
          if (spec.kind === "choice") expect(spec.values).toContain(value);
          else expect(value).toBeGreaterThanOrEqual(spec.low), expect(value).toBeLessThanOrEqual(spec.high);
        }
      }
      // Each stage's ranges are shrink times the last's, and the trials improve on average stage by stage.
      const x = spaces[2]![1]!.spec as Extract<ParamSpec, { kind: "uniform" }>;
      expect(x.high - x.low).toBeCloseTo(10 * 0.3 * 0.3, 9);
      const mean = (stage: number) => {
        const values = trials.filter((t) => t.stage === stage).map((t) => t.value!);
        return values.reduce((a, b) => a + b) / values.length;
      };
      expect(mean(1)).toBeLessThan(mean(0));
      expect(mean(2)).toBeLessThan(mean(1));
    });

    it("waits for the previous stages' running trials before opening a stage", () => {
      const trials = runSweep(p).slice(0, 20);
      const running = trials.map((t) => (t.number === 7 || t.number === 12 ? { ...t, state: "running" as const, value: null } : t));
      expect(nextTrial(p, running)).toEqual({
        kind: "wait",
        reason: "trial 20 opens stage 1, whose ranges are narrowed from stage 0's results: trials 7, 12 are still running",
      });
      expect(stageSpaces(p, running)).toHaveLength(1);
      // Within a stage nothing waits.
      expect(nextTrial(p, running.slice(0, 15)).kind).toBe("trial");
      // Failed and pruned trials are finished.
      const finished = running.map((t) => (t.state === "running" ? { ...t, state: t.number === 7 ? ("failed" as const) : ("pruned" as const) } : t));
      expect(nextTrial(p, finished)).toMatchObject({ kind: "trial", number: 20, stage: 1, budget: 30 });
    });

    it("shows one space per plan for the other algorithms", () => {
      expect(stageSpaces(plan(), [])).toEqual([space]);
    });
  });
});

describe("shouldPrune", () => {
  const curve = (number: number, values: number[], state: TrialRecord["state"] = "complete"): TrialRecord => ({
    number,
    params: {},
    state,
    value: state === "complete" ? values.at(-1)! : null,
    reports: values.map((value, step) => ({ step, value })),
    stage: 0,
  });
  const others = [curve(0, [1, 0.8, 0.6, 0.5, 0.45]), curve(1, [1.2, 0.9, 0.7, 0.6, 0.5]), curve(2, [0.9, 0.7, 0.65, 0.55, 0.5])];
  const trials = [curve(3, [1.5, 1.4]), curve(3, [0.95, 0.75, 0.6]), curve(3, [1.1, 1, 0.9, 0.8, 0.7]), curve(3, [0.5])].map((t) => ({ ...t, state: "running" as const, value: null }));

  it.each([
    { pruner: { kind: "median", startup_trials: 2, warmup_steps: 0 } },
    { pruner: { kind: "median", startup_trials: 4, warmup_steps: 0 } },
    { pruner: { kind: "asha", min_resource: 1, reduction_factor: 2, min_early_stopping_rate: 0 } },
  ] as { pruner: Exclude<PrunerSpec, { kind: "none" }> }[])("dispatches to the $pruner.kind pruner", ({ pruner }) => {
    const p = plan({ pruner });
    const direct = pruner.kind === "median" ? median(pruner) : asha(pruner);
    const verdicts = trials.map((trial) => shouldPrune(p, trial, others));
    expect(verdicts).toEqual(trials.map((trial) => direct({ direction: "minimize", trial, others })));
    if (pruner.kind === "median" && pruner.startup_trials === 2) expect(verdicts).toEqual([true, false, true, false]);
    if (pruner.kind === "median" && pruner.startup_trials === 4) expect(verdicts).toEqual([false, false, false, false]);
  });

  it("never prunes without a pruner", () => {
    expect(trials.map((t) => shouldPrune(plan(), t, others))).toEqual([false, false, false, false]);
  });
});

describe("validatePlan", () => {
  const param = (spec: ParamSpec): Partial<SearchPlan> => ({ space: [{ name: "p", spec }] });
  const c2f = (stages: { trials: number; budget: number }[], shrink: number, trials = stages.reduce((n, s) => n + s.trials, 0)): Partial<SearchPlan> => ({
    algorithm: { kind: "coarse_to_fine", stages, shrink },
    trials,
  });

  it.each([
    { name: "random search", plan: {} },
    { name: "a grid at the size bound", plan: { space: [{ name: "a", spec: { kind: "int", low: 1, high: 1000, log: false } }, { name: "b", spec: { kind: "int", low: 1, high: 1000, log: false } }], algorithm: { kind: "grid", points: 1000 } } },
    { name: "coarse to fine", plan: c2f([{ trials: 10, budget: 5 }, { trials: 5, budget: 20 }], 0.5) },
    { name: "shrink 1", plan: c2f([{ trials: 10, budget: 5 }], 1) },
    { name: "tpe and asha", plan: { algorithm: { kind: "tpe", startup_trials: 10, candidates: 24, prior_weight: 1 }, pruner: { kind: "asha", min_resource: 1, reduction_factor: 3, min_early_stopping_rate: 0 } } },
    { name: "median", plan: { pruner: { kind: "median", startup_trials: 5, warmup_steps: 0 } } },
    { name: "a log int from 1", plan: param({ kind: "int", low: 1, high: 64, log: true }) },
  ] as { name: string; plan: Partial<SearchPlan> }[])("accepts $name", ({ plan: overrides }) => {
    expect(validatePlan(plan(overrides))).toBeNull();
  });

  it.each([
    { name: "low ≥ high", plan: param({ kind: "uniform", low: 1, high: 1 }), message: "parameter p: low (1) must be below high (1)" },
    { name: "an int with low ≥ high", plan: param({ kind: "int", low: 3, high: 2, log: false }), message: "parameter p: low (3) must be below high (2); for a single value use a choice" },
    { name: "a log range through 0", plan: param({ kind: "log_uniform", low: 0, high: 1 }), message: "parameter p: a log_uniform range must be positive (low 0 ≤ 0); use uniform, or a positive low" },
    { name: "a log int below 1", plan: param({ kind: "int", low: 0, high: 8, log: true }), message: "parameter p: a log int's low must be at least 1 (got 0); set low to 1 or use log: false" },
    { name: "a fractional int bound", plan: param({ kind: "int", low: 0.5, high: 8, log: false }), message: "parameter p: an int's low and high must be integers (got 0.5, 8)" },
    { name: "an infinite bound", plan: param({ kind: "uniform", low: 0, high: Infinity }), message: "parameter p: low and high must be finite numbers (got 0, Infinity)" },
    { name: "an empty choice", plan: param({ kind: "choice", values: [] }), message: "parameter p: a choice needs at least one value" },
    { name: "a repeated choice", plan: param({ kind: "choice", values: ["a", "b", "a"] }), message: 'parameter p: the value "a" appears twice (at 0 and 2); list each choice once' },
    { name: "a NaN choice", plan: param({ kind: "choice", values: [1, NaN] }), message: "parameter p: choice value 1 (NaN) must be a finite number, a string or a boolean" },
    { name: "no parameters", plan: { space: [] }, message: "the space has no parameters: add at least one" },
    { name: "a repeated name", plan: { space: [space[0]!, space[0]!] }, message: "parameter lr is declared twice" },
    { name: "a fractional seed", plan: { seed: 1.5 }, message: "seed must be an integer in [0, 2^32) (got 1.5): the streams use its 32 bits" },
    { name: "no trials", plan: { trials: 0 }, message: "trials must be an integer ≥ 1 (got 0)" },
    { name: "no budget", plan: { budget: 0 }, message: "budget must be a positive number (got 0)" },
    { name: "absurdly many grid points", plan: { algorithm: { kind: "grid", points: 1e12 } }, message: "grid points (1000000000000) must be at most 1000000, the largest grid allowed" },
    { name: "no grid points", plan: { algorithm: { kind: "grid", points: 0 } }, message: "grid points must be an integer ≥ 1 (got 0)" },
    {
      name: "a grid too large",
      plan: { space: [{ name: "a", spec: { kind: "uniform", low: 0, high: 1 } }, { name: "b", spec: { kind: "uniform", low: 0, high: 1 } }], algorithm: { kind: "grid", points: 1001 } },
      message: `the grid has 1002001 combinations, more than the ${MAX_GRID_SIZE} allowed: use fewer points (now 1001), fewer choices, or random search`,
    },
    { name: "no stages", plan: c2f([], 0.5, 10), message: "coarse_to_fine needs at least one stage" },
    { name: "an empty stage", plan: c2f([{ trials: 10, budget: 5 }, { trials: 0, budget: 5 }], 0.5), message: "stage 1: trials must be an integer ≥ 1 (got 0)" },
    { name: "a stage without budget", plan: c2f([{ trials: 10, budget: -1 }], 0.5), message: "stage 0: budget must be a positive number (got -1)" },
    { name: "shrink 0", plan: c2f([{ trials: 10, budget: 5 }], 0), message: "shrink must be in (0, 1]: each stage's ranges as a fraction of the last's (got 0)" },
    { name: "shrink above 1", plan: c2f([{ trials: 10, budget: 5 }], 1.5), message: "shrink must be in (0, 1]: each stage's ranges as a fraction of the last's (got 1.5)" },
    { name: "trials not the stages' sum", plan: c2f([{ trials: 10, budget: 5 }, { trials: 5, budget: 9 }], 0.5, 12), message: "trials (12) must equal the sum of the stages' trials (15)" },
    { name: "tpe without candidates", plan: { algorithm: { kind: "tpe", startup_trials: 10, candidates: 0, prior_weight: 1 } }, message: "tpe candidates must be an integer ≥ 1 (got 0)" },
    { name: "a negative median warmup", plan: { pruner: { kind: "median", startup_trials: 5, warmup_steps: -1 } }, message: "median warmup_steps must be a number ≥ 0 (got -1)" },
    { name: "asha with η = 1", plan: { pruner: { kind: "asha", min_resource: 1, reduction_factor: 1, min_early_stopping_rate: 0 } }, message: "asha reduction_factor must be an integer ≥ 2 (got 1)" },
    { name: "asha with no min_resource", plan: { pruner: { kind: "asha", min_resource: 0, reduction_factor: 2, min_early_stopping_rate: 0 } }, message: "asha min_resource must be a positive number (got 0)" },
  ] as { name: string; plan: Partial<SearchPlan>; message: string }[])("refuses $name", ({ plan: overrides, message }) => {
    expect(validatePlan(plan(overrides))).toBe(message);
  });

  it("bounds grids at a million combinations", () => {
    expect(MAX_GRID_SIZE).toBe(1_000_000);
    expect(gridSize([{ name: "a", spec: { kind: "int", low: 1, high: 1000, log: false } }, { name: "b", spec: { kind: "int", low: 1, high: 1000, log: false } }], 1000)).toBe(MAX_GRID_SIZE);
  });
});
