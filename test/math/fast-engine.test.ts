import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  clipByValue,
  createReferenceEngine,
  firstNonFinite,
  getRule,
  globalNorm,
  initAverage,
  ruleNames,
  seededUniform,
  updateAverage,
  zeroNonFinite,
  type AverageSpec,
  type Engine,
  type Hyper,
  type RuleName,
} from "../../src/optim";
import { createFastEngine, fastEngineBytes, fastEngineLayout, type FastEngine } from "../../src/optim/fast/engine";
import { loadKernelModule } from "../support/kernels";
import { propertySeed } from "../support/seed";

/**
 * The fast engine (fused f32x4 kernels, state in wasm memory) against the reference engine (the
 * composed transforms of src/optim/rules), for every rule and every combination of its switches.
 *
 * Tolerance. The reference computes each stage of the chain (negate, weight decay, the rule,
 * momentum, learning rate, the final add) in f64 from f32 inputs and rounds once per stage; the
 * kernels round after every f32 operation, in PyTorch's order (as PyTorch does). Each rounding
 * is an error of at most 2^-24 relative to the value rounded. Two sources make an element differ:
 *
 * 1. The roundings of the update itself. Along the longest chain of one fused update (Adadelta:
 *    u², (1-rho)u², sq + eps, acc + eps, the quotient, its root, times u, delta², ...) the two
 *    paths round at most ~16 times, and a square doubles the relative error before it, so one
 *    update differs by at most ~32 × 2^-24 of the magnitudes involved. Where a value is a small
 *    difference of large terms (a weight crossing zero, a momentum whose gradients changed sign),
 *    those magnitudes are the terms', not the result's: the test uses S, the sum over the
 *    trajectory of the element's |reference value| (initial value included), which bounds the
 *    terms of every linear recurrence here (each term is at most the sum of the current and the
 *    previous value) and grows like the carried errors of the sums (params, Adagrad's sum).
 * 2. Errors carried from earlier updates and magnified by the rule's own conditioning (a quotient
 *    m / (sqrt(v) + eps) whose denominator shrank since m was large, Yogi's sign(v - u²) at a
 *    tie, weight decay's u = ±g + wd * p where wd * p nearly cancels the gradient and brings the
 *    params' error back into every slot...). The test measures that conditioning instead of
 *    guessing it: four "shadow" reference engines get the same inputs, but before every update each
 *    element it updates is moved, in each shadow, by 1 to 2 f32 ulps of its size (the size of the
 *    roundings in 1.), up or down at random, then rounded to f32. The size of a gradient is |g|,
 *    that of a param or slot max(|value|, |value before its last update|). The spread,
 *    max |shadow - reference|, is how far float32-sized errors move the reference's own result by
 *    that update. It is a sample, drawn so that a small spread means a well-conditioned element
 *    rather than a lucky draw. The first three points below were each, missing, the cause of a
 *    failure with correct kernels (the shadows used to multiply every element by a factor drawn
 *    within 1 ± 2^-22, two shadows):
 *    - At least one ulp: a factor drawn within 1 ± 2^-22 often rounds back to the value itself.
 *      (FAST_ENGINE_SEED=7, Adagrad with decay, sum[100] at update 2: u = g + wd * p cancels
 *      37-fold and the fast engine's p is one ulp off, as its roundings allow; both shadows' g had
 *      rounded back to the reference's, one's p too, and the other's one-ulp move of p vanished in
 *      the rounding of wd * p: spread 1 ulp of sum, error 38.5 × allowed.)
 *    - The size before the last update: a value that is a small difference of large terms carries
 *      an error in ulps of the terms, not of itself. (FAST_ENGINE_SEED=904622700 FAST_ENGINE_RUNS=3,
 *      NAdam with b1, b2 ~ 0, eps 1e-10 and decay, params[1348]: p = 0.05 - 0.05 is 3.7e-9 in the
 *      reference and 0 in the fast engine, both within an ulp of 0.05 of the exact 2.3e-9; the next
 *      update, -lr wd p / (wd |p| + eps), is -0.099 and 0. Both shadows had come out of the
 *      cancellation with the reference's 3.7e-9, and moving that by 2^-22 of itself moves nothing:
 *      spread 0, error 1.1e7 × allowed.)
 *    - Pairs: where the first shadow of a pair moves g and p the same way, the second moves them
 *      apart, and the other way round, so u = ±g + wd * p moves in one of the two however weight
 *      decay cancels the gradient. (Moved the same way by the same ulps, g and wd * p cancel
 *      exactly: at 904622700 both shadows left AdaMax's u unchanged where it cancels 12-fold,
 *      exp_avg[2270] at update 3: 22 × allowed, just within.)
 *    - Four shadows, not two: a shadow's displacement carried from earlier updates and its new
 *      one can cancel, and two shadows often draw the same signs. (Over FAST_ENGINE_SEED=1..40 with
 *      the three points above, moving by 2^-23 to 2^-22 of the size, the largest error was 24 ×
 *      allowed with two shadows, 9.5 × with four.)
 *    Moving by 1 to 2 ulps rather than by that fraction of the size keeps the spread as small as
 *    these points allow: a kernel error of 2^-19 per update in the params or the first slot of any
 *    rule fails at the default seed (as it did before these changes).
 *    Elements outside an update's range are not moved (nothing rounds them), zeros stay zero. The
 *    shadows decay their own params, so weight decay's feedback of the params' error needs no term
 *    of its own. Centered RMSprop also needs CenteredRmspropSlack (its sq - avg² cancellation
 *    happens inside an update, out of the shadows' reach, and weight decay carries its error into
 *    the averages).
 *
 *   |fast - reference| <= TOLERANCE × (2^-24 × S + spread) + FLOOR,   TOLERANCE = 32
 *
 * per element of the params and of every slot, after every update. FLOOR covers results in the
 * subnormal range, where f32 rounding errors are absolute (2^-149). Where a shadow's NaN-ness
 * differs from the reference's, the result is not determined at float32 precision and the element
 * is no longer compared ("unsettled"). Over FAST_ENGINE_SEED=1..40 and the default seed, and
 * 7, 17, 904622700 and 2004876896 at FAST_ENGINE_RUNS=3 (FAST_ENGINE_DIAG=1), the largest error seen was ~9.5 ×
 * (2^-24 S + spread), Adadelta's acc_delta after its first update (spread 0: the bound of 1. alone),
 * and 14 × once: NAdam with b1, b2 ~ 0, eps 1e-10 and decay (904622700, runs 3), where every update
 * is ±lr by the sign of wd * p and an element whose p passed through ~0 follows another trajectory in
 * each engine and shadow. TOLERANCE = 32 is the bound of 1., unchanged: a 3× margin over what is
 * observed. Scalars (NAdam's mu_product) and the step counter come from the same f64 JS code on
 * both paths: equal exactly.
 */
