import { describe, expect, it } from "vitest";
import { PURPOSE, stream } from "../../src/sweeps/random";
import { defaultWeights, domainOf, ParzenEstimator } from "../../src/sweeps/samplers/parzen";
import { logGaussMass, logNdtr, truncnormPpf } from "../../src/sweeps/samplers/parzen-normal";
import { sampleUniformly } from "../../src/sweeps/samplers/random";
import type { SuggestContext } from "../../src/sweeps/samplers/sampler";
import { gamma, observations, split, tpe } from "../../src/sweeps/samplers/tpe";
import { toInternal, type Assignment, type Direction, type ParamSpec, type Report, type Space, type TrialRecord } from "../../src/sweeps/space";

// Reference values from Optuna 3.1.0 (Debian's python3-optuna), made by
//   /usr/bin/python3 scripts/sweeps/tpe-density.py
// `optuna31`: its _ParzenEstimator.log_pdf as shipped (our default); `scaled`: with the upstream
// fix of optuna/optuna#5109 (−log σ in the truncated normal's log-pdf), our pdf: "normalized".
const NORMAL = {
  logNdtr: [[-40.0, -804.6084420137538], [-20.5, -214.0667289632638], [-19.0, -184.36612866916093], [-8.0, -35.013437159914545], [-1.0, -1.8410216450092634], [0.0, -0.6931471805599453], [0.5, -0.36894641528865635], [3.0, -0.0013508099647482027], [6.5, -4.016000583859125e-11], [9.0, -1.1285884059538422e-19]],
  logGaussMass: [[-40.0, -39.0, -765.0831565643776], [-3.0, -1.0, -1.8495664205476083], [-1.0, 2.0, -0.20016629432446262], [0.5, 1.5, -1.4199324821566266], [7.0, 9.0, -27.384307586994964], [-0.1, 0.1, -2.5300420015472382]],
  ppf: [[0.3, -1.0, 2.0, -0.24240381788922666], [0.9, 0.5, 3.0, 1.8512240709778358], [0.01, -10.0, -8.0, -8.54875866555448], [0.5, 8.0, 12.0, 8.084911007391543], [0.999, -0.2, 0.1, 0.09970000000515156]],
};

const DENSITY = {
  uniform: {
    observations: [0.657155, 0.36241, 0.597902, -0.443088, 0.894665, 1.623749, 0.878893, -1.916731, -1.101992, 1.244221, -0.484122, 1.75917, 0.024496, -1.471557, -0.276067, 1.699909, 0.951003, -0.997231, 2.593307, 1.515377, 0.215096, 1.62166, -0.496563, 0.751768, 2.435266, 0.300543, 0.784702, -1.013538, 0.5, 0.5],
    points: [-2.0, -1.3, 0.0, 0.5, 0.51, 1.7, 2.9, 3.0],
    optuna31: [-2.707834446654263, -2.4221100982775354, -2.512001827050311, -2.2446302056446896, -2.2429808393413477, -2.172377330802564, -2.95843331052311, -3.0429685684621073],
    scaled: [-2.4794938541382905, -1.952344432936865, -1.8032196165355947, -0.927687174147809, -0.924114191143629, -1.0586012025739715, -3.088637600604626, -3.4457752301958524],
  },
  log_uniform: {
    observations: [1.7590694e-05, 1.6739208e-05, 0.057891709437, 0.001942302106, 0.003047570067, 0.063200416997, 4.383889e-05],
    points: [1e-05, 3e-05, 0.0001, 0.001, 0.005, 0.02, 0.1],
    optuna31: [-1.155961232670196, -1.08701715901338, -1.3139469280473368, -1.1925285681553193, -1.1815481704259962, -1.1820252627172065, -1.2040746779646767],
    scaled: [-1.8454710912581045, -1.8126552710206387, -2.5040047374906607, -2.3238956017491623, -2.332671252592742, -2.274253213570881, -2.1371182942133564],
  },
  int: {
    observations: [7.0, 5.0, 1.0, 3.0, 8.0, 1.0, 2.0, 10.0, 5.0, 2.0, 10.0, 10.0],
    points: [1.0, 2.0, 3.0, 5.0, 8.0, 10.0],
    optuna31: [-1.8663126538371397, -1.9605958256270808, -2.459831417584965, -2.4081860219215585, -2.7153905622926238, -1.8874114489831728],
    scaled: [-1.8663126538371397, -1.9605958256270808, -2.459831417584965, -2.4081860219215585, -2.7153905622926238, -1.8874114489831728],
  },
  int_log: {
    observations: [38.0, 144.0, 9.0, 93.0, 212.0],
    points: [2.0, 3.0, 16.0, 100.0, 511.0, 512.0],
    optuna31: [-1.6820510569181728, -1.5778092367742413, -1.2408019995604924, -0.9205966597197208, -1.4590337024271522, -1.4601914046634237],
    scaled: [-2.940442484495664, -2.6894747305928504, -1.9264211673903446, -1.2287475072482987, -2.1181790879097715, -2.1206084080652032],
  },
  choice: {
    observations: [1.0, 1.0, 0.0, 3.0, 1.0, 2.0, 1.0],
    points: [0.0, 1.0, 2.0, 3.0],
    optuna31: [-1.6739764335716716, -0.8266785731844679, -1.6739764335716716, -1.6739764335716716],
    scaled: [-1.6739764335716716, -0.8266785731844679, -1.6739764335716716, -1.6739764335716716],
  },
  empty: {
    observations: [],
    points: [0.0, 0.25, 0.5, 1.0],
    optuna31: [-0.08402219950905043, 0.009727800490949567, 0.04097780049094957, -0.08402219950905043],
    scaled: [-0.08402219950905043, 0.009727800490949567, 0.04097780049094957, -0.08402219950905043],
  },
};

