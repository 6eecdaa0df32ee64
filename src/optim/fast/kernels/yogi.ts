// Yogi (optax.scale_by_yogi, no bias correction), one pass:
//   u = sgn * g [+ wd * p]
//   m = b1 * m + c1 * u                                  (c1 = 1 - b1)
//   u2 = u * u;  v = v - sign(v - u2) * (c2 * u2)        (c2 = 1 - b2; sign(NaN) is NaN)
//   p = p + (nlr * m) / (sqrt(v + epsRoot) + eps)        (nlr = -lr)
import { bodyBytes, effectiveGradient, put, firstMoment } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, v: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, c2: v128, epsRoot: v128, eps: v128, nlr: v128, decay: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = firstMoment(m, u, b1, c1);
  put(m, mv, r);
  const u2 = f32x4.mul(u, u);
  const t = f32x4.mul(c2, u2);
  const v0 = v128.load(v);
  const d = f32x4.sub(v0, u2);
  const zero = f32x4.splat(0);
  // sign(d) * t: t where d > 0, -t where d < 0, 0 where d == 0, NaN (all bits set) where d is NaN.
  const signed = v128.or(
    v128.or(v128.and(f32x4.gt(d, zero), t), v128.and(f32x4.lt(d, zero), f32x4.neg(t))),
    f32x4.ne(d, d),
  );
  const vv = f32x4.sub(v0, signed);
  put(v, vv, r);
  const denom = f32x4.add(f32x4.sqrt(f32x4.add(vv, epsRoot)), eps);
  put(p, f32x4.add(pv, f32x4.div(f32x4.mul(nlr, mv), denom)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, v: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, c2: f32, epsRoot: f32, eps: f32, nlr: f32, decay: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const c2V = f32x4.splat(c2), epsRootV = f32x4.splat(epsRoot), epsV = f32x4.splat(eps), nlrV = f32x4.splat(nlr);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, m + i, v + i, 4, sgnV, wdV, b1V, c1V, c2V, epsRootV, epsV, nlrV, decay);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, m + i, v + i, r, sgnV, wdV, b1V, c1V, c2V, epsRootV, epsV, nlrV, decay);
}

export function yogi(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, c2: f32, epsRoot: f32, eps: f32, nlr: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, c2, epsRoot, eps, nlr, false);
}
export function yogi_wd(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, c2: f32, epsRoot: f32, eps: f32, nlr: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, c2, epsRoot, eps, nlr, true);
}
