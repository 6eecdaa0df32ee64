import { describe, expect, it } from "vitest";
import { createReferenceEngine, getRule, seededUniform, type Engine, type Hyper, type RuleName } from "../../src/optim";
import { createFastEngine } from "../../src/optim/fast/engine";
import { loadKernelModule } from "../support/kernels";

/**
 * Normalized gradient descent with `segments` (what a model gives each shard: the lengths of its
 * tensor pieces) equals one engine per segment, bit for bit: each segment is normalized by its own norm.
 */
const SEED = 424242;
const segments = [12, 1, 37, 6];
const total = segments.reduce((a, b) => a + b, 0);

const engines = {
  reference: createReferenceEngine,
  fast: (rule: RuleName, hyper: Hyper, n: number) => createFastEngine(loadKernelModule(), rule, hyper, n),
};

describe.each(Object.keys(engines) as (keyof typeof engines)[])("normalized with segments, %s engine", (kind) => {
  it.each([
    ["plain", { lr: 0.1 }],
    ["momentum, weight decay, maximize", { lr: 0.05, momentum: 0.9, weight_decay: 0.01, maximize: true }],
  ] as const)("equals one engine per segment: %s (seed %#)", (_label, input) => {
    console.log(`seed ${SEED}`);
    const rand = seededUniform(SEED);
    const create = engines[kind];
    const whole: Engine = create("normalized", getRule("normalized").resolve({ ...input, segments }), total);
    const parts: Engine[] = segments.map((n) => create("normalized", getRule("normalized").resolve(input), n));
    for (let i = 0; i < total; i++) whole.params[i] = rand() - 0.5;
    let at = 0;
    for (const [j, n] of segments.entries()) {
      parts[j]!.params.set(whole.params.subarray(at, at + n));
      at += n;
    }
    for (let k = 0; k < 5; k++) {
      for (let i = 0; i < total; i++) whole.gradient[i] = (rand() - 0.5) * 10 ** Math.floor(rand() * 4 - 2);
      at = 0;
      for (const [j, n] of segments.entries()) {
        parts[j]!.gradient.set(whole.gradient.subarray(at, at + n));
        parts[j]!.step(input.lr);
        at += n;
      }
      whole.step(input.lr);
      expect(Array.from(whole.params)).toEqual(parts.flatMap((p) => Array.from(p.params)));
    }
  });

  it("refuses an update that is not the segments' whole", () => {
    const engine = engines[kind]("normalized", getRule("normalized").resolve({ segments }), total);
    expect(() => engine.step(0.1, 0, 10)).toThrow(`normalized: an update of 10 elements for segments of ${total}`);
  });
});