const TOLERANCE = 32;
const SHADOWS = 4;
const FLOOR = TOLERANCE * 2 ** -149;
const EPS32 = 2 ** -24;

/** Every property below draws from this seed (FAST_ENGINE_SEED=n for another, =random for a fresh one). */
const SEED = propertySeed("FAST_ENGINE_SEED", 20_240_611);
const RUNS_FACTOR = Number(process.env.FAST_ENGINE_RUNS ?? 1);
/** Failures name the rule, hyperparameters, length, update and element; FAST_ENGINE_SHRINK=1 also shrinks them (slow). */
const SHRINK = process.env.FAST_ENGINE_SHRINK === "1";
/** FAST_ENGINE_DIAG=1 prints the largest error seen per rule relative to its allowance. */
const DIAG = process.env.FAST_ENGINE_DIAG === "1";

const module = loadKernelModule();

// ---------------------------------------------------------------------------------------------
// Random data: gradients mixing exact zeros, tiny, ordinary and large magnitudes with random signs
// (so consecutive updates flip sign), from a seeded generator (fast-check draws its seed from SEED).

const prng = seededUniform;

const logUniform = (rand: () => number, lo: number, hi: number): number => 10 ** (lo + (hi - lo) * rand());
const signed = (rand: () => number, x: number): number => (rand() < 0.5 ? -x : x);

function fillGradient(rand: () => number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const r = rand();
    out[i] =
      r < 0.12 ? 0
      : r < 0.27 ? signed(rand, logUniform(rand, -12, -6))
      : r < 0.87 ? signed(rand, logUniform(rand, -3, 1))
      : signed(rand, logUniform(rand, 2, 6));
  }
}

function fillParams(rand: () => number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const r = rand();
    out[i] =
      r < 0.1 ? 0
      : r < 0.2 ? signed(rand, logUniform(rand, -8, -4))
      : r < 0.9 ? signed(rand, logUniform(rand, -2, 1))
      : signed(rand, logUniform(rand, 2, 4));
  }
}

// ---------------------------------------------------------------------------------------------
// Hyperparameters: every combination of a rule's switches (booleans, and "zero or not" for the
// values that select a different computation), the other values random within their valid range.

type Switches = Record<string, boolean | string>;

function cross(dims: Record<string, readonly (boolean | string)[]>): Switches[] {
  return Object.entries(dims).reduce<Switches[]>(
    (acc, [key, values]) => acc.flatMap((s) => values.map((v) => ({ ...s, [key]: v }))),
    [{}],
  );
}

const both = [false, true] as const;
const common = { maximize: both, decay: both };

const switchesOf: Record<RuleName, Switches[]> = {
  // momentum: none | PyTorch's (first step buf = u) | the same with dampening | ema_momentum |
  // ema_momentum with bias_correction | the notes' velocity (with nesterov: the look-ahead form).
  sgd: cross({ ...common, momentum: ["none", "classic", "dampened", "ema", "corrected", "velocity"], nesterov: both }).filter(
    (s) =>
      !(s.nesterov && (s.momentum === "none" || s.momentum === "dampened" || s.momentum === "corrected")) &&
      !(s.nesterov && s.momentum === "velocity" && s.decay),
  ),
  adagrad: cross({ ...common, epsRoot: both }),
  rmsprop: cross({ ...common, centered: both, momentum: both, epsRoot: both }),
  adadelta: cross(common),
  adam: cross({ ...common, amsgrad: both, epsRoot: both, uncorrected: both }),
  adamw: cross({ ...common, amsgrad: both, epsRoot: both, uncorrected: both }),
  adamax: cross(common),
  nadam: cross(common),
  radam: cross(common),
  yogi: cross({ ...common, epsRoot: both }),
  // Rules without a kernel of their own run their reference transform on the fast engine's memory.
  rprop: cross({ maximize: both }),
  asgd: cross({ ...common, averaging: both }),
  lion: cross(common),
  normalized: cross({ ...common, momentum: both }),
  // The vector form: a matrix shape refuses the partial updates these trajectories draw
  // (adafactor-golden.test.ts runs matrices on both engines).
  adafactor: cross(common),
};

const unit = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const logRange = (lo: number, hi: number) => unit(lo, hi).map((e) => 10 ** e);
const zeroOr = (arb: fc.Arbitrary<number>) => fc.oneof(fc.constant(0), arb);
const beta1 = fc.oneof(fc.constant(0.9), unit(0, 0.99));
const beta2 = fc.oneof(fc.constant(0.999), unit(0, 0.9999), fc.constant(0));

