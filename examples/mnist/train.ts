/**
 * Training through a shard in async mode: every push is one step of the shard's rule. Simulated
 * clients each hold a copy of the weights, compute the gradient of a minibatch of their own data
 * on it, push it with the version it was computed at, and adopt the weights that come back.
 * `compareRules` runs the first experiment of Kingma & Ba (2015, Fig. 1) this way.
 */
import type { Shardstep } from "../../sdk/client";
import { clientBatches, splitFor, type Dataset, type Minibatches, type SplitKind } from "./data";
import { lossAndGradient } from "./model";
import type { ProgressReport } from "./progress";
import { createFreshShard, evaluate, runTag, type Evaluation, type Hyper, type RuleName, type Schedule, type TrainData } from "./shard";

export type Api = Pick<Shardstep, "createShard" | "pushGradient" | "getWeights">;

/** One push: the loss of its minibatch at the weights the gradient was computed at. */
export interface StepLoss {
  /** The shard's version this push produced (1, 2, ...). */
  step: number;
  loss: number;
  client: number;
  /** Updates other clients applied between the client's copy and this push's update. */
  staleness: number;
}

export interface AsyncOptions {
  api: Api;
  shard: string;
  rule: RuleName;
  hyper: Hyper;
  schedule?: Schedule;
  data: TrainData;
  clients: number;
  /** Pushes in all, i.e. updates of the shard. */
  steps: number;
  batchSize: number;
  split: SplitKind;
  /** "round-robin": one push at a time, clients in turn (deterministic; each copy is clients − 1 updates old).
   *  "concurrent": every client pushes as soon as its previous answer came (Promise.all). */
  order?: "round-robin" | "concurrent";
  seed?: number;
  /** Called after every push with the pushes answered so far and the push's loss. */
  onProgress?: ProgressReport;
}

export interface AsyncResult extends Evaluation {
  shard: string;
  rule: RuleName;
  hyper: Hyper;
  schedule?: Schedule;
  clients: number;
  split: SplitKind;
  order: "round-robin" | "concurrent";
  batchSize: number;
  /** Sorted by step. */
  losses: StepLoss[];
  seconds: number;
}

/** One simulated client: its data, its copy of the weights and the version of that copy. */
class AsyncClient {
  private weights: Float32Array;
  private version: number;
  private pushes = 0;
  private readonly batches: Minibatches;

  constructor(
    readonly id: number,
    data: Dataset,
    start: { weights: Float32Array; version: number },
    private readonly options: AsyncOptions,
    private readonly tag: string,
  ) {
    this.weights = start.weights;
    this.version = start.version;
    this.batches = clientBatches(data, options.batchSize, options.seed ?? 1, id);
  }

  /** Computes a gradient on the client's copy, pushes it and adopts the answer. */
  async step(): Promise<StepLoss> {
    const { api, shard, batchSize } = this.options;
    const { loss, gradient } = lossAndGradient(this.weights, this.batches.next());
    const key = `${this.tag}-c${this.id}-${this.pushes++}`;
    // The client retries lost answers and 429/503 with this same key: applied once.
    const result = await api.pushGradient(shard, gradient, { baseVersion: this.version, clientId: `client-${this.id}`, idempotencyKey: key, sampleCount: batchSize });
    const staleness = result.version - 1 - this.version;
    this.weights = result.weights;
    this.version = result.weightsVersion;
    return { step: result.version, loss, client: this.id, staleness };
  }
}

