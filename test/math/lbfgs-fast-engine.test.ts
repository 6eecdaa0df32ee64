import { describe, expect, it } from "vitest";
import { createFastLbfgsEngine, fastLbfgsEngineBytes, type FastLbfgsEngine } from "../../src/optim/fast/lbfgs-engine";
import { lbfgsVectorBytes, resolveLbfgs, type LbfgsAnswer, type LbfgsHyper } from "../../src/optim/lbfgs";
import { assertPageSize, pagesOf } from "../../src/shard/store/page-layout";
import { loadKernelModule } from "../support/kernels";
import { lbfgsGolden, maxUlps } from "../support/lbfgs-golden";

/**
 * L-BFGS held as a shard holds a rule (src/optim/fast/lbfgs-engine.ts), driven with torch's closure
 * calls: each golden case's loss and gradient are written where a push writes them, and after every
 * closure call the engine is evicted the way a shard stores it (the weights and every slot as pages
 * of a few floats, the step and scalars as JSON) and rebuilt in a fresh engine, which must ask for
 * torch's next point and move the weights as torch did, bit for bit.
 */
const PAGE_FLOATS = 3;
assertPageSize(PAGE_FLOATS);

/** A vector as its stored pages of PAGE_FLOATS floats (copies), as src/shard/store/pages.ts writes them. */
function pagesOfVector(slot: string, v: Float32Array) {
  const [, last] = pagesOf(0, v.length, PAGE_FLOATS);
  return Array.from({ length: last + 1 }, (_, page) => ({ slot, page, data: v.slice(page * PAGE_FLOATS, (page + 1) * PAGE_FLOATS) }));
}
const module = loadKernelModule();

/**
 * What the shard has stored: every vector by slot. A write stores the weights and every slot whole
 * but the history rings, of which only the rows the engine reports written (takeHistoryWrites), as
 * the shard's group commit writes them: a row it forgot to report would be lost at the next eviction.
 */
type Stored = Map<string, Float32Array>;

/** Stores the engine as a shard does and rebuilds it in a fresh one. */
function evictAndRestore(engine: FastLbfgsEngine, hyper: LbfgsHyper, stored: Stored): FastLbfgsEngine {
  const history = engine.takeHistoryWrites();
  expect(history.get("old_dirs")!.length, "at most one pair of the history per closure call").toBeLessThanOrEqual(1);
  const vectors: [string, Float32Array][] = [["weights", engine.params], ...Object.entries(engine.state.slots)];
  for (const [slot, v] of vectors) {
    const copy = stored.get(slot) ?? new Float32Array(v.length);
    stored.set(slot, copy);
    const parts = history.get(slot) ?? [{ offset: 0, count: v.length }];
    for (const { offset, count } of parts) copy.set(v.subarray(offset, offset + count), offset);
  }
  const pages = [...stored].flatMap(([slot, v]) => pagesOfVector(slot, v));
  expect(Object.values(engine.state.scalars).every(Number.isFinite), "scalars stored as JSON must be finite").toBe(true);
  const counters = JSON.stringify({ step: engine.state.step, scalars: engine.state.scalars });
  const fresh = createFastLbfgsEngine(module, hyper, engine.length);
  fresh.gradient.fill(Number.NaN); // a push's scratch holds nothing that survives
  const target = (slot: string) => (slot === "weights" ? fresh.params : fresh.state.slots[slot]!);
  for (const row of pages) target(row.slot).set(row.data, row.page * PAGE_FLOATS);
  const { step, scalars } = JSON.parse(counters) as { step: number; scalars: Record<string, number> };
  fresh.state.step = step;
  Object.assign(fresh.state.scalars, scalars);
  return fresh;
}

describe("the fast L-BFGS engine", () => {
  it("holds the weights, the gradient and the machine's vectors in its own memory", () => {
    for (const given of [{ history_size: 3 }, { history_size: 10, line_search_fn: "strong_wolfe" }]) {
      const hyper = resolveLbfgs(given);
      const engine = createFastLbfgsEngine(module, hyper, 1000, { extraVectors: 1 });
      expect(engine.bytes).toBe(engine.memory.buffer.byteLength);
      expect(engine.bytes).toBe(fastLbfgsEngineBytes(hyper, 1000, { extraVectors: 1 }));
      expect(engine.bytes).toBeGreaterThanOrEqual(lbfgsVectorBytes(1000, hyper) + 3 * 4000);
      for (const v of [engine.params, engine.gradient, engine.extra[0]!, ...Object.values(engine.state.slots)]) expect(v.buffer).toBe(engine.memory.buffer);
      expect(engine.pointIsDistinct()).toBe(false);
    }
  });

  it.each(lbfgsGolden.cases.map((c) => [c.id, c] as const))("%s: evicted after every closure call, bit for bit with torch", (_id, c) => {
    const hyper = resolveLbfgs(c.hyper);
    let engine = createFastLbfgsEngine(module, hyper, c.x0.length);
    engine.params.set(c.x0);
    // Created: everything stored whole (the rings zero).
    const stored: Stored = new Map([["weights", engine.params.slice()], ...Object.entries(engine.state.slots).map(([slot, v]) => [slot, v.slice()] as [string, Float32Array])]);
    let worst = 0;
    let moves = 0;
    for (const [k, call] of c.steps.entries()) {
      let answer: LbfgsAnswer | undefined;
      for (const [e, evaluation] of call.evaluations.entries()) {
        const point = engine.point();
        // every closure call of a step() call after its first is a line-search trial, when there is a line search
        expect(engine.pointIsDistinct(), `step ${k}, closure call ${e}`).toBe(hyper.line_search_fn === "strong_wolfe" && e > 0);
        worst = Math.max(worst, maxUlps(point, evaluation.point));
        engine.gradient.set(evaluation.gradient);
        answer = engine.evaluate(evaluation.loss);
        expect(answer.stepEvaluations).toBe(e + 1);
        if (answer.moved) moves += 1;
        engine = evictAndRestore(engine, hyper, stored);
      }
      expect(answer?.end, `step ${k}: the call did not end after ${call.evaluations.length} closure calls`).not.toBeNull();
      worst = Math.max(worst, maxUlps(engine.params, call.weights));
      expect(engine.state.scalars.func_evals).toBe(call.func_evals);
      expect(engine.state.scalars.n_iter).toBe(call.n_iter);
    }
    expect(engine.state.step).toBe(moves);
    expect(moves).toBe(c.steps.reduce((sum, call) => sum + call.moves.length, 0));
    expect(worst).toBe(0);
  });
});
