import { describe, expect, it } from "vitest";
import { absSum, dot } from "../../src/optim/lbfgs/reduce";
import { initLbfgsState, lbfgsPoint, receiveEvaluation, resolveLbfgs, type LbfgsAnswer } from "../../src/optim/lbfgs";
import { lbfgsGolden, maxUlps } from "../support/lbfgs-golden";

/**
 * torch.optim.LBFGS's closure calls, one by one: the machine is fed torch's own loss and gradient at
 * each point and must ask for the next point torch evaluated, move the weights where torch moved
 * them, and end each step() call after as many closure calls as torch did (same func_evals, n_iter).
 * Points and weights are compared in float32 ulps; the machine does torch's float32 operations in
 * torch's order (its dot products and sums included), so the expected difference is zero.
 */
const ULP_TOLERANCE = 0;

const golden = lbfgsGolden;

describe("torch's float32 reductions, bit for bit", () => {
  it.each(golden.reductions.map((r) => [r.n, r.spread, r] as const))("length %i, log-spread %i: a.abs().sum() and a.dot(b)", (_n, _spread, r) => {
    const a = Float32Array.from(r.a);
    expect(absSum(a)).toBe(r.abs_sum);
    expect(dot(a, Float32Array.from(r.b))).toBe(r.dot);
  });
});

describe("L-BFGS against torch.optim.LBFGS, closure call by closure call", () => {
  const measured: string[] = [];
  it.each(golden.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const hyper = resolveLbfgs(c.hyper);
    const weights = Float32Array.from(c.x0);
    const state = initLbfgsState(weights.length, hyper);
    let worst = 0;
    for (const [k, call] of c.steps.entries()) {
      const moves: Float32Array[] = [];
      let answer: LbfgsAnswer | undefined;
      for (const [e, evaluation] of call.evaluations.entries()) {
        expect(answer?.end ?? null, `step ${k}: the call ended before closure call ${e}`).toBeNull();
        const ulps = maxUlps(lbfgsPoint(state, weights), evaluation.point);
        expect(ulps, `step ${k}, closure call ${e}: point`).toBeLessThanOrEqual(ULP_TOLERANCE);
        worst = Math.max(worst, ulps);
        answer = receiveEvaluation(hyper, state, weights, evaluation.loss, Float32Array.from(evaluation.gradient));
        expect(answer.stepEvaluations).toBe(e + 1);
        if (answer.moved) moves.push(weights.slice());
      }
      expect(answer?.end, `step ${k}: the call did not end after ${call.evaluations.length} closure calls`).not.toBeNull();
      expect(moves.length, `step ${k}: accepted moves`).toBe(call.moves.length);
      for (const [m, move] of call.moves.entries()) worst = Math.max(worst, maxUlps(moves[m]!, move));
      worst = Math.max(worst, maxUlps(weights, call.weights));
      expect(worst, `step ${k}: weights`).toBeLessThanOrEqual(ULP_TOLERANCE);
      expect(state.scalars.func_evals).toBe(call.func_evals);
      expect(state.scalars.n_iter).toBe(call.n_iter);
    }
    measured.push(`${c.id}: ${worst}`);
  });
  it.each(golden.cases.map((c) => [c.id, c] as const))("%s: torch's defaults (max_eval = max_iter * 5 // 4)", (_id, c) => {
    const given = { ...c.given, line_search_fn: c.given.line_search_fn ?? "none" };
    expect(resolveLbfgs(given)).toEqual(c.hyper);
  });
  it("reports the measured agreement", () => {
    console.log(`max ulps per case: ${measured.join(", ")}`);
    expect(measured.length).toBe(golden.cases.length);
  });
});
