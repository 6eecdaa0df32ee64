/**
 * Test accuracy of one set of weights and of ensembles: each member's class probabilities for an
 * image, averaged by the client's `averagePredictions`, the class with the largest mean wins.
 */
import { averagePredictions, type EnsembleMember } from "../../sdk/client";
import { CLASSES, PIXELS, type Dataset } from "../mnist/data";
import { accuracy } from "../mnist/model";

const BIAS = CLASSES * PIXELS;

/** Softmax regression's class probabilities for one image (784 pixels): W x + b, then softmax. */
export function probabilities(weights: Float32Array, image: Float32Array): Float32Array {
  const z = new Float64Array(CLASSES);
  for (let k = 0; k < CLASSES; k++) {
    let sum = weights[BIAS + k]!;
    const row = k * PIXELS;
    for (let j = 0; j < PIXELS; j++) sum += weights[row + j]! * image[j]!;
    z[k] = sum;
  }
  const max = Math.max(...z);
  let total = 0;
  for (let k = 0; k < CLASSES; k++) total += z[k] = Math.exp(z[k]! - max);
  return Float32Array.from(z, (v) => v / total);
}

const argmax = (values: ArrayLike<number>): number => {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
};

/** The share of `set` an ensemble gets right: the mean of its members' probabilities, then the most probable class. */
export function ensembleAccuracy(members: readonly EnsembleMember[], set: Dataset): number {
  const predict = averagePredictions(members, probabilities);
  let right = 0;
  for (let n = 0; n < set.size; n++) if (argmax(predict(set.images.subarray(n * PIXELS, (n + 1) * PIXELS))) === set.labels[n]) right++;
  return set.size === 0 ? 0 : right / set.size;
}

/** Each member's own accuracy on `set`. */
export const memberAccuracies = (members: readonly EnsembleMember[], set: Dataset): number[] => members.map((m) => accuracy(m.weights, set));
