/**
 * Gradient clipping as torch.nn.utils does it, over a gradient split in several vectors that count
 * as one: `clip_grad_norm_` scales every vector by `min(1, max_norm / (total_norm + 1e-6))`,
 * `clip_grad_value_` clamps each element to [-clip, clip].
 */
export type NormType = 2 | "inf";

export function globalNorm(vectors: readonly Float32Array[], normType: NormType = 2): number {
  if (normType === "inf") {
    let max = 0;
    for (const v of vectors) for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
    return max;
  }
  let sum = 0;
  for (const v of vectors) for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** Scales `vectors` in place so their global norm is at most `maxNorm`; returns the norm before. */
export function clipByGlobalNorm(vectors: readonly Float32Array[], maxNorm: number, normType: NormType = 2): number {
  const total = globalNorm(vectors, normType);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const v of vectors) for (let i = 0; i < v.length; i++) v[i] = v[i]! * coef;
  }
  return total;
}

export function clipByValue(vector: Float32Array, clip: number): void {
  for (let i = 0; i < vector.length; i++) vector[i] = Math.min(clip, Math.max(-clip, vector[i]!));
}
