// Adamax (torch.optim.Adamax), one pass:
//   u = sgn * g [+ wd * p]
//   m = b1 * m + c1 * u                                  (c1 = 1 - b1)
//   inf = max(b2 * inf, |u| + eps)
//   p = p + (step * m) / inf                             (step = -lr / (1 - b1^t))
import { bodyBytes, effectiveGradient, put, firstMoment } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, inf: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, b2: v128, eps: v128, step: v128, decay: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = firstMoment(m, u, b1, c1);
  put(m, mv, r);
  const iv = f32x4.max(f32x4.mul(b2, v128.load(inf)), f32x4.add(f32x4.abs(u), eps));
  put(inf, iv, r);
  put(p, f32x4.add(pv, f32x4.div(f32x4.mul(step, mv), iv)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, inf: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, eps: f32, step: f32, decay: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const b2V = f32x4.splat(b2), epsV = f32x4.splat(eps), stepV = f32x4.splat(step);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, m + i, inf + i, 4, sgnV, wdV, b1V, c1V, b2V, epsV, stepV, decay);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, m + i, inf + i, r, sgnV, wdV, b1V, c1V, b2V, epsV, stepV, decay);
}

export function adamax(n: i32, p: usize, g: usize, m: usize, inf: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, eps: f32, step: f32): void {
  walk(n, p, g, m, inf, sgn, wd, b1, c1, b2, eps, step, false);
}
export function adamax_wd(n: i32, p: usize, g: usize, m: usize, inf: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, eps: f32, step: f32): void {
  walk(n, p, g, m, inf, sgn, wd, b1, c1, b2, eps, step, true);
}
