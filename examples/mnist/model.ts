/**
 * Softmax (multinomial logistic) regression on 784 pixels. The parameters are one Float32Array —
 * the shard's vector: W as 10 rows of 784 (row-major), then the 10 biases. Arithmetic in float64.
 */
import * as data from "./data";
import type { Dataset } from "./data";

// Module-local copies for the inner loops: a test runner that rewrites imports (vitest) reads an
// imported binding as an object property at every use, which makes these loops ten times slower.
const PIXELS = data.PIXELS;
const CLASSES = data.CLASSES;
const BIAS = CLASSES * PIXELS;

export const PARAMETERS = CLASSES * PIXELS + CLASSES; // 7850

/** Logits of sample `n` of `set` into `out` (10 values). */
function logits(params: Float32Array, set: Dataset, n: number, out: Float64Array): void {
  const x = set.images;
  const at = n * PIXELS;
  for (let k = 0; k < CLASSES; k++) {
    let z = params[BIAS + k]!;
    const row = k * PIXELS;
    for (let j = 0; j < PIXELS; j++) z += params[row + j]! * x[at + j]!;
    out[k] = z;
  }
}

/** Turns logits into probabilities in place (max subtracted first) and answers log Σ exp. */
function softmax(z: Float64Array): number {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let k = 0; k < z.length; k++) sum += z[k] = Math.exp(z[k]! - max);
  for (let k = 0; k < z.length; k++) z[k]! /= sum;
  return max + Math.log(sum);
}

/** −log softmax(z)[label]; leaves the probabilities in `z`. */
function crossEntropy(z: Float64Array, label: number): number {
  const zLabel = z[label]!;
  return softmax(z) - zLabel;
}

function checkLength(params: Float32Array): void {
  if (params.length !== PARAMETERS) throw new RangeError(`expected ${PARAMETERS} parameters, got ${params.length}`);
}

/** Mean cross-entropy of `batch` and its gradient with respect to the parameters. */
export function lossAndGradient(params: Float32Array, batch: Dataset): { loss: number; gradient: Float32Array } {
  checkLength(params);
  const sum = new Float64Array(PARAMETERS);
  const p = new Float64Array(CLASSES);
  let loss = 0;
  for (let n = 0; n < batch.size; n++) {
    logits(params, batch, n, p);
    const label = batch.labels[n]!;
    loss += crossEntropy(p, label);
    p[label]! -= 1; // ∂loss/∂z = softmax − one-hot
    const x = batch.images.subarray(n * PIXELS, (n + 1) * PIXELS);
    for (let k = 0; k < CLASSES; k++) {
      const d = p[k]!;
      sum[BIAS + k]! += d;
      if (d === 0) continue;
      const row = k * PIXELS;
      for (let j = 0; j < PIXELS; j++) sum[row + j]! += d * x[j]!;
    }
  }
  const gradient = new Float32Array(PARAMETERS);
  for (let i = 0; i < PARAMETERS; i++) gradient[i] = sum[i]! / batch.size;
  return { loss: loss / batch.size, gradient };
}

/** Mean cross-entropy of `set`. */
export function meanLoss(params: Float32Array, set: Dataset): number {
  checkLength(params);
  const z = new Float64Array(CLASSES);
  let loss = 0;
  for (let n = 0; n < set.size; n++) {
    logits(params, set, n, z);
    loss += crossEntropy(z, set.labels[n]!);
  }
  return loss / set.size;
}

/** The share of `set` whose largest logit is at its label. */
export function accuracy(params: Float32Array, set: Dataset): number {
  checkLength(params);
  const z = new Float64Array(CLASSES);
  let right = 0;
  for (let n = 0; n < set.size; n++) {
    logits(params, set, n, z);
    let best = 0;
    for (let k = 1; k < CLASSES; k++) if (z[k]! > z[best]!) best = k;
    if (best === set.labels[n]) right++;
  }
  return set.size === 0 ? 0 : right / set.size;
}
