import { describe, expect, it } from "vitest";
import { coarseToFine, narrowSpace, stageOf, stageSpaces } from "../../src/sweeps/samplers/coarse-to-fine";
import { grid, gridSize, gridValues, permutation } from "../../src/sweeps/samplers/grid";
import { random, valueAt } from "../../src/sweeps/samplers/random";
import type { SuggestContext } from "../../src/sweeps/samplers/sampler";
import type { Assignment, ParamSpec, Space, TrialRecord } from "../../src/sweeps/space";

const space: Space = [
  { name: "lr", spec: { kind: "log_uniform", low: 1e-6, high: 10 } },
  { name: "dropout", spec: { kind: "uniform", low: 0, high: 0.5 } },
  { name: "layers", spec: { kind: "int", low: 1, high: 4, log: false } },
  { name: "width", spec: { kind: "int", low: 8, high: 512, log: true } },
  { name: "optimizer", spec: { kind: "choice", values: ["sgd", "adam", "adamw"] } },
];

const context = (overrides: Partial<SuggestContext> = {}): SuggestContext => ({
  space,
  direction: "minimize",
  seed: 7,
  number: 0,
  trials: [],
  ...overrides,
});

function trial(number: number, params: Assignment, value: number | null, state: TrialRecord["state"] = "complete", stage = 0): TrialRecord {
  return { number, params, state, value, reports: [], stage };
}

function inside(spec: ParamSpec, value: unknown): boolean {
  if (spec.kind === "choice") return spec.values.includes(value as never);
  if (typeof value !== "number" || value < spec.low || value > spec.high) return false;
  return spec.kind !== "int" || Number.isInteger(value);
}

/**
 * Binomial tolerance: over n seeded draws the fraction below a point of probability p has
 * standard deviation sqrt(p(1-p)/n); 4.5 of them (a two-sided 7e-6 chance for an arbitrary seed)
 * is 0.050 at n = 2000, p = 0.5. The seeds are fixed, so the tests are deterministic either way.
 */
const binomialTolerance = (p: number, n: number) => 4.5 * Math.sqrt((p * (1 - p)) / n);

describe("random sampler", () => {
  it("depends only on the seed and the trial number", () => {
    const a = random(context({ number: 3 }));
    expect(random(context({ number: 3 }))).toEqual(a);
    expect(random(context({ number: 3, trials: [trial(0, a, 1), trial(1, a, 0.5)] }))).toEqual(a);
    expect(random(context({ number: 3, seed: 8 }))).not.toEqual(a);
    expect(random(context({ number: 4 }))).not.toEqual(a);
  });

  it("suggests every parameter, in the space's order, inside its range", () => {
    for (let number = 0; number < 500; number++) {
      const params = random(context({ number }));
      expect(Object.keys(params)).toEqual(space.map((p) => p.name));
      for (const { name, spec } of space) expect(inside(spec, params[name]), `${name}=${params[name]}`).toBe(true);
    }
  });

  const n = 2000;
  const draws = Array.from({ length: n }, (_, number) => random(context({ seed: 20240601, number })));
  const fractionBelow = (name: string, point: number) => draws.filter((d) => (d[name] as number) < point).length / n;

  it.each([
    // lr = 10 ** uniform(-6, 1): half the draws below the geometric midpoint 10^-2.5, ~96% below the arithmetic one.
    { name: "lr", point: 10 ** -2.5, p: 0.5 },
    { name: "lr", point: 5, p: Math.log(5 / 1e-6) / Math.log(1e7) },
    { name: "dropout", point: 0.25, p: 0.5 },
    { name: "dropout", point: 0.1, p: 0.2 },
    // A log int's share of [8, 16) is its share of [log 7.5, log 15.5) within [log 7.5, log 512.5).
    { name: "width", point: 16, p: Math.log(15.5 / 7.5) / Math.log(512.5 / 7.5) },
  ])("draws $name below $point with probability $p", ({ name, point, p }) => {
    expect(Math.abs(fractionBelow(name, point) - p)).toBeLessThan(binomialTolerance(p, n));
  });

  it.each([
    { name: "layers", values: [1, 2, 3, 4] },
    { name: "optimizer", values: ["sgd", "adam", "adamw"] },
  ])("gives each value of $name an equal share", ({ name, values }) => {
    const p = 1 / values.length;
    for (const value of values) {
      const share = draws.filter((d) => d[name] === value).length / n;
      expect(Math.abs(share - p), String(value)).toBeLessThan(binomialTolerance(p, n));
    }
  });

  it.each([
    { spec: { kind: "uniform", low: -1, high: 1 }, u: 0, value: -1 },
    { spec: { kind: "uniform", low: -1, high: 1 }, u: 0.75, value: 0.5 },
    { spec: { kind: "log_uniform", low: 1e-4, high: 1 }, u: 0.5, value: 1e-2 },
    { spec: { kind: "int", low: 0, high: 9, log: false }, u: 0.999999, value: 9 },
    { spec: { kind: "int", low: 0, high: 9, log: false }, u: 0, value: 0 },
    { spec: { kind: "choice", values: [true, false] }, u: 0.5, value: false },
  ] as { spec: ParamSpec; u: number; value: number | boolean }[])("valueAt($spec.kind, $u) = $value", ({ spec, u, value }) => {
    const got = valueAt(spec, u);
    if (typeof value === "number") expect(got).toBeCloseTo(value, 12);
    else expect(got).toBe(value);
  });
});

