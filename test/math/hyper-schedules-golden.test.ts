import { describe, expect, it } from "vitest";
import { resolveShardConfig, type ShardConfig } from "../../src/config";
import { createReferenceEngine, getRule, hyperInForce, learningRateAt, scheduledValues, structuralHyper, type Engine, type Hyper, type RuleName } from "../../src/optim";
import { createFastEngine } from "../../src/optim/fast/engine";
import { f32, loadGolden, metadataJson, row } from "../support/golden";
import { loadKernelModule } from "../support/kernels";
import { TrajectoryTolerance } from "../support/tolerance";

/**
 * Hyperparameters that change every step, both engines against PyTorch: stock optimizers whose
 * param group's momentum, betas or weight_decay is set before each step (schedules of
 * hyperparameters), OneCycleLR cycling momentum / betas[0], and the inverse square root through
 * LambdaLR. Same inputs and tolerance as rules-golden.test.ts (32 ulps of the largest magnitude
 * an element has had); the scheduled values and lrs agree with torch's to 1e-12 relative.
 */
const ULP_TOLERANCE = 32;
const RELATIVE_TOLERANCE = 1e-12;

interface HyperScheduleCase {
  id: string;
  rule: RuleName;
  hyper: Record<string, unknown>;
  schedule: Record<string, unknown> | null;
  schedules: Record<string, unknown>;
  slots: string[];
  lrs: number[];
  values: Record<string, number[]>;
}

const inputs = loadGolden("inputs.safetensors");
const lengths = JSON.parse(inputs.metadata.lengths!) as number[];
const file = loadGolden("hyper-schedules.safetensors");
const cases = metadataJson<HyperScheduleCase[]>(file, "cases");
const steps = Number(file.metadata.steps);

const engines = {
  reference: createReferenceEngine,
  fast: (rule: RuleName, hyper: Hyper, length: number) => createFastEngine(loadKernelModule(), rule, hyper, length),
};

/** The shardstep configuration of a case: torch's execution switches dropped, everything else as torch ran it. */
export function configOf(c: HyperScheduleCase, length: number): ShardConfig {
  const spec = getRule(c.rule).spec;
  const hyper = Object.fromEntries(Object.entries(c.hyper).filter(([k]) => k in spec));
  return resolveShardConfig({ length, rule: c.rule, hyper, ...(c.schedule ? { schedule: c.schedule } : {}), schedules: c.schedules });
}

const close = (actual: number, expected: number) => Math.abs(actual - expected) <= RELATIVE_TOLERANCE * Math.abs(expected);

describe("schedules of hyperparameters match PyTorch", () => {
  it("covers momentum, betas and weight_decay schedules, momentum cycling and inverse_sqrt", () => {
    const paths = new Set(cases.flatMap((c) => Object.keys(c.values)));
    expect([...paths].sort()).toEqual(["betas.0", "betas.1", "momentum", "weight_decay"]);
    expect(cases.some((c) => c.schedule?.type === "inverse_sqrt")).toBe(true);
  });

  it.each(cases.map((c) => [c.id, c] as const))("%s: the lr and the scheduled values in force are torch's", (_id, c) => {
    const config = configOf(c, 1);
    for (let t = 0; t < steps; t++) {
      const lr = learningRateAt(config.schedule, config.hyper.lr as number, t);
      expect(close(lr, c.lrs[t]!), `t=${t}: lr ${lr} vs ${c.lrs[t]}`).toBe(true);
      const values = scheduledValues(config, t, t);
      expect(Object.keys(values).sort()).toEqual(Object.keys(c.values).sort());
      for (const [path, expected] of Object.entries(c.values)) {
        expect(close(values[path]!, expected[t]!), `t=${t}: ${path} ${values[path]} vs ${expected[t]}`).toBe(true);
      }
    }
  });

  describe.each(Object.keys(engines) as (keyof typeof engines)[])("%s engine", (kind) => {
    it.each(cases.flatMap((c) => lengths.map((n) => [c.id, n, c] as const)))("%s, length %i", (_id, n, c) => {
      const config = configOf(c, n);
      const engine: Engine = engines[kind](c.rule, structuralHyper(config), n);
      expect(Object.keys(engine.state.slots).sort()).toEqual([...c.slots].sort());
      engine.params.set(f32(inputs, `n${n}/init`));
      const grads = f32(inputs, `n${n}/grads`);
      const tolerance = new Map(["weights", ...c.slots].map((name) => [name, new TrajectoryTolerance(name === "weights" ? engine.params : engine.state.slots[name]!)]));
      for (let k = 0; k < steps; k++) {
        engine.gradient.set(row(grads, k, n));
        engine.step(learningRateAt(config.schedule, config.hyper.lr as number, k), 0, n, hyperInForce(config, k, k));
        for (const name of ["weights", ...c.slots]) {
          const expected = row(f32(file, `${c.id}/n${n}/${name}`), k, n);
          const actual = name === "weights" ? engine.params : engine.state.slots[name]!;
          const worst = tolerance.get(name)!.check(actual, expected);
          expect(worst.ulps, `step ${k + 1}, ${name}[${worst.index}]: ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
        }
      }
    });
  });
});