function hyperArb(rule: RuleName, s: Switches): fc.Arbitrary<Record<string, unknown>> {
  const maximize = fc.constant(s.maximize as boolean);
  const weight_decay = s.decay ? logRange(-4, -0.7) : fc.constant(0);
  const eps_root = s.epsRoot ? logRange(-8, -2) : fc.constant(0);
  const eps = logRange(-10, -1);
  switch (rule) {
    case "sgd":
      return fc.record({
        maximize,
        weight_decay,
        momentum: s.momentum === "none" ? fc.constant(0) : unit(0.05, 0.99),
        dampening: s.momentum === "dampened" ? unit(0.05, 0.95) : s.momentum === "ema" ? unit(0, 0.95) : fc.constant(0),
        nesterov: fc.constant(s.nesterov as boolean),
        ema_momentum: fc.constant(s.momentum === "ema" || s.momentum === "corrected"),
        bias_correction: fc.constant(s.momentum === "corrected"),
        momentum_form: fc.constant(s.momentum === "velocity" ? "velocity" : "pytorch"),
      });
    case "adagrad":
      return fc.record({ maximize, weight_decay, eps_root, eps, lr_decay: zeroOr(unit(0, 0.5)), initial_accumulator_value: zeroOr(unit(0, 1)) });
    case "rmsprop":
      return fc.record({
        maximize,
        weight_decay,
        eps_root,
        eps,
        // Centered: alpha well above 0, where sq - avg² is not a cancellation of two equal roundings
        // (at alpha = 0 it is 0 in exact arithmetic and either sign after rounding: see the report).
        alpha: s.centered ? unit(0.1, 0.999) : unit(0, 0.999),
        centered: fc.constant(s.centered as boolean),
        momentum: s.momentum ? unit(0.05, 0.95) : fc.constant(0),
      });
    case "adadelta":
      return fc.record({ maximize, weight_decay, rho: fc.oneof(fc.constant(0.9), unit(0, 1)), eps: logRange(-8, -2) });
    case "adam":
    case "adamw":
      return fc.record({
        maximize,
        weight_decay,
        eps_root,
        eps,
        betas: fc.tuple(beta1, beta2),
        amsgrad: fc.constant(s.amsgrad as boolean),
        // FedAdam's form: no bias correction, exp_avg_sq from tau².
        bias_correction: fc.constant(!s.uncorrected),
        initial_accumulator_value: s.uncorrected ? zeroOr(logRange(-6, -1)) : fc.constant(0),
      });
    case "adamax":
      return fc.record({ maximize, weight_decay, eps, betas: fc.tuple(beta1, beta2) });
    case "nadam":
      return fc.record({ maximize, weight_decay, eps, betas: fc.tuple(beta1, beta2), momentum_decay: zeroOr(logRange(-3, -1.5)) });
    case "radam":
      // b2 = 0.9 rectifies from update 5 on, 0.999 from update 6 on, small b2 never: all show up.
      return fc.record({ maximize, weight_decay, eps, betas: fc.tuple(beta1, fc.oneof(beta2, fc.constant(0.9))) });
    case "yogi":
      return fc.record({
        maximize,
        weight_decay,
        eps_root,
        eps: logRange(-6, -1),
        betas: fc.tuple(beta1, beta2),
        initial_accumulator_value: fc.oneof(fc.constant(1e-6), fc.constant(0), unit(0, 1)),
      });
    case "rprop":
      return fc.record({
        maximize,
        etas: fc.tuple(unit(0.1, 0.9), unit(1.05, 2)),
        step_sizes: fc.tuple(zeroOr(logRange(-8, -3)), logRange(-1, 2)),
      });
    case "asgd":
      // t0 below the trajectory's length makes ax a running average rather than a copy of the weights.
      return fc.record({
        maximize,
        weight_decay,
        lambd: zeroOr(logRange(-5, -1)),
        alpha: unit(0, 1),
        t0: s.averaging ? fc.integer({ min: 0, max: 6 }) : fc.constant(1e6),
      });
    case "lion":
      return fc.record({ maximize, weight_decay, betas: fc.tuple(beta1, beta2) });
    case "normalized":
      return fc.record({ maximize, weight_decay, eps: zeroOr(eps), momentum: s.momentum ? unit(0.05, 0.95) : fc.constant(0) });
    case "adafactor":
      return fc.record({ maximize, weight_decay, beta2_decay: unit(-1, -0.1), d: logRange(-1, 1), eps: fc.tuple(zeroOr(logRange(-30, -10)), logRange(-4, -1)) });
  }
}

// ---------------------------------------------------------------------------------------------
// Trajectories: a length, a seed, a base learning rate and 8..14 updates, each over the whole
// vector or over a random sub-range (possibly empty), with its own learning rate.

interface StepPlan {
  lrScale: number;
  range: readonly [number, number] | null;
}

interface Trajectory {
  length: number;
  seed: number;
  lr: number;
  steps: StepPlan[];
}

const stepArb: fc.Arbitrary<StepPlan> = fc.record({
  lrScale: unit(0.05, 1),
  range: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.tuple(unit(0, 1), unit(0, 1)) }),
});

const trajectoryArb = (length: fc.Arbitrary<number>, minSteps = 8, maxSteps = 14): fc.Arbitrary<Trajectory> =>
  fc.record({
    length,
    seed: fc.integer(),
    lr: logRange(-4, 0),
    steps: fc.array(stepArb, { minLength: minSteps, maxLength: maxSteps }),
  });

