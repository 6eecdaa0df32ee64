// Prints the worst error of each engine against PyTorch's golden trajectories (npm run golden:ulps):
// the figures of docs/rules.md. Errors are in ulps of the largest magnitude each element has had
// (test/support/tolerance.ts), over the weights and every state slot, every case, length and step;
// and the largest relative error of a weight, |actual - expected| / |expected|.
import { resolveShardConfig } from "../src/config";
import { createReferenceEngine, getRule, hyperInForce, learningRateAt, ruleNames, structuralHyper, type Engine, type Hyper, type RuleName } from "../src/optim";
import { createFastEngine } from "../src/optim/fast/engine";
import { f32, loadGolden, metadataJson, row } from "../test/support/golden";
import { loadKernelModule } from "../test/support/kernels";
import { notesCases, notesLengths, replayNotes } from "../test/support/notes-golden";
import { TrajectoryTolerance } from "../test/support/tolerance";

const engines: Record<string, (rule: RuleName, hyper: Hyper, n: number) => Engine> = {
  reference: createReferenceEngine,
  webassembly: (rule, hyper, n) => createFastEngine(loadKernelModule(), rule, hyper, n),
};
const inputs = loadGolden("inputs.safetensors");
const lengths = JSON.parse(inputs.metadata.lengths!) as number[];
const steps = Number(inputs.metadata.steps);

/**
 * Replays one trajectory on `engine` (initial weights already set): the gradient of each update,
 * then `step(k)`; answers the worst ulps over `sizes`' vectors (the weights and slots, by length)
 * and the largest relative error of a weight.
 */
function replay(
  engine: Engine,
  sizes: Record<string, number>,
  gradient: (k: number) => Float32Array,
  expected: (name: string, k: number, size: number) => Float32Array,
  step: (k: number) => void,
): { ulps: number; relative: number } {
  const vectors = (name: string) => (name === "weights" ? engine.params : engine.state.slots[name]!);
  const tolerance = new Map(Object.keys(sizes).map((name) => [name, new TrajectoryTolerance(vectors(name))]));
  let ulps = 0;
  let relative = 0;
  for (let k = 0; k < steps; k++) {
    engine.gradient.set(gradient(k));
    step(k);
    for (const [name, size] of Object.entries(sizes)) {
      const want = expected(name, k, size);
      ulps = Math.max(ulps, tolerance.get(name)!.check(vectors(name), want).ulps);
      if (name !== "weights") continue;
      for (let i = 0; i < size; i++) if (want[i] !== 0) relative = Math.max(relative, Math.abs(engine.params[i]! - want[i]!) / Math.abs(want[i]!));
    }
  }
  return { ulps, relative };
}

/** Folds one replay's figures into the worst of its engine kind. */
function fold(worst: Record<string, number>, relative: Record<string, number>, kind: string, got: { ulps: number; relative: number }): void {
  worst[kind] = Math.max(worst[kind]!, got.ulps);
  relative[kind] = Math.max(relative[kind]!, got.relative);
}

const kinds = Object.keys(engines);
console.log(`| rule | ${kinds.map((k) => `${k} (ulps)`).join(" | ")} | ${kinds.map((k) => `${k} (weights, relative)`).join(" | ")} |`);
console.log(`|---|${[...kinds, ...kinds].map(() => "---").join("|")}|`);
for (const rule of ruleNames) {
  const file = loadGolden(`rules/${rule}.safetensors`);
  const worst = Object.fromEntries(kinds.map((k) => [k, 0]));
  const relative = Object.fromEntries(kinds.map((k) => [k, 0]));
  for (const c of metadataJson<{ id: string; hyper: Record<string, unknown>; slots: string[] }[]>(file, "cases")) {
    const spec = getRule(rule).spec;
    const hyper = getRule(rule).resolve(Object.fromEntries(Object.entries(c.hyper).filter(([k]) => k in spec)));
    for (const n of lengths) {
      for (const [kind, create] of Object.entries(engines)) {
        const engine = create(rule, hyper, n);
        engine.params.set(f32(inputs, `n${n}/init`));
        const sizes = Object.fromEntries(["weights", ...c.slots].map((name) => [name, n]));
        const got = replay(engine, sizes, (k) => row(f32(inputs, `n${n}/grads`), k, n), (name, k) => row(f32(file, `${c.id}/n${n}/${name}`), k, n), () => engine.step(hyper.lr as number));
        fold(worst, relative, kind, got);
      }
    }
  }
  console.log(`| ${rule} | ${Object.values(worst).map((u) => u.toFixed(0)).join(" | ")} | ${Object.values(relative).map((r) => r.toExponential(1)).join(" | ")} |`);
}

