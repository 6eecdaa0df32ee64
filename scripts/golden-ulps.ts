// Prints the worst error of each engine against PyTorch's golden trajectories (npm run golden:ulps):
// the figures of docs/rules.md. Errors are in ulps of the largest magnitude each element has had
// (test/support/tolerance.ts), over the weights and every state slot, every case, length and step.
import { createReferenceEngine, getRule, ruleNames, type Engine, type Hyper, type RuleName } from "../src/optim";
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

console.log(`| rule | ${Object.keys(engines).join(" | ")} |`);
console.log(`|---|${Object.keys(engines).map(() => "---").join("|")}|`);
for (const rule of ruleNames) {
  const file = loadGolden(`rules/${rule}.safetensors`);
  const worst = Object.fromEntries(Object.keys(engines).map((k) => [k, 0]));
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
          }
        }
      }
    }
  }
  console.log(`| ${rule} | ${Object.values(worst).map((u) => u.toFixed(0)).join(" | ")} |`);
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
