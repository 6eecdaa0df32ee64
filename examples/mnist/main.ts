/**
 * Logistic regression on MNIST, trained through a running shardstep server:
 *
 *   npm start                       # one terminal: the server on http://127.0.0.1:8787
 *   npm run example:mnist           # another: every mode (--help for the options)
 *
 * Writes examples/mnist/results/*.json, docs/mnist-rules.svg and examples/mnist/results/rounds.svg.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { createShardstep } from "../../sdk/client";
import { LOCAL_DEV_SECRET } from "../../src/edge/auth/dev";
import { signToken } from "../../src/edge/auth/token";
import { loadMnist, type SplitKind } from "./data";
import { rulesChart, roundsChart, writeJson, writeText } from "./report";
import { trainRounds, type RoundsResult } from "./rounds";
import type { Hyper, RuleName, TrainData } from "./shard";
import { compareRules, smooth, trainAsync } from "./train";

const USAGE = `usage: npm run example:mnist -- [options]

  --url <url>           the server                                  default: http://127.0.0.1:8787
  --token <token>       a bearer token with admin on the shards     default: minted from AUTH_SECRET
                        (the environment, else .dev.vars, else the local development secret)
  --mode <mode>         async | compare | rounds | all              default: all
  --steps <n>           async: pushes in all                        default: 1000
  --rule-steps <n>      compare: steps of each rule                 default: 500
  --rounds <n>          rounds: federated rounds                    default: 100
  --clients <n>         simulated clients                           default: 4 (async), 10 (rounds)
  --split <kind>        iid | non-iid                               default: non-iid
  --prefix <text>       shard names start with it                   default: mnist.
  --seed <n>            data order and splits                       default: 1`;

const root = fileURLToPath(new URL("../../", import.meta.url));
const results = join(root, "examples/mnist/results");

function fail(message: string): never {
  console.error(`example:mnist: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        url: { type: "string", default: "http://127.0.0.1:8787" },
        token: { type: "string" },
        mode: { type: "string", default: "all" },
        steps: { type: "string", default: "1000" },
        "rule-steps": { type: "string", default: "500" },
        rounds: { type: "string", default: "100" },
        clients: { type: "string" },
        split: { type: "string", default: "non-iid" },
        prefix: { type: "string", default: "mnist." },
        seed: { type: "string", default: "1" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer, got '${text}'`);
  return n;
}

/** An admin token signed with the secret the local server uses (docs/auth.md). */
async function defaultToken(): Promise<string> {
  const devVars = join(root, ".dev.vars");
  const fromFile = existsSync(devVars) ? parseEnv(readFileSync(devVars, "utf8")).AUTH_SECRET : undefined;
  const secret = process.env.AUTH_SECRET || fromFile || LOCAL_DEV_SECRET;
  return signToken(secret, { sub: "example-mnist", scopes: ["admin"], prefix: "", iat: Math.floor(Date.now() / 1000) });
}

/** Local SGD steps per client per round (minibatch 32). */
const LOCAL_STEPS = 10;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const finalLoss = (c: { smoothed: number[] }) => c.smoothed.at(-1) ?? NaN;

const args = options();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const mode = args.mode;
if (!["async", "compare", "rounds", "all"].includes(mode)) fail(`--mode must be async, compare, rounds or all; got '${mode}'`);
const split = args.split as SplitKind;
if (split !== "iid" && split !== "non-iid") fail(`--split must be iid or non-iid; got '${args.split}'`);
const steps = positive("steps", args.steps)!;
const ruleSteps = positive("rule-steps", args["rule-steps"])!;
const rounds = positive("rounds", args.rounds)!;
const clients = positive("clients", args.clients);
const seed = positive("seed", args.seed)!;

const api = createShardstep({ baseUrl: args.url, token: args.token ?? (await defaultToken()) });
try {
  await api.health();
} catch (error) {
  fail(`no shardstep server answers at ${args.url} (${(error as Error).message}); start one with npm start`);
}
const started = performance.now();
const data: TrainData = loadMnist();
console.log(`MNIST: ${data.train.size} training and ${data.test.size} test images (first 80% / last 20% of each digit)`);

async function runAsync(): Promise<void> {
  // The server anneals the learning rate to 0 over the run (PyTorch's CosineAnnealingLR).
  const result = await trainAsync({
    api, shard: `${args.prefix}async`, rule: "adam", hyper: { lr: 0.01 }, schedule: { type: "cosine", T_max: steps }, data,
    clients: clients ?? 4, steps, batchSize: 128, split, order: "concurrent", seed,
  });
  writeJson(join(results, "async.json"), result);
  const smoothed = smooth(result.losses.map((s) => s.loss), 0.98).at(-1) ?? NaN;
  const staleness = result.losses.reduce((sum, s) => sum + s.staleness, 0) / result.losses.length;
  console.log(
    `async: ${result.clients} clients (${split}), adam lr 0.01 cosine-annealed, ${steps} pushes in ${result.seconds.toFixed(1)} s, mean staleness ${staleness.toFixed(1)}: ` +
      `training loss ${smoothed.toFixed(4)} (smoothed), test accuracy ${pct(result.testAccuracy)}`,
  );
}

async function runCompare(): Promise<void> {
  const curves = await compareRules({ api, shardPrefix: `${args.prefix}rules.`, data, steps: ruleSteps, batchSize: 128, smoothing: 0.98, seed });
  writeJson(join(results, "compare.json"), curves);
  writeText(join(root, "docs/mnist-rules.svg"), rulesChart(curves, 128));
  console.log(`compare: ${ruleSteps} steps of minibatch 128 per rule, same data order; training loss smoothed (EMA 0.98)`);
  for (const c of [...curves].sort((a, b) => finalLoss(a) - finalLoss(b))) {
    console.log(`  ${c.label.padEnd(13)} ${JSON.stringify(c.hyper).padEnd(42)} loss ${finalLoss(c).toFixed(4)}  test accuracy ${pct(c.testAccuracy)}  ${c.seconds.toFixed(1)} s`);
  }
  console.log("  chart: docs/mnist-rules.svg");
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
    servers.map(async ({ label, name, rule, hyper, localLr }) => ({
      label,
      result: await trainRounds({
        api, shard: `${args.prefix}rounds.${name}`, rule, hyper, data,
        clients: clients ?? 10, rounds, localSteps: LOCAL_STEPS, localLr, batchSize: 32, split, seed,
      }),
    })),
  );
  writeJson(join(results, "rounds.json"), runs);
  writeText(join(results, "rounds.svg"), roundsChart(runs));
  for (const { label, result } of runs) {
    console.log(`rounds: ${label}, ${result.clients} clients (${split}), ${rounds} rounds of ${LOCAL_STEPS} local steps in ${result.seconds.toFixed(1)} s: test accuracy ${pct(result.testAccuracy)}`);
  }
}

if (mode === "async" || mode === "all") await runAsync();
if (mode === "compare" || mode === "all") await runCompare();
if (mode === "rounds" || mode === "all") await runRounds();
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
