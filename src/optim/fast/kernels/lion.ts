// Lion (Chen et al. 2023, Algorithm 2), one pass:
//   u = sgn * g
//   c = b1 * m + c1 * u                          (c1 = 1 - b1)
//   m = b2 * m + c2 * u                          (c2 = 1 - b2)
//   p = keep * p + step * sign(c)                (keep = 1 - lr * wd, decoupled; step = -lr)
// sign(0) = 0 and sign(NaN) = NaN, as Math.sign and torch.sign.
import { bodyBytes, put } from "./common";

// @ts-ignore: decorator
@inline function sign(c: v128, one: v128, zero: v128): v128 {
  const s = f32x4.sub(v128.and(f32x4.gt(c, zero), one), v128.and(f32x4.lt(c, zero), one));
  return v128.bitselect(c, s, f32x4.ne(c, c));
}

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, r: i32,
  sgn: v128, b1: v128, c1: v128, b2: v128, c2: v128, step: v128, keep: v128, one: v128, zero: v128,
): void {
  const u = f32x4.mul(v128.load(g), sgn);
  const mv = v128.load(m);
  const c = f32x4.add(f32x4.mul(b1, mv), f32x4.mul(c1, u));
  put(m, f32x4.add(f32x4.mul(b2, mv), f32x4.mul(c2, u)), r);
  put(p, f32x4.add(f32x4.mul(v128.load(p), keep), f32x4.mul(step, sign(c, one, zero))), r);
}

// Arguments: (n, p, g, exp_avg, sgn, b1, 1 - b1, b2, 1 - b2, step, keep).
export function lion(n: i32, p: usize, g: usize, m: usize, sgn: f32, b1: f32, c1: f32, b2: f32, c2: f32, step: f32, keep: f32): void {
  const sgnV = f32x4.splat(sgn), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1), b2V = f32x4.splat(b2), c2V = f32x4.splat(c2);
  const stepV = f32x4.splat(step), keepV = f32x4.splat(keep), one = f32x4.splat(1), zero = f32x4.splat(0);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, m + i, 4, sgnV, b1V, c1V, b2V, c2V, stepV, keepV, one, zero);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, m + i, r, sgnV, b1V, c1V, b2V, c2V, stepV, keepV, one, zero);
}
