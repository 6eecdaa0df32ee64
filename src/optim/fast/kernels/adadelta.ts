// Adadelta (torch.optim.Adadelta), one pass:
//   u = sgn * g [+ wd * p]
//   sq = rho * sq + (c * u) * u                          (c = 1 - rho)
//   delta = (sqrt(acc + eps) / sqrt(sq + eps)) * u       (two roots as PyTorch; sqrt(a / b) would
//                                                          save one, ~25% of this kernel, not its bits)
//   acc = rho * acc + (c * delta) * delta
//   p = p + nlr * delta                                  (nlr = -lr)
import { bodyBytes, effectiveGradient, put } from "./common";

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, sq: usize, acc: usize, r: i32,
  sgn: v128, wd: v128, nlr: v128, rho: v128, c: v128, eps: v128, decay: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const s = f32x4.add(f32x4.mul(rho, v128.load(sq)), f32x4.mul(f32x4.mul(c, u), u));
  put(sq, s, r);
  const a = v128.load(acc);
  const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(a, eps)), f32x4.sqrt(f32x4.add(s, eps))), u);
  put(acc, f32x4.add(f32x4.mul(rho, a), f32x4.mul(f32x4.mul(c, delta), delta)), r);
  put(p, f32x4.add(pv, f32x4.mul(nlr, delta)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, sq: usize, acc: usize, sgn: f32, wd: f32, nlr: f32, rho: f32, c: f32, eps: f32, decay: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), nlrV = f32x4.splat(nlr);
  const rhoV = f32x4.splat(rho), cV = f32x4.splat(c), epsV = f32x4.splat(eps);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, sq + i, acc + i, 4, sgnV, wdV, nlrV, rhoV, cV, epsV, decay);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, sq + i, acc + i, r, sgnV, wdV, nlrV, rhoV, cV, epsV, decay);
}

export function adadelta(n: i32, p: usize, g: usize, sq: usize, acc: usize, sgn: f32, wd: f32, nlr: f32, rho: f32, c: f32, eps: f32): void {
  walk(n, p, g, sq, acc, sgn, wd, nlr, rho, c, eps, false);
}
export function adadelta_wd(n: i32, p: usize, g: usize, sq: usize, acc: usize, sgn: f32, wd: f32, nlr: f32, rho: f32, c: f32, eps: f32): void {
  walk(n, p, g, sq, acc, sgn, wd, nlr, rho, c, eps, true);
}
