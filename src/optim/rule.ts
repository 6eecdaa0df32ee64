import { pytorchKernels, type FastKernels, type FastPlan, type FastStep, type PytorchFastKernels } from "./fast/plan";
import { flag, nonNegative, resolveHyper, type Hyper, type HyperSpec } from "./hyper";
import type { PointSpec } from "./point";
import { addWeightDecay, chain, identity, negate, scaleByLearningRate, type Transform } from "./transform";

/**
 * An update rule: a spec of its hyperparameters (PyTorch's names and defaults), a function from
 * resolved hyperparameters to its composed reference transform, and its plan on the fast path
 * (`fast/`): the same rule as one fused kernel over the same state slots.
 */
export interface Rule<H extends Hyper = Hyper> {
  readonly name: string;
  /** What the rule's formulas and defaults follow, e.g. "torch.optim.Adam". */
  readonly reference: string;
  readonly spec: HyperSpec;
  /**
   * State slots that are running averages of the parameters (ASGD's `ax`): a shard serves each as
   * an average under the slot's name, beside the averages of its configuration.
   */
  readonly averages: readonly string[];
  /** Why `hyper` cannot serve parameters of `length` (e.g. Adafactor's matrix shape), or undefined. */
  fitsLength(hyper: H, length: number): string | undefined;
  /**
   * Whether an update may cover part of the parameters (a range push): false where the rule's
   * state couples all elements (Adafactor's factored second moments).
   */
  elementwise(hyper: H): boolean;
  /**
   * Whether the rule takes the lengths of the tensor pieces a model's shard holds as its
   * hyperparameter `segments` (normalized gradient descent: one norm per tensor); a model fills it in.
   */
  readonly segmented: boolean;
  /** Fills defaults and validates; throws HyperparameterError with a precise message. */
  resolve(input: unknown): H;
  transform(hyper: H): Transform;
  /**
   * Picks the rule's kernel variants for `hyper` once and returns the per-step call (fast/plan.ts).
   * A rule without one runs its reference transform on the fast engine's memory.
   */
  readonly fast?: (hyper: H, at: FastKernels) => FastStep;
  /** Where the next gradient is to be taken, when not at the weights (./point.ts); absent: the weights. */
  point?(hyper: H): PointSpec | undefined;
}

export function defineRule<H extends Hyper>(def: {
  name: string;
  reference: string;
  spec: HyperSpec;
  averages?: readonly string[];
  check?: (hyper: H) => void;
  fitsLength?: (hyper: H, length: number) => string | undefined;
  elementwise?: (hyper: H) => boolean;
  segmented?: boolean;
  transform: (hyper: H) => Transform;
  fast?: FastPlan<H>;
  point?: (hyper: H) => PointSpec | undefined;
}): Rule<H> {
  return {
    name: def.name,
    reference: def.reference,
    spec: def.spec,
    averages: def.averages ?? [],
    fitsLength: def.fitsLength ?? (() => undefined),
    elementwise: def.elementwise ?? (() => true),
    segmented: def.segmented ?? false,
    resolve(input) {
      const hyper = resolveHyper<H>(def.name, def.spec, input);
      def.check?.(hyper);
      return hyper;
    },
    transform: def.transform,
    fast: def.fast,
    ...(def.point ? { point: def.point } : {}),
  };
}

/**
 * A rule in PyTorch's shape: `maximize` negates the gradient, `weight_decay` folds L2 into it, the
 * rule's own scaling follows, then `-lr` (unless `scalesByLearningRate` says the scaling applied
 * it already, as a velocity that keeps the learning rate inside does). The spec gets `weight_decay`
 * and `maximize` appended; the fast plan gets its kernels' `sgn` and `wd` and their `_wd` variants
 * (fast/plan.ts).
 */
export function definePytorchRule<H extends Hyper & { weight_decay: number; maximize: boolean }>(def: {
  name: string;
  reference: string;
  spec: HyperSpec;
  check?: (hyper: H) => void;
  fitsLength?: (hyper: H, length: number) => string | undefined;
  elementwise?: (hyper: H) => boolean;
  segmented?: boolean;
  scale: (hyper: H) => Transform;
  scalesByLearningRate?: (hyper: H) => boolean;
  fast?: (hyper: H, at: PytorchFastKernels) => FastStep;
  point?: (hyper: H) => PointSpec | undefined;
}): Rule<H> {
  return defineRule<H>({
    ...def,
    spec: { ...def.spec, weight_decay: nonNegative(0), maximize: flag() },
    transform: (h) =>
      chain(negate(h.maximize), addWeightDecay(h.weight_decay), def.scale(h), def.scalesByLearningRate?.(h) ? identity : scaleByLearningRate),
    fast: pytorchPlan(def.fast),
  });
}

function pytorchPlan<H extends Hyper & { weight_decay: number; maximize: boolean }>(
  plan: ((hyper: H, at: PytorchFastKernels) => FastStep) | undefined,
): FastPlan<H> | undefined {
  return plan && ((h, at) => plan(h, pytorchKernels(at, h.maximize, h.weight_decay)));
}

/** PyTorch's bias correction `1 - beta ** step`. */
export const biasCorrection = (beta: number, step: number): number => 1 - beta ** step;
