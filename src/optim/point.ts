import { slot, type OptimizerState } from "./state";

/**
 * The evaluation point: where the next gradient is to be taken. For most rules it is the weights
 * themselves and a rule declares nothing. A rule whose gradient belongs elsewhere declares it as
 * the weights moved along one of its state slots, `point = weights + scale · slot`, rounded once to
 * float32:
 * - the notes' Nesterov: `x + μ · v` (slot `velocity`, scale μ);
 * - a line search (L-BFGS): the probe `x + t · d` (slot the direction, scale the step t kept in the
 *   state's scalars);
 * - Lookahead: the fast weights are the weights (the point), the slow ones a slot: nothing to declare.
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
