// RAdam (torch.optim.RAdam), one pass, in PyTorch 1.13's operation order:
//   u = sgn * g [+ wd * p]
//   m = b1 * m + c1 * u;  v = b2 * v + (c2 * u) * u      (c1 = 1 - b1, c2 = 1 - b2)
//   t = (m * ibc1) * lr                                  (ibc1 = 1 / (1 - b1^t); PyTorch divides by bc1)
//   rectified (rho_t > 5, variants radam_rect*):
//     p = p - (t * ((1 / (sqrt(v) + eps)) * sbc2)) * rect    (sbc2 = sqrt(1 - b2^t))
//   otherwise: p = p - t
import { bodyBytes, effectiveGradient, put, firstMoment, secondMoment } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, v: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, ibc1: v128, lr: v128, sbc2: v128, rect: v128,
  decay: bool, rectified: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = firstMoment(m, u, b1, c1);
  const vv = secondMoment(v, u, b2, c2);
  put(m, mv, r);
  put(v, vv, r);
  let t = f32x4.mul(f32x4.mul(mv, ibc1), lr);
  if (rectified) {
    const adaptive = f32x4.mul(f32x4.div(f32x4.splat(1), f32x4.add(f32x4.sqrt(vv), eps)), sbc2);
    t = f32x4.mul(f32x4.mul(t, adaptive), rect);
  }
  put(p, f32x4.sub(pv, t), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, v: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, ibc1: f32, lr: f32, sbc2: f32, rect: f32,
  decay: bool, rectified: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(c2), epsV = f32x4.splat(eps), ibc1V = f32x4.splat(ibc1);
  const lrV = f32x4.splat(lr), sbc2V = f32x4.splat(sbc2), rectV = f32x4.splat(rect);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    body(p + i, g + i, m + i, v + i, 4, sgnV, wdV, b1V, c1V, b2V, c2V, epsV, ibc1V, lrV, sbc2V, rectV, decay, rectified);
  }
  const r = n & 3;
  if (r != 0) body(p + i, g + i, m + i, v + i, r, sgnV, wdV, b1V, c1V, b2V, c2V, epsV, ibc1V, lrV, sbc2V, rectV, decay, rectified);
}

// Arguments of every variant: (n, p, g, exp_avg, exp_avg_sq, sgn, wd, b1, 1 - b1, b2, 1 - b2, eps, ibc1, lr, sbc2, rect).
export function radam(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, ibc1: f32, lr: f32, sbc2: f32, rect: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, ibc1, lr, sbc2, rect, false, false);
}
export function radam_wd(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, ibc1: f32, lr: f32, sbc2: f32, rect: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, ibc1, lr, sbc2, rect, true, false);
}
export function radam_rect(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, ibc1: f32, lr: f32, sbc2: f32, rect: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, ibc1, lr, sbc2, rect, false, true);
}
export function radam_rect_wd(n: i32, p: usize, g: usize, m: usize, v: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, ibc1: f32, lr: f32, sbc2: f32, rect: f32): void {
  walk(n, p, g, m, v, sgn, wd, b1, c1, b2, c2, eps, ibc1, lr, sbc2, rect, true, true);
}
