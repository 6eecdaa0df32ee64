// NAdam (torch.optim.NAdam, the 2.x formula as src/optim/rules/nadam.ts states it), one pass:
//   u = sgn * g [+ wd * p]
//   m = b1 * m + c1 * u;  v = b2 * v + (c2 * u) * u      (c1 = 1 - b1, c2 = 1 - b2)
//   p = p + (cg * u + cm * m) / (sqrt(v * ibc2) + eps)
// with, from the caller: ibc2 = 1 / (1 - b2^t), cg = -lr * (1 - mu_t) / (1 - mu_product),
// cm = -lr * mu_{t+1} / (1 - mu_product * mu_{t+1}). PyTorch 2.x updates m with lerp_ (which
// turns infinite gradients into NaN where this formula keeps them infinite), divides v by bc2 and
// adds the two terms to p in two addcdiv_ (two divisions): one division is saved here.
import { bodyBytes, effectiveGradient, put, firstMoment, secondMoment } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, v: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, b2: v128, c2: v128, ibc2: v128, eps: v128, cg: v128, cm: v128, decay: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = firstMoment(m, u, b1, c1);
  const vv = secondMoment(v, u, b2, c2);
  put(m, mv, r);
  put(v, vv, r);
  const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vv, ibc2)), eps);
  put(p, f32x4.add(pv, f32x4.div(f32x4.add(f32x4.mul(cg, u), f32x4.mul(cm, mv)), denom)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, v: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, eps: f32, cg: f32, cm: f32, decay: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(c2), ibc2V = f32x4.splat(ibc2), epsV = f32x4.splat(eps);
  const cgV = f32x4.splat(cg), cmV = f32x4.splat(cm);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, m + i, v + i, 4, sgnV, wdV, b1V, c1V, b2V, c2V, ibc2V, epsV, cgV, cmV, decay);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, m + i, v + i, r, sgnV, wdV, b1V, c1V, b2V, c2V, ibc2V, epsV, cgV, cmV, decay);
}

// Arguments: (n, p, g, exp_avg, exp_avg_sq, sgn, wd, b1, 1 - b1, b2, 1 - b2, ibc2, eps, cg, cm).
export function nadam(
  n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, eps: f32, cg: f32, cm: f32,
): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, ibc2, eps, cg, cm, false);
}
export function nadam_wd(
  n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, eps: f32, cg: f32, cm: f32,
): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, ibc2, eps, cg, cm, true);
}
