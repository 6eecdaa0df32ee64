import { describe, expect, it } from "vitest";
import { clipByGlobalNorm, clipByValue, type NormType } from "../../src/optim";
import { f32, f64, loadGolden, metadataJson } from "../support/golden";
import { TrajectoryTolerance } from "../support/tolerance";

interface ClipCase {
  id: string;
  kind: "norm" | "value";
  max_norm?: number;
  norm_type?: number | "inf";
  clip_value?: number;
}

const file = loadGolden("clipping.safetensors");
const cases = metadataJson<ClipCase[]>(file, "cases");
const names = ["g0", "g1", "g2"];

describe("clipping matches torch.nn.utils", () => {
  it.each(cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const vectors = names.map((g) => f32(file, `input/${g}`));
    const before = vectors.map((v) => Float32Array.from(v));
    if (c.kind === "norm") {
      const normType: NormType = c.norm_type === "inf" ? "inf" : 2;
      const total = clipByGlobalNorm(vectors, c.max_norm!, normType);
      // PyTorch takes the norm of per-tensor float32 norms; ours is one float64 sum.
      expect(total).toBeCloseTo(f64(file, `${c.id}/total_norm`)[0]!, 5);
    } else {
      vectors.forEach((v) => clipByValue(v, c.clip_value!));
    }
    names.forEach((g, i) => {
      const worst = new TrajectoryTolerance(before[i]!).check(vectors[i]!, f32(file, `${c.id}/${g}`));
      expect(worst.ulps, `${g}[${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(2);
    });
  });
});

describe("finite checks", () => {
  it("finds the first NaN or infinity and zeroes them", async () => {
    const { firstNonFinite, zeroNonFinite } = await import("../../src/optim");
    const v = new Float32Array([1, -0, 3e38, NaN, 2, -Infinity, Infinity]);
    expect(firstNonFinite(v)).toBe(3);
    expect(firstNonFinite(new Float32Array([1, 2, -3.4e38]))).toBe(-1);
    expect(zeroNonFinite(v)).toBe(3);
    expect(Array.from(v)).toEqual([1, -0, Math.fround(3e38), 0, 2, 0, 0]);
  });
});