const SPECS: Record<keyof typeof DENSITY, ParamSpec> = {
  uniform: { kind: "uniform", low: -2, high: 3 },
  log_uniform: { kind: "log_uniform", low: 1e-5, high: 1e-1 },
  int: { kind: "int", low: 1, high: 10, log: false },
  int_log: { kind: "int", low: 2, high: 512, log: true },
  choice: { kind: "choice", values: ["a", "b", "c", "d"] },
  empty: { kind: "uniform", low: 0, high: 1 },
};

const OPTUNA_DEFAULTS = { startup_trials: 10, candidates: 24, prior_weight: 1 } as const;
const sampler = tpe(OPTUNA_DEFAULTS);

const SPACE: Space = [
  { name: "lr", spec: { kind: "log_uniform", low: 1e-5, high: 1 } },
  { name: "dropout", spec: { kind: "uniform", low: 0, high: 0.8 } },
  { name: "layers", spec: { kind: "int", low: 1, high: 6, log: false } },
  { name: "batch", spec: { kind: "int", low: 8, high: 512, log: true } },
  { name: "optimizer", spec: { kind: "choice", values: ["sgd", "adam", true, 3] } },
];

function trial(number: number, params: Assignment, value: number | null, state: TrialRecord["state"] = "complete", reports: Report[] = []): TrialRecord {
  return { number, params, state, value: state === "complete" ? value : null, reports, stage: 0 };
}

/** `count` complete trials drawn by the random sampler of `seed`, scored by `objective`. */
function randomHistory(space: Space, seed: number, count: number, objective: (p: Assignment) => number): TrialRecord[] {
  return Array.from({ length: count }, (_, number) => {
    const params = sampleUniformly(space, seed, number);
    return trial(number, params, objective(params));
  });
}

function context(space: Space, trials: readonly TrialRecord[], seed = 7, direction: Direction = "minimize", number = trials.length): SuggestContext {
  return { space, direction, seed, number, trials };
}

/** A sequential run of `count` trials of `objective`. */
function run(space: Space, seed: number, count: number, objective: (p: Assignment) => number): TrialRecord[] {
  const trials: TrialRecord[] = [];
  for (let number = 0; number < count; number++) {
    const params = sampler(context(space, trials, seed));
    trials.push(trial(number, params, objective(params)));
  }
  return trials;
}

