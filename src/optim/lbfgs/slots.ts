import { allocateOnHeap, initState, type Allocate, type OptimizerState, type ScalarSpec, type SlotSpec } from "../state";
import type { LbfgsHyper } from "./hyper";
import { LBFGS_SCALARS, lbfgsVectors, type LbfgsScalarName, type LbfgsState } from "./state";

/**
 * The machine's state in the form every rule's state takes (src/optim/state.ts), so that what pages,
 * checkpoints, restores and evicts an `OptimizerState` holds L-BFGS unchanged: each vector is a slot
 * with a length of its own (`SlotSpec.length`, written whole after every update), each scalar an
 * optimizer scalar. `lbfgsStateIn` is a view: the machine reads and writes the optimizer state's own
 * vectors and scalars record.
 */
type LbfgsShape = Pick<LbfgsHyper, "history_size" | "line_search_fn">;

export function lbfgsSlots(n: number, hyper: LbfgsShape): SlotSpec[] {
  return lbfgsVectors(n, hyper).map((v) => ({ name: v.name, initial: 0, length: v.length }));
}

/** Every scalar starts at 0 but H_diag, whose first value is torch's 1. */
export const LBFGS_SCALAR_SPECS: readonly ScalarSpec[] = LBFGS_SCALARS.map((name) => ({ name, initial: name === "H_diag" ? 1 : 0 }));

/** The machine's view of an optimizer state built from `lbfgsSlots` and `LBFGS_SCALAR_SPECS`. */
export function lbfgsStateIn(state: OptimizerState): LbfgsState {
  const missing = LBFGS_SCALARS.find((name) => typeof state.scalars[name] !== "number");
  if (missing) throw new Error(`optimizer state has no L-BFGS scalar '${missing}'`);
  return { vectors: state.slots, scalars: state.scalars as Record<LbfgsScalarName, number> };
}

/** A fresh machine state (its vectors zero, `allocate`d by name: heap memory, or a view of an engine's). */
export function initLbfgsState(n: number, hyper: LbfgsShape, allocate: Allocate = allocateOnHeap): LbfgsState {
  return lbfgsStateIn(initState(lbfgsSlots(n, hyper), LBFGS_SCALAR_SPECS, n, allocate));
}
