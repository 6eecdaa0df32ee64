/**
 * The synthetic objectives of `npm run bench:sweeps`, defined identically in
 * scripts/sweeps/optuna-bench.py (keep the two in step): Branin, Hartmann-6, and a noisy
 * training-like function whose noise is a deterministic hash of (seed, trial number), so that both
 * languages see the same noise for the same trial.
 */
import type { Assignment, Space } from "../../src/sweeps/space";
import { normal, stream } from "../../src/sweeps/random";

export interface Objective {
  readonly name: string;
  readonly space: Space;
  /** The observed value of trial `number` of the sweep seeded `seed` (noise included). */
  readonly evaluate: (params: Assignment, seed: number, number: number) => number;
  /** The noise-free value (for regret); the same as `evaluate` for noise-free objectives. */
  readonly truth: (params: Assignment) => number;
  /** The known minimum of `truth`, when there is one. */
  readonly optimum: number | null;
}

const num = (p: Assignment, name: string) => p[name] as number;

/** Branin–Hoo on [−5, 10] × [0, 15]; minimum 0.397887 at three points. */
function branin(p: Assignment): number {
  const x1 = num(p, "x1");
  const x2 = num(p, "x2");
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]^6; minimum −3.32237. */
function hartmann6(p: Assignment): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H_A[i]![j]! * (num(p, `x${j + 1}`) - H_P[i]![j]!) ** 2;
    sum -= H_ALPHA[i]! * Math.exp(-inner);
  }
  return sum;
}

// The noise: splitmix-style mixing of (seed, number, 0x5eed) into a 32-bit state, mulberry32 draws
// from it, Box–Muller. Written out here (rather than imported from src/sweeps/random.ts) so that
// the Python port has one small, fixed definition to match.
/** A standard normal draw that depends only on (seed, number): the sweeps' own seeded streams (src/sweeps/random.ts), mirrored in scripts/sweeps/optuna-bench.py. */
export function noise(seed: number, number: number): number {
  return normal(stream(seed, number, 0x5eed))();
}

const OPTIMIZER_OFFSET: Record<string, number> = { sgd: 0.3, adam: 0, rmsprop: 0.1, adagrad: 0.2 };
const NOISE_SD = 0.05;

/**
 * A training-like response surface: a quadratic bowl in log10(lr) around −2.5, in momentum around
 * 0.9, in log2(batch) around 6 (batch 64), plus an offset per optimizer; noise-free minimum 0.
 */
function trainingLike(p: Assignment): number {
  return (
    0.5 * (Math.log10(num(p, "lr")) + 2.5) ** 2 +
    2 * (num(p, "momentum") - 0.9) ** 2 +
    0.1 * (Math.log2(num(p, "batch")) - 6) ** 2 +
    OPTIMIZER_OFFSET[p.optimizer as string]!
  );
}

export const OBJECTIVES: readonly Objective[] = [
  {
    name: "Branin (2-d)",
    space: [
      { name: "x1", spec: { kind: "uniform", low: -5, high: 10 } },
      { name: "x2", spec: { kind: "uniform", low: 0, high: 15 } },
    ],
    evaluate: (p) => branin(p),
    truth: branin,
    optimum: 0.397887,
  },
  {
    name: "Hartmann-6",
    space: Array.from({ length: 6 }, (_, j) => ({ name: `x${j + 1}`, spec: { kind: "uniform", low: 0, high: 1 } as const })),
    evaluate: (p) => hartmann6(p),
    truth: hartmann6,
    optimum: -3.32237,
  },
  {
    name: "Noisy training-like (4-d)",
    space: [
      { name: "lr", spec: { kind: "log_uniform", low: 1e-5, high: 1 } },
      { name: "momentum", spec: { kind: "uniform", low: 0, high: 0.99 } },
      { name: "batch", spec: { kind: "int", low: 8, high: 1024, log: true } },
      { name: "optimizer", spec: { kind: "choice", values: ["sgd", "adam", "rmsprop", "adagrad"] } },
    ],
    evaluate: (p, seed, number) => trainingLike(p) + NOISE_SD * noise(seed, number),
    truth: trainingLike,
    optimum: 0,
  },
];
