// Adam / AdamW (torch.optim.Adam, torch.optim.AdamW), one pass:
//   u = sgn * g [+ wd * p]                      (maximize; L2 weight decay: Adam only, variant _wd)
//   m = b1 * m + c1 * u                         (c1 = 1 - b1)
//   v = b2 * v + c2 * (u * u)                   (c2 = 1 - b2)
//   vmax = max(vmax, v)                         (amsgrad, variant _ams: the root then uses vmax)
//   p = keep * p + step * (m / (sqrt(v * ibc2 + epsRoot) + eps))
// Per step, from the caller (f64): ibc2 = 1 / (1 - b2^t), step = -lr / (1 - b1^t), and
// keep = 1 - lr * wd, AdamW's decoupled decay (1 for Adam: multiplying by 1 is exact).
import { bodyBytes, effectiveGradient, put } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, b2: v128, c2: v128, ibc2: v128, epsRoot: v128, eps: v128, step: v128, keep: v128,
  decay: bool, ams: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = f32x4.add(f32x4.mul(b1, v128.load(m)), f32x4.mul(c1, u));
  let vv = f32x4.add(f32x4.mul(b2, v128.load(v)), f32x4.mul(c2, f32x4.mul(u, u)));
  put(m, mv, r);
  put(v, vv, r);
  if (ams) {
    vv = f32x4.max(v128.load(vmax), vv);
    put(vmax, vv, r);
  }
  const denom = f32x4.add(f32x4.sqrt(f32x4.add(f32x4.mul(vv, ibc2), epsRoot)), eps);
  put(p, f32x4.add(f32x4.mul(keep, pv), f32x4.mul(step, f32x4.div(mv, denom))), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, epsRoot: f32, eps: f32, step: f32, keep: f32,
  decay: bool, ams: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(c2), ibc2V = f32x4.splat(ibc2), epsRootV = f32x4.splat(epsRoot);
  const epsV = f32x4.splat(eps), stepV = f32x4.splat(step), keepV = f32x4.splat(keep);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    body(p + i, g + i, m + i, v + i, vmax + i, 4, sgnV, wdV, b1V, c1V, b2V, c2V, ibc2V, epsRootV, epsV, stepV, keepV, decay, ams);
  }
  const r = n & 3;
  if (r != 0) {
    body(p + i, g + i, m + i, v + i, vmax + i, r, sgnV, wdV, b1V, c1V, b2V, c2V, ibc2V, epsRootV, epsV, stepV, keepV, decay, ams);
  }
}

export function adam(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, epsRoot: f32, eps: f32, step: f32, keep: f32,
): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, ibc2, epsRoot, eps, step, keep, false, false);
}

export function adam_ams(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, epsRoot: f32, eps: f32, step: f32, keep: f32,
): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, ibc2, epsRoot, eps, step, keep, false, true);
}

export function adam_wd(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, epsRoot: f32, eps: f32, step: f32, keep: f32,
): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, ibc2, epsRoot, eps, step, keep, true, false);
}

export function adam_ams_wd(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, ibc2: f32, epsRoot: f32, eps: f32, step: f32, keep: f32,
): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, ibc2, epsRoot, eps, step, keep, true, true);
}