function rangeOf(plan: StepPlan, length: number): [number, number] {
  if (!plan.range) return [0, length];
  const offset = Math.min(length, Math.floor(plan.range[0] * (length + 1)));
  const count = Math.min(length - offset, Math.floor(plan.range[1] * (length - offset + 1)));
  return [offset, count];
}

// ---------------------------------------------------------------------------------------------
// Comparison.

/** Largest error seen per rule, in units of 2^-24 * S (for FAST_ENGINE_DIAG=1). */
const WORST = new Map<string, { ratio: number; where: string }>();

function note(rule: string, ratio: number, where: () => string): void {
  if (ratio > (WORST.get(rule)?.ratio ?? 0)) WORST.set(rule, { ratio, where: DIAG ? where() : "" });
}

function vectorsOf(engine: Engine): [string, Float32Array][] {
  return [["params", engine.params], ...Object.entries(engine.state.slots)];
}

/**
 * Compares one vector after an update. `spread` is Infinity where a perturbed shadow's value is NaN
 * or disagrees in NaN-ness with the reference: there the result is not determined at float32
 * precision (e.g. centered RMSprop's sq - avg² when the gradient's variance is below float32
 * resolution: its sign, hence NaN or not after the root, depends on the roundings). Such elements
 * are marked `unsettled` and not compared from then on (their later values inherit the ambiguity).
 */
function checkClose(
  rule: string,
  label: string,
  fast: Float32Array,
  ref: Float32Array,
  scale: Float64Array,
  spread: Float64Array,
  unsettled: Uint8Array,
): void {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const a = fast[i]!;
    const e = ref[i]!;
    if (unsettled[i] || a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (spread[i] === Infinity) {
      unsettled[i] = 1;
      continue;
    }
    const diff = Math.abs(a - e);
    const unit = EPS32 * scale[i]! + spread[i]!;
    if (diff > worst * unit) {
      worst = diff / unit;
      at = i;
    }
    if (!(diff <= TOLERANCE * unit + FLOOR)) {
      throw new Error(
        `${label}[${i}]: fast ${a} vs reference ${e}: |diff| ${diff.toExponential(3)} is ${(diff / unit).toFixed(1)} × (2^-24 S + spread) = ${unit.toExponential(3)} (S = ${scale[i]!.toExponential(3)}, spread = ${spread[i]!.toExponential(3)}, allowed ${TOLERANCE})`,
      );
    }
  }
  if (at >= 0) {
    note(rule, worst, () => `${label}[${at}]: ${fast[at]} vs ${ref[at]}, S ${scale[at]!.toExponential(2)}, spread ${spread[at]!.toExponential(2)}`);
  }
}

function sameBits(label: string, before: Float32Array, after: Float32Array, from: number, to: number): void {
  const a = new Uint32Array(before.buffer, before.byteOffset, before.length);
  const b = new Uint32Array(after.buffer, after.byteOffset, after.length);
  for (let i = 0; i < a.length; i++) {
    if (i >= from && i < to) continue;
    if (a[i] !== b[i]) throw new Error(`${label}[${i}] outside the updated range [${from}, ${to}) changed: ${before[i]} -> ${after[i]}`);
  }
}

/**
 * The one cancellation inside an update that perturbed shadows cannot reproduce: centered RMSprop
 * divides by sqrt(sq - avg² + eps_root), and where an element's gradients barely vary (typically
 * when weight decay dominates them) sq - avg² is a difference of nearly equal numbers, known only to
 * a few ulps of sq however it is rounded (the reference rounds sq and avg when storing them, the
 * kernel also rounds avg²). (The shadows' perturbations of u move sq and avg² together, so they
 * cancel in the difference, where independent roundings do not.) The square root turns that into a
 * relative error of rho = dv / (2 sqrt(w) (sqrt(w) + eps)) of the update, w = sq - avg² + eps_root,
 * dv = 8 ulps of sq. This adds that error, carried like the update itself (kept by the momentum
 * buffer, summed by the params), to the spreads; where w <= dv the sign of w is not determined at
 * float32 precision and the element is unsettled.
 *
 * With weight decay the params' error comes back: the next update's u = ±g + wd * p is off by
 * du = wd * (params' error), so square_avg by (1 - alpha) 2|u| du and grad_avg by (1 - alpha) du,
 * each decaying by alpha; these are added to their spreads. Without them square_avg falls outside its
 * allowance (37 times it at the default seed) while the params that caused it are within theirs.
 * Only this first-order path is followed, not its effect on later denominators.
 */
class CenteredRmspropSlack {
  private readonly params: Float64Array;
  private readonly buffer: Float64Array;
  private readonly square: Float64Array;
  private readonly average: Float64Array;
  constructor(
    private readonly hyper: Hyper,
    length: number,
  ) {
    this.params = new Float64Array(length);
    this.buffer = new Float64Array(length);
    this.square = new Float64Array(length);
    this.average = new Float64Array(length);
  }

  /** After update [offset, offset + count) with gradient `g`, from the reference's state. */
  update(ref: Engine, g: Float32Array, paramsBefore: Float32Array, lr: number, offset: number, count: number, unsettled: Uint8Array): void {
    const { alpha, eps, eps_root: epsRoot, momentum: mu, weight_decay: wd } = this.hyper as Record<string, number>;
    const sq = ref.state.slots.square_avg!;
    const avg = ref.state.slots.grad_avg!;
    for (let i = offset; i < offset + count; i++) {
      const u = Math.abs(g[i]!) + wd! * Math.abs(paramsBefore[i]!);
      const du = wd! * this.params[i]!;
      this.square[i] = alpha! * this.square[i]! + (1 - alpha!) * 2 * u * du;
      this.average[i] = alpha! * this.average[i]! + (1 - alpha!) * du;
      const w = sq[i]! - avg[i]! * avg[i]! + epsRoot!;
      const dv = 8 * EPS32 * sq[i]!;
      if (!(w > dv)) {
        unsettled[i] = 1;
        continue;
      }
      const root = Math.sqrt(w);
      const rho = dv / (2 * root * (root + eps!));
      const err = (u * rho) / (root + eps!);
      if (mu! > 0) {
        this.buffer[i] = mu! * this.buffer[i]! + err;
        this.params[i] = this.params[i]! + lr * this.buffer[i]!;
      } else {
        this.params[i] = this.params[i]! + lr * err;
      }
    }
  }

