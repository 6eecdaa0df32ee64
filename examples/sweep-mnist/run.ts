/**
 * The whole example as a function (main.ts is its command line; test/e2e/sweep-mnist.e2e.test.ts
 * runs it with small budgets): create the sweep afresh, let worker processes run its trials, then
 * read the table, the warnings and the ensembles' weights, and measure test accuracies: the best
 * trial, the top-k ensemble, and the best configuration's initialisation replicates.
 */
import { createShardstep, type EnsembleMember, type Shardstep, type SweepConfig, type SweepInfo, type SweepTrial } from "../../sdk/client";
import { accuracy } from "../mnist/model";
import { ensembleAccuracy, memberAccuracies } from "./evaluate";
import { pct, short, sweepSummary, trialLine, trialsTable, warningLines } from "./report";
import { sweepConfig, type SearchSettings } from "./sweep";
import { sweepData, type SweepData, type TrainSettings } from "./train";
import { runWorkers, type WorkerSummary } from "./workers";

export interface ExampleSettings {
  url: string;
  token: string;
  /** The sweep's name; a sweep of that name is deleted first. */
  sweep: string;
  search: SearchSettings;
  train: TrainSettings;
  /** Worker processes. */
  workers: number;
  /** Members of the top-k ensemble. */
  top: number;
  /** Initialisation replicates of the best configuration (0: none). */
  replicates: number;
  /** Changes the sweep's configuration before it is created (the e2e test's grid). */
  configure?: (config: SweepConfig) => SweepConfig;
  /** Where the progress and the results are printed. */
  log?: (line: string) => void;
}

export interface EnsembleResult {
  /** Best first. */
  members: (Omit<EnsembleMember, "weights"> & { testAccuracy: number })[];
  /** The test accuracy of the members' averaged predictions. */
  testAccuracy: number;
}

export interface ExampleResult {
  config: SweepConfig;
  /** The sweep when its search had finished. */
  sweep: SweepInfo;
  /** Every trial at the end (search trials and replicates), by id. */
  trials: SweepTrial[];
  workers: { search: WorkerSummary[]; replicates: WorkerSummary[] };
  best: { trial: SweepTrial; testAccuracy: number };
  top: EnsembleResult;
  replicates: EnsembleResult | null;
  seconds: { search: number; replicates: number; total: number };
}

async function ensembleResult(api: Shardstep, sweep: string, selection: { top: number } | { replicatesOf: number }, data: SweepData): Promise<EnsembleResult> {
  const { members } = await api.sweeps.ensemble(sweep, selection);
  const own = memberAccuracies(members, data.test);
  return {
    members: members.map(({ name, trial, value }, i) => ({ name, trial, value, testAccuracy: own[i]! })),
    testAccuracy: ensembleAccuracy(members, data.test),
  };
}

const range = (xs: readonly number[]) => `${pct(Math.min(...xs))} to ${pct(Math.max(...xs))}`;

export async function runSweepExample(settings: ExampleSettings): Promise<ExampleResult> {
  const log = settings.log ?? (() => {});
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const api = createShardstep({ baseUrl: settings.url, token: settings.token });
  const name = settings.sweep;
  const base = sweepConfig(settings.search);
  const config = settings.configure ? settings.configure(base) : base;

  await api.sweeps.delete(name).catch((e: unknown) => {
    if ((e as { status?: number }).status !== 404) throw e;
  });
  await api.sweeps.create(name, config);
  const lr = config.space.lr as { low: number; high: number };
  log(`sweep ${name}: ${config.algorithm?.kind ?? "random"} search of lr [${short(lr.low)}, ${short(lr.high)}] (log), momentum [0.5, 0.99], rule {${(config.space.rule as { values: string[] }).values.join(", ")}}`);
  log(`  median pruner (after ${settings.search.pruneAfter} complete trials, from step ${settings.search.warmupSteps}), ${settings.workers} worker processes, minibatch ${settings.train.batchSize}, validation loss reported every ${settings.train.reportEvery} steps`);

  const workerSettings = { url: settings.url, token: settings.token, sweep: name, ...settings.train };
  const onTrial = (outcome: Parameters<typeof trialLine>[0], worker: string) => log(trialLine(outcome, worker, elapsed()));
  // The images are loaded once and handed to the workers; the test images play no part until the search is over.
  const data = sweepData();
  log(`  ${elapsed().toFixed(0).padStart(4)} s  MNIST: ${data.train.size} training, ${data.validation.size} validation and ${data.test.size} test images`);
  const search = await runWorkers(settings.workers, workerSettings, data, { onTrial, onReady: () => log(`  ${elapsed().toFixed(0).padStart(4)} s  ${settings.workers} workers ask for trials`) });
  const searchSeconds = elapsed();

  const sweep = await api.sweeps.get(name);
  log("");
  for (const line of sweepSummary(sweep)) log(line);
  for (const line of trialsTable(await api.sweeps.trials(name), sweep.best?.id ?? null)) log(line);
  for (const line of warningLines(sweep)) log(line);
  const best = sweep.best;
  if (best === null || best.shard === null) throw new Error(`sweep ${name} ended without a complete trial`);

  const bestAccuracy = accuracy((await api.getWeights(best.shard)).values, data.test);
  log("");
  log(`best trial ${best.id}: ${best.params.rule}, lr ${short(best.params.lr as number)}, momentum ${short(best.params.momentum as number)}: validation loss ${short(best.value!)}, test accuracy ${pct(bestAccuracy)}`);
  const top = await ensembleResult(api, name, { top: settings.top }, data);
  log(`top-${top.members.length} ensemble (trials ${top.members.map((m) => m.trial).join(", ")}; each alone ${range(top.members.map((m) => m.testAccuracy))}): test accuracy ${pct(top.testAccuracy)}`);

  let replicates: EnsembleResult | null = null;
  let replicateWorkers: WorkerSummary[] = [];
  const replicatesStarted = elapsed();
  if (settings.replicates > 0) {
    const queued = await api.sweeps.replicate(name, { count: settings.replicates, of: best.id });
    log(`replicates of trial ${best.id} under other initialisation seeds: trials ${queued.map((t) => t.id).join(", ")} (seeds ${queued.map((t) => t.seed).join(", ")})`);
    replicateWorkers = await runWorkers(Math.min(settings.workers, settings.replicates), workerSettings, data, { onTrial });
    replicates = await ensembleResult(api, name, { replicatesOf: best.id }, data);
    log(`trial ${best.id} and its ${replicates.members.length - 1} replicates (each alone ${range(replicates.members.map((m) => m.testAccuracy))}): ensemble test accuracy ${pct(replicates.testAccuracy)}`);
  }
  const total = elapsed();
  return {
    config,
    sweep,
    trials: await api.sweeps.trials(name),
    workers: { search, replicates: replicateWorkers },
    best: { trial: best, testAccuracy: bestAccuracy },
    top,
    replicates,
    seconds: { search: searchSeconds, replicates: total - replicatesStarted, total },
  };
}
