import { describe, expect, it } from "vitest";
import { resolveShardConfig } from "../../src/config";
import { FLOAT32_MAX, NORMAL_DRAW_BOUND } from "../../src/config/init-bounds";
import { fillInitial, type InitSpec } from "../../src/optim/init";
import { RefusalError } from "../../src/problems";

const refusalOf = (init: unknown): [string, string] | undefined => {
  try {
    resolveShardConfig({ length: 4, rule: "sgd", init });
  } catch (e) {
    if (e instanceof RefusalError) return [e.code, e.detail];
    throw e;
  }
  return undefined;
};

describe("the reach of the initial draws", () => {
  it("FLOAT32_MAX is the largest finite float32", () => {
    expect(Math.fround(FLOAT32_MAX)).toBe(FLOAT32_MAX);
    expect(new Float32Array([FLOAT32_MAX])[0]).toBe(FLOAT32_MAX);
    expect(FLOAT32_MAX).toBe((2 - 2 ** -23) * 2 ** 127);
  });

  it("bounds a normal draw: the radius of Box–Muller at the largest 32-bit uniform, rounded up", () => {
    const largestUniform = (2 ** 32 - 1) / 2 ** 32;
    const radius = Math.sqrt(-2 * Math.log(1 - largestUniform));
    expect(radius).toBeCloseTo(Math.sqrt(64 * Math.LN2), 12);
    expect(NORMAL_DRAW_BOUND).toBeGreaterThanOrEqual(radius);
    expect(NORMAL_DRAW_BOUND - radius).toBeLessThan(1e-4);
  });

  it.each<[string, InitSpec]>([
    ["the widest normal allowed", { kind: "normal", mean: FLOAT32_MAX - NORMAL_DRAW_BOUND * 1e37, std: 1e37, seed: 3 }],
    ["the largest std allowed", { kind: "normal", mean: 0, std: FLOAT32_MAX / NORMAL_DRAW_BOUND, seed: 5 }],
    ["the widest uniform allowed", { kind: "uniform", low: -FLOAT32_MAX, high: FLOAT32_MAX, seed: 9 }],
  ])("%s draws only finite float32", (_what, init) => {
    expect(refusalOf(init)).toBeUndefined();
    const weights = new Float32Array(1 << 20);
    fillInitial(weights, init);
    expect(weights.every(Number.isFinite)).toBe(true);
  });
});

describe("an init that cannot be float32 is refused as invalid-config, stating the bound", () => {
  it.each([
    ["mean 1e39", { kind: "normal", mean: 1e39 }, /init: every draw must be a finite float32: \|mean\| \+ 6\.6605 × std must be at most 3\.4028234663852886e\+38/],
    ["std 1e300", { kind: "normal", std: 1e300 }, /\|mean\| \+ 6\.6605 × std must be at most 3\.4028234663852886e\+38/],
    ["a mean whose draws overflow", { kind: "normal", mean: -FLOAT32_MAX, std: 1e32 }, /must be at most 3\.4028234663852886e\+38/],
    ["std at the largest float64", { kind: "normal", std: Number.MAX_VALUE }, /must be at most 3\.4028234663852886e\+38/],
    ["low -1e39", { kind: "uniform", low: -1e39, high: 0 }, /init\.low: must be a finite float32, at least -3\.4028234663852886e\+38/],
    ["high 1e39", { kind: "uniform", low: 0, high: 1e39 }, /init\.high: must be a finite float32, at most 3\.4028234663852886e\+38/],
    ["bounds whose difference overflows float64", { kind: "uniform", low: -1.7e308, high: 1.7e308 }, /finite float32/],
  ])("%s", (_what, init, message) => {
    const refusal = refusalOf(init);
    expect(refusal?.[0]).toBe("invalid-config");
    expect(refusal?.[1]).toMatch(message);
  });
});
