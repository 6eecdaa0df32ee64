// Shared helpers of the fused kernels.
//
// Every kernel walks its vectors 4 elements (16 bytes) at a time with f32x4 arithmetic. The last
// `n % 4` elements go through the very same vector body, with loads of a whole vector and stores
// of only the first `n % 4` lanes (`put`): every element therefore gets exactly the same sequence
// of f32 operations whatever its position or the range's alignment, and nothing past the range is
// ever written. The loads may read up to 12 bytes past a vector's end: the engine's memory layout
// (../layout.ts) keeps at least 16 bytes after the last region, so they stay inside the memory.
//
// Kernels are specialised on their boolean options at compile time: each variant is its own
// export (`adam`, `adam_ams`, `adam_wd`, ...), chosen once by the JS side, so the inner loops carry
// no flag tests. Per-step scalars (bias corrections, products, the learning rate folded into one
// coefficient) are computed by the caller in f64 and arrive as f32 arguments.
//
// Every element is computed with f32 operations in the order PyTorch 1.13's single-tensor CPU
// implementation applies its tensor ops (`addcmul_(u, u, value=c)` is `p + (c * u) * u`,
// `addcdiv_(m, d, value=s)` is `p + (s * m) / d`, ...), so where the kernel does exactly what
// PyTorch does (SGD, Adagrad, RMSprop, Adadelta, Adamax, and Yogi as scripts/golden writes it) the
// results are bit-identical to PyTorch's portable (no-FMA) kernels: test/golden shows 0 ulps. Adam, AdamW, NAdam and RAdam multiply by an f32 reciprocal
// where PyTorch divides by a per-step scalar (and NAdam divides once instead of twice): a division
// per element is the most expensive operation here, and the difference is a rounding or two.

/** Stores the first `r` lanes of `x` at `ptr` (all four when r == 4, a literal in the main loops). */
// @ts-ignore: decorator
@inline export function put(ptr: usize, x: v128, r: i32): void {
  if (r == 4) {
    v128.store(ptr, x);
  } else if (r == 1) {
    v128.store32_lane(ptr, x, 0);
  } else if (r == 2) {
    v128.store64_lane(ptr, x, 0);
  } else {
    v128.store64_lane(ptr, x, 0);
    v128.store32_lane(ptr, x, 2, 8);
  }
}

/** The gradient as a rule sees it: `sgn * g` (sgn = -1 for maximize), plus `wd * p` when `decay` (L2). */
// @ts-ignore: decorator
@inline export function effectiveGradient(g: v128, p: v128, sgn: v128, wd: v128, decay: bool): v128 {
  const u = f32x4.mul(g, sgn);
  return decay ? f32x4.add(u, f32x4.mul(wd, p)) : u;
}

/** Bytes covered by the whole vectors of an n-element walk. */
// @ts-ignore: decorator
@inline export function bodyBytes(n: i32): usize {
  return (<usize>(n & ~3)) << 2;
}

/** Exponent bits of an f32: all set for NaN and ±Infinity only. */
// @ts-ignore: decorator
@inline export const EXPONENT_MASK: i32 = 0x7f800000;

/** Lane mask (all ones) of the lanes of `x` that are NaN or ±Infinity. */
// @ts-ignore: decorator
@inline export function nonFiniteMask(x: v128): v128 {
  const e = i32x4.splat(EXPONENT_MASK);
  return i32x4.eq(v128.and(x, e), e);
}

/** PyTorch's first moment, `m * b1 + (1 - b1) * u` (mul_ then add_ with alpha). */
// @ts-ignore: decorator
@inline export function firstMoment(m: usize, u: v128, b1: v128, c1: v128): v128 {
  return f32x4.add(f32x4.mul(b1, v128.load(m)), f32x4.mul(c1, u));
}

/** PyTorch's second moment, `v * b2 + ((1 - b2) * u) * u` (mul_ then addcmul_). */
// @ts-ignore: decorator
@inline export function secondMoment(v: usize, u: v128, b2: v128, c2: v128): v128 {
  return f32x4.add(f32x4.mul(b2, v128.load(v)), f32x4.mul(f32x4.mul(c2, u), u));
}
