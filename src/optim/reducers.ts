/**
 * Reducers of federated rounds: they combine the vectors K clients pushed into one, coordinate by
 * coordinate. `mean` and `weighted_mean` (FedAvg, weights = sample counts) are linear; `median`
 * and `trimmed_mean` are the coordinate-wise robust aggregators of Yin et al. (2018).
 */
export type ReducerSpec =
  | { readonly kind: "mean" }
  | { readonly kind: "weighted_mean" }
  | { readonly kind: "median" }
  | { readonly kind: "trimmed_mean"; readonly trim: number };

/** How many pushes a reducer needs at least. */
export function minimumPushes(spec: ReducerSpec): number {
  return spec.kind === "trimmed_mean" ? 2 * spec.trim + 1 : 1;
}

/** What a reducer combines: float32 pushes, or float64 scalars such as lbfgs's losses (one per push). */
export type Reducible = Float32Array | Float64Array;

/**
 * Combines `vectors` (all of `out.length`) into `out`. `weights` (one per vector, > 0) matter only
 * to `weighted_mean`. The median of an even count is the mean of the two middle values.
 */
export function reduce(spec: ReducerSpec, vectors: readonly Reducible[], weights: readonly number[], out: Reducible): void {
  const k = vectors.length;
  if (k < minimumPushes(spec)) throw new RangeError(`${spec.kind} needs at least ${minimumPushes(spec)} vectors, got ${k}`);
  if (spec.kind === "mean" || spec.kind === "weighted_mean") {
    const w = spec.kind === "mean" ? vectors.map(() => 1) : weights;
    const total = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += w[j]! * vectors[j]![i]!;
      out[i] = sum / total;
    }
    return;
  }
  const column = new Float64Array(k);
  const drop = spec.kind === "trimmed_mean" ? spec.trim : 0;
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < k; j++) column[j] = vectors[j]![i]!;
    column.sort();
    if (spec.kind === "median") {
      out[i] = k % 2 === 1 ? column[(k - 1) / 2]! : (column[k / 2 - 1]! + column[k / 2]!) / 2;
    } else {
      let sum = 0;
      for (let j = drop; j < k - drop; j++) sum += column[j]!;
      out[i] = sum / (k - 2 * drop);
    }
  }
}