// Adafactor on matrices (rules/adafactor-matrix.safetensors: inputs of its own, one row per shape).
{
  const file = loadGolden("rules/adafactor-matrix.safetensors");
  const shapes = JSON.parse(file.metadata.shapes!) as [number, number][];
  const worst = Object.fromEntries(kinds.map((k) => [k, 0]));
  const relative = Object.fromEntries(kinds.map((k) => [k, 0]));
  for (const c of metadataJson<{ id: string; hyper: Record<string, unknown> }[]>(file, "cases")) {
    for (const [rows, cols] of shapes) {
      const n = rows * cols;
      const key = `m${rows}x${cols}`;
      const hyper = getRule("adafactor").resolve({ ...c.hyper, shape: [rows, cols] });
      for (const [kind, create] of Object.entries(engines)) {
        const engine = create("adafactor", hyper, n);
        engine.params.set(f32(file, `${key}/init`));
        const sizes = { weights: n, row_var: rows, col_var: cols };
        const got = replay(engine, sizes, (k) => row(f32(file, `${key}/grads`), k, n), (name, k, size) => row(f32(file, `${c.id}/${key}/${name}`), k, size), () => engine.step(hyper.lr as number));
        fold(worst, relative, kind, got);
      }
    }
  }
  console.log(`| adafactor (matrices) | ${Object.values(worst).map((u) => u.toFixed(0)).join(" | ")} | ${Object.values(relative).map((r) => r.toExponential(1)).join(" | ")} |`);
}

// Hyperparameters that change every step (hyper-schedules.safetensors): the worst of each case.
const scheduled = loadGolden("hyper-schedules.safetensors");
console.log(`\n| hyper-schedules case | ${Object.keys(engines).join(" | ")} |`);
console.log(`|---|${Object.keys(engines).map(() => "---").join("|")}|`);
type ScheduledCase = { id: string; rule: RuleName; hyper: Record<string, unknown>; schedule: unknown; schedules: unknown; slots: string[] };
for (const c of metadataJson<ScheduledCase[]>(scheduled, "cases")) {
  const worst = Object.fromEntries(Object.keys(engines).map((k) => [k, 0]));
  const spec = getRule(c.rule).spec;
  for (const n of lengths) {
    const hyper = Object.fromEntries(Object.entries(c.hyper).filter(([k]) => k in spec));
    const config = resolveShardConfig({ length: n, rule: c.rule, hyper, ...(c.schedule ? { schedule: c.schedule } : {}), schedules: c.schedules });
    for (const [kind, create] of Object.entries(engines)) {
      const engine = create(c.rule, structuralHyper(config), n);
      engine.params.set(f32(inputs, `n${n}/init`));
      const sizes = Object.fromEntries(["weights", ...c.slots].map((name) => [name, n]));
      const got = replay(engine, sizes, (k) => row(f32(inputs, `n${n}/grads`), k, n), (name, k) => row(f32(scheduled, `${c.id}/n${n}/${name}`), k, n), (k) =>
        engine.step(learningRateAt(config.schedule, config.hyper.lr as number, k), 0, n, hyperInForce(config, k, k)),
      );
      worst[kind] = Math.max(worst[kind]!, got.ulps);
    }
  }
  console.log(`| ${c.id} | ${Object.values(worst).map((u) => u.toFixed(0)).join(" | ")} |`);
}

// SGD in the classic notes' forms against their float64 equations (scripts/golden/notes_sgd.py).
console.log(`\n| notes' form of sgd | ${Object.keys(engines).join(" | ")} |`);
console.log(`|---|${Object.keys(engines).map(() => "---").join("|")}|`);
for (const c of notesCases) {
  const hyper = getRule("sgd").resolve(c.hyper);
  const worst = Object.entries(engines).map(([, create]) => {
    let ulps = 0;
    for (const n of notesLengths) replayNotes(create("sgd", hyper, n), c, n, (_k, _name, w) => (ulps = Math.max(ulps, w.ulps)));
    return ulps;
  });
  console.log(`| ${c.id} | ${worst.map((u) => u.toFixed(0)).join(" | ")} |`);
}
