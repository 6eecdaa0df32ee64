// SGD with momentum (torch.optim.SGD, plus the `ema_momentum` variant), one pass:
//   u = sgn * g [+ wd * p]                        (maximize; L2 weight decay: variants _wd)
//   no momentum:        out = u                   (variants sgd, sgd_wd; `buf` is not touched)
//   first update:       buf = u                   (PyTorch's first step; variants sgd_first*)
//   later updates:      buf = mu * buf + keep * u (variants sgd_momentum*)
//   nesterov:           out = look * u + mu * buf, else out = buf
//   p = p + nlr * out                             (nlr = -lr, or -lr / (1 - mu^t) with bias_correction)
// keep = 1 - dampening and look = 1, or keep = look = 1 - mu for ema_momentum (which never uses
// the `first` variants: its buffer starts at zero and every update is the same average).
//   momentum_form "velocity" (the notes' form, the learning rate inside; variants sgd_velocity*):
//                       v = mu * v + nlr * u;  p = p + v         (`buf` is the velocity)
import { bodyBytes, effectiveGradient, put } from "./common";

const PLAIN = 0;
const FIRST = 1;
const MOMENTUM = 2;
const VELOCITY = 3;

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, buf: usize, r: i32,
  sgn: v128, wd: v128, nlr: v128, mu: v128, keep: v128, look: v128,
  decay: bool, mode: i32, nesterov: bool,
): void {
  const pv = v128.load(p);
  const u = effectiveGradient(v128.load(g), pv, sgn, wd, decay);
  if (mode == VELOCITY) {
    const v = f32x4.add(f32x4.mul(mu, v128.load(buf)), f32x4.mul(nlr, u));
    put(buf, v, r);
    put(p, f32x4.add(pv, v), r);
    return;
  }
  let out = u;
  if (mode != PLAIN) {
    const b = mode == FIRST ? u : f32x4.add(f32x4.mul(mu, v128.load(buf)), f32x4.mul(keep, u));
    put(buf, b, r);
    out = nesterov ? f32x4.add(f32x4.mul(look, u), f32x4.mul(mu, b)) : b;
  }
  put(p, f32x4.add(pv, f32x4.mul(nlr, out)), r);
}

// @ts-ignore: decorator
@inline function walk(
  n: i32, p: usize, g: usize, buf: usize,
  sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32,
  decay: bool, mode: i32, nesterov: bool,
): void {
  const sgnV = f32x4.splat(sgn), wdV = f32x4.splat(wd), nlrV = f32x4.splat(nlr);
  const muV = f32x4.splat(mu), keepV = f32x4.splat(keep), lookV = f32x4.splat(look);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    body(p + i, g + i, buf + i, 4, sgnV, wdV, nlrV, muV, keepV, lookV, decay, mode, nesterov);
  }
  const r = n & 3;
  if (r != 0) body(p + i, g + i, buf + i, r, sgnV, wdV, nlrV, muV, keepV, lookV, decay, mode, nesterov);
}

export function sgd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, false, PLAIN, false);
}
export function sgd_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, true, PLAIN, false);
}
export function sgd_first(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, false, FIRST, false);
}
export function sgd_first_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, true, FIRST, false);
}
export function sgd_first_nesterov(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, false, FIRST, true);
}
export function sgd_first_nesterov_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, true, FIRST, true);
}
export function sgd_momentum(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, false, MOMENTUM, false);
}
export function sgd_momentum_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, true, MOMENTUM, false);
}
export function sgd_momentum_nesterov(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, false, MOMENTUM, true);
}
export function sgd_momentum_nesterov_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, true, MOMENTUM, true);
}
export function sgd_velocity(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, false, VELOCITY, false);
}
export function sgd_velocity_wd(n: i32, p: usize, g: usize, buf: usize, sgn: f32, wd: f32, nlr: f32, mu: f32, keep: f32, look: f32): void {
  walk(n, p, g, buf, sgn, wd, nlr, mu, keep, look, true, VELOCITY, false);
}
