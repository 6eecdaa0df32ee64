import { cubicInterpolate } from "./cubic";
import { addScaled } from "./direction";
import { absMax, dot } from "./reduce";
import { abs, add, f32, ge, gt, le, lt, mul, py, pyMax, pyMin, sub, type TorchScalar } from "./scalar";
import { getScalar, lbfgsVector, LbfgsPhase, setScalar, type LbfgsState } from "./state";

/**
 * torch's `_strong_wolfe` (minFunc's WolfeLineSearch) cut at its closure calls: each trial point is
 * written to `point` and the search resumes when that point's loss and gradient arrive. Its
 * constants are torch's defaults, which LBFGS.step never overrides (so its tolerance_change is
 * always 1e-9, whatever the optimizer's).
 */
const C1 = 1e-4;
const C2 = 0.9;
const TOLERANCE_CHANGE = 1e-9;
export const MAX_LS = 25;

export type LineSearchAnswer =
  | { readonly done: false }
  | { readonly done: true; readonly t: TorchScalar; readonly loss: number; readonly gradient: Float32Array };

const PROBE: LineSearchAnswer = { done: false };

/** Begins a search along `d` from the weights, whose loss and `g·d` are given, with step `t`. */
export function startLineSearch(state: LbfgsState, weights: Float32Array, loss: number, gtd: number, t: TorchScalar): void {
  const s = state.scalars;
  s.ls_f = loss;
  s.ls_gtd = gtd;
  s.ls_d_norm = absMax(lbfgsVector(state, "d"));
  s.ls_evals = 0;
  setScalar(state, "t_prev", py(0));
  s.f_prev = loss;
  s.gtd_prev = gtd;
  lbfgsVector(state, "bracket_g0").set(lbfgsVector(state, "prev_flat_grad")); // g_prev = g
  probe(state, weights, t, LbfgsPhase.bracket);
}

/** Takes the loss and gradient at the current trial point. */
export function lineSearchProbe(state: LbfgsState, weights: Float32Array, loss: number, gradient: Float32Array): LineSearchAnswer {
  const s = state.scalars;
  s.ls_evals += 1;
  const gtd = Math.fround(dot(gradient, lbfgsVector(state, "d")));
  return s.phase === LbfgsPhase.bracket ? bracketStep(state, weights, loss, gradient, gtd) : zoomStep(state, weights, loss, gradient, gtd);
}

function probe(state: LbfgsState, weights: Float32Array, t: TorchScalar, phase: number): LineSearchAnswer {
  setScalar(state, "t", t);
  state.scalars.phase = phase;
  addScaled(lbfgsVector(state, "point"), weights, t.value, lbfgsVector(state, "d"));
  return PROBE;
}

/** ls_iter in torch: the trials after the first. */
const lsIter = (state: LbfgsState) => state.scalars.ls_evals - 1;

/** `f_new > f + c1 · t · gtd` (the sufficient-decrease condition fails). */
function armijoFails(state: LbfgsState, fNew: number, t: TorchScalar): boolean {
  const s = state.scalars;
  return gt(py(fNew), add(py(s.ls_f), mul(mul(py(C1), t), f32(s.ls_gtd))));
}

/** `|gtd_new| <= -c2 · gtd` (the strong curvature condition holds). */
function curvatureHolds(state: LbfgsState, gtdNew: number): boolean {
  return le(f32(Math.abs(gtdNew)), mul(py(-C2), f32(state.scalars.ls_gtd)));
}

function bracketStep(state: LbfgsState, weights: Float32Array, fNew: number, gNew: Float32Array, gtdNew: number): LineSearchAnswer {
  const s = state.scalars;
  const t = getScalar(state, "t");
  if (lsIter(state) === MAX_LS) {
    setBracket(state, 0, py(0), s.ls_f, 0);
    lbfgsVector(state, "bracket_g0").set(lbfgsVector(state, "prev_flat_grad"));
    setBracket(state, 1, t, fNew, gtdNew, gNew);
    s.low = s.bracket_f0 <= s.bracket_f1 ? 0 : 1;
    return finish(state);
  }
  if (armijoFails(state, fNew, t) || (lsIter(state) > 1 && fNew >= s.f_prev)) return bracketFound(state, weights, t, fNew, gNew, gtdNew);
  if (curvatureHolds(state, gtdNew)) {
    setBracket(state, 0, t, fNew, gtdNew, gNew);
    s.low = 0;
    return finish(state);
  }
  if (gtdNew >= 0) return bracketFound(state, weights, t, fNew, gNew, gtdNew);
  const tPrev = getScalar(state, "t_prev");
  const minStep = add(t, mul(py(0.01), sub(t, tPrev)));
  const maxStep = mul(t, py(10));
  const next = cubicInterpolate(tPrev, s.f_prev, f32(s.gtd_prev), t, fNew, f32(gtdNew), [minStep, maxStep]);
  setScalar(state, "t_prev", t);
  s.f_prev = fNew;
  lbfgsVector(state, "bracket_g0").set(gNew);
  s.gtd_prev = gtdNew;
  return probe(state, weights, next, LbfgsPhase.bracket);
}

