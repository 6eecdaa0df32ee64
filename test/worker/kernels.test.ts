import { describe, expect, it } from "vitest";
import { createReferenceEngine, getRule } from "../../src/optim";
import { createFastEngine } from "../../src/optim/fast/engine";
import { kernelModule } from "../../src/shard/store/kernels";

describe("the WebAssembly kernels inside workerd", () => {
  it("instantiate from the bundled module and step like the reference", () => {
    const hyper = getRule("adam").resolve({ lr: 0.01, amsgrad: true });
    const n = 1027;
    const fast = createFastEngine(kernelModule, "adam", hyper, n);
    const reference = createReferenceEngine("adam", hyper, n);
    for (const e of [fast, reference]) e.params.fill(0.5);
    for (let step = 1; step <= 5; step++) {
      for (const e of [fast, reference]) {
        for (let i = 0; i < n; i++) e.gradient[i] = Math.sin(i * step) * (i % 7);
        e.step(0.01);
      }
    }
    for (let i = 0; i < n; i++) expect(fast.params[i]).toBeCloseTo(reference.params[i]!, 6);
    expect(fast.state.step).toBe(5);
  });
});
