// Adam / AdamW (torch.optim.Adam, torch.optim.AdamW), one pass, in PyTorch 1.13's operation order:
//   p = keep * p                                (AdamW's decoupled decay: keep = 1 - lr * wd; 1 for Adam)
//   u = sgn * g [+ wd * p]                      (maximize; L2 weight decay: Adam only, variants *_wd)
//   m = b1 * m + c1 * u                         (c1 = 1 - b1)
//   v = b2 * v + (c2 * u) * u                   (c2 = 1 - b2)
//   vmax = max(vmax, v)                         (amsgrad, variants adam_ams*: the root then uses vmax)
//   d = sqrt(v) * rs + eps                      (rs = 1 / sqrt(1 - b2^t); PyTorch divides by sqrt(bc2))
//   or, with eps_root (variants adam_root*), d = sqrt(v * ibc2 + epsRoot) + eps   (ibc2 = 1 / (1 - b2^t))
//   p = p + (step * m) / d                      (step = -lr / (1 - b1^t))
// The per-step scalars come from the caller, computed in f64: `scale` is rs or ibc2.
import { bodyBytes, effectiveGradient, put, firstMoment, secondMoment } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, r: i32,
  sgn: v128, wd: v128, b1: v128, c1: v128, b2: v128, c2: v128, scale: v128, epsRoot: v128, eps: v128, step: v128, keep: v128,
  decay: bool, ams: bool, root: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const mv = firstMoment(m, u, b1, c1);
  let vv = secondMoment(v, u, b2, c2);
  put(m, mv, r);
  put(v, vv, r);
  if (ams) {
    vv = f32x4.max(v128.load(vmax), vv);
    put(vmax, vv, r);
  }
  const d = root
    ? f32x4.add(f32x4.sqrt(f32x4.add(f32x4.mul(vv, scale), epsRoot)), eps)
    : f32x4.add(f32x4.mul(f32x4.sqrt(vv), scale), eps);
  put(p, f32x4.add(f32x4.mul(pv, keep), f32x4.div(f32x4.mul(step, mv), d)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32,
  decay: bool, ams: bool, root: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), b1V = f32x4.splat(b1), c1V = f32x4.splat(c1);
  const b2V = f32x4.splat(b2), c2V = f32x4.splat(c2), scaleV = f32x4.splat(scale), epsRootV = f32x4.splat(epsRoot);
  const epsV = f32x4.splat(eps), stepV = f32x4.splat(step), keepV = f32x4.splat(keep);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    body(p + i, g + i, m + i, v + i, vmax + i, 4, sgnV, wdV, b1V, c1V, b2V, c2V, scaleV, epsRootV, epsV, stepV, keepV, decay, ams, root);
  }
  const r = n & 3;
  if (r != 0) {
    body(p + i, g + i, m + i, v + i, vmax + i, r, sgnV, wdV, b1V, c1V, b2V, c2V, scaleV, epsRootV, epsV, stepV, keepV, decay, ams, root);
  }
}

// Arguments of every variant: (n, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, sgn, wd, b1, 1 - b1, b2, 1 - b2,
// scale, epsRoot, eps, step, keep).
export function adam(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, false, false, false);
}
export function adam_wd(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, true, false, false);
}
export function adam_ams(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, false, true, false);
}
export function adam_ams_wd(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, true, true, false);
}
export function adam_root(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, false, false, true);
}
export function adam_root_wd(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, true, false, true);
}
export function adam_ams_root(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, false, true, true);
}
export function adam_ams_root_wd(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, sgn: f32, wd: f32, b1: f32, c1: f32, b2: f32, c2: f32, scale: f32, epsRoot: f32, eps: f32, step: f32, keep: f32): void {
  walk(n, p, g, m, v, vmax, sgn, wd, b1, c1, b2, c2, scale, epsRoot, eps, step, keep, true, true, true);
}
