// RMSprop (torch.optim.RMSprop), one pass:
//   u = sgn * g [+ wd * p]
//   sq = alpha * sq + (c * u) * u                       (c = 1 - alpha)
//   centered (variants rmsprop_centered*): avg = alpha * avg + c * u;  v = sq - avg * avg
//   otherwise v = sq
//   d = sqrt(v + epsRoot) + eps
//   momentum: buf = u / d on update 1 (_first), buf = mu * buf + u / d later (_momentum);
//             p = p + nlr * buf                         (nlr = -lr)
//   otherwise p = p + (nlr * u) / d
import { bodyBytes, effectiveGradient, put } from "./common";

const PLAIN = 0;
const FIRST = 1;
const MOMENTUM = 2;

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, sq: usize, avg: usize, buf: usize, r: i32,
  sgn: v128, wd: v128, nlr: v128, alpha: v128, c: v128, epsRoot: v128, eps: v128, mu: v128,
  decay: bool, centered: bool, mode: i32,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  const s = f32x4.add(f32x4.mul(alpha, v128.load(sq)), f32x4.mul(f32x4.mul(c, u), u));
  put(sq, s, r);
  let v = s;
  if (centered) {
    const a = f32x4.add(f32x4.mul(alpha, v128.load(avg)), f32x4.mul(c, u));
    put(avg, a, r);
    v = f32x4.sub(s, f32x4.mul(a, a));
  }
  const d = f32x4.add(f32x4.sqrt(f32x4.add(v, epsRoot)), eps);
  if (mode == PLAIN) {
    put(p, f32x4.add(pv, f32x4.div(f32x4.mul(nlr, u), d)), r);
  } else {
    let b = f32x4.div(u, d);
    if (mode == MOMENTUM) b = f32x4.add(f32x4.mul(mu, v128.load(buf)), b);
    put(buf, b, r);
    put(p, f32x4.add(pv, f32x4.mul(nlr, b)), r);
  }
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize,
  sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32,
  decay: bool, centered: bool, mode: i32,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), nlrV = f32x4.splat(nlr), alphaV = f32x4.splat(alpha);
  const cV = f32x4.splat(c), epsRootV = f32x4.splat(epsRoot), epsV = f32x4.splat(eps), muV = f32x4.splat(mu);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    body(p + i, g + i, sq + i, avg + i, buf + i, 4, sgnV, wdV, nlrV, alphaV, cV, epsRootV, epsV, muV, decay, centered, mode);
  }
  const r = n & 3;
  if (r != 0) {
    body(p + i, g + i, sq + i, avg + i, buf + i, r, sgnV, wdV, nlrV, alphaV, cV, epsRootV, epsV, muV, decay, centered, mode);
  }
}

// Arguments of every variant: (n, p, g, square_avg, grad_avg, momentum_buffer, sgn, wd, nlr, alpha, 1 - alpha, epsRoot, eps, mu).
export function rmsprop(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, false, false, PLAIN);
}
export function rmsprop_wd(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, true, false, PLAIN);
}
export function rmsprop_first(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, false, false, FIRST);
}
export function rmsprop_first_wd(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, true, false, FIRST);
}
export function rmsprop_momentum(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, false, false, MOMENTUM);
}
export function rmsprop_momentum_wd(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, true, false, MOMENTUM);
}
export function rmsprop_centered(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, false, true, PLAIN);
}
export function rmsprop_centered_wd(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, true, true, PLAIN);
}
export function rmsprop_centered_first(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, false, true, FIRST);
}
export function rmsprop_centered_first_wd(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, true, true, FIRST);
}
export function rmsprop_centered_momentum(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, false, true, MOMENTUM);
}
export function rmsprop_centered_momentum_wd(n: i32, p: usize, g: usize, sq: usize, avg: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, alpha: f32, c: f32, epsRoot: f32, eps: f32, mu: f32): void {
  walk(n, p, g, sq, avg, buf, sgn, wd, nlr, alpha, c, epsRoot, eps, mu, true, true, MOMENTUM);
}