  add(name: string, spread: Float64Array): void {
    const extra = { params: this.params, momentum_buffer: this.buffer, square_avg: this.square, grad_avg: this.average }[name];
    if (extra) for (let i = 0; i < spread.length; i++) spread[i] = spread[i]! + extra[i]!;
  }
}

/**
 * After an update: adds |value| to each element's S, and sets its spread to the largest
 * |shadow - reference| (Infinity where a shadow's NaN-ness differs from the reference's).
 */
function measure(ref: Float32Array, shadows: readonly Float32Array[], scale: Float64Array, spread: Float64Array): void {
  for (let i = 0; i < ref.length; i++) {
    const e = ref[i]!;
    scale[i] = scale[i]! + Math.abs(e);
    let d = 0;
    for (let k = 0; k < shadows.length; k++) {
      const x = shadows[k]![i]!;
      if (Number.isNaN(x) !== Number.isNaN(e)) {
        d = Infinity;
        break;
      }
      const gap = Math.abs(x - e); // NaN where both are NaN or the same infinity: no gap
      if (gap > d) d = gap;
    }
    spread[i] = d;
  }
}

/** A random 32-bit word: four bytes, each one nudge. */
const word = (rand: () => number): number => (rand() * 2 ** 32) >>> 0;

/** ±(1 to 2), in ulps: the sign from the low bit of byte `k` of `w`, the size from its 7 others. */
function nudge(w: number, k: number): number {
  const byte = (w >>> (8 * k)) & 255;
  return (byte & 1 ? 1 : -1) * (1 + (byte >>> 1) / 127);
}

const ULP32 = new Float32Array(1);
const ULP_BITS = new Int32Array(ULP32.buffer);
/** The f32 ulp of |x|: its distance to the next float up (2^-149 below the normal range); 0 for 0 and non-finite x. */
function ulp(x: number): number {
  ULP32[0] = Math.abs(x);
  const a = ULP32[0]!;
  if (a === 0 || !(a < Infinity)) return 0;
  ULP_BITS[0] = ULP_BITS[0]! + 1;
  return Math.min(ULP32[0]! - a, 2 ** 104); // the largest float's next is Infinity
}

/**
 * Moves the shadows' inputs of an update over [from, to) (then rounds them to f32): each element
 * of params and slots by a nudge of 1 to 2 ulps of max(|value|, |the reference's value before its
 * last update|), each gradient element by one of 1 to 2 ulps of |g|. The shadows go in pairs: where
 * the first of a pair moves g and p in the same direction the second moves them apart, and the
 * other way round. The header says why.
 * `shadows[k]` is shadow k's [params, ...slots]; `previous` holds the reference's |values| before
 * their last update, in the same order.
 */
function perturbShadows(
  rand: () => number,
  shadows: readonly (readonly Float32Array[])[],
  gradients: readonly Float32Array[],
  previous: readonly Float32Array[],
  from: number,
  to: number,
): void {
  const prev = previous[0]!;
  for (let k = 0; k + 1 < shadows.length; k += 2) {
    const [pa, pb] = [shadows[k]![0]!, shadows[k + 1]![0]!];
    const [ga, gb] = [gradients[k]!, gradients[k + 1]!];
    for (let i = from; i < to; i++) {
      const w = word(rand);
      const a = nudge(w, 0);
      const b = nudge(w, 1);
      const g = nudge(w, 2);
      pa[i] = pa[i]! + a * ulp(Math.max(Math.abs(pa[i]!), prev[i]!));
      pb[i] = pb[i]! + b * ulp(Math.max(Math.abs(pb[i]!), prev[i]!));
      ga[i] = ga[i]! + g * ulp(ga[i]!);
      gb[i] = gb[i]! - Math.sign(g * a * b) * Math.abs(nudge(w, 3)) * ulp(gb[i]!);
    }
  }
  for (let j = 1; j < previous.length; j++) {
    const prevJ = previous[j]!;
    for (let k = 0; k < shadows.length; k += 4) {
      const vs = shadows.slice(k, k + 4).map((shadow) => shadow[j]!);
      for (let i = from; i < to; i++) {
        const w = word(rand);
        for (let l = 0; l < vs.length; l++) {
          const v = vs[l]!;
          v[i] = v[i]! + nudge(w, l) * ulp(Math.max(Math.abs(v[i]!), prevJ[i]!));
        }
      }
    }
  }
}

/** Sets `previous` to the |values| of [from, to) before an update (0 for non-finite ones). */
function remember(previous: readonly Float32Array[], values: readonly Float32Array[], from: number, to: number): void {
  for (let j = 0; j < values.length; j++) {
    const [prev, v] = [previous[j]!, values[j]!];
    for (let i = from; i < to; i++) prev[i] = Number.isFinite(v[i]!) ? Math.abs(v[i]!) : 0;
  }
}

