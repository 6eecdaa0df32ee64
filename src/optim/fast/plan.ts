import type { RuleKernel } from "./abi";

/**
 * A rule's fast plan: given its resolved hyperparameters and the engine's kernels and regions,
 * it picks the kernel variants once (`<rule>[_<option>...]`, see ./kernels) and returns the
 * per-step call. Each rule defines its own next to its reference transform (`fast` in
 * `defineRule`, ../rules/*.ts); the fast engine (./engine.ts) calls it once per engine.
 */
export type FastPlan<H> = (hyper: H, at: FastKernels) => FastStep;

/**
 * One update of a rule on the fast path: elements [o/4, o/4 + n) of every vector, `o` being a byte
 * offset added to each region's address; `t` is the 1-based update number. Computes the per-step
 * scalars in f64 with the reference's helpers (bias corrections, NAdam's mu, RAdam's rectification)
 * in the form PyTorch passes them to its tensor ops, updates `scalars` in place exactly like the
 * reference, and calls the specialised kernel.
 */
export type FastStep = (n: number, o: number, t: number, lr: number, scalars: Record<string, number>) => void;

/** What a plan gets from the fast engine: its kernels and the byte addresses of its regions. */
export interface FastKernels {
  /** The kernel variant `name` of kernels.wasm; throws if the build lacks it. */
  kernel(name: string): RuleKernel;
  /** Byte address of the parameters. */
  readonly p: number;
  /** Byte address of the gradient. */
  readonly g: number;
  /** Byte address of the state slot `name`, or 0 for a slot the chosen variant never touches. */
  slot(name: string): number;
}

/** The kernels' sign of the gradient: -1 when maximizing. */
export const gradientSign = (maximize: boolean): number => (maximize ? -1 : 1);

/** `_wd` when L2 weight decay is folded into the gradient. */
export const wdSuffix = (wd: number): string => (wd !== 0 ? "_wd" : "");

/**
 * What a plan of a PyTorch-shaped rule (`definePytorchRule`) also gets: the two scalars its
 * kernels take first, and its kernels by base name.
 */
export interface PytorchFastKernels extends FastKernels {
  /** -1 when maximizing, else 1. */
  readonly sgn: number;
  /** `weight_decay`, folded into the gradient. */
  readonly wd: number;
  /** The kernel variant `name`, or `name_wd` when weight decay is not 0. */
  variant(name: string): RuleKernel;
}

export function pytorchKernels(at: FastKernels, maximize: boolean, wd: number): PytorchFastKernels {
  // Fields named, not spread: a plan is made again whenever scheduled hyperparameters change, and
  // spreading an object of functions takes V8's slow path (microseconds).
  const { kernel, p, g, slot } = at;
  return { kernel, p, g, slot, sgn: gradientSign(maximize), wd, variant: (name) => kernel(`${name}${wdSuffix(wd)}`) };
}