/** bracket = [t_prev, t] (bracket_g0 already holds g_prev); on to the zoom phase. */
function bracketFound(state: LbfgsState, weights: Float32Array, t: TorchScalar, fNew: number, gNew: Float32Array, gtdNew: number): LineSearchAnswer {
  const s = state.scalars;
  setBracket(state, 0, getScalar(state, "t_prev"), s.f_prev, s.gtd_prev);
  setBracket(state, 1, t, fNew, gtdNew, gNew);
  s.insuf_progress = 0;
  s.low = s.bracket_f0 <= s.bracket_f1 ? 0 : 1;
  return zoomNext(state, weights);
}

/** The zoom loop's head: stop on a tiny bracket or on the trial budget, else the next trial. */
function zoomNext(state: LbfgsState, weights: Float32Array): LineSearchAnswer {
  const s = state.scalars;
  if (lsIter(state) >= MAX_LS) return finish(state);
  const b0 = getScalar(state, "bracket0");
  const b1 = getScalar(state, "bracket1");
  if (lt(mul(abs(sub(b1, b0)), f32(s.ls_d_norm)), py(TOLERANCE_CHANGE))) return finish(state);
  let t = cubicInterpolate(b0, s.bracket_f0, f32(s.bracket_gtd0), b1, s.bracket_f1, f32(s.bracket_gtd1));
  const top = pyMax(b0, b1);
  const bottom = pyMin(b0, b1);
  const eps = mul(py(0.1), sub(top, bottom));
  if (lt(pyMin(sub(top, t), sub(t, bottom)), eps)) {
    if (s.insuf_progress === 1 || ge(t, top) || le(t, bottom)) {
      t = lt(abs(sub(t, top)), abs(sub(t, bottom))) ? sub(top, eps) : add(bottom, eps);
      s.insuf_progress = 0;
    } else {
      s.insuf_progress = 1;
    }
  } else {
    s.insuf_progress = 0;
  }
  return probe(state, weights, t, LbfgsPhase.zoom);
}

function zoomStep(state: LbfgsState, weights: Float32Array, fNew: number, gNew: Float32Array, gtdNew: number): LineSearchAnswer {
  const s = state.scalars;
  const t = getScalar(state, "t");
  const low = s.low;
  const high = 1 - low;
  if (armijoFails(state, fNew, t) || fNew >= bracketF(state, low)) {
    setBracket(state, high, t, fNew, gtdNew, gNew);
    s.low = s.bracket_f0 <= s.bracket_f1 ? 0 : 1;
    return zoomNext(state, weights);
  }
  const done = curvatureHolds(state, gtdNew);
  if (!done && ge(mul(f32(gtdNew), sub(bracketT(state, high), bracketT(state, low))), py(0))) {
    // the old high becomes the new low
    setBracket(state, high, bracketT(state, low), bracketF(state, low), bracketGtd(state, low), bracketG(state, low));
  }
  setBracket(state, low, t, fNew, gtdNew, gNew);
  return done ? finish(state) : zoomNext(state, weights);
}

const bracketT = (state: LbfgsState, i: number) => getScalar(state, i === 0 ? "bracket0" : "bracket1");
const bracketF = (state: LbfgsState, i: number) => state.scalars[i === 0 ? "bracket_f0" : "bracket_f1"];
const bracketGtd = (state: LbfgsState, i: number) => state.scalars[i === 0 ? "bracket_gtd0" : "bracket_gtd1"];
const bracketG = (state: LbfgsState, i: number) => lbfgsVector(state, i === 0 ? "bracket_g0" : "bracket_g1");

function setBracket(state: LbfgsState, i: number, t: TorchScalar, f: number, gtd: number, g?: Float32Array): void {
  setScalar(state, i === 0 ? "bracket0" : "bracket1", t);
  state.scalars[i === 0 ? "bracket_f0" : "bracket_f1"] = f;
  state.scalars[i === 0 ? "bracket_gtd0" : "bracket_gtd1"] = gtd;
  if (g) {
    const target = bracketG(state, i);
    if (target !== g) target.set(g);
  }
}

/** The search's answer: the bracket's low point. */
function finish(state: LbfgsState): LineSearchAnswer {
  const low = state.scalars.low;
  return { done: true, t: bracketT(state, low), loss: bracketF(state, low), gradient: bracketG(state, low) };
}
