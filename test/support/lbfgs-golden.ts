import { expect } from "vitest";
import { loadGoldenJson } from "./golden";

/** test/golden/lbfgs.json: torch.optim.LBFGS's closure calls, case by case (scripts/golden/generate.py). */
export interface Evaluation {
  point: number[];
  loss: number;
  gradient: number[];
}
export interface StepCall {
  evaluations: Evaluation[];
  moves: number[][];
  weights: number[];
  func_evals: number;
  n_iter: number;
}
export interface GoldenCase {
  id: string;
  given: Record<string, unknown>;
  hyper: Record<string, unknown>;
  x0: number[];
  steps: StepCall[];
}

export interface Reduction {
  n: number;
  spread: number;
  a: number[];
  b: number[];
  abs_sum: number;
  dot: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** test/golden/lbfgs.json's cases, for the workerd tests (which have no fs). */
    lbfgsCases: GoldenCase[];
  }
}

export const lbfgsGolden = loadGoldenJson<{ cases: GoldenCase[]; reductions: Reduction[] }>("lbfgs.json");

const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);
/** A float32's position on the number line, so that a difference of positions counts ulps. */
function ordinal(x: number): number {
  bits[0] = x;
  const i = ints[0]!;
  return i < 0 ? -(i & 0x7fffffff) : i;
}

/** The largest distance in float32 ulps between two vectors of the same length. */
export function maxUlps(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(ordinal(actual[i]!) - ordinal(expected[i]!)));
  return worst;
}
