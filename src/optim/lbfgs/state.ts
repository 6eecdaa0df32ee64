import type { LbfgsHyper } from "./hyper";
import type { TorchScalar } from "./scalar";

/** What the next evaluation is for. */
export const LbfgsPhase = {
  /** The first closure call of a `step()` call, at the weights. */
  start: 0,
  /** The re-evaluation at the weights after a fixed step (no line search). */
  afterMove: 1,
  /** A trial of the line search's bracketing phase, at `point`. */
  bracket: 2,
  /** A trial of the line search's zoom phase, at `point`. */
  zoom: 3,
} as const;

/**
 * The machine's scalars. Flags are 0/1; a `*_tensor` flag says whether torch holds the value before
 * it as a float32 tensor or as a Python float (scalar.ts).
 */
export const LBFGS_SCALARS = [
  "phase",
  "func_evals", // torch's state["func_evals"]: closure calls over all step() calls
  "n_iter", // torch's state["n_iter"]: iterations over all step() calls
  "steps", // step() calls begun
  "step_iter", // iterations of the current step() call (torch's local n_iter)
  "step_evals", // closure calls of the current step() call (torch's current_evals)
  "t",
  "t_tensor",
  "H_diag",
  "prev_loss",
  "history_start", // ring position of the oldest (s, y) pair
  "history_count",
  // the line search (_strong_wolfe): its f, gtd and max|d| at t = 0, closure calls so far
  "ls_f",
  "ls_gtd",
  "ls_d_norm",
  "ls_evals",
  "t_prev",
  "t_prev_tensor",
  "f_prev",
  "gtd_prev",
  "bracket0",
  "bracket0_tensor",
  "bracket1",
  "bracket1_tensor",
  "bracket_f0",
  "bracket_f1",
  "bracket_gtd0",
  "bracket_gtd1",
  "low", // low_pos (high_pos = 1 - low)
  "insuf_progress",
] as const;

export type LbfgsScalarName = (typeof LBFGS_SCALARS)[number];

/**
 * The whole state: plain vectors and numbers, nothing else (the weights stay with their owner).
 * Vectors: `old_dirs` and `old_stps` (rings of history_size × n: torch's y and s lists), `ro`
 * (history_size), `d`, `prev_flat_grad`, and with strong Wolfe `point` (the trial point),
 * `bracket_g0`, `bracket_g1` (the line search's saved gradients: g_prev, then the bracket's).
 */
export interface LbfgsState {
  vectors: Record<string, Float32Array>;
  scalars: Record<LbfgsScalarName, number>;
  /**
   * The history entries (ring positions of `old_dirs`, `old_stps` and `ro`) written since the owner
   * last collected them, when it asks (a storage layer writes only those rows of the history).
   */
  written?: Set<number>;
}

export interface VectorSpec {
  readonly name: string;
  readonly length: number;
}

export function lbfgsVectors(n: number, hyper: Pick<LbfgsHyper, "history_size" | "line_search_fn">): VectorSpec[] {
  const h = hyper.history_size;
  const vectors: VectorSpec[] = [
    { name: "old_dirs", length: h * n },
    { name: "old_stps", length: h * n },
    { name: "ro", length: h },
    { name: "d", length: n },
    { name: "prev_flat_grad", length: n },
  ];
  if (hyper.line_search_fn === "strong_wolfe") {
    for (const name of ["point", "bracket_g0", "bracket_g1"]) vectors.push({ name, length: n });
  }
  return vectors;
}

/** Bytes of the vectors: 4 · ((2·history_size + 2) · n + history_size), + 12 · n with strong Wolfe. */
export function lbfgsVectorBytes(n: number, hyper: Pick<LbfgsHyper, "history_size" | "line_search_fn">): number {
  return lbfgsVectors(n, hyper).reduce((bytes, v) => bytes + 4 * v.length, 0);
}

type ScalarPair = "t" | "t_prev" | "bracket0" | "bracket1";

export function getScalar(state: LbfgsState, name: ScalarPair): TorchScalar {
  return { value: state.scalars[name], tensor: state.scalars[`${name}_tensor`] === 1 };
}

export function setScalar(state: LbfgsState, name: ScalarPair, value: TorchScalar): void {
  state.scalars[name] = value.value;
  state.scalars[`${name}_tensor`] = value.tensor ? 1 : 0;
}

export function lbfgsVector(state: LbfgsState, name: string): Float32Array {
  const v = state.vectors[name];
  if (!v) throw new Error(`L-BFGS state has no vector '${name}'`);
  return v;
}
