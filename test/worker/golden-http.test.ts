import { describe, expect, inject, it } from "vitest";
import { getRule, initAverage, updateAverage, type AverageSpec, type RuleName } from "../../src/optim";
import type { GoldenTrajectory, HyperScheduleTrajectory, NotesTrajectory } from "../support/golden-subset";
import { TrajectoryTolerance } from "../support/tolerance";
import { call, createShard, floatsOf, push } from "./support/api";

// The same bound as test/math/rules-golden.test.ts: ulps of the largest magnitude an element has had.
const ULP_TOLERANCE = 32;
const averages: Record<string, AverageSpec> = { ema: { kind: "ema", decay: 0.9 }, swa: { kind: "swa", start: 4 } };

describe("PyTorch's trajectories, pushed through the HTTP API", () => {
  it.each(inject("goldenTrajectories").map((t: GoldenTrajectory) => [`${t.rule}/${t.case}`, t] as const))("%s", async (_id, t) => {
    const spec = getRule(t.rule as RuleName).spec;
    const hyper = Object.fromEntries(Object.entries(t.hyper).filter(([k]) => k in spec));
    const name = await createShard({ length: t.init.length, rule: t.rule, hyper, averages, page_floats: 100 });
    expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: t.init })).status).toBe(204);

    const initial = Float32Array.from(t.init);
    const tolerance = new TrajectoryTolerance(initial);
    const expectedAverages = Object.fromEntries(Object.keys(averages).map((a) => [a, initAverage(initial)]));
    const averageTolerance = Object.fromEntries(Object.keys(averages).map((a) => [a, new TrajectoryTolerance(initial)]));
    for (let k = 0; k < t.grads.length; k++) {
      const res = await push(name, t.grads[k]!);
      expect(res.status).toBe(200);
      const expected = Float32Array.from(t.weights[k]!);
      const worst = tolerance.check(await floatsOf(res), expected);
      expect(worst.ulps, `step ${k + 1} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
      for (const [a, avgSpec] of Object.entries(averages)) updateAverage(avgSpec, expectedAverages[a]!, expected, k + 1);
    }
    // The averages of PyTorch's weights (the averaging itself is checked against AveragedModel).
    for (const a of Object.keys(averages)) {
      const served = await floatsOf(await call(`/v1/shards/${name}/averages/${a}`));
      const worst = averageTolerance[a]!.check(served, expectedAverages[a]!.values);
      expect(worst.ulps, `${a} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
    }
    // The averages the rule keeps itself (ASGD's ax), against PyTorch's state, served like the others.
    for (const [a, values] of Object.entries(t.kept)) {
      const served = await floatsOf(await call(`/v1/shards/${name}/averages/${a}`));
      const worst = new TrajectoryTolerance(initial).check(served, Float32Array.from(values));
      expect(worst.ulps, `${a} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
    }
  });
});

describe("PyTorch's trajectories with hyperparameters that change every step, pushed through the HTTP API", () => {
  const close = (actual: number, expected: number) => Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);

  it.each(inject("hyperScheduleTrajectories").map((t: HyperScheduleTrajectory) => [t.case, t] as const))("%s", async (_id, t) => {
    const spec = getRule(t.rule as RuleName).spec;
    const hyper = Object.fromEntries(Object.entries(t.hyper).filter(([k]) => k in spec));
    const name = await createShard({ length: t.init.length, rule: t.rule, hyper, ...(t.schedule ? { schedule: t.schedule } : {}), schedules: t.schedules });
    expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: t.init })).status).toBe(204);
    const tolerance = new TrajectoryTolerance(Float32Array.from(t.init));
    for (let k = 0; k < t.grads.length; k++) {
      const status = (await (await call(`/v1/shards/${name}/status`)).json()) as { hyper_in_force: Record<string, number> };
      expect(Object.keys(status.hyper_in_force).sort()).toEqual(Object.keys(t.values).sort());
      for (const [path, values] of Object.entries(t.values)) {
        expect(close(status.hyper_in_force[path]!, values[k]!), `step ${k + 1}: ${path} ${status.hyper_in_force[path]} vs ${values[k]}`).toBe(true);
      }
      const res = await push(name, t.grads[k]!);
      expect(res.status).toBe(200);
      const lr = Number(res.headers.get("X-Learning-Rate"));
      expect(close(lr, t.lrs[k]!), `step ${k + 1}: lr ${lr} vs ${t.lrs[k]}`).toBe(true);
      const worst = tolerance.check(await floatsOf(res), Float32Array.from(t.weights[k]!));
      expect(worst.ulps, `step ${k + 1} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
    }
  });
});

/**
 * SGD in the classic notes' forms (scripts/golden/notes_sgd.py: their equations in float64), pushed
 * through HTTP with the case's learning-rate schedule. Each push answers where the next gradient
 * is to be taken: the point x + μ·v for the look-ahead Nesterov (X-Point: distinct), the weights
 * otherwise; GET /weights serves the weights either way.
 */
describe("the notes' forms of SGD, pushed through the HTTP API", () => {
  it.each(inject("notesTrajectories").map((t: NotesTrajectory) => [t.case, t] as const))("%s", async (_id, t) => {
    const name = await createShard({ length: t.init.length, rule: "sgd", hyper: t.hyper, schedule: t.schedule, page_floats: 100 });
    expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: t.init })).status).toBe(204);
    const lookAhead = "point" in t.expected;
    const answered = lookAhead ? "point" : "weights";
    const tolerance = { answered: new TrajectoryTolerance(Float32Array.from(t.init)), weights: new TrajectoryTolerance(Float32Array.from(t.init)) };
    let fromPytorch = 0;
    for (let k = 0; k < t.grads.length; k++) {
      const res = await push(name, t.grads[k]!);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-point")).toBe(lookAhead ? "distinct" : "weights");
      const body = await floatsOf(res);
      const worst = tolerance.answered.check(body, Float32Array.from(t.expected[answered]![k]!));
      expect(worst.ulps, `step ${k + 1} ${answered}[${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
      const weights = await floatsOf(await call(`/v1/shards/${name}/weights`));
      const worstWeights = tolerance.weights.check(weights, Float32Array.from(t.expected.weights![k]!));
      expect(worstWeights.ulps, `step ${k + 1} weights[${worstWeights.index}]`).toBeLessThanOrEqual(ULP_TOLERANCE);
      const pytorch = t.expected.pytorch_form?.[k];
      if (pytorch) fromPytorch = Math.max(fromPytorch, ...pytorch.map((x, i) => Math.abs(x - weights[i]!)));
    }
    // The velocity form keeps lr inside: with the schedule moving lr it is not PyTorch's momentum.
    if (t.expected.pytorch_form) expect(fromPytorch).toBeGreaterThan(1e-3);
  });
});
