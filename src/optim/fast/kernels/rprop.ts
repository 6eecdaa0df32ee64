// Rprop (torch.optim.Rprop, 1.13), one pass, in PyTorch's float32 operations:
//   u = sgn * g
//   s = u * prev                                  (its sign only)
//   size = min(max(size * (etaplus if s > 0, etaminus if s < 0, else 1), lo), hi)
//   u = 0 where s < 0;  prev = u
//   p = p - sign(u) * size
import { bodyBytes, put } from "./common";

// @ts-ignore: decorator
@inline function sign(x: v128, one: v128, zero: v128): v128 {
  const s = f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
  return v128.bitselect(x, s, f32x4.ne(x, x));
}

// @ts-ignore: decorator
@inline function body(
  p: usize, g: usize, prev: usize, size: usize, r: i32,
  sgn: v128, etaminus: v128, etaplus: v128, lo: v128, hi: v128, one: v128, zero: v128,
): void {
  const u = f32x4.mul(v128.load(g), sgn);
  const s = f32x4.mul(u, v128.load(prev));
  const up = f32x4.gt(s, zero);
  const down = f32x4.lt(s, zero);
  const factor = v128.bitselect(etaplus, v128.bitselect(etaminus, one, down), up);
  const next = f32x4.min(f32x4.max(f32x4.mul(v128.load(size), factor), lo), hi);
  put(size, next, r);
  const kept = v128.andnot(u, down);
  put(prev, kept, r);
  put(p, f32x4.sub(v128.load(p), f32x4.mul(sign(kept, one, zero), next)), r);
}

// Arguments: (n, p, g, prev, step_size, sgn, etaminus, etaplus, step_size_min, step_size_max).
export function rprop(n: i32, p: usize, g: usize, prev: usize, size: usize, sgn: f32, etaminus: f32, etaplus: f32, lo: f32, hi: f32): void {
  const sgnV = f32x4.splat(sgn), minusV = f32x4.splat(etaminus), plusV = f32x4.splat(etaplus);
  const loV = f32x4.splat(lo), hiV = f32x4.splat(hi), one = f32x4.splat(1), zero = f32x4.splat(0);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) body(p + i, g + i, prev + i, size + i, 4, sgnV, minusV, plusV, loV, hiV, one, zero);
  const r = n & 3;
  if (r != 0) body(p + i, g + i, prev + i, size + i, r, sgnV, minusV, plusV, loV, hiV, one, zero);
}
