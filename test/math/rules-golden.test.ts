import { describe, expect, it } from "vitest";
import { createReferenceEngine, getRule, isRuleName, ruleNames, type Engine, type Hyper, type RuleName } from "../../src/optim";
import { createFastEngine } from "../../src/optim/fast/engine";
import { f32, f64, loadGolden, metadataJson, row } from "../support/golden";
import { loadKernelModule } from "../support/kernels";
import { notesCases, notesLengths, replayNotes } from "../support/notes-golden";
import { TrajectoryTolerance } from "../support/tolerance";

/**
 * Every rule, both engines, against PyTorch's trajectories: 12 updates from the same initial
 * weights with the same gradients (mixed scales from 1e-4 to 1e2, zeros, sign flips), lengths 1, 7,
 * 257 and 3001. After every update the weights and every state slot must agree within
 * ULP_TOLERANCE ulps of the largest magnitude the element has had so far (see TrajectoryTolerance).
 * Measured worst over all cases: 21 ulps for the reference engine after 12 updates.
 */
const ULP_TOLERANCE = 32;

interface GoldenCase {
  id: string;
  rule: string;
  hyper: Record<string, unknown>;
  slots: string[];
  scalars: string[];
}

const inputs = loadGolden("inputs.safetensors");
const lengths = JSON.parse(inputs.metadata.lengths!) as number[];
const steps = Number(inputs.metadata.steps);

const engines = {
  reference: createReferenceEngine,
  fast: (rule: RuleName, hyper: Hyper, length: number) => createFastEngine(loadKernelModule(), rule, hyper, length),
};

/** The golden hyperparameters minus PyTorch's execution switches, which have no effect on values. */
function hyperOf(rule: RuleName, c: GoldenCase): Hyper {
  const spec = getRule(rule).spec;
  const hyper = Object.fromEntries(Object.entries(c.hyper).filter(([k]) => k in spec));
  return getRule(rule).resolve(hyper);
}

describe.each(ruleNames)("%s matches PyTorch", (rule) => {
  const file = loadGolden(`rules/${rule}.safetensors`);
  const cases = metadataJson<GoldenCase[]>(file, "cases");

  it("has golden cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(2);
    expect(cases.every((c) => isRuleName(c.rule) && c.rule === rule)).toBe(true);
  });

  describe.each(Object.keys(engines) as (keyof typeof engines)[])("%s engine", (kind) => {
    it.each(cases.flatMap((c) => lengths.map((n) => [c.id, n, c] as const)))("%s, length %i", (_id, n, c) => {
      const hyper = hyperOf(rule, c);
      const engine: Engine = engines[kind](rule, hyper, n);
      engine.params.set(f32(inputs, `n${n}/init`));
      const grads = f32(inputs, `n${n}/grads`);
      expect(Object.keys(engine.state.slots).sort()).toEqual([...c.slots].sort());
      const tolerance = new Map([
        ["weights", new TrajectoryTolerance(engine.params)],
        ...c.slots.map((name) => [name, new TrajectoryTolerance(engine.state.slots[name]!)] as const),
      ]);
      for (let k = 0; k < steps; k++) {
        engine.gradient.set(row(grads, k, n));
        engine.step(hyper.lr as number);
        for (const name of ["weights", ...c.slots]) {
          const expected = row(f32(file, `${c.id}/n${n}/${name}`), k, n);
          const actual = name === "weights" ? engine.params : engine.state.slots[name]!;
          const worst = tolerance.get(name)!.check(actual, expected);
          expect(worst.ulps, `step ${k + 1}, ${name}[${worst.index}]: ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
        }
        for (const name of c.scalars) {
          const expected = f64(file, `${c.id}/n${n}/${name}`)[k]!;
          // PyTorch keeps mu_product in a float32 tensor; ours is float64.
          expect(Math.abs(engine.state.scalars[name]! - expected)).toBeLessThanOrEqual(2 ** -23 * Math.abs(expected));
        }
      }
      expect(engine.state.step).toBe(steps);
    });
  });
});

/**
 * SGD in the classic notes' forms against their equations in float64 (scripts/golden/notes_sgd.py,
 * no shardstep code), both engines, at a scheduled learning rate: the weights, the state slot and,
 * for the look-ahead Nesterov, the point x + μ·v after every update. The same bound as above.
 * Measured worst (npm run golden:ulps): 5 ulps (reference), 6 ulps (WebAssembly).
 */
describe("sgd in the classic notes' forms matches their equations", () => {
  it("has the three forms", () => {
    expect(notesCases.map((c) => c.id)).toEqual(expect.arrayContaining(["ema_bias_correction", "velocity", "lookahead_nesterov"]));
  });

  describe.each(Object.keys(engines) as (keyof typeof engines)[])("%s engine", (kind) => {
    it.each(notesCases.flatMap((c) => notesLengths.map((n) => [c.id, n, c] as const)))("%s, length %i", (_id, n, c) => {
      const hyper = getRule("sgd").resolve(c.hyper);
      const engine = engines[kind]("sgd", hyper, n);
      expect(["weights", ...Object.keys(engine.state.slots), ...(engine.point() ? ["point"] : [])].sort()).toEqual([...c.vectors].sort());
      replayNotes(engine, c, n, (k, name, worst) => {
        expect(worst.ulps, `step ${k + 1}, ${name}[${worst.index}]: ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
      });
    });
  });

  // The velocity form keeps the learning rate inside: once lr changes it is not PyTorch's momentum.
  // PyTorch's form (momentum_form "pytorch") follows the file's PyTorch trajectory; the velocity
  // form is far from it.
  it.each(notesCases.filter((c) => c.hyper.momentum_form === "velocity").map((c) => [c.id, c] as const))("%s differs from PyTorch's form", (_id, c) => {
    const n = 257;
    const pytorchHyper = getRule("sgd").resolve({ ...c.hyper, momentum_form: "pytorch", nesterov: false });
    let pytorchWorst = 0;
    replayNotes(createReferenceEngine("sgd", pytorchHyper, n), c, n, (_k, _name, worst) => (pytorchWorst = Math.max(pytorchWorst, worst.ulps)), [["weights", "pytorch_form"]]);
    expect(pytorchWorst).toBeLessThanOrEqual(ULP_TOLERANCE);
    let velocityWorst = 0;
    replayNotes(createReferenceEngine("sgd", getRule("sgd").resolve(c.hyper), n), c, n, (_k, _name, worst) => (velocityWorst = Math.max(velocityWorst, worst.ulps)), [["weights", "pytorch_form"]]);
    expect(velocityWorst).toBeGreaterThan(1e4 * ULP_TOLERANCE);
  });
});