const close = (got: number, want: number, tolerance = 1e-12) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(want)));

describe("truncated normal pieces against Optuna 3.1", () => {
  it("log Φ, also in the far tails", () => {
    for (const [a, want] of NORMAL.logNdtr) close(logNdtr(a!), want!);
  });
  it("the log mass of an interval", () => {
    for (const [a, b, want] of NORMAL.logGaussMass) close(logGaussMass(a!, b!), want!);
  });
  it("the truncated normal's quantile", () => {
    for (const [q, a, b, want] of NORMAL.ppf) close(truncnormPpf(q!, a!, b!), want!, 1e-10);
  });
});

describe("Parzen estimator against Optuna 3.1's _ParzenEstimator", () => {
  for (const [name, c] of Object.entries(DENSITY) as [keyof typeof DENSITY, (typeof DENSITY)[keyof typeof DENSITY]][]) {
    const spec = SPECS[name];
    const internal = (v: number) => (spec.kind === "choice" ? v : toInternal(spec, v));
    it(`${name}: Optuna 3.1's log-density, with its unscaled truncated normals (the default)`, () => {
      const estimator = new ParzenEstimator(domainOf(spec), c.observations.map(internal), { priorWeight: 1 });
      c.points.forEach((x, i) => close(estimator.logPdf(internal(x)), c.optuna31[i]!));
    });
    it(`${name}: the true (normalized) log-density`, () => {
      const estimator = new ParzenEstimator(domainOf(spec), c.observations.map(internal), { priorWeight: 1, pdf: "normalized" });
      c.points.forEach((x, i) => close(estimator.logPdf(internal(x)), c.scaled[i]!));
    });
  }

  it("integrates to one over a continuous domain (pdf: normalized)", () => {
    const spec = SPECS.uniform as Extract<ParamSpec, { kind: "uniform" }>;
    const estimator = new ParzenEstimator(domainOf(spec), DENSITY.uniform.observations, { priorWeight: 1, pdf: "normalized" });
    const steps = 20_000;
    const h = (spec.high - spec.low) / steps;
    let integral = 0;
    for (let i = 0; i < steps; i++) integral += Math.exp(estimator.logPdf(spec.low + (i + 0.5) * h)) * h;
    close(integral, 1, 1e-6);
  });

  it("sums to one over an int's values and a choice's", () => {
    for (const name of ["int", "choice"] as const) {
      const spec = SPECS[name];
      const estimator = new ParzenEstimator(domainOf(spec), DENSITY[name].observations.map((v) => (spec.kind === "choice" ? v : toInternal(spec, v))), { priorWeight: 1 });
      const points = spec.kind === "choice" ? spec.values.map((_, k) => k) : Array.from({ length: 10 }, (_, k) => k + 1);
      close(points.reduce((sum, x) => sum + Math.exp(estimator.logPdf(x)), 0), 1, 1e-12);
    }
  });

  it("draws inside the domain, from the observations' neighbourhoods", () => {
    const spec = SPECS.uniform as Extract<ParamSpec, { kind: "uniform" }>;
    const estimator = new ParzenEstimator(domainOf(spec), [0.3, 0.31, 0.29, 0.3], { priorWeight: 1 });
    const draws = estimator.sample(stream(1, 2, 3), 2000);
    expect(draws.every((x) => x >= spec.low && x <= spec.high)).toBe(true);
    // 4 of the 5 components sit at 0.3 with σ = 5/6 (the magic clip's floor): most draws land within 1.
    expect(draws.filter((x) => Math.abs(x - 0.3) < 1).length / draws.length).toBeGreaterThan(0.6);
  });
});

describe("Optuna's schedules", () => {
  it("gamma(n) = min(⌈n/10⌉, 25)", () => {
    expect([0, 1, 10, 11, 100, 249, 250, 251, 1000].map(gamma)).toEqual([0, 1, 1, 2, 10, 25, 25, 25, 25]);
  });
  it("default_weights: ones below 25, then a ramp from 1/n and 25 ones", () => {
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    close(w[0]!, 1 / 30);
    expect(w[4]).toBe(1);
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
    close(w[1]! - w[0]!, (1 - 1 / 30) / 4);
  });
});