export async function trainAsync(options: AsyncOptions): Promise<AsyncResult> {
  const started = performance.now();
  const { api, shard, rule, hyper, schedule, data, clients, steps, split } = options;
  const order = options.order ?? "concurrent";
  const parts = splitFor(split, data.train, clients, options.seed ?? 1);
  await createFreshShard(api, shard, { rule, hyper, ...(schedule ? { schedule } : {}) });
  const start = await api.getWeights(shard);
  const tag = runTag();
  const simulated = parts.map((part, c) => new AsyncClient(c, part, { weights: start.values.slice(), version: start.version }, options, tag));

  const losses: StepLoss[] = [];
  const record = (step: StepLoss) => {
    losses.push(step);
    options.onProgress?.(losses.length, step.loss);
  };
  if (order === "round-robin") {
    for (let s = 0; s < steps; s++) record(await simulated[s % clients]!.step());
  } else {
    let taken = 0;
    await Promise.all(
      simulated.map(async (client) => {
        while (taken < steps) {
          taken++;
          record(await client.step());
        }
      }),
    );
  }
  losses.sort((a, b) => a.step - b.step);
  const final = await api.getWeights(shard);
  return {
    shard, rule, hyper, ...(schedule ? { schedule } : {}), clients, split, order, batchSize: options.batchSize,
    losses,
    ...evaluate(final.values, data),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Exponential moving average with the start-up bias removed (as Adam's moments, and TensorBoard's
 * smoothing): `avg_t = β avg_{t−1} + (1 − β) x_t`, divided by `1 − β^t`. The first point is x_1.
 */
export function smooth(values: readonly number[], beta: number): number[] {
  let avg = 0;
  return values.map((x, i) => {
    avg = beta * avg + (1 - beta) * x;
    return avg / (1 - beta ** (i + 1));
  });
}

export interface RuleSetting {
  /** The series' name, e.g. "SGD Nesterov". */
  label: string;
  rule: RuleName;
  hyper: Hyper;
}

/**
 * Kingma & Ba (2015), Fig. 1: multinomial logistic regression on MNIST, minibatches of 128.
 * Learning rates: the best held-out accuracy after 500 steps on a grid of 1 and 3 × 10^k (one
 * run each), each rule at its own best, as the paper compares each method at its best setting.
 * The paper's MNIST panel has Adam, SGD Nesterov and Adagrad; RMSProp and AdaDelta are added.
 */
export const KINGMA_BA_RULES: readonly RuleSetting[] = [
  { label: "Adam", rule: "adam", hyper: { lr: 0.01 } },
  { label: "SGD Nesterov", rule: "sgd", hyper: { lr: 0.1, momentum: 0.9, nesterov: true } },
  { label: "Adagrad", rule: "adagrad", hyper: { lr: 0.03 } },
  { label: "RMSProp", rule: "rmsprop", hyper: { lr: 0.003 } },
  { label: "AdaDelta", rule: "adadelta", hyper: { lr: 1 } },
];

export interface CompareOptions {
  api: Api;
  /** Each setting trains its own shard: the prefix and its label, e.g. `${shardPrefix}sgd-nesterov`. */
  shardPrefix: string;
  data: TrainData;
  rules?: readonly RuleSetting[];
  steps: number;
  batchSize?: number;
  /** Decay of the exponential moving average of the training loss (0.98: about the last 50 steps). */
  smoothing?: number;
  seed?: number;
  /** Called after every step of a rule with the rule's label, its steps so far and the step's loss. */
  onProgress?: (label: string, done: number, loss: number) => void;
}

export interface RuleCurve extends Evaluation {
  label: string;
  rule: RuleName;
  hyper: Hyper;
  /** Training loss of each step's minibatch, step 1 first. */
  losses: number[];
  smoothed: number[];
  seconds: number;
}

/**
 * Every rule from zeros over the same minibatches in the same order: one client, async mode,
 * the rules' shards trained side by side.
 */
export async function compareRules(options: CompareOptions): Promise<RuleCurve[]> {
  const { api, shardPrefix, data, steps } = options;
  const beta = options.smoothing ?? 0.98;
  return Promise.all(
    (options.rules ?? KINGMA_BA_RULES).map(async ({ label, rule, hyper }) => {
      const run = await trainAsync({
        api, shard: `${shardPrefix}${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`, rule, hyper, data, steps,
        clients: 1, split: "iid", order: "round-robin", batchSize: options.batchSize ?? 128, seed: options.seed ?? 1,
        onProgress: (done, loss) => options.onProgress?.(label, done, loss),
      });
      const losses = run.losses.map((s) => s.loss);
      return { label, rule, hyper, losses, smoothed: smooth(losses, beta), testAccuracy: run.testAccuracy, testLoss: run.testLoss, trainLoss: run.trainLoss, seconds: run.seconds };
    }),
  );
}
