// Vector helpers on views of the same memory, matching src/optim/averages.ts, finite.ts and clip.ts
// operation for operation (f32 lanes where the reference rounds every operation to f32, f64 lanes
// where it computes a JS expression in f64 and rounds the result once), so their results are
// bit-identical to the references'.
import { bodyBytes, nonFiniteMask, put } from "./common";

// @ts-ignore: decorator
@inline function lo(x: v128): v128 {
  return f64x2.promote_low_f32x4(x);
}

// @ts-ignore: decorator
@inline function hi(x: v128): v128 {
  return f64x2.promote_low_f32x4(i64x2.shuffle(x, x, 1, 1));
}

/** Rounds two f64x2 vectors to f32 and packs them: lanes (a0, a1, b0, b1). */
// @ts-ignore: decorator
@inline function pack(a: v128, b: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 2);
}

// @ts-ignore: decorator
@inline function emaBody(avg: usize, w: usize, r: i32, d: v128, e: v128): void {
  put(avg, f32x4.add(f32x4.mul(d, v128.load(avg)), f32x4.mul(e, v128.load(w))), r);
}

/**
 * EMA: `avg = decay * avg + e * w` in f32 operations (e = 1 - decay; both rounded to f32 by the
 * call), as averages.ts and PyTorch evaluate it.
 */
export function emaUpdate(n: i32, avg: usize, w: usize, decay: f32, e: f32): void {
  const dV = f32x4.splat(decay), eV = f32x4.splat(e);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) emaBody(avg + i, w + i, 4, dV, eV);
  const r = n & 3;
  if (r != 0) emaBody(avg + i, w + i, r, dV, eV);
}

// @ts-ignore: decorator
@inline function swaBody(avg: usize, w: usize, r: i32, k: v128): void {
  const a = v128.load(avg);
  const x = v128.load(w);
  const al = lo(a), ah = hi(a);
  const l = f64x2.add(al, f64x2.div(f64x2.sub(lo(x), al), k));
  const h = f64x2.add(ah, f64x2.div(f64x2.sub(hi(x), ah), k));
  put(avg, pack(l, h), r);
}

/** SWA: `avg = avg + (w - avg) / k` with k = count + 1, in f64 then rounded (averages.ts). */
export function swaUpdate(n: i32, avg: usize, w: usize, k: f64): void {
  const kV = f64x2.splat(k);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) swaBody(avg + i, w + i, 4, kV);
  const r = n & 3;
  if (r != 0) swaBody(avg + i, w + i, r, kV);
}

// @ts-ignore: decorator
@inline function scaleBody(x: usize, r: i32, c: v128): void {
  const a = v128.load(x);
  put(x, pack(f64x2.mul(lo(a), c), f64x2.mul(hi(a), c)), r);
}

/** `x = x * coef` with the product in f64, then rounded (clip.ts's clipByGlobalNorm). */
export function scale(n: i32, x: usize, coef: f64): void {
  const cV = f64x2.splat(coef);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) scaleBody(x + i, 4, cV);
  const r = n & 3;
  if (r != 0) scaleBody(x + i, r, cV);
}

/** `x = min(clip, max(-clip, x))` (clip.ts's clipByValue; identical results in f32). */
export function clamp(n: i32, x: usize, clip: f32): void {
  const hiV = f32x4.splat(clip), loV = f32x4.splat(-clip);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) v128.store(x + i, f32x4.min(hiV, f32x4.max(loV, v128.load(x + i))));
  const r = n & 3;
  if (r != 0) put(x + i, f32x4.min(hiV, f32x4.max(loV, v128.load(x + i))), r);
}

/** Σ x², accumulated in f64 (each square is exact in f64; the summation order differs from clip.ts's). */
export function sumSquares(n: i32, x: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  const bytes32 = (<usize>(n & ~7)) << 2;
  let i: usize = 0;
  for (; i < bytes32; i += 32) {
    const a = v128.load(x + i);
    const b = v128.load(x + i, 16);
    const al = lo(a), ah = hi(a), bl = lo(b), bh = hi(b);
    s0 = f64x2.add(s0, f64x2.mul(al, al));
    s1 = f64x2.add(s1, f64x2.mul(ah, ah));
    s2 = f64x2.add(s2, f64x2.mul(bl, bl));
    s3 = f64x2.add(s3, f64x2.mul(bh, bh));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  const end = (<usize>n) << 2;
  for (; i < end; i += 4) {
    const v = <f64>load<f32>(x + i);
    sum += v * v;
  }
  return sum;
}

/** max |x| (NaN if any element is NaN, like clip.ts's Math.max chain). */
export function maxAbs(n: i32, x: usize): f32 {
  let m0 = f32x4.splat(0), m1 = f32x4.splat(0);
  const bytes32 = (<usize>(n & ~7)) << 2;
  let i: usize = 0;
  for (; i < bytes32; i += 32) {
    m0 = f32x4.max(m0, f32x4.abs(v128.load(x + i)));
    m1 = f32x4.max(m1, f32x4.abs(v128.load(x + i, 16)));
  }
  const m = f32x4.max(m0, m1);
  let out = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  const end = (<usize>n) << 2;
  for (; i < end; i += 4) out = max(out, abs(load<f32>(x + i)));
  return out;
}

/** Index of the first NaN or ±Infinity among the n elements at x, or -1. */
export function firstNonFinite(n: i32, x: usize): i32 {
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    const mask = nonFiniteMask(v128.load(x + i));
    if (v128.any_true(mask)) return <i32>(i >> 2) + ctz(i32x4.bitmask(mask));
  }
  const r = n & 3;
  if (r != 0) {
    const bits = i32x4.bitmask(nonFiniteMask(v128.load(x + i))) & ((1 << r) - 1);
    if (bits != 0) return <i32>(i >> 2) + ctz(bits);
  }
  return -1;
}

/** How many of the n elements at x are NaN or ±Infinity. */
export function countNonFinite(n: i32, x: usize): i32 {
  let acc = i32x4.splat(0);
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) acc = i32x4.sub(acc, nonFiniteMask(v128.load(x + i)));
  let count =
    i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  const r = n & 3;
  if (r != 0) count += popcnt(i32x4.bitmask(nonFiniteMask(v128.load(x + i))) & ((1 << r) - 1));
  return count;
}

/** Replaces every NaN and ±Infinity among the n elements at x with 0; returns how many. */
export function zeroNonFinite(n: i32, x: usize): i32 {
  let count = 0;
  const bytes = bodyBytes(n);
  let i: usize = 0;
  for (; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const mask = nonFiniteMask(a);
    if (v128.any_true(mask)) {
      v128.store(x + i, v128.andnot(a, mask));
      count += popcnt(i32x4.bitmask(mask));
    }
  }
  const r = n & 3;
  if (r != 0) {
    const a = v128.load(x + i);
    const mask = nonFiniteMask(a);
    const bits = i32x4.bitmask(mask) & ((1 << r) - 1);
    if (bits != 0) {
      put(x + i, v128.andnot(a, mask), r);
      count += popcnt(bits);
    }
  }
  return count;
}
