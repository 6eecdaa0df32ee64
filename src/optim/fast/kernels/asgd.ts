// ASGD (torch.optim.ASGD, 1.13), one pass, in PyTorch's float32 operations:
//   u = sgn * g [+ wd * p]                       (variants *_wd)
//   p = p * keep + rate * u                      (keep = 1 - lambd * eta, rate = -eta)
//   ax = p                                       (while mu = 1: variants asgd, asgd_wd)
//   ax = ax + (p - ax) * mu                      (variants asgd_avg*)
// eta and mu are the caller's per-update scalars.
import { bodyBytes, effectiveGradient, put } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, ax: usize, r: i32, sgn: v128, wd: v128, keep: v128, rate: v128, mu: v128, decay: bool, average: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const next = f32x4.add(f32x4.mul(pv, keep), f32x4.mul(rate, u));
  put(p, next, r);
  if (average) {
    const a = v128.load(ax);
    put(ax, f32x4.add(a, f32x4.mul(f32x4.sub(next, a), mu)), r);
  } else {
    put(ax, next, r);
  }
}

// @ts-ignore: decorator
@inline function walk(n: i32, p: usize, g: usize, ax: usize, sgn: f32, wd: f32, keep: f32, rate: f32, mu: f32, decay: bool, average: bool): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), keepV = f32x4.splat(keep), rateV = f32x4.splat(rate), muV = f32x4.splat(mu);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, ax + i, 4, sgnV, wdV, keepV, rateV, muV, decay, average);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, ax + i, r, sgnV, wdV, keepV, rateV, muV, decay, average);
}

// Arguments of every variant: (n, p, g, ax, sgn, wd, keep, rate, mu).
export function asgd(n: i32, p: usize, g: usize, ax: usize, sgn: f32, wd: f32, keep: f32, rate: f32, mu: f32): void {
  walk(n, p, g, ax, sgn, wd, keep, rate, mu, false, false);
}
export function asgd_wd(n: i32, p: usize, g: usize, ax: usize, sgn: f32, wd: f32, keep: f32, rate: f32, mu: f32): void {
  walk(n, p, g, ax, sgn, wd, keep, rate, mu, true, false);
}
export function asgd_avg(n: i32, p: usize, g: usize, ax: usize, sgn: f32, wd: f32, keep: f32, rate: f32, mu: f32): void {
  walk(n, p, g, ax, sgn, wd, keep, rate, mu, false, true);
}
export function asgd_avg_wd(n: i32, p: usize, g: usize, ax: usize, sgn: f32, wd: f32, keep: f32, rate: f32, mu: f32): void {
  walk(n, p, g, ax, sgn, wd, keep, rate, mu, true, true);
}
