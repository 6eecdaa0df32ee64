// Adagrad (torch.optim.Adagrad), one pass:
//   u = sgn * g [+ wd * p];  sum = sum + u * u;  p = p + (c * u) / (sqrt(sum + epsRoot) + eps)
// with c = -(lr / (1 + (t - 1) * lr_decay)) from the caller (PyTorch's addcdiv_(u, std, value=-clr)).
import { bodyBytes, effectiveGradient, put } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, sum: usize, r: i32,
  sgn: v128, wd: v128, c: v128, epsRoot: v128, eps: v128, decay: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const s = f32x4.add(v128.load(sum), f32x4.mul(u, u));
  put(sum, s, r);
  const denom = f32x4.add(f32x4.sqrt(f32x4.add(s, epsRoot)), eps);
  put(p, f32x4.add(pv, f32x4.div(f32x4.mul(c, u), denom)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, sum: usize, sgn: f32, wd: f32, c: f32, epsRoot: f32, eps: f32, decay: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), cV = f32x4.splat(c);
  const epsRootV = f32x4.splat(epsRoot), epsV = f32x4.splat(eps);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, sum + i, 4, sgnV, wdV, cV, epsRootV, epsV, decay);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, sum + i, r, sgnV, wdV, cV, epsRootV, epsV, decay);
}

export function adagrad(n: i32, p: usize, g: usize, sum: usize, sgn: f32, wd: f32, c: f32, epsRoot: f32, eps: f32): void {
  walk(n, p, g, sum, sgn, wd, c, epsRoot, eps, false);
}
export function adagrad_wd(n: i32, p: usize, g: usize, sum: usize, sgn: f32, wd: f32, c: f32, epsRoot: f32, eps: f32): void {
  walk(n, p, g, sum, sgn, wd, c, epsRoot, eps, true);
}
