/** Small helpers of the benchmarks: order statistics, a sleep, a seeded gradient. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * The gradient of a run's push `seq`: `base` rotated by `seq` × 7,919 elements, so that no two of
 * the first `base.length` pushes carry the same bytes at the same place. A bench that pushed one
 * gradient again and again would measure less than training writes: SQLite compares each page of
 * a row it overwrites and writes only those that changed, so a page rewritten with the bytes it
 * holds costs a read, not a write (a ring of the gradient log, a floor's pages).
 */
export function gradientOfPush(base: Float32Array, seq: number): Float32Array {
  const shift = (seq * 7_919) % base.length;
  if (shift === 0) return base;
  const rotated = new Float32Array(base.length);
  rotated.set(base.subarray(shift));
  rotated.set(base.subarray(0, shift), base.length - shift);
  return rotated;
}

/**
 * A safetensors gradient of a run's push `seq`: the same header, its float32 data (every tensor's,
 * end to end) rotated as `gradientOfPush` rotates a vector. bench/python/step.py rotates its pushes
 * the same way.
 */
export function safetensorsOfPush(bytes: Uint8Array, seq: number): Uint8Array {
  const start = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const rotated = gradientOfPush(new Float32Array(bytes.slice(start).buffer), seq);
  const out = new Uint8Array(bytes.length);
  out.set(bytes.subarray(0, start));
  out.set(new Uint8Array(rotated.buffer, rotated.byteOffset, rotated.byteLength), start);
  return out;
}

/** `n` small floats from a xorshift generator seeded with `seed`. */
export function randomGradient(n: number, seed: number): Float32Array {
  const g = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    g[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 1e-2;
  }
  return g;
}

/** Fewest seconds per call of each function: warmed up, then `reps` rounds of a batch of each in turn. */
export function fastest<K extends string>(fns: Record<K, () => void>, repMs: number, reps: number): Record<K, number> {
  const keys = Object.keys(fns) as K[];
  const batch = {} as Record<K, number>;
  for (const k of keys) {
    let calls = 0;
    const t0 = performance.now();
    while (calls < 2 || performance.now() - t0 < 2 * repMs) {
      fns[k]();
      calls++;
    }
    batch[k] = Math.max(1, Math.round(repMs / ((performance.now() - t0) / calls)));
  }
  const best = {} as Record<K, number>;
  for (const k of keys) best[k] = Infinity;
  for (let r = 0; r < reps; r++) {
    for (const k of keys) {
      const t0 = performance.now();
      for (let i = 0; i < batch[k]; i++) fns[k]();
      best[k] = Math.min(best[k], (performance.now() - t0) / batch[k] / 1000);
    }
  }
  return best;
}
