import type { Hyper } from "./hyper";
import { evaluationPoint } from "./point";
import { getRule, type RuleName } from "./rules";
import { initState, sliceState, type OptimizerState } from "./state";
import { applyUpdate, type Transform } from "./transform";

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
   * [offset, offset + count): the others and their state are left untouched. `hyper` are the
   * hyperparameters in force for this update (default: the engine's); they may differ from step to
   * step but never need state the engine does not keep (the state is never rebuilt).
   */
  step(lr: number, offset?: number, count?: number, hyper?: Hyper): void;
  /**
   * Where the next gradient is to be taken over [offset, offset + count), as a new vector, when the
   * rule declares a point other than the weights (src/optim/point.ts); undefined when it is the
   * weights. `hyper` are the hyperparameters in force for the next update (default: the engine's).
   */
  point(offset?: number, count?: number, hyper?: Hyper): Float32Array | undefined;
}

/** Whether two sets of hyperparameters have the same values (pairs compared element by element); allocates nothing. */
function sameValues(a: Hyper, b: Hyper): boolean {
  if (a === b) return true;
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/**
 * Follows the hyperparameters in force: `of(hyper)` is derived again only when their values
 * change, and refused if it would use state outside `kept` (a programming error: the
 * configuration's validation keeps scheduled values within the state).
 */
export function followHyper<T>(rule: RuleName, hyper: Hyper, kept: readonly string[], of: (hyper: Hyper) => T): (hyper: Hyper) => T {
  let current = hyper;
  let derived = of(hyper);
  return (next) => {
    if (!sameValues(next, current)) {
      const t = getRule(rule).transform(next);
      const extra = [...t.slots, ...t.scalars].find((s) => !kept.includes(s.name));
      if (extra) throw new Error(`${rule}: these hyperparameters need state '${extra.name}' the engine does not keep`);
      derived = of(next);
      current = next;
    }
    return derived;
  };
}

/** The `point` of an engine of `rule` with `hyper` over its `params` and `state` (both engines share it). */
export function pointOfEngine(rule: RuleName, hyper: Hyper, params: Float32Array, state: OptimizerState): Engine["point"] {
  const declared = getRule(rule).point;
  if (!declared) return () => undefined;
  return (offset = 0, count = params.length - offset, inForce = hyper) => {
    checkRange(params.length, offset, count);
    const spec = declared(inForce);
    return spec && evaluationPoint(spec, params, state, offset, count);
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
  const transformFor = followHyper(rule, hyper, [...transform.slots, ...transform.scalars].map((s) => s.name), (h) => getRule(rule).transform(h));
  return {
    rule,
    hyper,
    length,
    params,
    state,
    gradient,
    step(lr, offset = 0, count = length - offset, inForce = hyper) {
      checkRange(length, offset, count);
      applyTransform(transformFor(inForce), { params, gradient, state }, lr, offset, count);
      state.step += 1;
    },
    point: pointOfEngine(rule, hyper, params, state),
  };
}

/**
 * Update number `state.step + 1` of elements [offset, offset + count) by the reference transform
 * (the range already checked); the caller counts the step. The gradient's range is overwritten.
 */
export function applyTransform(
  transform: Transform,
  at: { params: Float32Array; gradient: Float32Array; state: OptimizerState },
  lr: number,
  offset: number,
  count: number,
): void {
  const u = at.gradient.subarray(offset, offset + count);
  const p = at.params.subarray(offset, offset + count);
  transform.update(u, sliceState(at.state, offset, count, at.params.length), p, { step: at.state.step + 1, lr });
  applyUpdate(p, u);
}
