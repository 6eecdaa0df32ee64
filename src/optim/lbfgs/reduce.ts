/**
 * The float32 reductions torch.optim.LBFGS uses, in torch 1.13's own summation orders (equal bit for
 * bit to Debian's build: test/golden/lbfgs.json's `reductions`, lengths 1 to 4099):
 * - `a.dot(b)` goes to the reference BLAS `sdot`: one float32 accumulator, left to right;
 * - `a.sum()` is ATen's cascade sum (SumKernel.cpp) with 8-lane vectors (the portable kernels),
 *   four of them in flight, the tail elements summed apart.
 */
const fr = Math.fround;

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum = fr(sum + fr(a[i]! * b[i]!));
  return sum;
}

/** `max(|a|)` (exact). */
export function absMax(a: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!));
  return max;
}

const LANES = 8;
const ILP = 4;
const LEVELS = 4;

/**
 * ATen's `multi_row_sum` + `row_sum` over `rows` rows of `ILP` accumulators of `width` lanes, where
 * element (row, k, lane) is `load((row * ILP + k) * width + lane)`, then the leftover rows' elements
 * into accumulator 0 and accumulators 1..3 into 0. Returns the `width` lanes of accumulator 0.
 */
function rowSum(load: (i: number) => number, count: number, width: number): Float64Array {
  const rows = Math.floor(count / ILP);
  const ceilLog2 = rows <= 2 ? 1 : 32 - Math.clz32(rows - 1); // c10's CeilLog2
  const power = Math.max(4, Math.floor(ceilLog2 / LEVELS));
  const step = 2 ** power;
  const mask = step - 1;
  const acc = Array.from({ length: LEVELS }, () => new Float64Array(ILP * width));
  const level0 = acc[0]!;
  const addRow = (row: number) => {
    for (let k = 0; k < ILP; k++) {
      for (let lane = 0; lane < width; lane++) {
        const j = k * width + lane;
        level0[j] = fr(level0[j]! + load((row * ILP + k) * width + lane));
      }
    }
  };
  let i = 0;
  while (i + step <= rows) {
    for (let j = 0; j < step; j++, i++) addRow(i);
    for (let level = 1; level < LEVELS; level++) {
      const up = acc[level]!;
      const down = acc[level - 1]!;
      for (let j = 0; j < up.length; j++) {
        up[j] = fr(up[j]! + down[j]!);
        down[j] = 0;
      }
      if ((i & (mask * 2 ** (level * power))) !== 0) break;
    }
  }
  for (; i < rows; i++) addRow(i);
  for (let level = 1; level < LEVELS; level++) {
    const up = acc[level]!;
    for (let j = 0; j < up.length; j++) level0[j] = fr(level0[j]! + up[j]!);
  }
  for (let e = rows * ILP; e < count; e++) {
    for (let lane = 0; lane < width; lane++) level0[lane] = fr(level0[lane]! + load(e * width + lane));
  }
  for (let k = 1; k < ILP; k++) {
    for (let lane = 0; lane < width; lane++) level0[lane] = fr(level0[lane]! + level0[k * width + lane]!);
  }
  return level0.subarray(0, width);
}

/** `a.abs().sum()` as ATen computes it for a contiguous float32 vector. */
export function absSum(a: Float32Array): number {
  const load = (i: number) => Math.abs(a[i]!);
  if (a.length < LANES) return rowSum(load, a.length, 1)[0]!;
  const vectors = Math.floor(a.length / LANES);
  const lanes = rowSum(load, vectors, LANES);
  let sum = 0;
  for (let i = vectors * LANES; i < a.length; i++) sum = fr(sum + load(i));
  for (let lane = 0; lane < LANES; lane++) sum = fr(sum + lanes[lane]!);
  return sum;
}
