import { describe, expect, it } from "vitest";
import {
  LBFGS_SCALARS,
  LBFGS_SCALAR_SPECS,
  lbfgsPoint,
  lbfgsSlots,
  lbfgsStateIn,
  lbfgsVectorBytes,
  receiveEvaluation,
  resolveLbfgs,
  type LbfgsAnswer,
  type LbfgsHyper,
} from "../../src/optim/lbfgs";
import { planLayout } from "../../src/optim/fast/layout";
import { initState, type OptimizerState } from "../../src/optim/state";
import { pageRows } from "../../src/shard/store/pages";
import { lbfgsGolden, maxUlps } from "../support/lbfgs-golden";

/**
 * L-BFGS's state as an optimizer state (slots of their own length, optimizer scalars): what a shard
 * pages, checkpoints and restores. Each golden case is driven with its state in one engine-like
 * memory (src/optim/fast/layout.ts), evicted after every closure call the way a shard stores it (the
 * weights and every slot as pages of a few floats, the scalars and step as JSON) and rebuilt in fresh
 * memory; it must still follow torch bit for bit.
 */
const PAGE_FLOATS = 3;

interface Held {
  weights: Float32Array;
  state: OptimizerState;
}

/** The weights and the machine's slots in one memory, 64-byte aligned regions as an engine's. */
function allocate(n: number, hyper: LbfgsHyper): Held {
  const slots = lbfgsSlots(n, hyper);
  const layout = planLayout([{ name: "weights", length: n }, ...slots.map((s) => ({ name: s.name, length: s.length! }))]);
  const memory = new ArrayBuffer(layout.bytes);
  new Float32Array(memory).fill(Number.NaN); // whatever storage does not restore shows up
  const view = (name: string) => {
    const region = layout.regions.find((r) => r.name === name)!;
    return new Float32Array(memory, region.offset, region.length);
  };
  return { weights: view("weights"), state: initState(slots, LBFGS_SCALAR_SPECS, n, (_length, name) => view(name)) };
}

/** Stores what is held as a shard does and rebuilds it in fresh memory. */
function evictAndRestore(held: Held, n: number, hyper: LbfgsHyper): Held {
  const vectors: [string, Float32Array][] = [["weights", held.weights], ...Object.entries(held.state.slots)];
  const pages = vectors.flatMap(([slot, v]) => pageRows(slot, v, PAGE_FLOATS).map((row) => ({ ...row, data: row.data.slice() })));
  expect(Object.values(held.state.scalars).every(Number.isFinite), "scalars stored as JSON must be finite").toBe(true);
  const counters = JSON.stringify({ step: held.state.step, scalars: held.state.scalars });
  const fresh = allocate(n, hyper);
  const target = (slot: string) => (slot === "weights" ? fresh.weights : fresh.state.slots[slot]!);
  for (const row of pages) target(row.slot).set(new Float32Array(row.data.buffer), row.page * PAGE_FLOATS);
  const { step, scalars } = JSON.parse(counters) as { step: number; scalars: Record<string, number> };
  fresh.state.step = step;
  Object.assign(fresh.state.scalars, scalars);
  return fresh;
}

describe("L-BFGS state as an optimizer state", () => {
  it("has one slot per machine vector, of the vector's length, and one scalar per machine scalar", () => {
    for (const hyper of [resolveLbfgs({ history_size: 3 }), resolveLbfgs({ history_size: 10, line_search_fn: "strong_wolfe" })]) {
      const slots = lbfgsSlots(7, hyper);
      expect(slots.reduce((bytes, s) => bytes + 4 * s.length!, 0)).toBe(lbfgsVectorBytes(7, hyper));
      expect(slots.every((s) => s.initial === 0)).toBe(true);
      const state = initState(slots, LBFGS_SCALAR_SPECS, 7);
      expect(Object.keys(state.scalars)).toEqual([...LBFGS_SCALARS]);
      expect(lbfgsStateIn(state).scalars.H_diag).toBe(1);
      expect(lbfgsStateIn(state).vectors.old_dirs).toBe(state.slots.old_dirs);
    }
  });

  it("refuses an optimizer state that is not L-BFGS's", () => {
    expect(() => lbfgsStateIn({ step: 0, slots: {}, scalars: { mu_product: 1 } })).toThrow(/no L-BFGS scalar 'phase'/);
  });

  it.each(lbfgsGolden.cases.map((c) => [c.id, c] as const))("%s: evicted after every closure call, bit for bit with torch", (_id, c) => {
    const hyper = resolveLbfgs(c.hyper);
    const n = c.x0.length;
    let held = allocate(n, hyper);
    held.weights.set(c.x0);
    let worst = 0;
    for (const [k, call] of c.steps.entries()) {
      let answer: LbfgsAnswer | undefined;
      for (const evaluation of call.evaluations) {
        const machine = lbfgsStateIn(held.state);
        worst = Math.max(worst, maxUlps(lbfgsPoint(machine, held.weights), evaluation.point));
        answer = receiveEvaluation(hyper, machine, held.weights, evaluation.loss, Float32Array.from(evaluation.gradient));
        held = evictAndRestore(held, n, hyper);
      }
      expect(answer?.end, `step ${k}: the call did not end after ${call.evaluations.length} closure calls`).not.toBeNull();
      worst = Math.max(worst, maxUlps(held.weights, call.weights));
      expect(held.state.scalars.func_evals).toBe(call.func_evals);
      expect(held.state.scalars.n_iter).toBe(call.n_iter);
    }
    expect(worst).toBe(0);
  });
});
