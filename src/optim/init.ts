/**
 * Initial weights: zeros, or seeded normal / uniform draws that are the same on every platform
 * (a 32-bit PCG-style generator, no Math.random), so that a shard created twice with one seed
 * starts from the same bits.
 */
export type InitSpec =
  | { readonly kind: "zeros" }
  | { readonly kind: "normal"; readonly mean: number; readonly std: number; readonly seed: number }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number; readonly seed: number };

/** mulberry32: a small, well-mixed 32-bit generator; returns uniform floats in [0, 1). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fillInitial(target: Float32Array, spec: InitSpec): void {
  if (spec.kind === "zeros") {
    target.fill(0);
    return;
  }
  const next = seededUniform(spec.seed);
  if (spec.kind === "uniform") {
    for (let i = 0; i < target.length; i++) target[i] = spec.low + (spec.high - spec.low) * next();
    return;
  }
  // Box–Muller, two draws per pair of outputs.
  for (let i = 0; i < target.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    target[i] = spec.mean + spec.std * r * Math.cos(theta);
    if (i + 1 < target.length) target[i + 1] = spec.mean + spec.std * r * Math.sin(theta);
  }
}