/** Runs one trajectory on both engines (and the perturbed shadows), comparing after every update. */
function runTrajectory(rule: RuleName, input: Record<string, unknown>, t: Trajectory): void {
  const hyper: Hyper = getRule(rule).resolve({ ...input, lr: t.lr });
  const ref = createReferenceEngine(rule, hyper, t.length);
  const fast = createFastEngine(module, rule, hyper, t.length);
  const shadows = Array.from({ length: SHADOWS }, () => createReferenceEngine(rule, hyper, t.length));
  if (Object.keys(fast.state.slots).join() !== Object.keys(ref.state.slots).join()) {
    throw new Error(`slots ${Object.keys(fast.state.slots)} vs ${Object.keys(ref.state.slots)}`);
  }
  const rand = prng(t.seed);
  const noise = prng(t.seed ^ 0x5eed);
  fillParams(rand, ref.params);
  fast.params.set(ref.params);
  for (const s of shadows) s.params.set(ref.params);
  const refVectors = vectorsOf(ref);
  const fastVectors = vectorsOf(fast);
  const shadowVectors = shadows.map(vectorsOf);
  for (const [j, [name, v]] of refVectors.entries()) {
    const f = fastVectors[j]![1];
    if (f.some((x, i) => !Object.is(x, v[i]))) throw new Error(`initial ${name} differs`);
  }
  const scales = refVectors.map(([, v]) => Float64Array.from(v, Math.abs));
  const spreads = refVectors.map(([, v]) => new Float64Array(v.length));
  /** Per vector, the reference's |value| before the element's last update (0 before the first). */
  const previous = refVectors.map(([, v]) => new Float32Array(v.length));
  const refInputs = refVectors.map(([, v]) => v);
  const shadowInputs = shadowVectors.map((vs) => vs.map(([, v]) => v));
  const shadowGradients = shadows.map((s) => s.gradient);
  const unsettled = new Uint8Array(t.length);
  const slack = rule === "rmsprop" && hyper.centered ? new CenteredRmspropSlack(hyper, t.length) : undefined;

  for (const [k, plan] of t.steps.entries()) {
    const [offset, count] = rangeOf(plan, t.length);
    const lr = t.lr * plan.lrScale;
    fillGradient(rand, ref.gradient);
    fast.gradient.set(ref.gradient);
    const before = fastVectors.map(([, v]) => v.slice());
    // The gradient as it is: the reference's step turns ref.gradient into its update, in place.
    const gradient = ref.gradient.slice();
    const paramsBefore = ref.params.slice();
    for (const s of shadows) s.gradient.set(gradient);
    perturbShadows(noise, shadowInputs, shadowGradients, previous, offset, offset + count);
    for (const s of shadows) s.step(lr, offset, count);
    remember(previous, refInputs, offset, offset + count);
    ref.step(lr, offset, count);
    slack?.update(ref, gradient, paramsBefore, lr, offset, count, unsettled);
    fast.step(lr, offset, count);
    const where = `${rule} ${JSON.stringify(hyper)} length ${t.length}, update ${k + 1} over [${offset}, ${offset + count})`;
    for (const [j, [name, v]] of refVectors.entries()) {
      const scale = scales[j]!;
      const spread = spreads[j]!;
      measure(v, shadowInputs.map((vs) => vs[j]!), scale, spread);
      slack?.add(name, spread);
      checkClose(rule, `${where}: ${name}`, fastVectors[j]![1], v, scale, spread, unsettled);
      sameBits(`${where}: ${name}`, before[j]!, fastVectors[j]![1], offset, offset + count);
    }
    if (fast.state.step !== ref.state.step) throw new Error(`${where}: step ${fast.state.step} vs ${ref.state.step}`);
    for (const [name, value] of Object.entries(ref.state.scalars)) {
      if (!Object.is(fast.state.scalars[name], value)) {
        throw new Error(`${where}: scalar ${name} ${fast.state.scalars[name]} vs ${value}`);
      }
    }
  }
}

/** A trajectory as fast-check drew it: each update's lrScale, negative where its range was empty. */
const kept = (length: number, seed: number, scales: number[]): Trajectory => ({
  length,
  seed,
  lr: 1,
  steps: scales.map((x) => ({ lrScale: Math.abs(x), range: x < 0 ? [0, 0] : null })),
});

/**
 * The input FAST_ENGINE_SEED=-1634082406 drew for "maximize decay centered momentum" (update 11,
 * square_avg[30]), kept as a fixed case. Element 30's gradient is ~0 for 9 updates, so
 * u = -g + wd * p is nearly constant and sq - avg² falls to 2e-5 of sq (0.38 of 16,495) by update 9:
 * the update then depends on sq's last 2-3 digits, and the engines' params part by 0.1% (fast
 * 459.068, reference 458.623, exact 459.006; PyTorch's portable float32 kernels give the fast
 * engine's value bit for bit). At update 10 a gradient of 229 arrives and u = -g + wd * p carries that
 * params difference into square_avg and grad_avg, which CenteredRmspropSlack follows. The test
 * failed here (square_avg 35.9 times its allowance) because the shadows were stepped with
 * ref.gradient after the reference's step had turned it into its update: they followed other
 * trajectories, and their spread measured nothing. They now get the gradient.
 */
const CANCELLATION_CASE = {
  input: { maximize: true, weight_decay: 0.1995262314968873, eps_root: 0, eps: 0.0029525166534753056, alpha: 0.10000000000000024, centered: true, momentum: 0.07732680413560604 },
  trajectory: kept(296, -2147483631, [0.09724170733308524, 0.5426830441016199, -0.06140841855568137, 0.7263876596833398, -0.05631428542179009, -0.23139345942749004,
    0.20524799617244716, -0.5665259581426864, 0.797802009761996, 0.11016530822322947, 0.23269229070935465, -0.2969053546270425, -0.11975551552286957, 0.10186011676807678]),
};

