import { slot, type OptimizerState } from "./state";

/**
 * The evaluation point: where the next gradient is to be taken. For most rules it is the weights
 * themselves and a rule declares nothing. A rule whose gradient belongs elsewhere declares it as
 * the weights moved along one of its state slots, `point = weights + scale · slot`, rounded once to
 * float32:
 * - the notes' Nesterov: `x + μ · v` (slot `velocity`, scale μ);
 * - a line search (L-BFGS): the probe `x + t · d` (slot the direction, scale the step t kept in the
 *   state's scalars);
 * - Lookahead: with the fast weights as the weights, nothing to declare (the slow ones are a slot);
 *   with the slow weights as the weights, the fast ones kept as their offset `fast − slow` in a slot,
 *   scale 1.
 * The shard serves it (`GET /v1/shards/{shard}/point`, the body of every push answer).
 */
export interface PointSpec {
  /** The state slot the weights move along. */
  readonly slot: string;
  /** Its coefficient for the next gradient, read from the state (after the last update). */
  scale(state: OptimizerState): number;
}

/** The point over elements [offset, offset + count), as a new vector. */
export function evaluationPoint(spec: PointSpec, params: Float32Array, state: OptimizerState, offset: number, count: number): Float32Array {
  const scale = spec.scale(state);
  const along = slot(state, spec.slot);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = params[offset + i]! + scale * along[offset + i]!;
  return out;
}
