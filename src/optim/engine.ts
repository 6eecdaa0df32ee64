import type { Hyper } from "./hyper";
import { evaluationPoint } from "./point";
import { getRule, type RuleName } from "./rules";
import { initState, sliceState, type OptimizerState } from "./state";
import { applyUpdate } from "./transform";

/**
 * One parameter vector with its optimizer, resident in memory: the object a shard keeps between
 * requests. The caller writes a gradient into `gradient` (at the same positions as the parameters
 * it belongs to) and calls `step`; `params` and `state` are updated in place. The gradient buffer's
 * contents are consumed by the step.
 */
export interface Engine {
  readonly rule: RuleName;
  readonly hyper: Hyper;
  readonly length: number;
  readonly params: Float32Array;
  readonly state: OptimizerState;
  readonly gradient: Float32Array;
  /**
   * Applies update number `state.step + 1` with learning rate `lr` to elements
   * [offset, offset + count): the others and their state are left untouched.
   */
  step(lr: number, offset?: number, count?: number): void;
  /**
   * Where the next gradient is to be taken over [offset, offset + count), as a new vector, when the
   * rule declares a point other than the weights (src/optim/point.ts); undefined when it is the weights.
   */
  point(offset?: number, count?: number): Float32Array | undefined;
}

/** The `point` of an engine of `rule` with `hyper` over its `params` and `state` (both engines share it). */
export function pointOfEngine(rule: RuleName, hyper: Hyper, params: Float32Array, state: OptimizerState): Engine["point"] {
  const spec = getRule(rule).point?.(hyper);
  if (!spec) return () => undefined;
  return (offset = 0, count = params.length - offset) => {
    checkRange(params.length, offset, count);
    return evaluationPoint(spec, params, state, offset, count);
  };
}

export function checkRange(length: number, offset: number, count: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 0 || offset + count > length) {
    throw new RangeError(`range [${offset}, ${offset + count}) is outside a vector of length ${length}`);
  }
}

/** The readable engine: the composed transforms of `src/optim/rules`, in plain TypeScript. */
export function createReferenceEngine(rule: RuleName, hyper: Hyper, length: number): Engine {
  const transform = getRule(rule).transform(hyper);
  const params = new Float32Array(length);
  const gradient = new Float32Array(length);
  const state = initState(transform.slots, transform.scalars, length);
  return {
    rule,
    hyper,
    length,
    params,
    state,
    gradient,
    step(lr, offset = 0, count = length - offset) {
      checkRange(length, offset, count);
      const u = gradient.subarray(offset, offset + count);
      const p = params.subarray(offset, offset + count);
      transform.update(u, sliceState(state, offset, count), p, { step: state.step + 1, lr });
      applyUpdate(p, u);
      state.step += 1;
    },
    point: pointOfEngine(rule, hyper, params, state),
  };
}
