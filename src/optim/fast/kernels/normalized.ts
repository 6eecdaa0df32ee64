// Normalized gradient descent, two passes:
//   normalized_norm[_wd]:  Σ u² in f64, u = sgn * g [+ wd * p] (the f32 u the update uses)
//   normalized[_wd]:               d = u * inv;  p = p + step * d
//   normalized_first[_wd]:         b = u * inv;  p = p + step * b          (PyTorch's first momentum update)
//   normalized_momentum[_wd]:      b = mu * b + u * inv;  p = p + step * b
// inv = 1 / (‖u‖₂ + eps) (0 when that is 0) and step = -lr come from the caller.
import { bodyBytes, effectiveGradient, put } from "./common";

// @ts-ignore: decorator
@inline function norm(n: i32, p: usize, g: usize, sgn: f32, wd: f32, decay: bool): f64 {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    const u = effectiveGradient(v128.load(g + i), v128.load(p + i), sgnV, wdV, decay);
    const a = f64x2.promote_low_f32x4(u);
    const b = f64x2.promote_low_f32x4(i64x2.shuffle(u, u, 1, 1));
    s0 = f64x2.add(s0, f64x2.mul(a, a));
    s1 = f64x2.add(s1, f64x2.mul(b, b));
  }
  const s = f64x2.add(s0, s1);
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  const end = (<usize>n) << 2;
  for (; i < end; i += 4) {
    let u = load<f32>(g + i) * sgn;
    if (decay) u += wd * load<f32>(p + i);
    sum += <f64>u * <f64>u;
  }
  return sum;
}

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, buf: usize, r: i32, sgn: v128, wd: v128, inv: v128, step: v128, mu: v128, decay: bool, momentum: i32,
): void {
  const pv = v128.load(p);
  let d = f32x4.mul(effectiveGradient(v128.load(g), pv, sgn, wd, decay), inv);
  if (momentum == 2) d = f32x4.add(f32x4.mul(mu, v128.load(buf)), d);
  if (momentum != 0) put(buf, d, r);
  put(p, f32x4.add(pv, f32x4.mul(step, d)), r);
}

// momentum: 0 none, 1 the first update (b = d), 2 later updates.
// @ts-ignore: decorator
@inline function walk(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32, decay: bool, momentum: i32): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), invV = f32x4.splat(inv), stepV = f32x4.splat(step), muV = f32x4.splat(mu);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, buf + i, 4, sgnV, wdV, invV, stepV, muV, decay, momentum);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, buf + i, r, sgnV, wdV, invV, stepV, muV, decay, momentum);
}

export function normalized_norm(n: i32, p: usize, g: usize, sgn: f32, wd: f32): f64 {
  return norm(n, p, g, sgn, wd, false);
}
export function normalized_norm_wd(n: i32, p: usize, g: usize, sgn: f32, wd: f32): f64 {
  return norm(n, p, g, sgn, wd, true);
}

// Arguments of every update variant: (n, p, g, momentum_buffer, sgn, wd, inv, step, mu).
export function normalized(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32): void {
  walk(n, p, g, buf, sgn, wd, inv, step, mu, false, 0);
}
export function normalized_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32): void {
  walk(n, p, g, buf, sgn, wd, inv, step, mu, true, 0);
}
export function normalized_first(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32): void {
  walk(n, p, g, buf, sgn, wd, inv, step, mu, false, 1);
}
export function normalized_first_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32): void {
  walk(n, p, g, buf, sgn, wd, inv, step, mu, true, 1);
}
export function normalized_momentum(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32): void {
  walk(n, p, g, buf, sgn, wd, inv, step, mu, false, 2);
}
export function normalized_momentum_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, inv: f32, step: f32, mu: f32): void {
  walk(n, p, g, buf, sgn, wd, inv, step, mu, true, 2);
}
