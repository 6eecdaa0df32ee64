/**
 * Logistic regression on MNIST, trained through a running shardstep server:
 *
 *   npm start                       # one terminal: the server on http://127.0.0.1:8787
 *   npm run example:mnist           # another: every mode (--help for the options)
 *
 * Prints its progress every few seconds and its results at the end. With --write it also saves
 * examples/mnist/results/*.json, docs/mnist-rules.svg, docs/mnist-bias-correction.svg and
 * examples/mnist/results/rounds.svg.
 */
import { join } from "node:path";
import { createShardstep } from "../../sdk/client";
import { defaultToken, fail, options, root } from "./cli";
import { loadMnist } from "./data";
import { Progress } from "./progress";
import { biasChart, rulesChart, roundsChart, writeJson, writeText } from "./report";
import { biasCorrectionStudy } from "./bias";
import { trainRounds, type RoundsResult } from "./rounds";
import type { Hyper, RuleName, TrainData } from "./shard";
import { compareRules, smooth, trainAsync } from "./train";

/** Local SGD steps per client per round (minibatch 32). */
const LOCAL_STEPS = 10;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const finalLoss = (c: { smoothed: number[] }) => c.smoothed.at(-1) ?? NaN;

const args = options();
const { split, steps, ruleSteps, biasSteps, rounds, clients, seed } = args;
const results = join(root, "examples/mnist/results");
const written: string[] = [];

/** Saves a result with --write (and only then). */
function save(path: string, write: (path: string) => void): void {
  if (!args.write) return;
  write(path);
  written.push(path.slice(root.length));
}

const api = createShardstep({ baseUrl: args.url, token: args.token ?? (await defaultToken()) });
try {
  await api.health();
} catch (error) {
  fail(`no shardstep server answers at ${args.url} (${(error as Error).message}); start one with npm start`);
}
const started = performance.now();
const progress = new Progress();
const data: TrainData = loadMnist();
console.log(`MNIST: ${data.train.size} training and ${data.test.size} test images (first 80% / last 20% of each digit)`);

async function runAsync(): Promise<void> {
  // The server anneals the learning rate to 0 over the run (PyTorch's CosineAnnealingLR).
  const result = await trainAsync({
    api, shard: `${args.prefix}async`, rule: "adam", hyper: { lr: 0.01 }, schedule: { type: "cosine", T_max: steps }, data,
    clients: clients ?? 4, steps, batchSize: 128, split, order: "concurrent", seed,
    onProgress: progress.task("async", steps, "pushes"),
  });
  progress.end("async");
  save(join(results, "async.json"), (path) => writeJson(path, result));
  const smoothed = smooth(result.losses.map((s) => s.loss), 0.98).at(-1) ?? NaN;
  const staleness = result.losses.reduce((sum, s) => sum + s.staleness, 0) / result.losses.length;
  console.log(
    `async: ${result.clients} clients (${split}), adam lr 0.01 cosine-annealed, ${steps} pushes in ${result.seconds.toFixed(1)} s, mean staleness ${staleness.toFixed(1)}: ` +
      `training loss ${smoothed.toFixed(4)} (smoothed), test accuracy ${pct(result.testAccuracy)}`,
  );
}

/** Progress per label of side-by-side runs of `total` steps each; `end()` closes them all. */
function perLabel(total: number) {
  const reports = new Map<string, (done: number, loss: number) => void>();
  return {
    onProgress(label: string, done: number, loss: number) {
      if (!reports.has(label)) reports.set(label, progress.task(label, total, "steps"));
      reports.get(label)!(done, loss);
    },
    end: () => reports.forEach((_, label) => progress.end(label)),
  };
}

async function runCompare(): Promise<void> {
  const { onProgress, end } = perLabel(ruleSteps);
  const curves = await compareRules({ api, shardPrefix: `${args.prefix}rules.`, data, steps: ruleSteps, batchSize: 128, smoothing: 0.98, seed, onProgress });
  end();
  save(join(results, "compare.json"), (path) => writeJson(path, curves));
  save(join(root, "docs/mnist-rules.svg"), (path) => writeText(path, rulesChart(curves, 128)));
  console.log(`compare: ${ruleSteps} steps of minibatch 128 per rule, same data order; training loss smoothed (EMA 0.98)`);
  for (const c of [...curves].sort((a, b) => finalLoss(a) - finalLoss(b))) {
    console.log(`  ${c.label.padEnd(13)} ${JSON.stringify(c.hyper).padEnd(42)} loss ${finalLoss(c).toFixed(4)}  test accuracy ${pct(c.testAccuracy)}  ${c.seconds.toFixed(1)} s`);
  }
}