describe("tpe sampler", () => {
  const objective = (p: Assignment) => ((Math.log10(p.lr as number) + 3) ** 2 + (p.dropout as number)) * (p.optimizer === "adam" ? 1 : 2) + (p.layers as number) / 10;

  it("is a pure function of the seed and the history", () => {
    const history = randomHistory(SPACE, 3, 30, objective);
    const a = sampler(context(SPACE, history, 11));
    const b = sampler(context(SPACE, history.map((t) => ({ ...t })), 11));
    expect(a).toEqual(b);
    expect(sampler(context(SPACE, history, 12))).not.toEqual(a);
    expect(sampler(context(SPACE, history, 11, "minimize", 31))).not.toEqual(a);
    // The order in which the records arrive does not matter.
    expect(sampler(context(SPACE, [...history].reverse(), 11))).toEqual(a);
  });

  it("suggests values inside every kind's bounds", () => {
    const history = run(SPACE, 5, 60, objective);
    for (const t of history) {
      for (const { name, spec } of SPACE) {
        const v = t.params[name]!;
        if (spec.kind === "choice") {
          expect(spec.values).toContain(v);
          continue;
        }
        expect(typeof v).toBe("number");
        expect(v).toBeGreaterThanOrEqual(spec.low);
        expect(v).toBeLessThanOrEqual(spec.high);
        if (spec.kind === "int") expect(Number.isInteger(v)).toBe(true);
      }
    }
    // Every int value and every choice is reachable, bounds included: many histories of random values.
    const seen = { layers: new Set<unknown>(), optimizer: new Set<unknown>() };
    for (let seed = 0; seed < 200; seed++) {
      const noise = stream(seed, 99);
      const p = sampler(context(SPACE, randomHistory(SPACE, seed, 12, () => noise()), seed));
      seen.layers.add(p.layers);
      seen.optimizer.add(p.optimizer);
    }
    expect(seen.layers.size).toBe(6);
    expect(seen.optimizer.size).toBe(4);
  });

  it("samples at random, as the random sampler, until startup_trials trials finished", () => {
    const history = randomHistory(SPACE, 3, 9, objective);
    // Running and failed trials do not count.
    history.push(trial(9, sampleUniformly(SPACE, 3, 9), null, "running"), trial(10, sampleUniformly(SPACE, 3, 10), null, "failed"));
    for (const seed of [0, 1, 77]) {
      expect(sampler(context(SPACE, history, seed))).toEqual(sampleUniformly(SPACE, seed, history.length));
      expect(sampler(context(SPACE, [], seed, "minimize", 0))).toEqual(sampleUniformly(SPACE, seed, 0));
    }
    const ten = randomHistory(SPACE, 3, 10, objective);
    expect(sampler(context(SPACE, ten, 0))).not.toEqual(sampleUniformly(SPACE, 0, 10));
    expect(tpe({ ...OPTUNA_DEFAULTS, startup_trials: 20 })(context(SPACE, ten, 0))).toEqual(sampleUniformly(SPACE, 0, 10));
  });

  it("concentrates near the good region (x ≈ 0.3)", () => {
    const space: Space = [{ name: "x", spec: { kind: "uniform", low: 0, high: 1 } }];
    const history = randomHistory(space, 1, 80, (p) => ((p.x as number) - 0.3) ** 2);
    const xs = Array.from({ length: 100 }, (_, seed) => sampler(context(space, history, seed)).x as number);
    const near = xs.filter((x) => Math.abs(x - 0.3) < 0.1).length;
    expect(near).toBeGreaterThan(70); // random search: 20
    const sorted = [...xs].sort((a, b) => a - b);
    expect(Math.abs(sorted[50]! - 0.3)).toBeLessThan(0.05);
  });

  it("concentrates on the good region of a log-scaled parameter and of an int", () => {
    const space: Space = [
      { name: "lr", spec: { kind: "log_uniform", low: 1e-6, high: 1 } },
      { name: "n", spec: { kind: "int", low: 1, high: 64, log: true } },
    ];
    const f = (p: Assignment) => (Math.log10(p.lr as number) + 4) ** 2 + Math.log2((p.n as number) / 16) ** 2;
    const trials = run(space, 4, 80, f);
    const late = trials.slice(40);
    expect(late.filter((t) => Math.abs(Math.log10(t.params.lr as number) + 4) < 1).length).toBeGreaterThan(25);
    expect(late.filter((t) => (t.params.n as number) >= 8 && (t.params.n as number) <= 32).length).toBeGreaterThan(25);
  });

  it("suggests the best choice most", () => {
    const space: Space = [
      { name: "c", spec: { kind: "choice", values: ["a", "b", "c", "d"] } },
      { name: "x", spec: { kind: "uniform", low: 0, high: 1 } },
    ];
    const history = randomHistory(space, 2, 40, (p) => (p.c === "b" ? 0 : 1) + 0.1 * (p.x as number));
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    for (let seed = 0; seed < 100; seed++) counts[sampler(context(space, history, seed)).c as string]!++;
    expect(counts.b).toBeGreaterThan(70);
    expect(counts.b).toBe(Math.max(...Object.values(counts)));
  });

  it("treats maximize as minimize of the negated values", () => {
    const history = randomHistory(SPACE, 3, 30, objective);
    const negated = history.map((t) => ({ ...t, value: -t.value! }));
    for (const seed of [1, 2, 3]) expect(sampler(context(SPACE, negated, seed, "maximize"))).toEqual(sampler(context(SPACE, history, seed)));
  });

  it("skips values a trial lacks or that lie outside the space (as Optuna skips trials without the parameter)", () => {
    const history = randomHistory(SPACE, 3, 30, objective);
    const odd = [
      ...history,
      trial(30, { ...history[0]!.params, lr: 5, optimizer: "lion" }, -100),
      trial(31, { dropout: 0.1 }, -99),
    ];
    const p = sampler(context(SPACE, odd, 5));
    expect(p.lr).toBeGreaterThanOrEqual(1e-5);
    expect(p.lr).toBeLessThanOrEqual(1);
    expect(SPACE[4]!.spec.kind === "choice" && SPACE[4]!.spec.values.includes(p.optimizer!)).toBe(true);
  });

  it("ignores running and failed trials", () => {
    const history = randomHistory(SPACE, 3, 30, objective);
    const extra = [...history, trial(30, sampleUniformly(SPACE, 8, 30), null, "running"), trial(31, sampleUniformly(SPACE, 8, 31), null, "failed")];
    expect(sampler(context(SPACE, extra, 5, "minimize", 32))).toEqual(sampler(context(SPACE, history, 5, "minimize", 32)));
  });
});

