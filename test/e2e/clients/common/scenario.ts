/**
 * What every program sends and what it must get back: an Adam shard of six floats with an EMA of
 * its weights, two pushes, and a two-tensor model. The expected numbers are computed here, in
 * float64, from the formulas of docs/rules.md (no shardstep code).
 */
export const LENGTH = 6;
export const LR = 0.05;
export const EMA_DECAY = 0.5;
/** PyTorch's Adam defaults, which the server must fill in for the fields a program leaves out. */
export const ADAM_DEFAULTS = { betas: [0.9, 0.999], eps: 1e-8 };

export const GRADIENTS: Float32Array<ArrayBuffer>[] = [
  Float32Array.from([0.5, -1, 2, -0.25, 0.125, -3]),
  Float32Array.from([-0.5, 1.5, 0.25, -2, 1, 0.75]),
];

/** The model's tensors: name, shape and the gradient pushed for it. */
export const MODEL_TENSORS: { name: string; shape: number[]; gradient: Float32Array<ArrayBuffer> }[] = [
  { name: "dense.weight", shape: [2, 3], gradient: Float32Array.from([0.1, -0.2, 0.3, -0.4, 0.5, -0.6]) },
  { name: "dense.bias", shape: [3], gradient: Float32Array.from([0.5, -0.5, 0.25]) },
];

/** The weights after each Adam step (from zeros) over `gradients`: w -= lr · (m / bc1) / (sqrt(v / bc2) + eps). */
export function adamWeights(gradients: readonly Float32Array[], lr = LR): Float64Array[] {
  const [beta1, beta2] = [0.9, 0.999];
  const eps = ADAM_DEFAULTS.eps;
  const length = gradients[0]?.length ?? 0;
  const w = new Float64Array(length);
  const m = new Float64Array(length);
  const v = new Float64Array(length);
  const after: Float64Array[] = [];
  gradients.forEach((g, index) => {
    const t = index + 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    for (let i = 0; i < length; i++) {
      const gi = g[i] ?? NaN;
      m[i] = beta1 * (m[i] ?? 0) + (1 - beta1) * gi;
      v[i] = beta2 * (v[i] ?? 0) + (1 - beta2) * gi * gi;
      w[i] = (w[i] ?? 0) - (lr * ((m[i] ?? 0) / bc1)) / (Math.sqrt((v[i] ?? 0) / bc2) + eps);
    }
    after.push(Float64Array.from(w));
  });
  return after;
}

/** An EMA that copies the first weights folded in, then folds: a = decay · a + (1 − decay) · w. */
export function emaOf(weights: readonly ArrayLike<number>[], decay = EMA_DECAY): Float64Array {
  const [first, ...rest] = weights;
  const average = Float64Array.from(first ?? []);
  for (const w of rest) for (let i = 0; i < average.length; i++) average[i] = decay * (average[i] ?? 0) + (1 - decay) * (w[i] ?? NaN);
  return average;
}
