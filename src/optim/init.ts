/**
 * Initial weights: zeros, or seeded normal / uniform draws that are the same on every platform
 * (a 32-bit PCG-style generator, no Math.random), so that a shard created twice with one seed
 * starts from the same bits.
 */
export type InitSpec =
  | { readonly kind: "zeros" }
  | { readonly kind: "normal"; readonly mean: number; readonly std: number; readonly seed: number }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number; readonly seed: number };

/**
 * mulberry32: a small, well-mixed 32-bit generator; returns uniform floats in [0, 1). `skip` starts
 * it `skip` draws in, at no cost (its state only counts up), so any stretch of a long stream can be
 * drawn alone: a tensor split across shards is initialised as if drawn whole.
 */
export function seededUniform(seed: number, skip = 0): () => number {
  let a = (seed + Math.imul(skip, 0x6d2b79f5)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from `seed` (Box–Muller over seededUniform: a cosine, then its sine), `skip` draws in. */
export function seededNormal(seed: number, skip = 0): () => number {
  const next = seededUniform(seed, 2 * Math.floor(skip / 2));
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  if (skip % 2 === 1) normal();
  return normal;
}

/** Fills `target` with the spec's draws, starting `skip` draws into its stream. */
export function fillInitial(target: Float32Array, spec: InitSpec, skip = 0): void {
  if (spec.kind === "zeros") {
    target.fill(0);
    return;
  }
  if (spec.kind === "uniform") {
    const next = seededUniform(spec.seed, skip);
    for (let i = 0; i < target.length; i++) target[i] = spec.low + (spec.high - spec.low) * next();
    return;
  }
  const normal = seededNormal(spec.seed, skip);
  for (let i = 0; i < target.length; i++) target[i] = spec.mean + spec.std * normal();
}
