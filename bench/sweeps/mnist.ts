/**
 * The MNIST objective of `npm run bench:sweeps`: softmax regression on MNIST digits average-pooled
 * to 7 × 7 (4 × 4 blocks: 49 features, 500 parameters), trained from zero weights by minibatch SGD
 * with momentum (PyTorch's form: v ← μv + g, w ← w − lr·v) for a fixed number of steps on a fixed
 * subset, scored by the mean cross-entropy on a held-out subset. The data come from the `mnist`
 * package through examples/mnist/data.ts; the minibatches are a fixed index stream (seeded
 * shuffles of the training subset, one after another) so that scripts/sweeps/optuna-bench.py,
 * which reads the same arrays from the files `exportMnist` writes, trains on exactly the same
 * batches. Arithmetic in float64 in both languages.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLASSES, loadMnist, shuffledIndices, type Dataset } from "../../examples/mnist/data";
import type { Assignment, Space } from "../../src/sweeps/space";

const SIDE = 28;
const POOL = 4;
export const FEATURES = (SIDE / POOL) ** 2; // 49
export const TRAIN = 2000;
export const VALIDATION = 1000;
export const STEPS = 200;
/** The objective of a diverged run (its validation loss is not finite or above this). */
export const LOSS_CAP = 10;

export const MNIST_SPACE: Space = [
  { name: "lr", spec: { kind: "log_uniform", low: 1e-3, high: 10 } },
  { name: "momentum", spec: { kind: "uniform", low: 0, high: 0.99 } },
  { name: "batch", spec: { kind: "int", low: 4, high: 128, log: true } },
];
const MAX_BATCH = 128;

export interface MnistData {
  readonly trainX: Float64Array;
  readonly trainY: Uint8Array;
  readonly valX: Float64Array;
  readonly valY: Uint8Array;
  /** Training-sample indices; step t with batch size B uses [t·B, (t + 1)·B). */
  readonly batches: Int32Array;
}

function pooled(set: Dataset, indices: readonly number[]): { x: Float64Array; y: Uint8Array } {
  const x = new Float64Array(indices.length * FEATURES);
  const y = new Uint8Array(indices.length);
  const cells = SIDE / POOL;
  indices.forEach((from, n) => {
    y[n] = set.labels[from]!;
    const image = set.images.subarray(from * SIDE * SIDE, (from + 1) * SIDE * SIDE);
    for (let r = 0; r < SIDE; r++)
      for (let c = 0; c < SIDE; c++) x[n * FEATURES + Math.floor(r / POOL) * cells + Math.floor(c / POOL)]! += image[r * SIDE + c]! / (POOL * POOL);
  });
  return { x, y };
}

export function mnistData(): MnistData {
  const { train, test } = loadMnist();
  const t = pooled(train, shuffledIndices(train.size, 1).slice(0, TRAIN));
  const v = pooled(test, shuffledIndices(test.size, 2).slice(0, VALIDATION));
  const batches = new Int32Array(STEPS * MAX_BATCH);
  for (let at = 0, epoch = 0; at < batches.length; epoch++) {
    for (const i of shuffledIndices(TRAIN, 100 + epoch)) {
      if (at === batches.length) break;
      batches[at++] = i;
    }
  }
  return { trainX: t.x, trainY: t.y, valX: v.x, valY: v.y, batches };
}

/** Writes the arrays for scripts/sweeps/optuna-bench.py (raw little-endian files plus meta.json). */
export function exportMnist(data: MnistData, dir: string): void {
  const raw = (name: string, a: ArrayBufferView) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  raw("train_x.f64", data.trainX);
  raw("train_y.u8", data.trainY);
  raw("val_x.f64", data.valX);
  raw("val_y.u8", data.valY);
  raw("batches.i32", data.batches);
  writeFileSync(join(dir, "meta.json"), JSON.stringify({ features: FEATURES, classes: CLASSES, train: TRAIN, validation: VALIDATION, steps: STEPS, loss_cap: LOSS_CAP }));
}

const K = CLASSES;
const D = FEATURES;

/** Softmax probabilities of row `n` of `x` into `p`; answers −log p[label]. */
function forward(w: Float64Array, b: Float64Array, x: Float64Array, n: number, label: number, p: Float64Array): number {
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    let z = b[k]!;
    for (let j = 0; j < D; j++) z += w[k * D + j]! * x[n * D + j]!;
    p[k] = z;
    if (z > max) max = z;
  }
  const zLabel = p[label]!;
  let sum = 0;
  for (let k = 0; k < K; k++) sum += p[k] = Math.exp(p[k]! - max);
  const loss = max + Math.log(sum) - zLabel;
  for (let k = 0; k < K; k++) p[k]! /= sum;
  return loss;
}

/** The validation loss after training with `params` (lr, momentum, batch). */
export function mnistLoss(data: MnistData, params: Assignment): number {
  const lr = params.lr as number;
  const mu = params.momentum as number;
  const batch = params.batch as number;
  const w = new Float64Array(K * D);
  const b = new Float64Array(K);
  const vw = new Float64Array(K * D);
  const vb = new Float64Array(K);
  const gw = new Float64Array(K * D);
  const gb = new Float64Array(K);
  const p = new Float64Array(K);
  for (let t = 0; t < STEPS; t++) {
    gw.fill(0);
    gb.fill(0);
    for (let i = t * batch; i < (t + 1) * batch; i++) {
      const n = data.batches[i]!;
      forward(w, b, data.trainX, n, data.trainY[n]!, p);
      p[data.trainY[n]!]! -= 1;
      for (let k = 0; k < K; k++) {
        const d = p[k]!;
        gb[k]! += d;
        for (let j = 0; j < D; j++) gw[k * D + j]! += d * data.trainX[n * D + j]!;
      }
    }
    for (let i = 0; i < K * D; i++) {
      vw[i] = mu * vw[i]! + gw[i]! / batch;
      w[i]! -= lr * vw[i]!;
    }
    for (let k = 0; k < K; k++) {
      vb[k] = mu * vb[k]! + gb[k]! / batch;
      b[k]! -= lr * vb[k]!;
    }
  }
  let loss = 0;
  for (let n = 0; n < VALIDATION; n++) loss += forward(w, b, data.valX, n, data.valY[n]!, p);
  loss /= VALIDATION;
  return Number.isFinite(loss) && loss <= LOSS_CAP ? loss : LOSS_CAP;
}
