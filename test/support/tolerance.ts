/**
 * Float32 comparison in units in the last place. PyTorch rounds after every float32 operation;
 * the reference engine computes each element in float64 and rounds once per stored value; the fast
 * path rounds every float32 operation in its own order. Results agree to a few ulp per update, not
 * bit for bit, and those differences are relative to the magnitudes an element has passed through:
 * a momentum that decays to 1e-8 after a large gradient carries the absolute error of that
 * gradient's step. So an element's error is measured in ulps of the largest magnitude it has had
 * along the trajectory, its initial value included.
 */
const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);

/** The spacing of float32 numbers at magnitude |x|. */
export function ulpOf(x: number): number {
  bits[0] = Math.abs(x);
  const exponent = (ints[0]! >>> 23) & 0xff;
  return exponent === 0 ? 2 ** -149 : 2 ** (exponent - 127 - 23);
}

export interface Mismatch {
  index: number;
  actual: number;
  expected: number;
  ulps: number;
}

/** Tracks one vector along a trajectory and reports its worst error at each step. */
export class TrajectoryTolerance {
  private readonly magnitude: Float64Array;

  constructor(initial: Float32Array) {
    this.magnitude = Float64Array.from(initial, Math.abs);
  }

  /** The worst element of `actual` vs `expected` at this step, in ulps of its largest magnitude so far. */
  check(actual: Float32Array, expected: Float32Array): Mismatch {
    if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
    let worst: Mismatch = { index: -1, actual: 0, expected: 0, ulps: 0 };
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i]!;
      const e = expected[i]!;
      const m = Math.max(this.magnitude[i]!, Math.abs(e));
      this.magnitude[i] = m;
      if (a === e) continue;
      const ulps = Number.isFinite(a - e) ? Math.abs(a - e) / ulpOf(m) : Infinity;
      if (ulps > worst.ulps) worst = { index: i, actual: a, expected: e, ulps };
    }
    return worst;
  }
}