// Optuna 3.1's suggestions after this history (scripts/sweeps/tpe-suggestions.py: TPESampler(seed=s), s < 4000):
// the deciles of x and lr, the frequencies of n = 1..8 and c, the share of b ≤ 1, 2, 4, ..., 64. Pruned trials reported at step 3.
const OPTUNA_HISTORY: [Assignment, "complete" | "pruned", number][] = [
  [{ x: 0.550798, lr: 0.0680129, n: 1, b: 9, c: "p" }, "complete", 0.635619],
  [{ x: 0.569311, lr: 0.00560077, n: 4, b: 58, c: "q" }, "complete", 0.186026],
  [{ x: 0.207243, lr: 0.000160646, n: 1, b: 21, c: "p" }, "complete", 0.85834],
  [{ x: 0.14537, lr: 0.00649665, n: 3, b: 18, c: "r" }, "complete", 0.300817],
  [{ x: 0.676255, lr: 0.0230915, n: 5, b: 2, c: "r" }, "complete", 0.344778],
  [{ x: 0.259252, lr: 0.00457514, n: 6, b: 43, c: "p" }, "pruned", 0.411718],
  [{ x: 0.58662, lr: 0.001258, n: 4, b: 34, c: "p" }, "complete", 0.554958],
  [{ x: 0.306364, lr: 0.000772381, n: 6, b: 64, c: "r" }, "complete", 0.383732],
  [{ x: 0.020615, lr: 0.00037228, n: 1, b: 1, c: "q" }, "complete", 0.542297],
  [{ x: 0.845751, lr: 0.00325069, n: 1, b: 57, c: "q" }, "complete", 0.578319],
  [{ x: 0.557841, lr: 0.00279421, n: 2, b: 22, c: "q" }, "complete", 0.276334],
  [{ x: 0.56277, lr: 0.0983173, n: 5, b: 36, c: "p" }, "complete", 0.510978],
  [{ x: 0.653631, lr: 0.0447451, n: 3, b: 19, c: "p" }, "complete", 0.59236],
  [{ x: 0.454622, lr: 0.000663195, n: 1, b: 62, c: "q" }, "complete", 0.421845],
  [{ x: 0.841041, lr: 0.0589569, n: 3, b: 29, c: "p" }, "complete", 0.789257],
  [{ x: 0.707687, lr: 0.0970476, n: 4, b: 11, c: "r" }, "complete", 0.472811],
  [{ x: 0.316285, lr: 0.237218, n: 6, b: 50, c: "p" }, "complete", 0.592245],
  [{ x: 0.572794, lr: 0.00201015, n: 1, b: 10, c: "q" }, "pruned", 0.329404],
  [{ x: 0.302264, lr: 0.169079, n: 8, b: 12, c: "p" }, "complete", 0.612525],
  [{ x: 0.691478, lr: 0.039986, n: 5, b: 45, c: "p" }, "complete", 0.539321],
  [{ x: 0.91803, lr: 0.000672767, n: 3, b: 40, c: "r" }, "complete", 0.81579],
  [{ x: 0.198976, lr: 0.00040499, n: 5, b: 2, c: "r" }, "complete", 0.394127],
  [{ x: 0.75214, lr: 0.000291653, n: 5, b: 63, c: "q" }, "complete", 0.49964],
  [{ x: 0.681612, lr: 0.0145908, n: 2, b: 34, c: "p" }, "complete", 0.640069],
];
const OPTUNA_SUGGESTIONS = {"x": [0.4217956274007258, 0.4325055220847801, 0.43881167044075253, 0.44353820012444284, 0.4468536491287495, 0.45024894288984063, 0.4542204497049035, 0.45946928786310215, 0.4684046925632867], "lr": [0.005945805206965998, 0.006415408478968231, 0.006706967950585761, 0.006938545213575152, 0.007110271702137145, 0.007278534203418204, 0.007488780173527938, 0.007832326224783354, 0.008471413733696281], "n": [0.0, 0.99275, 0.00725, 0.0, 0.0, 0.0, 0.0, 0.0], "b_le": [0.0, 0.0, 0.0, 0.00175, 0.0125, 1.0, 1.0], "c": [0.0, 1.0, 0.0]};

