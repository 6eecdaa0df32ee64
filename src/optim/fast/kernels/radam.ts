// RAdam (torch.optim.RAdam), one pass:
//   u = sgn * g [+ wd * p]
//   m = b1 * m + c1 * u;  v = b2 * v + c2 * (u * u)      (c1 = 1 - b1, c2 = 1 - b2)
//   rectified (variants radam_rect*): p = p + step * (m / (sqrt(v) + eps))
//     with step = -lr * rect_t * sqrt(1 - b2^t) / (1 - b1^t)
//   otherwise (rho_t <= 5):           p = p + step * m   with step = -lr / (1 - b1^t)
import { bodyBytes, effectiveGradient, put } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, v: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, step: v128, decay: bool, rect: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = f32x4.add(f32x4.mul(b1, v128.load(m)), f32x4.mul(c1, u));
  const vv = f32x4.add(f32x4.mul(b2, v128.load(v)), f32x4.mul(c2, f32x4.mul(u, u)));
  put(m, mv, r);
  put(v, vv, r);
  const d = rect ? f32x4.div(mv, f32x4.add(f32x4.sqrt(vv), eps)) : mv;
  put(p, f32x4.add(pv, f32x4.mul(step, d)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, v: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, step: f32, decay: bool, rect: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(c2), epsV = f32x4.splat(eps), stepV = f32x4.splat(step);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, m + i, v + i, 4, sgnV, wdV, b1V, c1V, b2V, c2V, epsV, stepV, decay, rect);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, m + i, v + i, r, sgnV, wdV, b1V, c1V, b2V, c2V, epsV, stepV, decay, rect);
}

export function radam(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, step: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, step, false, false);
}
export function radam_wd(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, step: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, step, true, false);
}
export function radam_rect(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, step: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, step, false, true);
}
export function radam_rect_wd(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, step: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, step, true, true);
}