async function runBias(): Promise<void> {
  const early = 20;
  const { onProgress, end } = perLabel(biasSteps);
  const runs = await biasCorrectionStudy({ api, shardPrefix: `${args.prefix}bias.`, data, steps: biasSteps, early, seed, onProgress });
  end();
  save(join(results, "bias.json"), (path) => writeJson(path, runs));
  save(join(root, "docs/mnist-bias-correction.svg"), (path) => writeText(path, biasChart(runs, biasSteps, early)));
  console.log(`bias: Adam β1 0.9, ${biasSteps} steps each; mean loss of steps 1-${early} / smoothed loss at the end, corrected vs not`);
  for (const r of runs.filter((r) => r.corrected)) {
    const off = runs.find((u) => !u.corrected && u.beta2 === r.beta2 && u.lr === r.lr)!;
    console.log(
      `  β2 ${String(r.beta2).padEnd(6)} lr ${String(r.lr).padEnd(5)}  corrected ${r.earlyLoss.toFixed(3)} / ${r.finalLoss.toFixed(4)}` +
        `   uncorrected ${off.earlyLoss.toFixed(3)} / ${off.finalLoss.toFixed(4)}`,
    );
  }
}

async function runRounds(): Promise<void> {
  // docs/federated.md: FedAvg is sgd with lr 1, FedAvgM adds server momentum (Hsu et al. 2019);
  // FedAdam (Reddi et al. 2021) is adam without bias correction, eps τ and v₀ = τ² (τ = 1e-3,
  // β₂ = 0.99 as in the paper; η picked from 0.003..0.1). Local learning rates from {0.05, 0.1}.
  const servers: { label: string; name: string; rule: RuleName; hyper: Hyper; localLr: number }[] = [
    { label: "FedAvg (sgd lr 1)", name: "fedavg", rule: "sgd", hyper: { lr: 1 }, localLr: 0.1 },
    { label: "FedAvgM (sgd lr 1, momentum 0.9)", name: "fedavgm", rule: "sgd", hyper: { lr: 1, momentum: 0.9 }, localLr: 0.05 },
    { label: "FedAdam (η 0.03, τ 1e-3)", name: "fedadam", rule: "adam", hyper: { lr: 0.03, betas: [0.9, 0.99], eps: 1e-3, bias_correction: false, initial_accumulator_value: 1e-6 }, localLr: 0.1 },
  ];
  const runs: { label: string; result: RoundsResult }[] = await Promise.all(
    servers.map(async ({ label, name, rule, hyper, localLr }) => {
      const result = await trainRounds({
        api, shard: `${args.prefix}rounds.${name}`, rule, hyper, data,
        clients: clients ?? 10, rounds, localSteps: LOCAL_STEPS, localLr, batchSize: 32, split, seed,
        onProgress: progress.task(name, rounds, "rounds"),
      });
      progress.end(name);
      return { label, result };
    }),
  );
  save(join(results, "rounds.json"), (path) => writeJson(path, runs));
  save(join(results, "rounds.svg"), (path) => writeText(path, roundsChart(runs)));
  for (const { label, result } of runs) {
    console.log(`rounds: ${label}, ${result.clients} clients (${split}), ${rounds} rounds of ${LOCAL_STEPS} local steps in ${result.seconds.toFixed(1)} s: test accuracy ${pct(result.testAccuracy)}`);
  }
}

if (args.mode === "async" || args.mode === "all") await runAsync();
if (args.mode === "compare" || args.mode === "all") await runCompare();
if (args.mode === "bias" || args.mode === "all") await runBias();
if (args.mode === "rounds" || args.mode === "all") await runRounds();
console.log(args.write ? `wrote ${written.join(", ")}` : "nothing written (--write saves the results and the charts)");
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