describe("grid sampler", () => {
  it.each([
    { spec: { kind: "uniform", low: 0, high: 1 }, points: 5, values: [0, 0.25, 0.5, 0.75, 1] },
    { spec: { kind: "log_uniform", low: 1e-4, high: 1e-1 }, points: 4, values: [1e-4, 1e-3, 1e-2, 1e-1] },
    { spec: { kind: "int", low: 1, high: 3, log: false }, points: 5, values: [1, 2, 3] },
    { spec: { kind: "int", low: 1, high: 8, log: true }, points: 4, values: [1, 2, 4, 8] },
    { spec: { kind: "int", low: 0, high: 10, log: false }, points: 3, values: [0, 5, 10] },
    { spec: { kind: "uniform", low: 2, high: 4 }, points: 1, values: [3] },
    { spec: { kind: "log_uniform", low: 1e-3, high: 1e-1 }, points: 1, values: [1e-2] },
    { spec: { kind: "choice", values: ["a", 2, true] }, points: 7, values: ["a", 2, true] },
  ] as { spec: ParamSpec; points: number; values: (number | string | boolean)[] }[])("$spec.kind with $points points", ({ spec, points, values }) => {
    const got = gridValues(spec, points);
    expect(got).toHaveLength(values.length);
    got.forEach((v, i) => (typeof v === "number" ? expect(v).toBeCloseTo(values[i] as number, 12) : expect(v).toBe(values[i])));
  });

  it("counts the product of the parameters' values", () => {
    // 4 · 4 · 4 (1..4, 4 points) · 4 · 3
    expect(gridSize(space, 4)).toBe(768);
    expect(gridSize(space, 2)).toBe(2 * 2 * 2 * 2 * 3);
  });

  it.each([1, 2, 3, 5, 17, 64, 100, 257, 1000])("permutes 0..%i-1 (each index exactly once)", (size) => {
    for (const seed of [0, 1, 99]) {
      const permute = permutation(size, seed);
      const image = Array.from({ length: size }, (_, i) => permute(i));
      expect(new Set(image).size).toBe(size);
      expect(Math.min(...image)).toBe(0);
      expect(Math.max(...image)).toBe(size - 1);
    }
  });

  it("orders the grid by the seed", () => {
    const order = (seed: number) => Array.from({ length: 100 }, (_, i) => permutation(100, seed)(i));
    expect(order(5)).toEqual(order(5));
    expect(order(5)).not.toEqual(order(6));
    expect(order(5)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("refuses indices outside the grid", () => {
    expect(() => permutation(10, 1)(10)).toThrow(RangeError);
    expect(() => grid(2)(context({ number: gridSize(space, 2) }))).toThrow(RangeError);
  });

  it.each([2, 3, 4])("with %i points suggests every combination exactly once", (points) => {
    const size = gridSize(space, points);
    const seen = new Set<string>();
    for (let number = 0; number < size; number++) {
      const params = grid(points)(context({ seed: 3, number }));
      expect(Object.keys(params)).toEqual(space.map((p) => p.name));
      seen.add(JSON.stringify(params));
    }
    expect(seen.size).toBe(size);
    const all = new Set<string>();
    const combine = (i: number, params: Assignment): void => {
      if (i === space.length) return void all.add(JSON.stringify(params));
      for (const value of gridValues(space[i]!.spec, points)) combine(i + 1, { ...params, [space[i]!.name]: value });
    };
    combine(0, {});
    expect(seen).toEqual(all);
  });

  it("depends only on the seed and the trial number", () => {
    const g = grid(3);
    expect(g(context({ number: 5 }))).toEqual(g(context({ number: 5, trials: [trial(0, {}, 1)] })));
    const firstTen = (seed: number) => Array.from({ length: 10 }, (_, number) => g(context({ seed, number })));
    expect(firstTen(1)).not.toEqual(firstTen(2));
  });
});

describe("coarse-to-fine", () => {
  it.each([
    { number: 0, stage: 0 },
    { number: 2, stage: 0 },
    { number: 3, stage: 1 },
    { number: 4, stage: 1 },
    { number: 5, stage: 2 },
    { number: 8, stage: 2 },
  ])("trial $number is in stage $stage of [3, 2, 4]", ({ number, stage }) => {
    expect(stageOf([{ trials: 3, budget: 1 }, { trials: 2, budget: 2 }, { trials: 4, budget: 3 }], number)).toBe(stage);
  });

  it("has no stage past the last", () => {
    expect(() => stageOf([{ trials: 3, budget: 1 }], 3)).toThrow(/past the last stage/);
  });

  const coarse: Space = [
    { name: "lr", spec: { kind: "log_uniform", low: 1e-6, high: 1 } },
    { name: "x", spec: { kind: "uniform", low: 0, high: 10 } },
    { name: "n", spec: { kind: "int", low: 1, high: 100, log: false } },
    { name: "k", spec: { kind: "int", low: 1, high: 1024, log: true } },
    { name: "opt", spec: { kind: "choice", values: ["a", "b", "c", "d"] } },
  ];
  // Eight complete trials (values 0..7 for minimize, the first best), plus some that must not count.
  const stage0: TrialRecord[] = [
    trial(0, { lr: 1e-3, x: 9.5, n: 50, k: 32, opt: "c" }, 0),
    trial(1, { lr: 1e-5, x: 1, n: 2, k: 1, opt: "a" }, 1),
    trial(2, { lr: 1e-1, x: 5, n: 99, k: 1024, opt: "b" }, 7),
    ...[3, 4, 5, 6, 7].map((i) => trial(i, { lr: 1e-2, x: 4, n: 10, k: 4, opt: "d" }, i - 1)),
    trial(8, { lr: 1, x: 0, n: 1, k: 1, opt: "b" }, null, "pruned"),
    trial(9, { lr: 1, x: 0, n: 1, k: 1, opt: "b" }, null, "failed"),
  ];

  it("narrows ranges around the best trial and keeps the choices of the top quarter (minimize)", () => {
    const narrowed = narrowSpace(coarse, stage0, "minimize", 0.5);
    const [lr, x, n, k, opt] = narrowed.map((p) => p.spec);
    // Three of six decades, centred on 1e-3.
    expect(lr).toMatchObject({ kind: "log_uniform" });
    expect(Math.log10((lr as { low: number }).low)).toBeCloseTo(-4.5, 12);
    expect(Math.log10((lr as { high: number }).high)).toBeCloseTo(-1.5, 12);
    // Width 5 centred on 9.5, shifted inside [0, 10].
    expect(x).toEqual({ kind: "uniform", low: 5, high: 10 });
    // Internal range [0.5, 100.5], width 50 centred on 50: [25, 75].
    expect(n).toEqual({ kind: "int", low: 25, high: 75, log: false });
    // Internal range [log 0.5, log 1024.5] halved around log 32: [log 4.76, log 215.3] → the integers 5..215.
    expect(k).toEqual({ kind: "int", low: 5, high: 215, log: true });
    // Top quarter of eight complete trials: the best two (opt c, a), in declared order.
    expect(opt).toEqual({ kind: "choice", values: ["a", "c"] });
    expect(narrowed.map((p) => p.name)).toEqual(coarse.map((p) => p.name));
  });

  it("narrows around the largest value when maximizing", () => {
    const [lr, x, , , opt] = narrowSpace(coarse, stage0, "maximize", 0.25).map((p) => p.spec);
    // Trial 2 (value 7) is best: 1.5 of six decades around lr = 0.1.
    expect(Math.log10((lr as { low: number }).low)).toBeCloseTo(-1.75, 12);
    expect(Math.log10((lr as { high: number }).high)).toBeCloseTo(-0.25, 12);
    expect(x).toEqual({ kind: "uniform", low: 3.75, high: 6.25 });
    // max(1, ⌊8/4⌋) = 2: trial 2 (b) and trial 7 (d).
    expect(opt).toEqual({ kind: "choice", values: ["b", "d"] });
  });

  it("keeps at least the best trial's choice", () => {
    const [, , , , opt] = narrowSpace(coarse, stage0.slice(0, 3), "minimize", 0.5).map((p) => p.spec);
    expect(opt).toEqual({ kind: "choice", values: ["c"] });
  });

  it("leaves the space as it was when no trial of the stage completed", () => {
    expect(narrowSpace(coarse, stage0.slice(8), "minimize", 0.5)).toEqual(coarse);
    expect(narrowSpace(coarse, [], "minimize", 0.5)).toEqual(coarse);
  });

  it("with shrink 1 keeps every range", () => {
    expect(narrowSpace(coarse, stage0, "minimize", 1).slice(0, 4)).toEqual(coarse.slice(0, 4));
  });

  it("narrows an int to a single value around its best when the window is narrower than one", () => {
    const [n] = narrowSpace([{ name: "n", spec: { kind: "int", low: 1, high: 3, log: false } }], [trial(0, { n: 3 }, 1)], "minimize", 0.1);
    expect(n!.spec).toEqual({ kind: "int", low: 3, high: 3, log: false });
  });

  const stages = [
    { trials: 10, budget: 5 },
    { trials: 4, budget: 20 },
    { trials: 2, budget: 80 },
  ];
  const stage0Done = stage0.map((t) => ({ ...t }));

  it("settles a stage's space once the previous stage has finished", () => {
    expect(stageSpaces(coarse, "minimize", stages, 0.5, stage0Done.slice(0, 9))).toHaveLength(1);
    const running = stage0Done.map((t, i) => (i === 4 ? { ...t, state: "running" as const, value: null } : t));
    expect(stageSpaces(coarse, "minimize", stages, 0.5, running)).toHaveLength(1);
    const spaces = stageSpaces(coarse, "minimize", stages, 0.5, stage0Done);
    expect(spaces).toHaveLength(2);
    expect(spaces[0]).toBe(coarse);
    expect(spaces[1]).toEqual(narrowSpace(coarse, stage0Done, "minimize", 0.5));
  });

  it("draws each trial of a stage uniformly from its narrowed space", () => {
    const sampler = coarseToFine(stages, 0.5);
    const narrowed = narrowSpace(coarse, stage0Done, "minimize", 0.5);
    for (let number = 10; number < 14; number++) {
      const params = sampler({ space: coarse, direction: "minimize", seed: 11, number, trials: stage0Done });
      for (const { name, spec } of narrowed) expect(inside(spec, params[name]), `${name}=${params[name]}`).toBe(true);
      expect(params).toEqual(random({ space: narrowed, direction: "minimize", seed: 11, number, trials: [] }));
    }
    // Stage 0 is random search on the full space.
    expect(sampler({ space: coarse, direction: "minimize", seed: 11, number: 3, trials: [] })).toEqual(
      random({ space: coarse, direction: "minimize", seed: 11, number: 3, trials: [] }),
    );
  });

  it("refuses a trial of a stage that is not settled", () => {
    expect(() => coarseToFine(stages, 0.5)({ space: coarse, direction: "minimize", seed: 1, number: 10, trials: stage0Done.slice(0, 9) })).toThrow(RangeError);
  });
});
