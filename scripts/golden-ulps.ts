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
        const vectors = (name: string) => (name === "weights" ? engine.params : engine.state.slots[name]!);
        const names = ["weights", ...c.slots];
        const tolerance = new Map(names.map((name) => [name, new TrajectoryTolerance(vectors(name))]));
        for (let k = 0; k < steps; k++) {
          engine.gradient.set(row(f32(inputs, `n${n}/grads`), k, n));
          engine.step(hyper.lr as number);
          for (const name of names) {
            const expected = row(f32(file, `${c.id}/n${n}/${name}`), k, n);
            worst[kind] = Math.max(worst[kind]!, tolerance.get(name)!.check(vectors(name), expected).ulps);
            if (name === "weights") {
              for (let i = 0; i < n; i++) {
                const e = expected[i]!;
                if (e !== 0) relative[kind] = Math.max(relative[kind]!, Math.abs(engine.params[i]! - e) / Math.abs(e));
              }
            }
          }
        }
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
        const sizes: Record<string, number> = { weights: n, row_var: rows, col_var: cols };
        const vectors = (name: string) => (name === "weights" ? engine.params : engine.state.slots[name]!);
        const tolerance = new Map(Object.keys(sizes).map((name) => [name, new TrajectoryTolerance(vectors(name))]));
        for (let k = 0; k < steps; k++) {
          engine.gradient.set(row(f32(file, `${key}/grads`), k, n));
          engine.step(hyper.lr as number);
          for (const [name, size] of Object.entries(sizes)) {
            const expected = row(f32(file, `${c.id}/${key}/${name}`), k, size);
            worst[kind] = Math.max(worst[kind]!, tolerance.get(name)!.check(vectors(name), expected).ulps);
            if (name === "weights") {
              for (let i = 0; i < n; i++) if (expected[i] !== 0) relative[kind] = Math.max(relative[kind]!, Math.abs(engine.params[i]! - expected[i]!) / Math.abs(expected[i]!));
            }
          }
        }
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
      const vectors = (name: string) => (name === "weights" ? engine.params : engine.state.slots[name]!);
      const names = ["weights", ...c.slots];
      const tolerance = new Map(names.map((name) => [name, new TrajectoryTolerance(vectors(name))]));
      for (let k = 0; k < steps; k++) {
        engine.gradient.set(row(f32(inputs, `n${n}/grads`), k, n));
        engine.step(learningRateAt(config.schedule, config.hyper.lr as number, k), 0, n, hyperInForce(config, k, k));
        for (const name of names) {
          const expected = row(f32(scheduled, `${c.id}/n${n}/${name}`), k, n);
          worst[kind] = Math.max(worst[kind]!, tolerance.get(name)!.check(vectors(name), expected).ulps);
        }
      }
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