const label = (s: Switches): string =>
  Object.entries(s)
    .filter(([, v]) => v !== false)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .join(" ") || "plain";

describe.each(ruleNames)("fast engine: %s", (rule) => {
  const combos = switchesOf[rule];
  // About 64 random trajectories per rule, at least 6 per combination of switches
  // (FAST_ENGINE_RUNS=k multiplies them for a deeper search).
  const runs = Math.max(6, Math.ceil(64 / combos.length)) * RUNS_FACTOR;

  it.each(combos.map((s) => [label(s), s] as const))("equals the reference within tolerance: %s", (_name, s) => {
    fc.assert(
      fc.property(hyperArb(rule, s), trajectoryArb(fc.integer({ min: 1, max: 300 })), (input, t) => runTrajectory(rule, input, t)),
      { seed: SEED, numRuns: runs, endOnFailure: !SHRINK },
    );
  });

  if (rule === "rmsprop") {
    it("equals the reference where centered RMSprop's cancellation feeds back through weight decay", () => {
      runTrajectory("rmsprop", CANCELLATION_CASE.input, CANCELLATION_CASE.trajectory);
    });
  }

  it("equals the reference on a vector of ~5000 elements", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...combos).chain((s) => hyperArb(rule, s)),
        trajectoryArb(fc.integer({ min: 4990, max: 5010 }), 8, 10),
        (input, t) => runTrajectory(rule, input, t),
      ),
      { seed: SEED, numRuns: 2 * RUNS_FACTOR, endOnFailure: !SHRINK },
    );
  });

  it("has the reference's slots with the same initial values, and sizes its memory as announced", () => {
    const hyper = getRule(rule).resolve({});
    for (const length of [0, 1, 5, 1000]) {
      const fast = createFastEngine(module, rule, hyper, length, { extraVectors: 1 });
      const ref = createReferenceEngine(rule, hyper, length);
      expect(Object.keys(fast.state.slots)).toEqual(Object.keys(ref.state.slots));
      for (const [name, v] of Object.entries(ref.state.slots)) expect(Array.from(fast.state.slots[name]!)).toEqual(Array.from(v));
      expect(fast.state.scalars).toEqual(ref.state.scalars);
      expect(fast.memory.buffer.byteLength).toBe(fastEngineBytes(rule, hyper, length, { extraVectors: 1 }));
      expect(fast.bytes).toBe(fast.memory.buffer.byteLength);
      const views = [fast.params, fast.gradient, ...Object.values(fast.state.slots), ...fast.extra];
      for (const v of views) {
        expect(v.buffer).toBe(fast.memory.buffer);
        expect(v.length).toBe(length);
        expect(v.byteOffset % 16).toBe(0);
      }
      const layout = fastEngineLayout(rule, hyper, length, { extraVectors: 1 });
      const sorted = [...layout.regions].sort((a, b) => a.offset - b.offset);
      for (let i = 1; i < sorted.length; i++) {
        expect(sorted[i]!.offset).toBeGreaterThanOrEqual(sorted[i - 1]!.offset + 4 * length + 16);
      }
    }
  });

  if (!getRule(rule).fast) {
    it("runs its reference transform on the engine's memory, bit for bit (it has no kernel of its own)", () => {
      const hyper = getRule(rule).resolve({ lr: 0.01 });
      const n = 37;
      const ref = createReferenceEngine(rule, hyper, n);
      const fast = createFastEngine(module, rule, hyper, n);
      const rand = prng(11);
      fillParams(rand, ref.params);
      fast.params.set(ref.params);
      for (const [offset, count] of [[0, n], [5, 20], [30, 7], [0, 0], [0, n]] as const) {
        fillGradient(rand, ref.gradient);
        fast.gradient.set(ref.gradient);
        ref.step(0.01, offset, count);
        fast.step(0.01, offset, count);
      }
      for (const [name, v] of vectorsOf(ref)) {
        const f = vectorsOf(fast).find(([other]) => other === name)![1];
        expect(f.buffer).toBe(fast.memory.buffer);
        expect(Array.from(f), name).toEqual(Array.from(v));
      }
      expect(fast.state.scalars).toEqual(ref.state.scalars);
    });
  }

  it("propagates non-finite gradients to the same elements as the reference", () => {
    const hyper = getRule(rule).resolve({ lr: 0.01 });
    const n = 23;
    const ref = createReferenceEngine(rule, hyper, n);
    const fast = createFastEngine(module, rule, hyper, n);
    const rand = prng(7);
    fillParams(rand, ref.params);
    fast.params.set(ref.params);
    for (let k = 0; k < 4; k++) {
      fillGradient(rand, ref.gradient);
      ref.gradient[(5 * k) % n] = NaN;
      ref.gradient[(5 * k + 3) % n] = Infinity;
      ref.gradient[(5 * k + 9) % n] = -Infinity;
      fast.gradient.set(ref.gradient);
      ref.step(0.01);
      fast.step(0.01);
      for (const [name, v] of vectorsOf(ref)) {
        const f = name === "params" ? fast.params : fast.state.slots[name]!;
        for (let i = 0; i < n; i++) {
          const where = `${name}[${i}] after update ${k + 1}: ${f[i]} vs ${v[i]}`;
          expect(Number.isNaN(f[i]!), where).toBe(Number.isNaN(v[i]!));
          if (!Number.isFinite(v[i]!)) expect(f[i], where).toBe(v[i]);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Vector helpers: views into one engine's memory, against averages.ts, finite.ts and clip.ts.

describe("fast vector ops", () => {
  const sizes = fc.integer({ min: 0, max: 300 });

  /** An engine with room for a few vectors; views at arbitrary (unaligned) offsets inside them. */
  function workspace(length: number, extraVectors = 3): FastEngine {
    return createFastEngine(module, "sgd", getRule("sgd").resolve({}), length, { extraVectors });
  }

  const bitsOf = (v: Float32Array): number[] => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

  it("updateAverage (EMA and SWA) is bit-identical to averages.ts", () => {
    const specArb: fc.Arbitrary<AverageSpec> = fc.oneof(
      unit(0, 1).map((decay) => ({ kind: "ema" as const, decay })),
      fc.integer({ min: 0, max: 6 }).map((start) => ({ kind: "swa" as const, start })),
    );
    fc.assert(
      fc.property(specArb, sizes, fc.integer({ min: 0, max: 3 }), fc.integer(), (spec, n, shift, seed) => {
        const ws = workspace(n + 3);
        const values = ws.extra[0]!.subarray(shift, shift + n);
        const weights = ws.extra[1]!.subarray(3 - shift, 3 - shift + n);
        const rand = prng(seed);
        fillParams(rand, values);
        const fastAvg = { count: 0, values };
        const refAvg = initAverage(values);
        for (let version = 0; version < 12; version++) {
          fillParams(rand, weights);
          updateAverage(spec, refAvg, weights, version);
          ws.ops.updateAverage(spec, fastAvg, weights, version);
          expect(fastAvg.count).toBe(refAvg.count);
          expect(bitsOf(values)).toEqual(bitsOf(refAvg.values));
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  /** A vector sprinkled with NaN and ±Infinity, with more of them just outside the view. */
  function withNonFinite(rand: () => number, ws: FastEngine, n: number, shift: number, density: number): Float32Array {
    const whole = ws.extra[0]!;
    fillGradient(rand, whole);
    const bad = [NaN, Infinity, -Infinity];
    for (let i = 0; i < whole.length; i++) if (rand() < density) whole[i] = bad[Math.floor(rand() * 3)]!;
    const view = whole.subarray(shift, shift + n);
    for (let i = shift + n; i < whole.length; i++) whole[i] = NaN; // never part of the answer
    if (shift > 0) whole[shift - 1] = Infinity;
    return view;
  }

  it("firstNonFinite, countNonFinite and zeroNonFinite equal finite.ts", () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 0.01, 0.2, 1), fc.integer(), (n, shift, density, seed) => {
        const ws = workspace(n + 8, 1);
        const view = withNonFinite(prng(seed), ws, n, shift, density);
        const copy = view.slice();
        expect(ws.ops.firstNonFinite(view)).toBe(firstNonFinite(copy));
        const expectedCount = copy.filter((x) => !Number.isFinite(x)).length;
        expect(ws.ops.countNonFinite(view)).toBe(expectedCount);
        const after = ws.extra[0]!.slice();
        expect(ws.ops.zeroNonFinite(view)).toBe(zeroNonFinite(copy));
        expect(bitsOf(view)).toEqual(bitsOf(copy));
        // Nothing outside the view was touched.
        const whole = ws.extra[0]!;
        for (let i = 0; i < whole.length; i++) {
          if (i < shift || i >= shift + n) expect(Object.is(whole[i], after[i])).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("globalNorm, clipByGlobalNorm and clipByValue equal clip.ts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(sizes, fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 3 }),
        fc.constantFrom<2 | "inf">(2, "inf"),
        logRange(-3, 3),
        fc.integer(),
        (shapes, normType, limit, seed) => {
          const ws = workspace(303, 3);
          const rand = prng(seed);
          const views = shapes.map(([n, shift], j) => {
            const v = ws.extra[j]!.subarray(shift, shift + n);
            fillGradient(rand, ws.extra[j]!);
            return v;
          });
          const copies = views.map((v) => v.slice());
          const norm = ws.ops.globalNorm(views, normType);
          const expected = globalNorm(copies, normType);
          // The squares are exact in f64 and summed in another order: relative error <= n * 2^-52.
          if (normType === "inf") expect(norm).toBe(expected);
          else expect(Math.abs(norm - expected)).toBeLessThanOrEqual(expected * 1000 * 2 ** -52);

          const clipped = ws.ops.clipByGlobalNorm(views, limit, normType);
          expect(clipped).toBe(norm);
          // Same scaling as clip.ts given the same norm: bit-identical.
          const coef = limit / (norm + 1e-6);
          const scaled = copies.map((c) => (coef < 1 ? c.map((x) => x * coef) : c.slice()));
          views.forEach((v, j) => expect(bitsOf(v)).toEqual(bitsOf(scaled[j]!)));

          clipByValue(scaled[0]!, limit / 10);
          ws.ops.clipByValue(views[0]!, limit / 10);
          expect(bitsOf(views[0]!)).toEqual(bitsOf(scaled[0]!));
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("refuses arrays that are not views of the engine's memory", () => {
    const ws = workspace(16, 1);
    expect(() => ws.ops.firstNonFinite(new Float32Array(16))).toThrow(TypeError);
    expect(() => workspace(16).ops.globalNorm([ws.extra[0]!])).toThrow(TypeError);
  });
});

afterAll(() => {
  if (DIAG) {
    const rows = [...WORST.entries()].map(([rule, w]) => `${rule}: ${w.ratio.toFixed(2)}  (${w.where})`);
    console.log(`worst |fast - reference| / (2^-24 S + spread) (allowed ${TOLERANCE}):\n  ${rows.join("\n  ")}`);
  }
});
