/**
 * What every worker does with a trial: softmax regression on MNIST (examples/mnist), trained
 * through the trial's shard. Each step computes the gradient of a minibatch at the weights the last
 * push answered and pushes it; the shard's rule (the trial's) takes the step. Every few steps the
 * validation loss and accuracy are reported (with a checkpoint now and then), and the master
 * answers continue or stop; the trial completes with its final validation loss and accuracy.
 */
import type { Shardstep, TrainFunction } from "../../sdk/client";
import { loadMnist, Minibatches, shuffledIndices, subset, type Dataset } from "../mnist/data";
import { accuracy, lossAndGradient, meanLoss } from "../mnist/model";

/** The package's 10,000 digits: 8,000 train (7,000 to fit, 1,000 to validate: the sweep's objective), 2,000 test (the ensembles' accuracy). */
export interface SweepData {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}

/** The validation images: a fixed seeded draw of 1,000 of the 8,000 training images. */
const VALIDATION = { size: 1_000, seed: 20_240 };

export function sweepData(): SweepData {
  const { train, test } = loadMnist();
  const order = shuffledIndices(train.size, VALIDATION.seed);
  return { train: subset(train, order.slice(VALIDATION.size)), validation: subset(train, order.slice(0, VALIDATION.size)), test };
}

export interface TrainSettings {
  /** Images per minibatch (one push). */
  batchSize: number;
  /** Report the validation loss every this many steps (before the last: the completion reports that one). */
  reportEvery: number;
  /** Checkpoint the trial's shard with every this-many-th step's report. */
  checkpointEvery: number;
}

export const DEFAULT_TRAIN: TrainSettings = { batchSize: 64, reportEvery: 20, checkpointEvery: 40 };

/** What a worker needs: the images it trains on and those it validates on. */
export type WorkerData = Pick<SweepData, "train" | "validation">;

/** The objective (the validation loss) and the validation accuracy of `weights`. */
export function validate(weights: Float32Array, data: WorkerData): { loss: number; accuracy: number } {
  return { loss: meanLoss(weights, data.validation), accuracy: accuracy(weights, data.validation) };
}

/**
 * The training function of `api.sweeps.work`: trains `trial` (its shard, its budget in steps, its
 * seed for the minibatch order) and answers its final validation metrics. A resumed trial (its
 * lease expired and the master gave it to this worker) starts from its shard's checkpoint, after
 * the minibatches of the steps before it.
 */
export function mnistTrainer(api: Pick<Shardstep, "getWeights" | "pushGradient">, data: WorkerData, settings: TrainSettings, clientId?: string): TrainFunction {
  return async (trial, ctx) => {
    const shard = trial.shard;
    if (shard === null) throw new Error("the sweep has no template: its trials have no shard to train");
    const batches = new Minibatches(data.train, settings.batchSize, trial.seed);
    for (let s = 0; s < ctx.resumeStep; s++) batches.next();
    let weights = (await api.getWeights(shard, { signal: ctx.signal })).values;
    for (let step = ctx.resumeStep + 1; step <= trial.budget; step++) {
      const { gradient } = lossAndGradient(weights, batches.next());
      // A new Idempotency-Key per push (the client's default), the same on its retries: a resumed
      // trial repeats steps on a restored shard, where an old key would be answered, not applied.
      const pushed = await api.pushGradient(shard, gradient, { sampleCount: settings.batchSize, signal: ctx.signal, ...(clientId ? { clientId } : {}) });
      weights = pushed.weights;
      // No report at the last step: the completion carries its metrics (the median rule, asked at
      // the last step, would prune a trial that has used its whole budget).
      if (step % settings.reportEvery !== 0 || step === trial.budget) continue;
      // A diverged trial (NaN loss) throws here and is completed as failed.
      const answer = await ctx.report(step, validate(weights, data), { checkpoint: step % settings.checkpointEvery === 0 });
      if (answer.stop) break; // pruned, or the budget is used
    }
    const final = validate(weights, data);
    if (!Number.isFinite(final.loss)) throw new Error(`the validation loss is ${final.loss}: the trial diverged`);
    return final;
  };
}
