import { flag, nonNegative, resolveHyper, type Hyper, type HyperSpec } from "./hyper";
import { addWeightDecay, chain, negate, scaleByLearningRate, type Transform } from "./transform";

/**
 * An update rule: a spec of its hyperparameters (PyTorch's names and defaults) and a function from
 * resolved hyperparameters to its composed reference transform. The fast path (`fast/`) implements
 * the same rule as one fused kernel over the same state slots.
 */
export interface Rule<H extends Hyper = Hyper> {
  readonly name: string;
  /** What the rule's formulas and defaults follow, e.g. "torch.optim.Adam". */
  readonly reference: string;
  readonly spec: HyperSpec;
  /** Fills defaults and validates; throws HyperparameterError with a precise message. */
  resolve(input: unknown): H;
  transform(hyper: H): Transform;
}

export function defineRule<H extends Hyper>(def: {
  name: string;
  reference: string;
  spec: HyperSpec;
  check?: (hyper: H) => void;
  transform: (hyper: H) => Transform;
}): Rule<H> {
  return {
    name: def.name,
    reference: def.reference,
    spec: def.spec,
    resolve(input) {
      const hyper = resolveHyper<H>(def.name, def.spec, input);
      def.check?.(hyper);
      return hyper;
    },
    transform: def.transform,
  };
}

/**
 * A rule in PyTorch's shape: `maximize` negates the gradient, `weight_decay` folds L2 into it, the
 * rule's own scaling follows, then `-lr`. The spec gets `weight_decay` and `maximize` appended.
 */
export function definePytorchRule<H extends Hyper & { weight_decay: number; maximize: boolean }>(def: {
  name: string;
  reference: string;
  spec: HyperSpec;
  check?: (hyper: H) => void;
  scale: (hyper: H) => Transform;
}): Rule<H> {
  return defineRule<H>({
    ...def,
    spec: { ...def.spec, weight_decay: nonNegative(0), maximize: flag() },
    transform: (h) => chain(negate(h.maximize), addWeightDecay(h.weight_decay), def.scale(h), scaleByLearningRate),
  });
}

/** PyTorch's bias correction `1 - beta ** step`. */
export const biasCorrection = (beta: number, step: number): number => 1 - beta ** step;
