import { describe, expect, it } from "vitest";
import {
  LBFGS_SCALARS,
  LBFGS_SCALAR_SPECS,
  lbfgsSlots,
  lbfgsStateIn,
  lbfgsVectorBytes,
  resolveLbfgs,
} from "../../src/optim/lbfgs";
import { initState } from "../../src/optim/state";

/** L-BFGS's state as an optimizer state (slots of their own length, optimizer scalars). */
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
});
