import { checkRange } from "../engine";
import { lbfgsPoint, lbfgsSlots, lbfgsStateIn, LBFGS_SCALAR_SPECS, receiveEvaluation, type LbfgsAnswer, type LbfgsHyper } from "../lbfgs";
import { initState, type OptimizerState } from "../state";
import { engineMemory, engineVectors, type FastEngineOptions } from "./engine";
import { planLayout, type Layout } from "./layout";
import { createFastVectorOps, type FastVectorOps } from "./ops";

/**
 * L-BFGS held as the fast engine holds a rule: the weights, the gradient scratch, the machine's
 * vectors (as slots of their own length, src/optim/lbfgs/slots.ts) and the extra vectors are views
 * of one WebAssembly memory, and the machine's scalars are `state.scalars`, so what pages, evicts
 * and restores an engine's state holds it unchanged. It has no per-element step: the caller writes
 * the whole gradient at the current point into `gradient` and calls `evaluate` with that point's
 * loss (the machine runs in TypeScript; the kernels serve `ops`).
 */
export interface FastLbfgsEngine {
  readonly rule: "lbfgs";
  readonly hyper: LbfgsHyper;
  readonly length: number;
  readonly params: Float32Array;
  readonly gradient: Float32Array;
  readonly state: OptimizerState;
  readonly memory: WebAssembly.Memory;
  readonly ops: FastVectorOps;
  readonly extra: readonly Float32Array[];
  readonly bytes: number;
  /** The loss at the point of the gradient in `gradient`: one closure call of torch.optim.LBFGS. */
  evaluate(loss: number): LbfgsAnswer;
  /** Where the next evaluation is to be taken over [offset, offset + count), as a new vector. */
  point(offset?: number, count?: number): Float32Array;
  /** Whether that point differs from the weights (a line-search trial). */
  pointIsDistinct(): boolean;
  /**
   * The parts of the history rings (`old_dirs`, `old_stps`: history_size × n) written since the
   * last call, by slot; a storage layer writes those rows instead of the whole rings (at most one
   * pair per closure call, none for a line-search trial).
   */
  takeHistoryWrites(): Map<string, { offset: number; count: number }[]>;
}

/** The history's rings: history_size rows of n floats, one row per (s, y) pair. */
const HISTORY_RINGS = ["old_dirs", "old_stps"];

function lbfgsLayout(hyper: LbfgsHyper, length: number, options: FastEngineOptions): Layout {
  const slots = lbfgsSlots(length, hyper).map((s) => ({ name: s.name, length: s.length! }));
  return planLayout(engineVectors(length, slots, options));
}

/** Bytes of WebAssembly memory an L-BFGS engine for (hyper, length) allocates. */
export function fastLbfgsEngineBytes(hyper: LbfgsHyper, length: number, options: FastEngineOptions = {}): number {
  return lbfgsLayout(hyper, length, options).bytes;
}

export function createFastLbfgsEngine(module: WebAssembly.Module, hyper: LbfgsHyper, length: number, options: FastEngineOptions = {}): FastLbfgsEngine {
  const layout = lbfgsLayout(hyper, length, options);
  const { memory, kernels, view, extra } = engineMemory(module, layout);
  const params = view("params");
  const gradient = view("gradient");
  const state = initState(lbfgsSlots(length, hyper), LBFGS_SCALAR_SPECS, length, (_length, name) => view(name));
  const machine = { ...lbfgsStateIn(state), written: new Set<number>() };
  return {
    rule: "lbfgs",
    hyper,
    length,
    params,
    gradient,
    state,
    memory,
    extra,
    bytes: layout.bytes,
    ops: createFastVectorOps(kernels, memory),
    evaluate(loss) {
      const answer = receiveEvaluation(hyper, machine, params, loss, gradient);
      if (answer.moved) state.step += 1;
      return answer;
    },
    point(offset = 0, count = length - offset) {
      checkRange(length, offset, count);
      return lbfgsPoint(machine, params).slice(offset, offset + count);
    },
    pointIsDistinct() {
      return lbfgsPoint(machine, params) !== params;
    },
    takeHistoryWrites() {
      const rows = [...machine.written].map((k) => ({ offset: k * length, count: length }));
      machine.written.clear();
      return new Map(HISTORY_RINGS.map((name) => [name, rows]));
    },
  };
}
