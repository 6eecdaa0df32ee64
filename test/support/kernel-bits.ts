import { createHash } from "node:crypto";
import { getRule, seededUniform, type AverageSpec, type RuleName } from "../../src/optim";
import { createFastEngine } from "../../src/optim/fast/engine";

/**
 * The output bits of every kernel the gradient log replays through: each rule's step in its
 * variants (the fast plan, or the reference transform for a rule without one), and the vector ops
 * a step uses (clipping by norm and by value, zeroing non-finite values, EMA and SWA averages),
 * hashed. test/math/kernel-bits.test.ts holds them to kernel-bits.json, written by
 * scripts/pin-kernel-bits.ts: a change of these bits must come with a new ENGINE_VERSION.
 */
export const KERNEL_BITS_SEED = 1207;

/** Each rule's variants: the hyperparameters that select another kernel or another path of one. */
export const VARIANTS: Record<RuleName, Record<string, unknown>[]> = {
  sgd: [{ lr: 0.1 }, { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01 }, { lr: 0.1, momentum: 0.9, dampening: 0.5, maximize: true }],
  adagrad: [{}, { weight_decay: 0.01, lr_decay: 0.1 }],
  rmsprop: [{}, { centered: true, momentum: 0.9, weight_decay: 0.01 }],
  adadelta: [{}, { weight_decay: 0.01, maximize: true }],
  adam: [{}, { amsgrad: true, weight_decay: 0.01 }, { maximize: true }],
  adamw: [{}, { amsgrad: true }],
  adamax: [{}, { weight_decay: 0.01 }],
  nadam: [{}, { weight_decay: 0.01 }],
  radam: [{}, { weight_decay: 0.01 }],
  yogi: [{}, { weight_decay: 0.01 }],
  rprop: [{}],
  asgd: [{ t0: 1 }],
  lion: [{}, { weight_decay: 0.1 }],
  normalized: [{}, { momentum: 0.9 }],
  adafactor: [{}, { weight_decay: 0.01 }],
};

const LENGTH = 1031;
const STEPS = 6;
const AVERAGES: AverageSpec[] = [
  { kind: "ema", decay: 0.9 },
  { kind: "swa", start: 2 },
] as AverageSpec[];

const hash = (vectors: readonly Float32Array[]): string => {
  const h = createHash("sha256");
  for (const v of vectors) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return h.digest("hex").slice(0, 32);
};

/** `rule/variant` → the hash of its weights, slots and averages after STEPS seeded steps (clipped, some values zeroed). */
export function kernelBits(module: WebAssembly.Module): Record<string, string> {
  const bits: Record<string, string> = {};
  for (const [rule, variants] of Object.entries(VARIANTS) as [RuleName, Record<string, unknown>[]][]) {
    for (const [i, input] of variants.entries()) {
      const hyper = getRule(rule).resolve(input);
      const engine = createFastEngine(module, rule, hyper, LENGTH, { extraVectors: AVERAGES.length });
      const draw = seededUniform(KERNEL_BITS_SEED + i);
      for (let j = 0; j < LENGTH; j++) engine.params[j] = draw() * 2 - 1;
      for (const avg of engine.extra) avg.set(engine.params);
      const counts = AVERAGES.map(() => 0);
      for (let step = 1; step <= STEPS; step++) {
        for (let j = 0; j < LENGTH; j++) engine.gradient[j] = (draw() - 0.5) * 4;
        engine.gradient[step * 7] = Number.NaN;
        engine.ops.zeroNonFinite(engine.gradient);
        if (step % 2 === 0) engine.ops.clipByGlobalNorm([engine.gradient], 5);
        else engine.ops.clipByValue(engine.gradient, 1.5);
        engine.step((hyper.lr as number) / step);
        for (const [a, spec] of AVERAGES.entries()) {
          const state = { count: counts[a]!, values: engine.extra[a]! };
          engine.ops.updateAverage(spec, state, engine.params, step);
          counts[a] = state.count;
        }
      }
      bits[`${rule}/${i}`] = hash([engine.params, ...Object.values(engine.state.slots), ...engine.extra]);
    }
  }
  return bits;
}
