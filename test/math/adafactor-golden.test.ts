import { describe, expect, it } from "vitest";
import { createReferenceEngine, getRule, type Engine, type Hyper } from "../../src/optim";
import { createFastEngine } from "../../src/optim/fast/engine";
import { f32, loadGolden, metadataJson, row } from "../support/golden";
import { loadKernelModule } from "../support/kernels";
import { TrajectoryTolerance } from "../support/tolerance";

/**
 * Adafactor on matrices (factored second moments, Algorithm 4 of Shazeer & Stern 2018) against the
 * paper's equations in float64 (scripts/golden/papers.py): shapes 1×1, 3×5, 16×20 and 40×75, 12
 * updates each, a zero row and a zero column. The vector form is in rules-golden.test.ts. Same bound
 * as there: 32 ulps of the largest magnitude each element has had, for the weights, row_var and col_var.
 */
const ULP_TOLERANCE = 32;

const file = loadGolden("rules/adafactor-matrix.safetensors");
const cases = metadataJson<{ id: string; hyper: Record<string, unknown>; slots: string[] }[]>(file, "cases");
const shapes = metadataJson<[number, number][]>(file, "shapes");
const steps = Number(file.metadata.steps);

const engines = {
  reference: createReferenceEngine,
  fast: (hyper: Hyper, n: number) => createFastEngine(loadKernelModule(), "adafactor", hyper, n),
};

describe.each(Object.keys(engines) as (keyof typeof engines)[])("adafactor on matrices, %s engine", (kind) => {
  it.each(cases.flatMap((c) => shapes.map((s) => [c.id, s.join("×"), c, s] as const)))("%s, %s", (_id, _label, c, [rows, cols]) => {
    const n = rows * cols;
    const key = `m${rows}x${cols}`;
    const hyper = getRule("adafactor").resolve({ ...c.hyper, shape: [rows, cols] });
    const engine: Engine = kind === "reference" ? createReferenceEngine("adafactor", hyper, n) : engines.fast(hyper, n);
    expect(engine.state.slots.row_var!.length).toBe(rows);
    expect(engine.state.slots.col_var!.length).toBe(cols);
    engine.params.set(f32(file, `${key}/init`));
    const grads = f32(file, `${key}/grads`);
    const sizes: Record<string, number> = { weights: n, row_var: rows, col_var: cols };
    const actual = (name: string) => (name === "weights" ? engine.params : engine.state.slots[name]!);
    const tolerance = new Map(Object.keys(sizes).map((name) => [name, new TrajectoryTolerance(actual(name))]));
    for (let k = 0; k < steps; k++) {
      engine.gradient.set(row(grads, k, n));
      engine.step(hyper.lr as number);
      for (const [name, size] of Object.entries(sizes)) {
        const worst = tolerance.get(name)!.check(actual(name), row(f32(file, `${c.id}/${key}/${name}`), k, size));
        expect(worst.ulps, `step ${k + 1}, ${name}[${worst.index}]: ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
      }
    }
  });
});

describe("adafactor's matrix shape", () => {
  it("gives the accumulators their own lengths in both engines, and refuses a partial update", () => {
    const hyper = getRule("adafactor").resolve({ shape: [4, 6] });
    expect(getRule("adafactor").fitsLength(hyper, 24)).toBeUndefined();
    expect(getRule("adafactor").fitsLength(hyper, 25)).toBe("adafactor: 'shape' [4, 6] has 24 elements; the shard has 25");
    expect(getRule("adafactor").elementwise(hyper)).toBe(false);
    expect(getRule("adafactor").elementwise(getRule("adafactor").resolve({}))).toBe(true);
    for (const engine of [createReferenceEngine("adafactor", hyper, 24), engines.fast(hyper, 24)]) {
      expect(Object.fromEntries(Object.entries(engine.state.slots).map(([k, v]) => [k, v.length]))).toEqual({ row_var: 4, col_var: 6 });
      expect(() => engine.step(0.01, 6, 12)).toThrow("adafactor: an update of 12 elements for a [4, 6] matrix");
    }
  });
});