describe("suggestions against Optuna 3.1's TPESampler", () => {
  const space: Space = [
    { name: "x", spec: { kind: "uniform", low: 0, high: 1 } },
    { name: "lr", spec: { kind: "log_uniform", low: 1e-4, high: 1 } },
    { name: "n", spec: { kind: "int", low: 1, high: 8, log: false } },
    { name: "b", spec: { kind: "int", low: 1, high: 64, log: true } },
    { name: "c", spec: { kind: "choice", values: ["p", "q", "r"] } },
  ];
  const history = OPTUNA_HISTORY.map(([params, state, value], number) =>
    state === "complete" ? trial(number, params, value) : trial(number, params, null, "pruned", [{ step: 3, value }]),
  );

  it("draws from the same distribution (2000 seeds against Optuna's 4000)", () => {
    const draws = Array.from({ length: 2000 }, (_, seed) => sampler(context(space, history, seed)));
    const share = (pick: (p: Assignment) => boolean) => draws.filter(pick).length / draws.length;
    // Deciles: the share of our draws below each of Optuna's deciles is that decile's level.
    OPTUNA_SUGGESTIONS.x.forEach((q, i) => expect(Math.abs(share((p) => (p.x as number) <= q) - (i + 1) / 10)).toBeLessThan(0.04));
    OPTUNA_SUGGESTIONS.lr.forEach((q, i) => expect(Math.abs(share((p) => (p.lr as number) <= q) - (i + 1) / 10)).toBeLessThan(0.04));
    OPTUNA_SUGGESTIONS.n.forEach((f, i) => expect(Math.abs(share((p) => p.n === i + 1) - f)).toBeLessThan(0.03));
    [1, 2, 4, 8, 16, 32, 64].forEach((v, i) => expect(Math.abs(share((p) => (p.b as number) <= v) - OPTUNA_SUGGESTIONS.b_le[i]!)).toBeLessThan(0.03));
    ["p", "q", "r"].forEach((c, i) => expect(Math.abs(share((p) => p.c === c) - OPTUNA_SUGGESTIONS.c[i]!)).toBeLessThan(0.03));
  });
});

