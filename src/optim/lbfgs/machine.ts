import { addScaled, updateDirection } from "./direction";
import type { LbfgsHyper } from "./hyper";
import { lineSearchProbe, startLineSearch } from "./line-search";
import { absMax, absSum, dot } from "./reduce";
import { f32, mul, py, pyMin, type TorchScalar } from "./scalar";
import { getScalar, lbfgsVector, LbfgsPhase, setScalar, type LbfgsState } from "./state";

/**
 * torch.optim.LBFGS.step as a machine driven one closure call at a time. `lbfgsPoint` says where
 * the next evaluation is to be taken; `receiveEvaluation` takes the loss and gradient there, runs
 * the algorithm up to its next closure call and says what happened. A `step()` call ends when the
 * answer has an `end`; the next evaluation then begins a new `step()` call at the weights, with
 * the history kept, exactly as calling `optimizer.step(closure)` again does.
 */
export type LbfgsStepEnd =
  | "tolerance_grad" // max|g| <= tolerance_grad
  | "directional_derivative" // g·d > -tolerance_change
  | "tolerance_change_step" // max|t·d| <= tolerance_change
  | "tolerance_change_loss" // |loss - prev_loss| < tolerance_change
  | "max_iter"
  | "max_eval";

export interface LbfgsAnswer {
  /**
   * accepted: the weights moved and the step() call goes on; probe: the weights did not move and
   * the step() call goes on; converged: the step() call ended on a tolerance; step_done: it ended
   * on max_iter or max_eval. The weights may have moved in the last two as well (`moved`).
   */
  readonly outcome: "accepted" | "probe" | "converged" | "step_done";
  readonly moved: boolean;
  readonly end: LbfgsStepEnd | null;
  /** Closure calls of this step() call so far, this one included. */
  readonly stepEvaluations: number;
}

const fr = Math.fround;

/** Where the next evaluation is to be taken: the weights, or the line search's trial point. */
export function lbfgsPoint(state: LbfgsState, weights: Float32Array): Float32Array {
  const phase = state.scalars.phase;
  return phase === LbfgsPhase.bracket || phase === LbfgsPhase.zoom ? lbfgsVector(state, "point") : weights;
}

/**
 * Takes the loss and gradient at `lbfgsPoint(state, weights)`; updates `state` and, when the
 * answer says `moved`, `weights` in place. The loss is used as given, like torch's
 * `float(closure())`.
 */
export function receiveEvaluation(
  hyper: LbfgsHyper,
  state: LbfgsState,
  weights: Float32Array,
  loss: number,
  gradient: Float32Array,
): LbfgsAnswer {
  const s = state.scalars;
  if (gradient.length !== weights.length || lbfgsVector(state, "d").length !== weights.length) {
    throw new Error(`L-BFGS: gradient of ${gradient.length}, weights of ${weights.length}, state of ${lbfgsVector(state, "d").length}`);
  }
  s.func_evals += 1;
  switch (s.phase) {
    case LbfgsPhase.start:
      s.steps += 1;
      s.step_evals = 1;
      s.step_iter = 0;
      if (absMax(gradient) <= fr(hyper.tolerance_grad)) return end(state, "tolerance_grad", false);
      return iterate(hyper, state, weights, gradient, loss, false);
    case LbfgsPhase.afterMove:
      s.step_evals += 1;
      return afterStep(hyper, state, weights, gradient, loss, absMax(gradient) <= fr(hyper.tolerance_grad), false);
    default: {
      s.step_evals += 1;
      const search = lineSearchProbe(state, weights, loss, gradient);
      if (!search.done) return answer(state, false, null);
      setScalar(state, "t", search.t);
      addScaled(weights, weights, search.t.value, lbfgsVector(state, "d"));
      const optimal = absMax(search.gradient) <= fr(hyper.tolerance_grad);
      return afterStep(hyper, state, weights, search.gradient, search.loss, optimal, true);
    }
  }
}

/** The checks at the end of torch's loop body, then the next iteration. */
function afterStep(
  hyper: LbfgsHyper,
  state: LbfgsState,
  weights: Float32Array,
  g: Float32Array,
  loss: number,
  optimal: boolean,
  moved: boolean,
): LbfgsAnswer {
  const s = state.scalars;
  if (s.step_iter === hyper.max_iter) return end(state, "max_iter", moved);
  if (s.step_evals >= hyper.max_eval) return end(state, "max_eval", moved);
  if (optimal) return end(state, "tolerance_grad", moved);
  if (maxStep(state) <= fr(hyper.tolerance_change)) return end(state, "tolerance_change_step", moved);
  if (Math.abs(loss - s.prev_loss) < hyper.tolerance_change) return end(state, "tolerance_change_loss", moved);
  return iterate(hyper, state, weights, g, loss, moved);
}

/** `d.mul(t).abs().max()`. */
function maxStep(state: LbfgsState): number {
  const d = lbfgsVector(state, "d");
  const t = fr(state.scalars.t);
  let max = 0;
  for (let i = 0; i < d.length; i++) max = Math.max(max, Math.abs(fr(d[i]! * t)));
  return max;
}

/** One iteration of torch's loop from its top: direction, step length, then a move or a search. */
function iterate(
  hyper: LbfgsHyper,
  state: LbfgsState,
  weights: Float32Array,
  g: Float32Array,
  loss: number,
  moved: boolean,
): LbfgsAnswer {
  const s = state.scalars;
  s.step_iter += 1;
  s.n_iter += 1;
  updateDirection(hyper, state, g);
  lbfgsVector(state, "prev_flat_grad").set(g);
  s.prev_loss = loss;
  setScalar(state, "t", s.n_iter === 1 ? firstStep(hyper, g) : py(hyper.lr));
  const d = lbfgsVector(state, "d");
  const gtd = dot(g, d);
  if (gtd > fr(-hyper.tolerance_change)) return end(state, "directional_derivative", moved);
  const t = getScalar(state, "t");
  if (hyper.line_search_fn === "strong_wolfe") {
    startLineSearch(state, weights, loss, gtd, t);
    return answer(state, moved, null);
  }
  addScaled(weights, weights, t.value, d);
  if (s.step_iter === hyper.max_iter) return end(state, "max_iter", true);
  s.phase = LbfgsPhase.afterMove;
  return answer(state, true, null);
}

/** `min(1., 1. / flat_grad.abs().sum()) * lr`: a tensor when the reciprocal wins the min. */
function firstStep(hyper: LbfgsHyper, g: Float32Array): TorchScalar {
  return mul(pyMin(py(1), f32(1 / absSum(g))), py(hyper.lr));
}

function end(state: LbfgsState, reason: LbfgsStepEnd, moved: boolean): LbfgsAnswer {
  state.scalars.phase = LbfgsPhase.start;
  return answer(state, moved, reason);
}

function answer(state: LbfgsState, moved: boolean, reason: LbfgsStepEnd | null): LbfgsAnswer {
  const outcome =
    reason === null ? (moved ? "accepted" : "probe") : reason === "max_iter" || reason === "max_eval" ? "step_done" : "converged";
  return { outcome, moved, end: reason, stepEvaluations: state.scalars.step_evals };
}