describe("pruned trials, as Optuna 3.1's _get_observation_pairs ranks them", () => {
  const p = { x: 0.5 };
  const trials = [
    trial(0, p, null, "pruned", [{ step: 1, value: 0.1 }, { step: 5, value: 0.9 }]),
    trial(1, p, 3, "complete"),
    trial(2, p, null, "pruned", []),
    trial(3, p, null, "pruned", [{ step: 5, value: 0.2 }]),
    trial(4, p, null, "running", [{ step: 9, value: 0 }]),
    trial(5, p, 2, "complete"),
    trial(6, p, null, "failed"),
    trial(7, p, null, "pruned", [{ step: 8, value: Number.NaN }]),
    trial(8, p, null, "pruned", [{ step: 2, value: -5 }]),
  ];

  it("complete by value, then pruned by their deepest step (deeper first) and value there, unreported last", () => {
    const obs = observations(trials, "minimize");
    expect(obs.map((o) => o.trial.number)).toEqual([0, 1, 2, 3, 5, 7, 8]);
    const order = split(
      obs.map((o) => o.score),
      obs.length,
    );
    expect(order.below).toEqual([0, 1, 2, 3, 4, 5, 6]); // chronological within a group
    const ranking = split(
      obs.map((o) => o.score),
      1,
    );
    expect(obs[ranking.below[0]!]!.trial.number).toBe(5);
    // The full ranking: complete 5 (2), 1 (3); pruned at step 8 (NaN), step 5 (0.2, 0.9), step 2; unreported.
    const ranked = Array.from({ length: obs.length }, (_, k) => split(obs.map((o) => o.score), k + 1).below)
      .map((below, k, all) => below.find((i) => !(all[k - 1] ?? []).includes(i))!)
      .map((i) => obs[i]!.trial.number);
    expect(ranked).toEqual([5, 1, 7, 3, 0, 8, 2]);
  });

  it("a maximized sweep ranks pruned trials by the negated value", () => {
    const obs = observations(trials, "maximize");
    const s = obs.map((o) => o.score);
    const ranked = Array.from({ length: obs.length }, (_, k) => split(s, k + 1).below)
      .map((below, k, all) => below.find((i) => !(all[k - 1] ?? []).includes(i))!)
      .map((i) => obs[i]!.trial.number);
    expect(ranked).toEqual([1, 5, 7, 0, 3, 8, 2]);
  });

  it("pruned trials count toward the startup trials", () => {
    const space: Space = [{ name: "x", spec: { kind: "uniform", low: 0, high: 1 } }];
    const history = Array.from({ length: 10 }, (_, number) =>
      trial(number, sampleUniformly(space, 1, number), number < 5 ? number : null, number < 5 ? "complete" : "pruned", [{ step: 1, value: number }]),
    );
    expect(sampler(context(space, history, 1))).not.toEqual(sampleUniformly(space, 1, 10));
    expect(sampler(context(space, history.slice(0, 9), 1))).toEqual(sampleUniformly(space, 1, 9));
  });
});

// The streams a TPE suggestion reads, for the record: its own purpose, one stream per parameter.
it("draws from stream(seed, number, PURPOSE.tpe, parameter index)", () => {
  expect(PURPOSE.tpe).not.toBe(PURPOSE.sample);
});
